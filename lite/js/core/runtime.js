// The pixelizer runtime: the wasm-bindgen glue (bundled here) instantiated
// once per page with the wasm module's bytes (widget: sent once per page in
// a shared model) or its URL (a plain page), plus the colormap library.

// "ytlite-pixelizer": the wasm-bindgen glue, named for the bundler in build.py
// (FRONT_END_INPUTS), so this folder reaches into no other.
import initPixelizer, * as glue from "ytlite-pixelizer";
import { ColormapLibrary } from "./colormaps.js";

// Shared through globalThis: several bundles of this module (one per widget
// ESM) on a page still instantiate the wasm once.
const RUNTIMES = (globalThis[Symbol.for("ytlite.runtimes")] ??= new Map());

// `key`: identifies the assets (e.g. the shared model's id); `wasm`: bytes
// (BufferSource) or URL; `colormapIndex`, `colormapTables`: the tables.
export function loadRuntime({ key, wasm, colormapIndex, colormapTables }) {
  if (!RUNTIMES.has(key)) {
    RUNTIMES.set(key, (async () => {
      const exports = await initPixelizer({ module_or_path: wasm });
      return {
        px: glue, colormaps: new ColormapLibrary(glue, colormapIndex, colormapTables),
        // bytes of wasm memory the pixelizer has now (what a new mesh cannot use: slicefile.js's inUse;
        // what a soak test watches)
        memoryBytes: () => exports.memory.buffer.byteLength,
      };
    })());
  }
  return RUNTIMES.get(key);
}
