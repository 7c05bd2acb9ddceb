// The pixelizer runtime: the wasm-bindgen glue (bundled here) instantiated
// once per page with the wasm module's bytes (widget: sent once per page in
// a shared model) or its URL (a plain page), plus the colormap library, and
// what it takes to start deposit workers (core/parallel.js): the compiled
// module (posted to each worker, compiled once) and the worker's script.

// "ytlite-pixelizer": the wasm-bindgen glue, named for the bundler in build.py
// (FRONT_END_INPUTS), so this folder reaches into no other;
// "ytlite-deposit-worker": lite/js/depositworker.js bundled into one classic
// script, as text (build.py bundles it first).
import initPixelizer, * as glue from "ytlite-pixelizer";
import depositWorkerSource from "ytlite-deposit-worker";
import { ColormapLibrary } from "./colormaps.js";

// Shared through globalThis: several bundles of this module (one per widget
// ESM) on a page still instantiate the wasm once.
const RUNTIMES = (globalThis[Symbol.for("ytlite.runtimes")] ??= new Map());

async function compile(wasm) {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (typeof wasm === "string" || wasm instanceof URL) {
    const response = await fetch(wasm);
    if (!response.ok) throw new Error(`could not fetch the pixelizer (${wasm}): HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
  return WebAssembly.compile(wasm);
}

// A deposit worker from the bundled script (a blob URL: no file to serve),
// or null where the page cannot start workers.
let workerUrl = null;
function spawnWorker() {
  workerUrl ??= URL.createObjectURL(new Blob([depositWorkerSource], { type: "text/javascript" }));
  return new Worker(workerUrl, { name: "ytlite-deposit" });
}

// `key`: identifies the assets (e.g. the shared model's id); `wasm`: bytes
// (BufferSource) or URL; `colormapIndex`, `colormapTables`: the tables.
export function loadRuntime({ key, wasm, colormapIndex, colormapTables }) {
  if (!RUNTIMES.has(key)) {
    RUNTIMES.set(key, (async () => {
      const module = await compile(wasm);
      const exports = await initPixelizer({ module_or_path: module });
      return {
        px: glue, colormaps: new ColormapLibrary(glue, colormapIndex, colormapTables),
        // bytes of wasm memory the pixelizer has now (what a new mesh cannot use: slicefile.js's inUse;
        // what a soak test watches)
        memoryBytes: () => exports.memory.buffer.byteLength,
        // deposit workers (core/parallel.js DepositPool): the module each one instantiates, how to start
        // one, how many (hardwareConcurrency; workerCount caps it), and the most a deposit may cost on
        // the page's thread (core/pipeline.js FRAME_BUDGET_MS; tests set 0 to make every image there)
        workers: typeof Worker === "undefined" ? null : {
          module, spawn: spawnWorker, count: globalThis.navigator?.hardwareConcurrency ?? 1, budgetMs: null,
        },
      };
    })());
  }
  return RUNTIMES.get(key);
}
