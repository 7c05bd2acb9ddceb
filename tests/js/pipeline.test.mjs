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
  p.useField("a", Float64Array.from([1, 2, 3, -4]));
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
  p.useField("a", Float64Array.from([9, 9, 9, 9]));
  assert.equal(p.render({ ...STATE, scale: "symlog" }).deposited, false);
  p.free();
});

test("pipeline: empty views are the bad colour and say so, real errors still throw", { skip: !built && "wasm not built" }, async () => {
  const rt = await runtime();
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const p = new Pipeline(rt);
  p.setMesh(MESH);
  p.useField("a", Float64Array.from([1, 2, 3, -4]));
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
  assert.throws(() => p.useField("b", new Float64Array(3)), /field b has 3 values but the mesh has 4 cells/);
  assert.throws(() => p.setMesh({ ...MESH, pdy: new Float64Array(2) }), /pdy has 2 values but px has 4/);
  const nan = new Pipeline(rt);
  nan.setMesh({ ...MESH, pdx: Float64Array.from([0.5, NaN, 0.5, 0.5]) });
  assert.throws(() => nan.useField("a", new Float64Array(4)), /pdx\[1\] = NaN must be finite/);
  nan.free();
  p.free();
});
