// Runner for tests/test_compact_mesh.py: the compact mesh through the built
// wasm module, in node.
//
//   node tests/support/compact_runner.mjs jobs.json results.json
//
// Loads ../../ytlite/_generated/ytlite_pixelizer.js twice (two module
// instances, each with its own wasm memory, as two Web Workers would), then
// for every mesh of jobs.json:
//  * fills two meshes of instance A like the readers do (withLength + views):
//    `f64` (kept as it is) and `compact` (then mesh.compact(), twice: idempotent);
//  * rebuilds `compact` in instance B: VariableMesh.fromParts(compact.parts());
//  * builds `built` from the arrays in uneven slices (MeshBuilder), values set and compact() after;
//  * records bytesPerCell, geometryKind, valuesKind of each, the sha256 of every
//    geometryCopy(name) of `compact` and of the B mesh, the errors of
//    pxView()..pdyView() on the compact mesh;
//  * for every case (view, size, antialias, period): deposits the three meshes
//    (FixedResolutionBuffer.deposit / depositPeriodic of its instance) and
//    returns their sha256 (raw f64 bytes, NaN bits included); writes the f64
//    image to `path` if given; `bands`: the compact mesh (A) and the B mesh as
//    RowBand bands in the order given, put together, sha256;
//  * `fields`: setValues(field) on f64 and compact, one case each, sha256;
//    the same field rounded to f32 (Math.fround) then restored through
//    valuesView().set(...): valuesKind and sha256 at each step;
//  * `errors`: fromParts with broken parts -> the messages.
//
// jobs.json: {"meshes": [{"name", "px", "py", "pdx", "pdy", "values": raw f64 paths,
//   "fields": {name: path}, "cases": [{"id", "bounds", "width", "height",
//   "antialias", "period": null | [px, py], "path"?: out, "bands"?: [[r0, r1], ...]}]}]}
// results.json: {"<mesh name>": {...}} (see the code), or {"error": message}.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const gen = path.join(here, "..", "..", "ytlite", "_generated");
async function instance(tag) {
  const m = await import(pathToFileURL(path.join(gen, "ytlite_pixelizer.js")).href + `?instance=${tag}`);
  m.initSync({ module: fs.readFileSync(path.join(gen, "ytlite_pixelizer_bg.wasm")) });
  return m;
}
const A = await instance("a");
const B = await instance("b");
if (A.VariableMesh === B.VariableMesh) throw new Error("runner: the two instances are one");

const [jobsPath, resultsPath] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(jobsPath, "utf8"));

function f64(src) {
  const b = fs.readFileSync(src);
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}
const sha = (v) => crypto.createHash("sha256").update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest("hex");
const NAMES = ["px", "py", "pdx", "pdy", "values"];

function fill(w, a) {
  const m = w.VariableMesh.withLength(a.px.length);
  for (const k of NAMES) m[`${k}View`]().set(a[k]); // a fresh view each time
  return m;
}

function deposit(frb, mesh, c) {
  const [x0, x1, y0, y1] = c.bounds;
  if (c.period) frb.depositPeriodic(mesh, x0, x1, y0, y1, !!c.antialias, c.period[0], c.period[1]);
  else frb.deposit(mesh, x0, x1, y0, y1, !!c.antialias);
}

function bands(w, mesh, c) {
  const [x0, x1, y0, y1] = c.bounds;
  const out = new Float64Array(c.width * c.height).fill(NaN);
  const band = new w.RowBand();
  try {
    for (const [r0, r1] of c.bands) {
      if (c.period) band.depositRowsPeriodic(mesh, x0, x1, y0, y1, c.width, c.height, r0, r1, !!c.antialias, c.period[0], c.period[1]);
      else band.depositRows(mesh, x0, x1, y0, y1, c.width, c.height, r0, r1, !!c.antialias);
      out.set(band.values(), r0 * c.width);
    }
  } finally {
    band.free();
  }
  return sha(out);
}

function message(f) {
  try {
    f();
    return null;
  } catch (e) {
    return `${e instanceof Error ? "Error" : typeof e}: ${e.message}`;
  }
}

const results = {};
for (const job of spec.meshes) {
  const r = (results[job.name] = {});
  const a = Object.fromEntries(NAMES.map((k) => [k, f64(job[k])]));
  const f = fill(A, a);
  f.validate();
  const c = fill(A, a);
  r.f64 = { bytesPerCell: f.bytesPerCell, geometryKind: f.geometryKind, valuesKind: f.valuesKind };
  const t0 = performance.now();
  const bpc = c.compact();
  r.compactMs = performance.now() - t0;
  r.compact = { returned: bpc, again: c.compact(), bytesPerCell: c.bytesPerCell, geometryKind: c.geometryKind, valuesKind: c.valuesKind };
  r.viewErrors = Object.fromEntries(["px", "py", "pdx", "pdy"].map((k) => [k, message(() => c[`${k}View`]())]));
  const parts = c.parts();
  r.parts = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : v]));
  const b = B.VariableMesh.fromParts(parts);
  r.b = { bytesPerCell: b.bytesPerCell, geometryKind: b.geometryKind, valuesKind: b.valuesKind };
  // the same cells through a MeshBuilder, in slices of uneven sizes as a file is read (the kiosk's and
  // the widget's loadSlice), then the values and compact() as Pipeline.useField does
  const n = a.px.length;
  const builder = new A.MeshBuilder(n);
  for (const k of ["px", "py", "pdx", "pdy"]) {
    for (let at = 0, step = 1000; at < n; at += step, step = (step * 3) % 7919 + 1) builder.put(k, at, a[k].subarray(at, Math.min(n, at + step)));
  }
  const built = builder.finish();
  builder.free();
  built.valuesView().set(a.values);
  built.validate();
  built.compact();
  const partsSha = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, ArrayBuffer.isView(v) ? `${v.constructor.name}:${sha(v)}` : v]));
  r.built = { bytesPerCell: built.bytesPerCell, geometryKind: built.geometryKind, valuesKind: built.valuesKind,
              parts: partsSha(built.parts()), compactParts: partsSha(parts) };
  r.copies = Object.fromEntries(NAMES.map((k) => [k, sha(c.geometryCopy(k))]));
  r.copiesB = Object.fromEntries(NAMES.map((k) => [k, sha(b.geometryCopy(k))]));
  r.inputs = Object.fromEntries(NAMES.map((k) => [k, sha(a[k])]));
  r.extent = [Array.from(f.extent()), Array.from(c.extent()), Array.from(b.extent())];
  r.cases = {};
  const frbs = new Map();
  const frb = (w, width, height) => {
    const key = `${w === A ? "a" : "b"}${width}x${height}`;
    if (!frbs.has(key)) frbs.set(key, new w.FixedResolutionBuffer(width, height));
    return frbs.get(key);
  };
  for (const cs of job.cases) {
    const out = {};
    const fa = frb(A, cs.width, cs.height), fb = frb(B, cs.width, cs.height);
    deposit(fa, f, cs);
    const whole = fa.valuesCopy();
    out.f64 = sha(whole);
    if (cs.path) fs.writeFileSync(cs.path, new Uint8Array(whole.buffer));
    deposit(fa, c, cs);
    out.compact = sha(fa.values());
    deposit(fb, b, cs);
    out.b = sha(fb.values());
    deposit(fa, built, cs);
    out.built = sha(fa.values());
    if (cs.bands) {
      out.bandsCompact = bands(A, c, cs);
      out.bandsB = bands(B, b, cs);
    }
    r.cases[cs.id] = out;
  }
  // switching fields, f32 values and back
  const cs = job.cases[0];
  const fa = frb(A, cs.width, cs.height);
  const step = (what) => {
    deposit(fa, f, cs);
    const want = sha(fa.values());
    deposit(fa, c, cs);
    const got = sha(fa.values());
    return { what, want, got, valuesKind: c.valuesKind, bytesPerCell: c.bytesPerCell };
  };
  r.fields = [];
  for (const [name, p] of Object.entries(job.fields || {})) {
    const v = f64(p);
    f.setValues(v);
    c.setValues(v);
    r.fields.push(step(`setValues(${name})`));
    const v32 = v.map(Math.fround);
    f.valuesView().set(v32);
    c.setValues(v32);
    r.fields.push(step(`setValues(fround(${name}))`));
    // the same values again, f64-exact, through the view (back to f64 storage)
    f.valuesView().set(v);
    c.valuesView().set(v);
    r.fields.push(step(`valuesView().set(${name})`));
    c.compact();
    r.fields.push(step(`compact() after valuesView`));
    // f32 values, then one value that is not an f32 through setValues
    c.setValues(v32);
    const mixed = v32.slice();
    mixed[mixed.length >> 1] = 0.1;
    f.setValues(mixed);
    c.setValues(mixed);
    r.fields.push(step(`setValues(fround(${name}) with 0.1)`));
  }
  // a mesh whose values are all f32 from the start (extract --float32)
  const a32 = { ...a, values: a.values.map(Math.fround) };
  const c32 = fill(A, a32);
  c32.compact();
  const p32 = c32.parts();
  const b32 = B.VariableMesh.fromParts(p32);
  const f32mesh = fill(A, a32);
  deposit(fa, f32mesh, cs);
  const want32 = sha(fa.values());
  deposit(fa, c32, cs);
  const got32 = sha(fa.values());
  const fb = frb(B, cs.width, cs.height);
  deposit(fb, b32, cs);
  r.float32 = { bytesPerCell: c32.bytesPerCell, valuesKind: c32.valuesKind, partsValues: p32.values.constructor.name,
                bValuesKind: b32.valuesKind, want: want32, got: got32, gotB: sha(fb.values()) };
  // broken parts
  const tbl = parts.kind === "table";
  const broken = {
    notObject: 42,
    kind: { ...parts, kind: "f16" },
    values: { ...parts, values: [1, 2, 3] },
    compacted: { ...parts, compacted: undefined },
  };
  if (tbl) {
    const xi = parts.xIndex.slice(); xi[3] = parts.xTable.length;
    broken.index = { ...parts, xIndex: xi };
    broken.indexType = { ...parts, xIndex: new Float64Array(parts.xIndex) };
    broken.short = { ...parts, pdIndex: parts.pdIndex.subarray(1) };
    const t = parts.pdxTable.slice(); t[0] = -1;
    broken.width = { ...parts, pdxTable: t };
  }
  r.errors = Object.fromEntries(Object.entries(broken).map(([k, p]) => [k, message(() => B.VariableMesh.fromParts(p).free())]));
  for (const m of [f, c, b, c32, b32, f32mesh]) m.free();
  for (const x of frbs.values()) x.free();
}
fs.writeFileSync(resultsPath, JSON.stringify(results));
