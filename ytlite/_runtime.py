"""ytlite's WebAssembly runtime inside Pyodide: the HDF5 reader and the pixelizer.

Both are JavaScript/wasm shipped as package data (``ytlite/_generated``), so the
kernel never fetches anything: h5wasm (HDF5 C library compiled to wasm) reads
yt's ``save_as_dataset`` files, and the Rust pixelizer (wasm-bindgen, target
``web``) deposits cells into images.

Starting them is asynchronous (wasm instantiation, dynamic ``import()``), and
JavaScript promises only settle when Python yields to the event loop. So the
runtime starts as soon as ``ytlite`` is imported; by the next cell it is ready.
If it is needed in the same cell, :func:`runtime` waits with Pyodide's
``run_sync`` (JSPI, present in current Chromium and Firefox); where that is not
available it raises a clear error telling the user to ``await ytlite.ready()``.
"""

from __future__ import annotations

import sys
from importlib import resources

IN_PYODIDE = sys.platform == "emscripten"

GENERATED = "_generated"
H5WASM_JS = "h5wasm.js"
SLICEFILE_JS = "slicefile.js"  # lite/js/core/slicefile.js: the front end's reader, shared
PIXELIZER_JS = "ytlite_pixelizer.js"
PIXELIZER_WASM = "ytlite_pixelizer_bg.wasm"

# Evaluated once in the kernel's JavaScript realm. Returns a promise of
# {h5wasm, slicefile, pixelizer}. h5wasm's and slicefile's IIFE bundles define
# a `var`; the pixelizer glue is an ES module, imported from a blob URL (no network).
_LOADER_JS = r"""
(async (h5wasmSource, slicefileSource, pixelizerSource, pixelizerWasm) => {
  const h5wasm = new Function(h5wasmSource + "\n;return h5wasm;")();
  const slicefile = new Function(slicefileSource + "\n;return ytliteSlicefile;")();
  await h5wasm.ready;
  const url = URL.createObjectURL(new Blob([pixelizerSource], {type: "text/javascript"}));
  let pixelizer;
  try {
    pixelizer = await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
  pixelizer.initSync({module: pixelizerWasm});
  return {h5wasm, slicefile, pixelizer};
})
"""

_state: dict = {"promise": None, "runtime": None, "error": None}


def generated_file(name: str) -> bytes:
    """Bytes of a build-generated package-data file, with a clear error if absent."""
    try:
        return resources.files("ytlite").joinpath(GENERATED, name).read_bytes()
    except FileNotFoundError:
        raise RuntimeError(
            f"ytlite/{GENERATED}/{name} is missing: this copy of ytlite was not built "
            "with `python3 build.py` (the build generates the wasm pixelizer, the "
            "HDF5 reader and the colormap tables)."
        ) from None


def start() -> None:
    """Begin loading the runtime (idempotent). Only meaningful inside Pyodide."""
    if not IN_PYODIDE or _state["promise"] is not None:
        return
    from pyodide.code import run_js
    from pyodide.ffi import create_once_callable, to_js

    try:
        sources = [generated_file(n) for n in (H5WASM_JS, SLICEFILE_JS, PIXELIZER_JS, PIXELIZER_WASM)]
    except RuntimeError as exc:  # reported when the runtime is first used
        _state["promise"], _state["error"] = False, str(exc)
        return
    loader = run_js(_LOADER_JS)
    promise = loader(*(src.decode("utf-8") for src in sources[:3]), to_js(sources[3]))

    def on_ready(rt):
        _state["runtime"] = rt

    def on_error(err):
        _state["error"] = str(err)

    promise.then(create_once_callable(on_ready), create_once_callable(on_error))
    _state["promise"] = promise


def runtime():
    """The loaded JS runtime object ``{h5wasm, slicefile, pixelizer}`` (Pyodide only)."""
    if not IN_PYODIDE:
        raise RuntimeError("the WebAssembly runtime exists only in the browser (Pyodide)")
    start()
    if _state["runtime"] is None and _state["error"] is None:
        from pyodide.ffi import can_run_sync, run_sync

        if not can_run_sync():
            raise RuntimeError(
                "ytlite's WebAssembly runtime is still starting (it began when ytlite "
                "was imported). Run `await ytlite.ready()` first, or run this cell again."
            )
        try:
            _state["runtime"] = run_sync(_state["promise"])
        except Exception as exc:  # surfaced below with context
            _state["error"] = str(exc)
    if _state["error"] is not None:
        raise RuntimeError(f"ytlite's WebAssembly runtime failed to load: {_state['error']}")
    return _state["runtime"]


async def ready() -> None:
    """Wait until the runtime is loaded (no-op outside Pyodide)."""
    if not IN_PYODIDE:
        return
    start()
    if _state["runtime"] is None and _state["error"] is None:
        try:
            _state["runtime"] = await _state["promise"]
        except Exception as exc:
            _state["error"] = str(exc)
    runtime()
