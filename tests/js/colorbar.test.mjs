// The colorbar's ticks sit where the image puts their values: a tick placed
// at position u (Normalization.positions, the wasm map the colorbar uses) is
// painted by shade() with colour entry floor(u * N) of the same colormap.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { colorbarTicks } from "../../lite/js/core/ticks.js";

const gen = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "ytlite", "_generated");
const built = fs.existsSync(path.join(gen, "ytlite_pixelizer_bg.wasm"));

test("colorbar ticks land on the colour the image gives their value", { skip: !built && "wasm not built" }, async () => {
  const wasm = await import(path.join(gen, "ytlite_pixelizer.js"));
  wasm.initSync({ module: fs.readFileSync(path.join(gen, "ytlite_pixelizer_bg.wasm")) });
  const N = 256;
  const lut = new Uint8Array(4 * N);
  for (let k = 0; k < N; k++) lut.set([k, 255 - k, (7 * k) % 256, 255], 4 * k);  // entry k is identifiable
  const cmap = new wasm.Colormap(lut);
  const cases = [
    ["symlog", -1e3, 4.1e4, 0.05],
    ["symlog", -20, 99, 1e-3],
    ["log", 1e-3, 4.1e4],
    ["linear", -20, 1e3],
  ];
  for (const [scale, vmin, vmax, linthresh] of cases) {
    const ticks = colorbarTicks(scale, vmin, vmax, linthresh);
    const norm = scale === "symlog" ? wasm.Normalization.symlog(vmin, vmax, linthresh)
      : wasm.Normalization[scale](vmin, vmax);
    const u = norm.positions(Float64Array.from(ticks), vmin, vmax);
    // one cell per pixel, one pixel per tick, shaded with the same limits
    const n = ticks.length;
    const mesh = new wasm.VariableMesh(Float64Array.from(ticks, (_, i) => i + 0.5), new Float64Array(n).fill(0.5),
      new Float64Array(n).fill(0.5), new Float64Array(n).fill(0.5), Float64Array.from(ticks));
    const frb = new wasm.FixedResolutionBuffer(n, 1);
    frb.deposit(mesh, 0, n, 0, 1, false);
    const shadeNorm = scale === "symlog" ? wasm.Normalization.symlog(vmin, vmax, linthresh)
      : wasm.Normalization[scale](vmin, vmax);
    frb.shade(cmap, shadeNorm);
    const rgba = frb.rgba();
    ticks.forEach((t, i) => {
      const k = Math.min(N - 1, Math.floor(u[i] * N));
      assert.ok(u[i] >= 0 && u[i] <= 1, `${scale}: tick ${t} at ${u[i]} is off the bar`);
      assert.equal(rgba[4 * i], k, `${scale}: tick ${t} at u=${u[i]} (entry ${k}) painted with entry ${rgba[4 * i]}`);
    });
    for (const o of [norm, shadeNorm, mesh, frb]) o.free();
  }
  // the linscale adjustment: symlog puts linthresh at f(lt) = lt/(1 - 1/10), not at 1 + log10(1)
  const norm = wasm.Normalization.symlog(-10, 10, 1);
  const [zero, one, ten] = norm.positions(Float64Array.from([0, 1, 10]), -10, 10);
  assert.equal(zero, 0.5);
  const adj = 1 / (1 - 1 / 10);
  assert.ok(Math.abs(one - (0.5 + 0.5 * adj / (adj + 1))) < 1e-15, String(one));
  assert.equal(ten, 1);
  norm.free();
  cmap.free();
});
