// Browser side of ytlite's pixelizer benchmark (driven by bench/run.py through
// Playwright). Served from 127.0.0.1 with COOP/COEP headers so that
// performance.now() has its fine (5 us) resolution.
//
//   /page/   this directory     /gen/   ytlite/_generated (glue + wasm + colormaps)
//   /data/<mesh>/{px,py,pdx,pdy,values}.f64   raw little-endian f64 arrays
//
// Frame protocol (identical in rust/examples/bench_native.rs and run.py):
//   frame: deposit(view) + shade(viridis, log auto) + putImageData
//   pan:   same, view k moved on a circle of 5 % of the view size (16 per turn)
//   cmap:  shade(viridis | magma alternately) + putImageData (deposited once before)
//   profiling only: range = frame, but the "shade" part is only frb.valueRange(true)
//                           (the auto-limit scan: deposited anew, so not cached);
//                   fill  = frame with a plain (not antialiased) deposit
// Warm-up (lets the engine tier the wasm code up to its optimizing compiler):
// frames until 2 are done and 0.25 s spent (at most 20; just 1 if the first
// takes > 200 ms); then frames until maxReps, or until minReps are done and
// budget seconds are spent. Medians returned.

import wasmInit, { VariableMesh, FixedResolutionBuffer, Colormap, Normalization } from "/gen/ytlite_pixelizer.js";

let wasm = null;          // the wasm exports (memory)
let mesh = null;
const cmaps = {};
const frbs = new Map();   // "WxH" -> FixedResolutionBuffer
let norm = null;

const memBytes = () => wasm.memory.buffer.byteLength;

export async function init() {
  wasm = await wasmInit();
  const index = await (await fetch("/gen/colormaps.json")).json();
  const bin = new Uint8Array(await (await fetch("/gen/colormaps.bin")).arrayBuffer());
  for (const name of ["viridis", "magma"]) {
    const e = index.colormaps[name];
    const c = new Colormap(bin.subarray(e.offset, e.offset + 4 * e.n));
    c.setBad(...e.bad); c.setUnder(...e.under); c.setOver(...e.over);
    cmaps[name] = c;
  }
  norm = Normalization.log();
  // timer resolution: smallest non-zero step of performance.now()
  let res = Infinity, last = performance.now();
  for (let i = 0; i < 100000 && res > 1e-4; i++) {
    const t = performance.now();
    if (t > last) { res = Math.min(res, t - last); last = t; }
  }
  return { crossOriginIsolated: self.crossOriginIsolated, timerResolutionMs: res,
           userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency,
           memoryBytes: memBytes() };
}

async function fetchF64(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Float64Array(await r.arrayBuffer());
}

// Load a mesh into wasm. mode "construct": new VariableMesh(px, ...) (copies);
// mode "views": VariableMesh.withLength(n) + view.set() + validate() (no copies).
// Returns timings and the growth of wasm memory (exact in a fresh page).
export async function loadMesh(name, mode) {
  if (mesh) { mesh.free(); mesh = null; }
  const t0 = performance.now();
  const a = {};
  for (const k of ["px", "py", "pdx", "pdy", "values"]) a[k] = await fetchF64(`/data/${name}/${k}.f64`);
  const t1 = performance.now();
  const mem0 = memBytes();
  const t2 = performance.now();
  if (mode === "construct") {
    mesh = new VariableMesh(a.px, a.py, a.pdx, a.pdy, a.values);
  } else {
    mesh = VariableMesh.withLength(a.px.length);
    for (const k of ["px", "py", "pdx", "pdy"]) mesh[`${k}View`]().set(a[k]);
    mesh.valuesView().set(a.values);
    mesh.validate();
  }
  const t3 = performance.now();
  const mem1 = memBytes();
  return { n: mesh.len(), fetchMs: t1 - t0, loadMs: t3 - t2, memBefore: mem0, memAfter: mem1,
           memGrowth: mem1 - mem0, rawBytes: 5 * 8 * a.px.length };
}

function frbFor(w, h) {
  const key = `${w}x${h}`;
  if (!frbs.has(key)) frbs.set(key, new FixedResolutionBuffer(w, h));
  return frbs.get(key);
}

function panView(b, k) {
  const a = (2 * Math.PI * (k % 16)) / 16;
  const dx = 0.05 * (b[1] - b[0]) * Math.cos(a);
  const dy = 0.05 * (b[3] - b[2]) * Math.sin(a);
  return [b[0] + dx, b[1] + dx, b[2] + dy, b[3] + dy];
}

function median(v) {
  const s = Float64Array.from(v).sort();
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

export function runCase({ w, h, kind, view, minReps, maxReps, budget }) {
  const frb = frbFor(w, h);
  const canvas = document.getElementById("view");
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d");
  if (kind === "cmap") frb.deposit(mesh, view[0], view[1], view[2], view[3], true);
  const frame = (k) => {
    const t0 = performance.now();
    if (kind === "frame" || kind === "range") frb.deposit(mesh, view[0], view[1], view[2], view[3], true);
    else if (kind === "fill") frb.deposit(mesh, view[0], view[1], view[2], view[3], false);
    else if (kind === "pan") { const v = panView(view, k); frb.deposit(mesh, v[0], v[1], v[2], v[3], true); }
    const t1 = performance.now();
    const cm = kind === "cmap" && k % 2 === 1 ? cmaps.magma : cmaps.viridis;
    try {
      if (kind === "range") frb.valueRange(true);  // profile: the auto-limit scan only
      else frb.shade(cm, norm);
    } catch (e) { /* no valid value in view: timed anyway */ }
    const t2 = performance.now();
    ctx.putImageData(new ImageData(frb.rgba(), w, h), 0, 0);
    const t3 = performance.now();
    return [t3 - t0, t1 - t0, t2 - t1, t3 - t2];
  };
  let k = 0;
  const first = frame(k++);
  if (first[0] < 200) {
    const warm = performance.now();
    do frame(k++); while (k < 20 && performance.now() - warm < 250);
  }
  const tot = [], dep = [], sh = [], dr = [];
  const start = performance.now();
  while (tot.length < maxReps && !(tot.length >= minReps && performance.now() - start > budget * 1e3)) {
    const [a, b, c, d] = frame(k++);
    tot.push(a); dep.push(b); sh.push(c); dr.push(d);
  }
  return { reps: tot.length, total: median(tot), deposit: median(dep), shade: median(sh),
           draw: median(dr), computeMs: median(tot.map((t, i) => t - dr[i])),
           checksum: fnv1a(frb.rgba()) };
}

export function freeAll() {
  if (mesh) { mesh.free(); mesh = null; }
  for (const f of frbs.values()) f.free();
  frbs.clear();
}
