// A seeded fuzzer of the pixelizer's wasm API (the module the viewer uses), in
// node: random meshes (bad widths, NaN centres, huge lengths; made at once or by a MeshBuilder), image sizes (0, 1,
// 10^5 x 10^5, negative, NaN), views (NaN, infinite, huge, inverted, empty),
// periods, normalizations (log of negatives, vmin = vmax, NaN limits, bad
// linthresh/base) and colormaps (bad tables). Every call must give a picture (or
// its value) or throw a JS Error; never a wasm trap (RuntimeError: unreachable,
// which kills the module), never a hang; and wasm memory must not keep growing
// across repeated failing calls. Used by tests/test_wasm_fuzz.py and bench/fuzz.py.
//
//   node tests/support/wasm_fuzz.mjs --seed S (--calls N | --seconds T)
//   -> one JSON line: {seed, calls, pictures, errors, traps: [...], other: [...], growth: {...}};
//      exit status 1 when anything went wrong

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const gen = path.join(here, "..", "..", "ytlite", "_generated");
const wasm = await import(path.join(gen, "ytlite_pixelizer.js"));
const exports = wasm.initSync({ module: fs.readFileSync(path.join(gen, "ytlite_pixelizer_bg.wasm")) });
const { VariableMesh, FixedResolutionBuffer, Colormap, Normalization, Previews, RowBand, MeshBuilder, PartsBuilder } = wasm;

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const seed = arg("seed", 1);
const maxCalls = arg("calls", Infinity);
const seconds = arg("seconds", maxCalls === Infinity ? 5 : Infinity);

// mulberry32: a small seeded generator (the same seed makes the same calls)
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const ODD = [NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308, 5e-324, -1, 1e-300, 2 ** 53, undefined];
let oddness = 0.2; // (how often a number is an odd one: lower inside a mesh, where one bad cell spoils it)
const number = (lo, hi) => (random() < oddness ? pick(ODD) : lo + (hi - lo) * random());
const size = () => (random() < 0.3 ? pick(SIZES) : 1 + Math.floor(random() * 600));
const SIZES = [0, 1, 2, 3, 17, 64, 512, 8192, 8193, 100000, -1, NaN, 2 ** 32 + 1, 1.5];

const report = { seed, calls: 0, pictures: 0, errors: 0, traps: [], other: [], growth: null };
const messages = new Map();

// one call: its value, or the Error it threw (a trap or a non-Error is recorded as a failure)
function call(what, fn) {
  report.calls += 1;
  try {
    return { value: fn() };
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      report.traps.push(`${what}: ${err.message}`);
      finish(); // (the module is dead after a trap: nothing more can be learnt)
    }
    if (!(err instanceof Error) || !err.message) report.other.push(`${what}: threw ${String(err)}`);
    report.errors += 1;
    messages.set(err.message, (messages.get(err.message) ?? 0) + 1);
    return { error: err };
  }
}

function randomMesh() {
  const n = pick([1, 2, 5, 64, 65, 300, 2000]);
  oddness = random() < 0.3 ? 2 / n : 0; // (a bad mesh now and then)
  const make = (f) => Float64Array.from({ length: n }, f);
  // (now and then an AMR-like mesh: centres on a grid, a few widths, that compact() shrinks)
  const grid = random() < 0.4 ? (x) => Math.round(x * 16) / 16 : (x) => x;
  const width = () => (grid(1) === 1 ? pick([1 / 32, 1 / 64, 1 / 128]) : 0.001 + 0.2 * random());
  const px = make(() => grid(number(-1, 1))), py = make(() => grid(number(-1, 1)));
  const pdx = make(() => (random() < oddness ? pick(ODD) : width()));
  const pdy = make(() => (random() < oddness ? pick(ODD) : width()));
  const values = make(() => number(-10, 10));
  const short = random() < 0.05 ? values.subarray(0, Math.max(0, n - 1)) : values;
  oddness = 0.08;
  if (random() < 0.3) return builtMesh(n, { px, py, pdx, pdy }, short);
  return call("new VariableMesh", () => new VariableMesh(px, py, pdx, pdy, short)).value ?? null;
}

// The same cells through a MeshBuilder (what a file read in slices goes through): random chunks,
// now and then out of order, at a wrong offset, of an unknown array, or a builder of a wrong size.
function builtMesh(n, arrays, values) {
  const builder = call("new MeshBuilder", () => new MeshBuilder(random() < 0.05 ? pick([0, -1, NaN, 2 ** 31, 2 ** 40, n + 1]) : n)).value;
  if (!builder) return null;
  try {
    const order = random() < 0.05 ? ["pdy", "px", "py", "pdx"] : ["px", "py", "pdx", "pdy"];
    for (const key of order) {
      for (let at = 0; at < n;) {
        const len = 1 + Math.floor(random() * n);
        const offset = random() < 0.03 ? pick([at + 1, 0, -1, NaN, 2 ** 32]) : at;
        call("builder.put", () => builder.put(random() < 0.01 ? "pz" : key, offset, arrays[key].subarray(at, at + len)));
        at += len;
      }
    }
    if (random() < 0.1) call("builder.compact", () => builder.compact);
    const mesh = call("builder.finish", () => builder.finish()).value ?? null;
    if (random() < 0.05) call("builder.finish again", () => builder.finish());
    if (mesh) call("mesh.setValues", () => mesh.setValues(values));
    return mesh;
  } finally {
    builder.free();
  }
}

function randomNorm() {
  const vmin = number(-5, 5), vmax = random() < 0.1 ? vmin : number(-5, 5);
  const scale = pick(["linear", "log", "symlog", "symlogWithScale"]);
  if (scale === "symlog") return call("Normalization.symlog", () => Normalization.symlog(vmin, vmax, number(0, 2))).value;
  if (scale === "symlogWithScale") {
    return call("Normalization.symlogWithScale",
      () => Normalization.symlogWithScale(vmin, vmax, number(0, 2), number(0, 3), pick([10, 2, Math.E, 1, 0, -2, NaN]))).value;
  }
  return call(`Normalization.${scale}`, () => Normalization[scale](vmin, vmax)).value;
}

function randomColormap() {
  const n = random() < 0.7 ? 256 * 4 : pick([0, 1, 2, 3, 7, 8, 1024 * 4, 4 * 65536 + 1]);
  const lut = Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const cmap = call("new Colormap", () => new Colormap(lut)).value;
  if (cmap && random() < 0.3) call("cmap.setBad", () => cmap.setBad(pick([0, 255, 300, -1, NaN]), 0, 0, 255));
  return cmap;
}

function randomView() {
  const x0 = number(-2, 2), y0 = number(-2, 2);
  const x1 = random() < 0.1 ? x0 : x0 + number(-0.5, 3), y1 = random() < 0.1 ? y0 : y0 + number(-0.5, 3);
  return [x0, x1, y0, y1];
}

// one round: a mesh, a buffer, a deposit, a shade; everything freed
function round() {
  const owned = [];
  const own = (x) => { if (x) owned.push(x); return x; };
  try {
    if (random() < 0.05) own(call("VariableMesh.withLength", () => VariableMesh.withLength(pick([0, 2 ** 31, 2 ** 40, 2 ** 52, -1, NaN]))).value);
    let mesh = own(randomMesh());
    // (8192 x 8192 is allowed, and slow: 8192 on one side only)
    const [w, h] = random() < 0.5 ? [size(), size() % 8192] : [size() % 8192, size()];
    const frb = own(call("new FixedResolutionBuffer", () => new FixedResolutionBuffer(w, h)).value);
    if (!mesh || !frb) return;
    let rebuilt = null;
    if (random() < 0.2) call("mesh.compact", () => mesh.compact());
    if (random() < 0.3) call("mesh.setValues", () => mesh.setValues(Float64Array.from({ length: pick([mesh.len(), 0, 1]) }, () => number(-1, 1))));
    if (random() < 0.2) call("mesh.geometryCopy", () => mesh.geometryCopy(pick(["px", "py", "pdx", "pdy", "values", "pz", ""])));
    if (random() < 0.1) call("mesh.pxView", () => mesh[`${pick(["px", "py", "pdx", "pdy", "values"])}View`]()[0]);
    if (random() < 0.1) {
      // the mesh rebuilt from its parts, now and then broken ones
      const parts = call("mesh.parts", () => mesh.parts()).value;
      if (parts) {
        const keys = Object.keys(parts);
        if (random() < 0.7) {
          const k = pick(keys), v = parts[k];
          parts[k] = ArrayBuffer.isView(v)
            ? pick([v.subarray(1), new v.constructor(v.length).fill(pick([255, 2 ** 32 - 1, NaN, -1, 1e300])), new Float64Array(v.length), []])
            : pick([undefined, null, "table", "f64", 1, true]);
        }
        rebuilt = own(call("VariableMesh.fromParts", () => VariableMesh.fromParts(pick([parts, parts, null, 3, {}]))).value);
      }
    } else if (random() < 0.1) {
      // rebuilt a part at a time (a deposit worker's copy), now and then from a broken layout or with a wrong part
      const layout = call("mesh.partsLayout", () => mesh.partsLayout()).value;
      if (layout) {
        if (random() < 0.5) {
          const k = pick(Object.keys(layout));
          layout[k] = pick([undefined, null, -1, 1.5, NaN, 2 ** 32, 2 ** 31, 0, "f32", layout[k]]);
        }
        const builder = call("new PartsBuilder", () => new PartsBuilder(pick([layout, layout, null, {}, 3]))).value;
        if (builder) {
          const names = layout.kind === "table" ? ["xTable", "xIndex", "yTable", "yIndex", "pdIndex", "values"] : ["px", "py", "pdx", "pdy", "values"];
          for (const name of names) {
            const asked = random() < 0.1 ? pick(["pz", "", "pdxTable", name]) : name;
            const source = call("mesh.partView", () => mesh.partView(asked)).value;
            const target = call("builder.view", () => builder.view(pick([asked, asked, "px", "xIndex"]))).value;
            if (source && target) {
              call("builder.view.set", () => target.set(random() < 0.1 ? source.map(() => pick([NaN, 2 ** 32 - 1, 255, -1])) : source,
                random() < 0.05 ? 1 : 0));
            }
          }
          rebuilt = own(call("builder.finish", () => builder.finish()).value);
          call("builder.finish again", () => builder.finish());
          builder.free();
        }
      }
    }
    if (!rebuilt && random() < 0.1) {
      // a deposit worker's strip of the mesh (now and then of no cell, a broken interval or mask)
      const y = () => pick([number(-1, 2), -Infinity, Infinity, NaN, 1e300]);
      const splits = call("mesh.ySplits", () => mesh.ySplits(pick([0, 1, 2, 3, 7, 2 ** 31, -1, NaN]))).value;
      const [lo, hi] = random() < 0.5 && splits?.length ? [-Infinity, splits[0]] : [y(), y()];
      const mask = call("mesh.stripMask", () => mesh.stripMask(lo, hi, pick([1, 0, NaN, -2, Infinity]))).value;
      const given = mask && random() < 0.2 ? pick([mask.subarray(1), new Uint8Array(mask.length), mask.map(() => 255)]) : mask;
      rebuilt = own(call("mesh.subset", () => mesh.subset(pick([given, given, null, new Uint8Array(0), [1, 0]]))).value);
    }
    call("mesh.extent", () => mesh.extent());
    if (rebuilt) mesh = rebuilt; // (deposit the rebuilt mesh)
    const [x0, x1, y0, y1] = randomView();
    const periodic = random() < 0.3;
    const period = () => pick([number(0.5, 4), 1e-3, 1e-300, 0, -1, NaN, Infinity]);
    const deposited = periodic
      ? call("frb.depositPeriodic", () => frb.depositPeriodic(mesh, x0, x1, y0, y1, random() < 0.5, period(), period()))
      : call("frb.deposit", () => frb.deposit(mesh, x0, x1, y0, y1, random() < 0.5));
    call("frb.valueRange", () => frb.valueRange(random() < 0.5));
    if (random() < 0.3) call("mesh.cellsInView", () => mesh.cellsInView(...randomView(), ...(periodic ? [period(), period()] : [])));
    if (random() < 0.2) {
      // previews (rust/src/preview.rs): the buffer remembered, an overview of random values and size, a preview drawn
      const previews = own(new Previews());
      call("previews.remember", () => previews.remember(frb, ...randomView()));
      const [ow, oh] = [pick([1, 3, 64, 0, -1, NaN]), pick([1, 2, 64, 0, 2 ** 32])];
      call("previews.rememberOverview", () => previews.rememberOverview(
        new Float64Array(pick([ow * oh, 0, 5]) || 0).fill(number(-1, 1)), ow, oh, ...randomView()));
      call("previews.covers", () => previews.covers(...randomView()));
      call("frb.drawPreview", () => frb.drawPreview(previews, ...randomView()));
      const cmap = own(randomColormap()), norm = own(randomNorm());
      if (cmap && norm) call("frb.shadePreview", () => frb.shadePreview(previews, ...randomView(), cmap, norm));
    }
    if (random() < 0.2) {
      // rows stored as a worker's band would be: in or out of range
      const row = () => (random() < 0.3 ? pick([0, -1, NaN, 2 ** 32 + 1, h, h + 1]) : Math.floor(random() * (h + 1)));
      call("frb.rowsForWriting", () => frb.rowsForWriting(row(), row()).fill(number(-1, 1)));
    }
    if (random() < 0.3) {
      // one band of rows of a (random) image: rows in or out of range, empty, odd
      const band = own(new RowBand());
      const row = () => (random() < 0.2 ? pick([0, -1, NaN, 1.5, 2 ** 32 + 1, h, h + 1]) : Math.floor(random() * (h + 1)));
      const [r0, r1] = [row(), row()];
      const done = periodic
        ? call("band.depositRowsPeriodic", () => band.depositRowsPeriodic(mesh, x0, x1, y0, y1, w, h, r0, r1, random() < 0.5, period(), period()))
        : call("band.depositRows", () => band.depositRows(mesh, x0, x1, y0, y1, w, h, r0, r1, random() < 0.5));
      if (!done.error) {
        const n = (band.row1 - band.row0) * band.width;
        if (band.values().length !== n || band.valuesCopy().length !== n) report.other.push(`band.values: not ${n} values`);
      }
      // one pixel of it (a read-out): in or out of range; a number when it succeeds
      const col = () => (random() < 0.2 ? pick([0, -1, NaN, 1.5, 2 ** 32 + 1, w, w + 1]) : Math.floor(random() * (w + 1)));
      const [r, c] = [row(), col()];
      const periods = periodic ? [period(), period()] : random() < 0.1 ? [period()] : []; // (one alone: refused)
      const value = call("band.valueAt", () => band.valueAt(mesh, x0, x1, y0, y1, w, h, r, c, random() < 0.5, ...periods));
      if (!value.error && typeof value.value !== "number") report.other.push(`band.valueAt: ${typeof value.value}, not a number`);
    }
    for (let k = 0; k < 2; k++) {
      const cmap = own(randomColormap()), norm = own(randomNorm());
      if (!cmap || !norm) continue;
      const shaded = call("frb.shade", () => frb.shade(cmap, norm));
      if (!shaded.error && !deposited.error) {
        const rgba = frb.rgba();
        if (rgba.length === frb.width * frb.height * 4) report.pictures += 1;
        else report.other.push(`frb.rgba: ${rgba.length} bytes for ${frb.width} x ${frb.height}`);
      }
      if (!shaded.error && random() < 0.3) call("norm.positions", () => norm.positions(Float64Array.from([number(-5, 5), NaN, 0]), shaded.value[0], shaded.value[1]));
      if (random() < 0.05) call("frb.shadeDirect", () => frb.shadeDirect(cmap, norm));
    }
  } finally {
    for (const x of owned) x.free();
  }
}

// repeated failing calls: wasm memory must come back to where it was
let growthMesh = null;
function growth() {
  growthMesh = new VariableMesh(new Float64Array([0.5]), new Float64Array([0.5]), new Float64Array([0.5]), new Float64Array([0.5]), new Float64Array([1]));
  const failing = () => {
    call("growth: withLength", () => VariableMesh.withLength(2 ** 40));
    call("growth: frb", () => new FixedResolutionBuffer(100000, 100000));
    call("growth: colormap", () => new Colormap(new Uint8Array(7)));
    call("growth: mesh", () => new VariableMesh(new Float64Array([0, NaN]), new Float64Array(2), new Float64Array(2), new Float64Array(2), new Float64Array(2)));
    call("growth: log", () => Normalization.log(-1, -2));
    const band = new RowBand();
    call("growth: band", () => band.depositRows(growthMesh, 0, 1, 0, 1, 8, 8, 5, 5, true));
    band.free();
    call("growth: fromParts", () => VariableMesh.fromParts(badParts));
    call("growth: pxView", () => compactMesh.pxView());
    call("growth: builder", () => new MeshBuilder(2 ** 31));
    call("growth: stripMask", () => compactMesh.stripMask(2, 1, 1));
    call("growth: subset", () => compactMesh.subset(new Uint8Array(256)));
    call("growth: subset length", () => compactMesh.subset(new Uint8Array(3)));
    call("growth: PartsBuilder", () => new PartsBuilder({ ...goodLayout, values: 2 ** 31 }));
    call("growth: PartsBuilder length", () => new PartsBuilder({ ...goodLayout, xIndex: 2 ** 40 }));
    // (widths' indices into no pair at all)
    const parts = new PartsBuilder({ ...goodLayout, pdxTable: new Float64Array(0), pdyTable: new Float64Array(0) });
    call("growth: PartsBuilder.view", () => parts.view("pz"));
    call("growth: PartsBuilder.finish", () => parts.finish());
    parts.free();
    const builder = new MeshBuilder(4);
    call("growth: builder.put", () => builder.put("px", 0, new Float64Array([0, NaN])));
    call("growth: builder.finish", () => builder.finish());
    builder.free();
  };
  const g = Float64Array.from({ length: 256 }, (_, i) => (i % 16) / 16);
  const compactMesh = VariableMesh.withLength(256);
  compactMesh.pxView().set(g);
  compactMesh.pyView().set(g.map((_, i) => Math.floor(i / 16) / 16));
  compactMesh.pdxView().fill(1 / 32);
  compactMesh.pdyView().fill(1 / 32);
  compactMesh.compact();
  const badParts = compactMesh.parts();
  const goodLayout = compactMesh.partsLayout();
  badParts.yIndex = badParts.yIndex.map(() => 99);
  for (let i = 0; i < 50; i++) failing(); // (warm up: the first errors may grow the allocator's pools)
  const before = exports.memory.buffer.byteLength;
  for (let i = 0; i < 2000; i++) failing();
  const after = exports.memory.buffer.byteLength;
  report.growth = { before, after };
  if (after > before) report.other.push(`wasm memory grew from ${before} to ${after} bytes over 10000 failing calls`);
}

function finish() {
  report.messages = Object.fromEntries([...messages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12));
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(report.traps.length || report.other.length ? 1 : 0);
}

const start = performance.now();
growth();
while (report.calls < maxCalls && performance.now() - start < seconds * 1000) round();
finish();
