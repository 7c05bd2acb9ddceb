// The wasm side of bench/bands.py: in node, the built module's whole deposit
// (FixedResolutionBuffer.deposit) of a 1024² image vs the same image as K row
// bands (RowBand.depositRows) deposited one after the other; each split checked
// byte for byte against the whole image.
//
//   node bench/bands_wasm.mjs <generated dir> <raw mesh dir> <name:x0:x1:y0:y1,...> <K,...>
//   (env REPS: frames per median, default 25; MIN=1: the fastest frame instead)
import fs from "node:fs";
import path from "node:path";
const [genDir, rawDir, viewsArg, bandsArg] = process.argv.slice(2);
const wasm = await import(path.join(genDir, "ytlite_pixelizer.js"));
wasm.initSync({ module: fs.readFileSync(path.join(genDir, "ytlite_pixelizer_bg.wasm")) });
const f64 = (n) => { const b = fs.readFileSync(path.join(rawDir, `${n}.f64`)); const o = new Float64Array(b.length / 8); new Uint8Array(o.buffer).set(b); return o; };
const mesh = new wasm.VariableMesh(f64("px"), f64("py"), f64("pdx"), f64("pdy"), f64("values"));
const W = Number(process.env.SIZE || 1024), H = W, REPS = Number(process.env.REPS || 25);
const frb = new wasm.FixedResolutionBuffer(W, H);
const WARM = 10; // frames first (V8 tiers the deposit up)
const med = (a) => a.sort((x, y) => x - y)[process.env.MIN ? 0 : a.length >> 1];
for (const v of viewsArg.split(",")) {
  const [name, ...b] = v.split(":"); const [x0, x1, y0, y1] = b.map(Number);
  const t = [];
  for (let r = 0; r < REPS + WARM; r++) { const s = performance.now(); frb.deposit(mesh, x0, x1, y0, y1, true); t.push(performance.now() - s); }
  const whole = med(t.slice(WARM));
  let line = `${name} whole ${whole.toFixed(2)} ms`;
  if (bandsArg && wasm.RowBand) {
    const ref = frb.valuesCopy();
    for (const K of bandsArg.split(",").map(Number)) {
      const step = Math.ceil(H / K); const rows = []; for (let r = 0; r < H; r += step) rows.push([r, Math.min(r + step, H)]);
      const bands = rows.map(() => new wasm.RowBand());
      const sums = [], maxes = []; let same = true;
      for (let rep = 0; rep < REPS + WARM; rep++) {
        let sum = 0, max = 0;
        rows.forEach(([r0, r1], k) => { const s = performance.now(); bands[k].depositRows(mesh, x0, x1, y0, y1, W, H, r0, r1, true); const d = performance.now() - s; sum += d; max = Math.max(max, d);
          if (rep === 0) { const v = bands[k].values(); const a = new Uint8Array(v.buffer, v.byteOffset, v.byteLength), e = new Uint8Array(ref.buffer, r0 * W * 8, (r1 - r0) * W * 8); for (let i = 0; i < a.length; i++) if (a[i] !== e[i]) { same = false; break; } } });
        if (rep >= WARM) { sums.push(sum); maxes.push(max); }
      }
      bands.forEach((b) => b.free());
      line += ` | K=${K} sum ${med(sums).toFixed(2)} (${(med(sums) / whole).toFixed(2)}x) max ${med(maxes).toFixed(2)} (${(med(maxes) / whole).toFixed(2)}x) ${same ? "same" : "DIFFERENT"}`;
    }
  }
  console.log(line);
}
