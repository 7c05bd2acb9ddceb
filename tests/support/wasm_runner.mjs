// Batch runner for the ytlite pixelizer wasm module (used by
// tests/test_wasm_parity.py).
//
//   node tests/support/wasm_runner.mjs jobs.json results.json
//
// Loads ../../ytlite/_generated/ytlite_pixelizer.js (wasm-bindgen `--target web`
// glue) with `initSync`, then runs every job of jobs.json in order, in this
// single process, and writes results.json.
//
// jobs.json:
//   {
//     "colormaps_bin": "path"          // optional: concatenated RGBA tables
//     "setup": [step, ...],             // objects created here live for the whole batch
//     "jobs":  [{"id": "...", "steps": [step, ...]}, ...]
//   }
// Objects created by a job's steps are local to the job (freed at its end).
// A job stops at the first step that throws; its result records the message.
//
// Steps (`name` = object name; numbers may be given as "NaN", "Infinity",
// "-Infinity"; null = undefined):
//   {"op": "mesh", "name", "px"|"py"|"pdx"|"pdy"|"values": path (raw little-endian
//        f64) or inline array}
//   {"op": "meshWithLength", "name", "n", "fill": {px: ..., ...} (optional, via views)}
//   {"op": "viewWrite", "mesh", "array": "pdx", "index", "value"}
//   {"op": "setValues", "mesh", "values": path or inline array}
//   {"op": "extent", "mesh", "as"}          -> returns[as] = [xmin, xmax, ymin, ymax]
//   {"op": "len", "mesh", "as"}
//   {"op": "frb", "name", "width", "height"}
//   {"op": "deposit", "frb", "mesh", "bounds": [x0, x1, y0, y1], "antialias",
//        "period": null | [px, py]}      (period => depositPeriodic)
//   {"op": "saveValues", "frb", "path"}       raw f64 (row 0 = y_min)
//   {"op": "bands", "mesh", "width", "height", "bounds", "antialias", "period",
//        "bands": [[row0, row1], ...], "copy": bool, "path", "as"}
//        one RowBand deposits each band (depositRows / depositRowsPeriodic) in the
//        order given; each band's values (the view, or valuesCopy() if copy) are put at
//        rows row0..row1 of a width x height image (rows no band covered stay NaN),
//        written raw to path (optional); returns[as] = [[width, height, row0, row1,
//        length], ...] and returns[as + "_sha256"] = sha256 hex of that image's bytes
//   {"op": "band", "name"} then {"op": "depositRows", "band", "mesh", "bounds",
//        "width", "height", "row0", "row1", "antialias", "period"}   (for error cases)
//   {"op": "saveRgba", "frb", "path"}         raw RGBA8 (row 0 = top)
//   {"op": "valueRange", "frb", "log", "as"}
//   {"op": "colormap", "name", "bytes": [..] | "bin": [offset, n] | "len": n,
//        "bad"|"under"|"over": [r, g, b, a] (optional)}
//   {"op": "norm", "name", "scale": "linear"|"log"|"symlog", "vmin", "vmax", "linthresh"}
//   {"op": "shade", "frb", "cmap", "norm", "as", "direct"}  -> returns[as] = [vmin, vmax]
//        (direct: shadeDirect, the pixel-by-pixel definition)
//   {"op": "positions", "norm", "values": [...], "vmin", "vmax", "as"}  -> returns[as] =
//        normalized positions (NaN as "NaN")
//
// results.json: {"<job id>": {"ok": bool, "returns": {...}, "error": message|null,
//                 "error_name": ..., "error_is_Error": bool, "failed_step": index|null,
//                 "ms": elapsed}}

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const gen = path.join(here, "..", "..", "ytlite", "_generated");
const wasm = await import(path.join(gen, "ytlite_pixelizer.js"));
wasm.initSync({ module: fs.readFileSync(path.join(gen, "ytlite_pixelizer_bg.wasm")) });
const { VariableMesh, FixedResolutionBuffer, Colormap, Normalization, RowBand } = wasm;

const [jobsPath, resultsPath] = process.argv.slice(2);
if (!jobsPath || !resultsPath) {
  console.error("usage: node wasm_runner.mjs jobs.json results.json");
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(jobsPath, "utf8"));
const cmapBin = spec.colormaps_bin ? new Uint8Array(fs.readFileSync(spec.colormaps_bin)) : null;

function num(x) {
  if (x === null || x === undefined) return undefined;
  if (typeof x === "number") return x;
  if (x === "NaN") return NaN;
  if (x === "Infinity") return Infinity;
  if (x === "-Infinity") return -Infinity;
  throw new Error(`runner: bad number ${JSON.stringify(x)}`);
}

function f64(src) {
  if (Array.isArray(src)) return Float64Array.from(src, num);
  const b = fs.readFileSync(src);
  if (b.length % 8) throw new Error(`runner: ${src} is not a multiple of 8 bytes`);
  // copy into an aligned buffer
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

const global = new Map();

function runSteps(steps, scope, returns) {
  const get = (name) => {
    if (scope.has(name)) return scope.get(name);
    if (global.has(name)) return global.get(name);
    throw new Error(`runner: unknown object ${name}`);
  };
  const put = (name, obj) => {
    const old = scope.get(name);
    if (old && old !== obj && typeof old.free === "function") old.free();
    scope.set(name, obj);
  };
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k];
    try {
      switch (s.op) {
        case "mesh":
          put(s.name, new VariableMesh(f64(s.px), f64(s.py), f64(s.pdx), f64(s.pdy), f64(s.values)));
          break;
        case "meshWithLength": {
          const m = VariableMesh.withLength(s.n);
          put(s.name, m);
          for (const [arr, src] of Object.entries(s.fill || {})) m[`${arr}View`]().set(f64(src));
          break;
        }
        case "viewWrite":
          get(s.mesh)[`${s.array}View`]()[s.index] = num(s.value);
          break;
        case "setValues":
          get(s.mesh).setValues(f64(s.values));
          break;
        case "extent":
          returns[s.as] = Array.from(get(s.mesh).extent());
          break;
        case "len":
          returns[s.as] = get(s.mesh).len();
          break;
        case "frb":
          put(s.name, new FixedResolutionBuffer(s.width, s.height));
          break;
        case "deposit": {
          const [x0, x1, y0, y1] = s.bounds.map(num);
          const f = get(s.frb);
          if (s.period) f.depositPeriodic(get(s.mesh), x0, x1, y0, y1, !!s.antialias, num(s.period[0]), num(s.period[1]));
          else f.deposit(get(s.mesh), x0, x1, y0, y1, !!s.antialias);
          break;
        }
        case "saveValues": {
          const v = get(s.frb).valuesCopy();
          fs.writeFileSync(s.path, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          break;
        }
        case "bands": {
          const [x0, x1, y0, y1] = s.bounds.map(num);
          const mesh = get(s.mesh);
          const out = new Float64Array(s.width * s.height).fill(NaN);
          const seen = [];
          const band = new RowBand();
          try {
            for (const [r0, r1] of s.bands) {
              if (s.period) {
                band.depositRowsPeriodic(mesh, x0, x1, y0, y1, s.width, s.height, r0, r1, !!s.antialias,
                  num(s.period[0]), num(s.period[1]));
              } else {
                band.depositRows(mesh, x0, x1, y0, y1, s.width, s.height, r0, r1, !!s.antialias);
              }
              const v = s.copy ? band.valuesCopy() : band.values();
              seen.push([band.width, band.height, band.row0, band.row1, v.length]);
              out.set(v.subarray(0, Math.min(v.length, out.length - r0 * s.width)), r0 * s.width);
            }
          } finally {
            band.free();
          }
          const bytes = new Uint8Array(out.buffer);
          if (s.path) fs.writeFileSync(s.path, bytes);
          returns[s.as] = seen;
          returns[`${s.as}_sha256`] = crypto.createHash("sha256").update(bytes).digest("hex");
          break;
        }
        case "band":
          put(s.name, new RowBand());
          break;
        case "depositRows": {
          const [x0, x1, y0, y1] = s.bounds.map(num);
          const b = get(s.band);
          const args = [get(s.mesh), x0, x1, y0, y1, s.width, s.height, s.row0, s.row1, !!s.antialias];
          if (s.period) b.depositRowsPeriodic(...args, num(s.period[0]), num(s.period[1]));
          else b.depositRows(...args);
          break;
        }
        case "saveRgba": {
          const v = get(s.frb).rgba(); // view: write it out before any allocation
          fs.writeFileSync(s.path, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          break;
        }
        case "valueRange":
          returns[s.as] = Array.from(get(s.frb).valueRange(!!s.log));
          break;
        case "colormap": {
          let lut;
          if (s.bytes) lut = Uint8Array.from(s.bytes);
          else if (s.bin) lut = cmapBin.subarray(s.bin[0], s.bin[0] + 4 * s.bin[1]);
          else lut = new Uint8Array(s.len);
          const c = new Colormap(lut);
          put(s.name, c);
          if (s.bad) c.setBad(...s.bad);
          if (s.under) c.setUnder(...s.under);
          if (s.over) c.setOver(...s.over);
          break;
        }
        case "norm": {
          const vmin = num(s.vmin), vmax = num(s.vmax);
          let n;
          if (s.scale === "linear") n = Normalization.linear(vmin, vmax);
          else if (s.scale === "log") n = Normalization.log(vmin, vmax);
          else if (s.scale === "symlog") n = Normalization.symlog(vmin, vmax, num(s.linthresh));
          else throw new Error(`runner: unknown scale ${s.scale}`);
          put(s.name, n);
          break;
        }
        case "shade":
          returns[s.as || "limits"] = Array.from(
            s.direct ? get(s.frb).shadeDirect(get(s.cmap), get(s.norm)) : get(s.frb).shade(get(s.cmap), get(s.norm)));
          break;
        case "positions": {
          const v = get(s.norm).positions(Float64Array.from(s.values.map(num)), num(s.vmin), num(s.vmax));
          returns[s.as] = Array.from(v, (x) => (Number.isNaN(x) ? "NaN" : x));
          break;
        }
        default:
          throw new Error(`runner: unknown op ${s.op}`);
      }
    } catch (e) {
      e.failedStep = k;
      throw e;
    }
  }
}

function freeAll(scope) {
  for (const obj of scope.values()) if (obj && typeof obj.free === "function") obj.free();
  scope.clear();
}

const results = {};
const t0 = performance.now();
runSteps(spec.setup || [], global, {});
for (const job of spec.jobs) {
  const scope = new Map();
  const returns = {};
  const t = performance.now();
  try {
    runSteps(job.steps, scope, returns);
    results[job.id] = { ok: true, returns, error: null, error_name: null, error_is_Error: null, failed_step: null };
  } catch (e) {
    results[job.id] = {
      ok: false,
      returns,
      error: e && e.message !== undefined ? String(e.message) : String(e),
      error_name: e && e.constructor ? e.constructor.name : typeof e,
      error_is_Error: e instanceof Error,
      failed_step: e && e.failedStep !== undefined ? e.failedStep : null,
    };
  } finally {
    freeAll(scope);
  }
  results[job.id].ms = performance.now() - t;
}
freeAll(global);
fs.writeFileSync(resultsPath, JSON.stringify(results));
console.log(`wasm_runner: ${spec.jobs.length} jobs in ${(performance.now() - t0).toFixed(0)} ms`);
