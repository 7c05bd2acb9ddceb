// The wasm side of bench/compact.py: in node, the built module's antialiased
// deposit (FixedResolutionBuffer.deposit, SIZE² pixels) of a mesh held as f64
// arrays vs the same mesh after mesh.compact(), frames interleaved (so the
// machine's load hits both alike); each view's two images checked byte for
// byte (and a row band of the compact mesh against the whole image).
// With a baseline module (BASE=<generated dir of another build>), that
// build's f64 deposit is interleaved too: the f64 path before/after a change.
//
//   node bench/compact_wasm.mjs <generated dir> <raw mesh dir> <name:x0:x1:y0:y1,...>
//   (env REPS: frames per median, default 25; MIN=1: the fastest frame instead)
// Output: `mesh <cells> <f64 B/cell> <compact B/cell> <geometry> <values> <compact ms>`,
// then per view `view <name> <f64 ms> <compact ms> <compact/f64> <same|DIFFERENT> [<base f64 ms> <f64/base>]`.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [genDir, rawDir, viewsArg] = process.argv.slice(2);
async function load(dir, tag) {
  const m = await import(pathToFileURL(path.join(path.resolve(dir), "ytlite_pixelizer.js")).href + `?${tag}`);
  m.initSync({ module: fs.readFileSync(path.join(dir, "ytlite_pixelizer_bg.wasm")) });
  return m;
}
const wasm = await load(genDir, "new");
const base = process.env.BASE ? await load(process.env.BASE, "base") : null;
const f64 = (n) => { const b = fs.readFileSync(path.join(rawDir, `${n}.f64`)); const o = new Float64Array(b.length / 8); new Uint8Array(o.buffer).set(b); return o; };
const a = Object.fromEntries(["px", "py", "pdx", "pdy", "values"].map((k) => [k, f64(k)]));
// filled like the readers do: withLength + views
function fill(w) {
  const m = w.VariableMesh.withLength(a.px.length);
  for (const k of ["px", "py", "pdx", "pdy", "values"]) m[`${k}View`]().set(a[k]);
  m.validate();
  return m;
}
const mesh = fill(wasm), compact = fill(wasm), baseMesh = base && fill(base);
const t0 = performance.now();
compact.compact();
const compactMs = performance.now() - t0;
console.log(`mesh ${mesh.len()} ${mesh.bytesPerCell.toFixed(3)} ${compact.bytesPerCell.toFixed(3)} ${compact.geometryKind} ${compact.valuesKind} ${compactMs.toFixed(1)}`);
const W = Number(process.env.SIZE || 1024), H = W, REPS = Number(process.env.REPS || 25);
const frb = new wasm.FixedResolutionBuffer(W, H);
const bfrb = base && new base.FixedResolutionBuffer(W, H);
const band = new wasm.RowBand();
const WARM = 10;
const med = (t) => t.sort((x, y) => x - y)[process.env.MIN ? 0 : t.length >> 1];
const sha = (v) => crypto.createHash("sha256").update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest("hex");
for (const v of viewsArg.split(",")) {
  const [name, ...b] = v.split(":"); const [x0, x1, y0, y1] = b.map(Number);
  const t64 = [], tc = [], tb = [];
  for (let r = 0; r < REPS + WARM; r++) {
    let s = performance.now(); frb.deposit(mesh, x0, x1, y0, y1, true); const d64 = performance.now() - s;
    s = performance.now(); frb.deposit(compact, x0, x1, y0, y1, true); const dc = performance.now() - s;
    let db = 0;
    if (base) { s = performance.now(); bfrb.deposit(baseMesh, x0, x1, y0, y1, true); db = performance.now() - s; }
    if (r >= WARM) { t64.push(d64); tc.push(dc); tb.push(db); }
  }
  frb.deposit(mesh, x0, x1, y0, y1, true); const whole = frb.valuesCopy();
  frb.deposit(compact, x0, x1, y0, y1, true);
  let same = sha(frb.values()) === sha(whole);
  const r0 = H >> 2, r1 = (H >> 2) + (H >> 3) + 1;
  band.depositRows(compact, x0, x1, y0, y1, W, H, r0, r1, true);
  same &&= sha(band.values()) === sha(whole.subarray(r0 * W, r1 * W));
  const m64 = med(t64), mc = med(tc);
  let line = `view ${name} ${m64.toFixed(3)} ${mc.toFixed(3)} ${(mc / m64).toFixed(3)} ${same ? "same" : "DIFFERENT"}`;
  if (base) { const mb = med(tb); line += ` ${mb.toFixed(3)} ${(m64 / mb).toFixed(3)}`; }
  console.log(line);
}
