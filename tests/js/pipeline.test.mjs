// The pipeline's caching and its empty views, on the built wasm in node.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const gen = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "ytlite", "_generated");
const built = fs.existsSync(path.join(gen, "ytlite_pixelizer_bg.wasm"));

async function runtime() {
  const glue = await import(path.join(gen, "ytlite_pixelizer.js"));
  glue.initSync({ module: fs.readFileSync(path.join(gen, "ytlite_pixelizer_bg.wasm")) });
  const { ColormapLibrary } = await import("../../lite/js/core/colormaps.js");
  const index = JSON.parse(fs.readFileSync(path.join(gen, "colormaps.json"), "utf8"));
  const tables = new Uint8Array(fs.readFileSync(path.join(gen, "colormaps.bin")));
  return { px: glue, colormaps: new ColormapLibrary(glue, index, tables) };
}

// 2x2 cells over [0, 2]^2: values 1, 2, 3, -4 (a negative one, for log)
const MESH = {
  px: Float64Array.from([0.5, 1.5, 0.5, 1.5]), py: Float64Array.from([0.5, 0.5, 1.5, 1.5]),
  pdx: new Float64Array(4).fill(0.5), pdy: new Float64Array(4).fill(0.5),
};
const STATE = { view: [0, 2, 0, 2], width: 4, height: 4, antialias: true, periodic: false, period: [2, 2],
  cmap: "viridis", scale: "linear", vmin: null, vmax: null, linthresh: null };

test("pipeline: a colormap change re-shades only; a pan deposits again", { skip: !built && "wasm not built" }, async () => {
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const p = new Pipeline(await runtime());
  p.setMesh(MESH);
  p.useField("a", { a: Float64Array.from([1, 2, 3, -4]) });
  let r = p.render(STATE);
  assert.equal(r.deposited, true);
  assert.deepEqual(r.limits, { vmin: -4, vmax: 3, linthresh: null });
  r = p.render({ ...STATE, cmap: "magma" });
  assert.equal(r.deposited, false);
  r = p.render({ ...STATE, cmap: "magma", view: [0.5, 2.5, 0, 2] });
  assert.equal(r.deposited, true);
  // log: only the positive values set the limits
  r = p.render({ ...STATE, scale: "log" });
  assert.deepEqual([r.limits.vmin, r.limits.vmax], [1, 3]);
  // symlog's automatic linthresh: 1/1000 of the largest magnitude
  r = p.render({ ...STATE, scale: "symlog" });
  assert.equal(r.limits.linthresh, 4 / 1000);
  assert.deepEqual(p.positions([-4, 3]), [0, 1]);
  // the same field again: not copied, not re-deposited
  p.useField("a", { a: Float64Array.from([9, 9, 9, 9]) });
  assert.equal(p.render({ ...STATE, scale: "symlog" }).deposited, false);
  p.free();
});

test("pipeline: the field shown is lent to the mesh, its array made again from it, bit for bit", { skip: !built && "wasm not built" }, async () => {
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const rt = await runtime();
  const sameBits = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
  // values f64 (not all f32: the compact mesh keeps f64) and all-f32 ones (kept as f32), NaN and -0 among them
  const a = Float64Array.from([1 / 3, NaN, -0, 2e300]), b = Float64Array.from([0.5, -2, 3, 0]);
  const level = Float64Array.from([0, 1, 2, 3]);
  for (const compact of [true, false]) {
    const fields = { a: a.slice(), b: b.slice() };
    let made = 0;
    Object.defineProperty(fields, "level", { enumerable: true, get: () => { made += 1; return level; } }); // (a derived field)
    const p = new Pipeline(rt);
    p.setMesh(MESH);
    if (!compact) p.mesh.compact = () => { throw new Error("no memory"); }; // (stays uncompacted: f64 values)
    const held = fields.a;
    p.useField("a", fields);
    assert.notEqual(Object.getOwnPropertyDescriptor(fields, "a").value, held, "a's array let go");
    assert.ok(sameBits(fields.a, a) && fields.a !== fields.a, "a decoded from the mesh, a copy each time");
    assert.deepEqual(Object.keys(fields), ["a", "b", "level"]);
    const first = p.render(STATE);
    p.useField("b", fields); // a given back as an array, b lent
    assert.ok(sameBits(Object.getOwnPropertyDescriptor(fields, "a").value, a));
    assert.ok(sameBits(fields.b, b));
    p.useField("level", fields); // (a getter: not lent; b given back)
    assert.ok(sameBits(Object.getOwnPropertyDescriptor(fields, "b").value, b));
    assert.ok(Object.getOwnPropertyDescriptor(fields, "level").get && made === 1);
    p.useField("a", fields);
    assert.deepEqual(p.render(STATE).limits, first.limits);
    p.setMesh(MESH); // another mesh: a given back first
    assert.ok(sameBits(Object.getOwnPropertyDescriptor(fields, "a").value, a));
    p.useField("b", fields);
    p.free(); // the viewer closes with its data: b's values went with the mesh, and say so
    assert.throws(() => fields.b, /the values of b went with the viewer that held them/);
  }
});

test("pipeline: empty views are the bad colour and say so, real errors still throw", { skip: !built && "wasm not built" }, async () => {
  const rt = await runtime();
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const p = new Pipeline(rt);
  p.setMesh(MESH);
  p.useField("a", { a: Float64Array.from([1, 2, 3, -4]) });
  const bad = rt.colormaps.entry("viridis").bad;
  for (const state of [
    { ...STATE, view: [10, 12, 10, 12] }, // panned off the data
    { ...STATE, view: [10, 12, 10, 12], scale: "symlog" },
    { ...STATE, view: [1, 2, 1, 2], scale: "log" }, // only the negative cell: nothing > 0
    { ...STATE, view: [10, 12, 10, 12], vmin: 0, vmax: 5 }, // locked limits, off the data
  ]) {
    const r = p.render(state);
    assert.equal(r.empty, true, JSON.stringify(state));
    const rgba = p.rgba();
    for (let i = 0; i < rgba.length; i += 4) assert.deepEqual([...rgba.subarray(i, i + 4)], bad);
  }
  assert.equal(p.render(STATE).empty, false);
  assert.throws(() => p.render({ ...STATE, vmin: 100 }), /vmin \(100\) must be <= vmax \(3\)/);
  assert.throws(() => p.render({ ...STATE, scale: "log", vmin: -1 }), /log scale needs vmin > 0/);
  assert.throws(() => p.render({ ...STATE, scale: "cubic" }), /unknown scale "cubic"/);
  assert.throws(() => p.useField("b", { b: new Float64Array(3) }), /field b has 3 values but the mesh has 4 cells/);
  assert.throws(() => p.useField("c", { b: new Float64Array(4) }), /no field "c"; fields: b/);
  assert.throws(() => p.setMesh({ ...MESH, pdy: new Float64Array(2) }), /pdy has 2 values but px has 4/);
  const nan = new Pipeline(rt);
  nan.setMesh({ ...MESH, pdx: Float64Array.from([0.5, NaN, 0.5, 0.5]) });
  assert.throws(() => nan.useField("a", { a: new Float64Array(4) }), /pdx\[1\] = NaN must be finite/);
  nan.free();
  p.free();
});

test("pipeline: a preview's pixels are its values shaded (kept colour codes, in wasm)", { skip: !built && "wasm not built" }, async () => {
  // renderPreview shades from the codes the kept images keep (frb.shadePreview; preparePreviews makes them ahead);
  // here against drawPreview +
  // shade on another buffer, through pans, zooms, limits, scales and colormaps, and a new exact image
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const rt = await runtime();
  const p = new Pipeline(rt);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const n = 400, px = new Float64Array(n), py = new Float64Array(n), pdx = new Float64Array(n), pdy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    px[i] = (i % 20) / 10 + 0.05; py[i] = Math.floor(i / 20) / 10 + 0.05; pdx[i] = pdy[i] = 0.05;
  }
  p.setMesh({ px, py, pdx, pdy });
  p.useField("a", { a: Float64Array.from({ length: n }, (_, i) => (i % 37 === 0 ? NaN : i % 11 === 0 ? -rnd() : 10 ** (4 * rnd() - 2))) });
  let compared = 0;
  for (let round = 0; round < 30; round++) {
    if (round % 10 === 0) { // an exact image to make previews from
      const x0 = rnd() * 1.5, size = 0.5 + rnd() * 1.5;
      const exact = { ...STATE, view: [x0, x0 + size, x0 / 2, x0 / 2 + size], width: 40 + round, height: 30 };
      p.render(exact);
      p.previews.remember(p.frb, ...exact.view);
    }
    const x0 = rnd() * 2 - 0.5, size = 0.2 + rnd() * 2;
    const scale = ["linear", "log", "symlog"][Math.floor(rnd() * 3)];
    const state = { ...STATE, view: [x0, x0 + size, x0 - 0.3, x0 - 0.3 + size], width: 33, height: 21, scale, cmap: ["viridis", "magma", "cmyt.arbre"][round % 3] };
    const limits = { vmin: scale === "log" ? 0.05 : -0.5, vmax: 20 + round, linthresh: scale === "symlog" ? 0.1 : null };
    if (round % 3 === 0) p.preparePreviews(state, limits); // (the kept images' codes made ahead, as at rest)
    const r = p.renderPreview(state, limits);
    assert.equal(r.preview, true);
    const got = Uint8Array.from(p.rgba());
    const ref = new rt.px.FixedResolutionBuffer(r.width, r.height);
    ref.drawPreview(p.previews, ...state.view);
    const N = rt.px.Normalization;
    const norm = scale === "linear" ? N.linear(limits.vmin, limits.vmax) : scale === "log" ? N.log(limits.vmin, limits.vmax)
      : N.symlog(limits.vmin, limits.vmax, limits.linthresh);
    ref.shade(rt.colormaps.get(state.cmap), norm);
    assert.deepEqual(got, Uint8Array.from(ref.rgba()), `round ${round}`);
    let showable = 0;
    for (const v of ref.valuesCopy()) if (Number.isFinite(v) && (scale !== "log" || v > 0)) showable += 1;
    assert.equal(r.empty, showable === 0, `round ${round}`);
    compared += 1;
    norm.free();
    ref.free();
  }
  assert.equal(compared, 30);
  p.free();
});

test("pipeline: the cost scale is calibrated by warm deposits only (not the first, nor one into a new buffer)", { skip: !built && "wasm not built" }, async () => {
  // (the kiosk's first image took 31 ms against 3.2 predicted: code not yet compiled in full, memory
  // touched for the first time; the scale it made sent every later image to the workers)
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const p = new Pipeline(await runtime());
  p.setMesh(MESH);
  p.useField("a", { a: Float64Array.from([1, 2, 3, -4]) });
  const seen = [];
  p.calibrate = (predicted, ms) => seen.push([predicted.pixels, ms]);
  const big = { ...STATE, width: 1024, height: 1024 }; // (predicted >= 0.5 ms: worth calibrating)
  p.render(big); // the first deposit here
  assert.equal(seen.length, 0);
  p.render({ ...big, view: [0.5, 2.5, 0, 2] });
  assert.equal(seen.length, 1);
  p.render({ ...big, width: 1000 }); // a new buffer
  assert.equal(seen.length, 1);
  p.render({ ...big, width: 1000, view: [0.5, 2.5, 0, 2] });
  assert.deepEqual(seen.map(([n]) => n), [1024 * 1024, 1000 * 1024]);
  p.free();
});

test("pipeline: a read-out where no exact image is held is that pixel of the exact image, bit for bit", { skip: !built && "wasm not built" }, async () => {
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const rt = await runtime();
  const p = new Pipeline(rt);
  // cells of three sizes, overlapping, some half outside the view; a value per cell
  const px = [], py = [], pdx = [], pdy = [], v = [];
  for (let k = 0; k < 300; k++) {
    const d = [0.4, 0.1, 0.013][k % 3];
    px.push(((k * 0.618) % 1) * 2.2 - 0.1); py.push(((k * 0.414) % 1) * 2.2 - 0.1); pdx.push(d); pdy.push(d * 0.7);
    v.push(Math.sin(k) * 10 ** (k % 5));
  }
  p.setMesh({ px: Float64Array.from(px), py: Float64Array.from(py), pdx: Float64Array.from(pdx), pdy: Float64Array.from(pdy) });
  p.useField("a", { a: Float64Array.from(v) });
  const frb = new rt.px.FixedResolutionBuffer(23, 17);
  for (const [periodic, view] of [[false, [0.1, 1.9, -0.2, 1.7]], [true, [-0.5, 1.5, 1.2, 3.1]]]) {
    const state = { ...STATE, view, width: 23, height: 17, periodic };
    if (periodic) frb.depositPeriodic(p.mesh, ...view, true, 2, 2);
    else frb.deposit(p.mesh, ...view, true);
    const want = frb.values();
    let filled = 0;
    for (let rowFromTop = 0; rowFromTop < 17; rowFromTop++) {
      for (let col = 0; col < 23; col++) {
        assert.equal(p.hasDeposit(state), false); // (the read-out deposits that pixel, not the image)
        const got = p.valueAt(state, col, rowFromTop), w = want[(16 - rowFromTop) * 23 + col];
        assert.ok(Object.is(got, w) || (Number.isNaN(got) && Number.isNaN(w)), `${periodic} (${rowFromTop}, ${col}): ${got} vs ${w}`);
        if (!Number.isNaN(w)) filled += 1;
      }
    }
    assert.ok(filled > 100, `${filled} pixels with data`);
  }
  assert.ok(Number.isNaN(p.valueAt({ ...STATE, width: 23, height: 17 }, 23, 0))); // (outside the image)
  frb.free();
  p.free();
});
