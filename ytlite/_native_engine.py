"""ytlite's own pixelizer on native CPython: the very WebAssembly module the
viewer runs in the browser (``_generated/ytlite_pixelizer_bg.wasm``), run by
the ``wasmtime`` package, so that ``ytlite.pixelize`` and the gallery's
thumbnails need neither yt nor matplotlib.

The module is wasm-bindgen output (0.2.130, ``--target web``): its exports take
and return plain numbers with the conventions its JavaScript glue
(``_generated/ytlite_pixelizer.js``) applies, which this host applies the same way:

* an object (``VariableMesh``, ``FixedResolutionBuffer``, ``Colormap``,
  ``Normalization``) is a pointer into wasm memory, released with
  ``__wbg_<class>_free(ptr, 0)``;
* an array argument is copied into memory from ``__wbindgen_malloc(bytes, align)``
  and passed as (ptr, len); an owned ``Vec`` argument (``VariableMesh::new``'s)
  becomes the callee's;
* a fallible export returns its values followed by (error index, is error):
  the error is a JS ``Error`` the wasm made through the ``__wbg_Error_*`` import
  and put in its externref table (``__wbindgen_externrefs``): taken from there
  and released with ``__externref_table_dealloc``;
* a returned ``Vec<f64>`` is (ptr, len), copied out and freed with
  ``__wbindgen_free(ptr, len * 8, 8)``;
* ``rgba()`` returns a ``Uint8ClampedArray`` view of memory, built through the
  ``__wbg___wbindgen_memory_*``, ``__wbg_buffer_*`` and
  ``__wbg_new_with_byte_offset_and_length_*`` imports: here a (offset, length)
  :class:`_View` of memory, read at once.

Imports are matched by name (wasm-bindgen adds a hash to each) and by type when
the module is instantiated; one this host does not provide (the ``Float64Array``
views: ``values()``, ``pxView()``... which this host never calls) raises a clear
error if the wasm ever calls it, and an unknown import refuses to instantiate.
An error that unwinds through wasm (a trap: a bug, the crate returns errors and
never panics on input; or an import's error) discards the instance; the next
call makes a new one.

:func:`deposit` is ``ytlite.pixelize``'s engine on CPython; :func:`draw` is the
viewer's picture (``lite/js/core/pipeline.js``: deposit, automatic limits,
shade), the gallery's thumbnail.
"""

from __future__ import annotations

import ctypes
import threading

from . import _conventions as conventions
from ._runtime import PIXELIZER_WASM, generated_file

GLUE_MODULE = "./ytlite_pixelizer_bg.js"


class EngineError(ValueError):
    """An error the pixelizer reports (a JS ``Error`` in the browser), with its message."""


class _View:
    """A typed-array view of wasm memory the wasm made (``new Uint8ClampedArray(buffer, offset, length)``)."""

    def __init__(self, offset: int, length: int):
        self.offset, self.length = offset, length


_MEMORY = object()  # the externref standing for `wasm.memory`
_BUFFER = object()  # ... and for `wasm.memory.buffer`


class _Instance:
    """One instance of the pixelizer's module and its wasm-bindgen host."""

    def __init__(self):
        try:
            import wasmtime
        except ImportError:
            raise RuntimeError("ytlite's native pixelizer needs the wasmtime package: pip install wasmtime "
                               "(a dependency of ytlite: reinstall it)") from None
        self.wasmtime = wasmtime
        engine = wasmtime.Engine()
        module = wasmtime.Module(engine, generated_file(PIXELIZER_WASM))
        self.store = wasmtime.Store(engine)
        imports = [wasmtime.Func(self.store, imp.type, self._import(imp)) for imp in module.imports]
        self.exports = wasmtime.Instance(self.store, module, imports).exports(self.store)
        self.memory = self.exports["memory"]
        self.externrefs = self.exports["__wbindgen_externrefs"]
        self.call("__wbindgen_start")

    # -- the imports: the glue's __wbg_get_imports() ------------------------------------------
    def _import(self, imp):
        wt = self.wasmtime
        i32, ref = wt.ValType.i32(), wt.ValType.externref()
        known = {  # name prefix: (params, results, what it does)
            "__wbg_Error_": ([i32, i32], [ref], self._error),
            "__wbg___wbindgen_throw_": ([i32, i32], [], self._throw),
            "__wbindgen_init_externref_table": ([], [], self._init_externref_table),
            "__wbg___wbindgen_memory_": ([], [ref], lambda: _MEMORY),
            "__wbg_buffer_": ([ref], [ref], self._buffer),
            "__wbg_new_with_byte_offset_and_length_": ([ref, i32, i32], [ref], self._uint8_clamped_view),
        }
        if imp.module != GLUE_MODULE:
            raise RuntimeError(f"ytlite/_generated/{PIXELIZER_WASM} imports {imp.module}/{imp.name}: "
                               f"not wasm-bindgen glue (ytlite/_native_engine.py knows {GLUE_MODULE} only)")
        for prefix, (params, results, function) in known.items():
            if imp.name.startswith(prefix):
                ty = imp.type
                if list(ty.params) != params or list(ty.results) != results:
                    raise RuntimeError(f"ytlite/_generated/{PIXELIZER_WASM} imports {imp.name} with another type "
                                       f"than the wasm-bindgen 0.2.130 glue's: update ytlite/_native_engine.py")
                return function
        if imp.name.startswith(("__wbindgen_generic_", "__wbg_")):
            return self._not_provided(imp.name)
        raise RuntimeError(f"ytlite/_generated/{PIXELIZER_WASM} imports {imp.name}, which "
                           "ytlite/_native_engine.py does not know: update it to the glue")

    def _error(self, ptr, length):  # `Error(getStringFromWasm0(ptr, len))`
        return EngineError(self.read(ptr, length).decode("utf-8"))

    def _throw(self, ptr, length):  # `throw new Error(...)`: wasm-bindgen's own failures
        raise RuntimeError(f"ytlite's pixelizer: {self.read(ptr, length).decode('utf-8', 'replace')}")

    def _init_externref_table(self):  # (0 and 1024 are undefined, then null, true, false)
        for index, value in ((0, None), (1024, None), (1025, None), (1026, True), (1027, False)):
            self.externrefs.set(self.store, index, value)

    @staticmethod
    def _buffer(memory):  # `arg0.buffer`
        if memory is not _MEMORY:
            raise RuntimeError("ytlite's pixelizer asked for the buffer of something other than its memory")
        return _BUFFER

    @staticmethod
    def _uint8_clamped_view(buffer, offset, length):  # `new Uint8ClampedArray(arg0, arg1 >>> 0, arg2 >>> 0)`
        if buffer is not _BUFFER:
            raise RuntimeError("ytlite's pixelizer asked for a view of something other than its memory")
        return _View(offset & 0xFFFFFFFF, length & 0xFFFFFFFF)

    @staticmethod
    def _not_provided(name):
        def called(*args):
            raise RuntimeError(f"ytlite's pixelizer called {name}, which ytlite/_native_engine.py does not "
                               "provide (Float64Array views of wasm memory: use the copying calls)")

        return called

    # -- memory and calls ------------------------------------------------------------------------
    def read(self, ptr: int, length: int) -> bytes:
        if length == 0:
            return b""
        return bytes(self.memory.get_buffer_ptr(self.store, length, ptr & 0xFFFFFFFF))

    def call(self, name: str, *args):
        return self.exports[name](self.store, *args)

    def fallible(self, name: str, *args) -> list:
        """Call an export returning ``Result``: its values, or raise its error (:class:`EngineError`)."""
        out = self.call(name, *args)
        out = out if isinstance(out, list) else [out]
        if out[-1]:
            error = self.externrefs.get(self.store, out[-2])
            self.call("__externref_table_dealloc", out[-2])
            raise error if isinstance(error, EngineError) else EngineError(str(error))
        return out[:-2]

    def pass_array(self, data, align: int) -> tuple[int, int]:
        """Copy a buffer (float64 when ``align`` is 8: array('d'), a numpy float64 array;
        bytes when 1) into wasm memory: (ptr, element count)."""
        view = memoryview(data)
        if view.format.lstrip("<=@") != ("d" if align == 8 else "B") or not view.c_contiguous:
            raise TypeError(f"expected a contiguous {'float64' if align == 8 else 'byte'} buffer, got {view.format!r}")
        view = view.cast("B")
        ptr = self.call("__wbindgen_malloc", view.nbytes, align)
        if view.nbytes:
            ctypes.memmove(self.memory.get_buffer_ptr(self.store, view.nbytes, ptr), bytes(view), view.nbytes)
        return ptr, view.nbytes // align

    def take_f64(self, ptr: int, length: int) -> bytes:
        """A returned ``Vec<f64>``: its bytes, and the Vec freed."""
        data = self.read(ptr, 8 * length)
        self.call("__wbindgen_free", ptr, 8 * length, 8)
        return data

    def f64_pair(self, name: str, *args) -> tuple[float, float]:
        ptr, length = self.fallible(name, *args)
        first, second = memoryview(self.take_f64(ptr, length)).cast("d")
        return first, second


_lock = threading.Lock()
_instance: _Instance | None = None


class _Session:
    """The instance, under the lock, with every object made during the session freed at its end."""

    def __enter__(self):
        global _instance
        _lock.acquire()
        try:
            if _instance is None:
                _instance = _Instance()
        except BaseException:
            _lock.release()
            raise
        self.wasm, self.owned = _instance, []
        return self

    def __exit__(self, kind, exc, tb):
        global _instance
        try:
            if exc is not None and not isinstance(exc, EngineError):
                # Unwound through wasm (a trap, an import's error) or not: its state (wasm-bindgen's
                # borrow flags, the allocator) is not to be trusted again; the next session makes another.
                _instance = None
                if isinstance(exc, self.wasm.wasmtime.Trap):
                    raise RuntimeError(f"ytlite's pixelizer stopped (a bug in ytlite, please report it): "
                                       f"{exc}") from exc
                return
            for cls, ptr in reversed(self.owned):
                self.wasm.call(f"__wbg_{cls}_free", ptr, 0)
        finally:
            _lock.release()

    def new(self, cls: str, constructor: str, *args) -> int:
        (ptr,) = self.wasm.fallible(f"{cls}_{constructor}", *args)
        self.owned.append((cls, ptr))
        return ptr

    def deposit(self, arrays, bounds, width, height, antialias, period) -> int:
        """A buffer of ``width`` x ``height`` with the cells ``arrays`` (px, py, pdx, pdy,
        values: float64 buffers) deposited over ``bounds``."""
        passed = []
        for a in arrays:  # (the mesh takes these Vecs as its own storage)
            passed += self.wasm.pass_array(a, 8)
        mesh = self.new("variablemesh", "new", *passed)
        frb = self.new("fixedresolutionbuffer", "new", width, height)
        if period is None:
            self.wasm.fallible("fixedresolutionbuffer_deposit", frb, mesh, *bounds, int(bool(antialias)))
        else:
            self.wasm.fallible("fixedresolutionbuffer_depositPeriodic", frb, mesh, *bounds, int(bool(antialias)),
                               float(period[0]), float(period[1]))
        return frb

    def colormap(self, name: str) -> int:
        from .colormaps import colormap_index, lookup_table

        entry = colormap_index()["colormaps"][name]
        ptr, length = self.wasm.pass_array(lookup_table(name), 1)
        cmap = self.new("colormap", "new", ptr, length)
        for which in ("bad", "under", "over"):
            self.wasm.call(f"colormap_set{which.title()}", cmap, *entry[which])
        return cmap

    def normalization(self, scale: str, vmin=None, vmax=None, linthresh=None) -> int:
        limits = (int(vmin is not None), vmin or 0.0, int(vmax is not None), vmax or 0.0)
        if scale == "symlog":
            return self.new("normalization", "symlog", *limits, float(linthresh))
        return self.new("normalization", scale, *limits)

    def value_range(self, frb: int, log: bool):
        """(min, max) of the finite (log: positive) values, or None when there is none."""
        try:
            return self.wasm.f64_pair("fixedresolutionbuffer_valueRange", frb, int(log))
        except EngineError:  # (its one error: no such value)
            return None


def deposit(arrays, bounds, width: int, height: int, antialias: bool = True, period=None) -> bytes:
    """The deposited values (float64 bytes, ``height`` rows of ``width``, row 0 at
    y_min) of the cells ``arrays`` (px, py, pdx, pdy, values): ``ytlite.pixelize``."""
    with _Session() as s:
        frb = s.deposit(arrays, bounds, width, height, antialias, period)
        ptr, length = s.wasm.call("fixedresolutionbuffer_valuesCopy", frb)
        return s.wasm.take_f64(ptr, length)


def draw(arrays, bounds, width: int, height: int, scale: str, cmap: str):
    """(RGBA bytes, top row first; (vmin, vmax) or None) of the viewer's picture of the
    cells over ``bounds`` with automatic limits, by ``lite/js/core/pipeline.js``'s rules:
    symlog's linthresh from the finite range (``_conventions.auto_linthresh``); when the
    image holds nothing the scale can show, log(1, 10) or linear(0, 1) limits (every
    masked pixel the colormap's "bad" colour) and no limits."""
    if scale not in conventions.SCALES:
        raise ValueError(f"unknown scale {scale!r} (one of {', '.join(conventions.SCALES)})")
    with _Session() as s:
        frb = s.deposit(arrays, bounds, width, height, True, None)
        colormap = s.colormap(cmap)
        shown = s.value_range(frb, scale == "log")
        if shown is None:
            norm = s.normalization("log", 1.0, 10.0) if scale == "log" else s.normalization("linear", 0.0, 1.0)
        elif scale == "symlog":  # (shown: the finite range)
            norm = s.normalization("symlog", linthresh=conventions.auto_linthresh(*shown))
        else:
            norm = s.normalization(scale)
        limits = s.wasm.f64_pair("fixedresolutionbuffer_shade", frb, colormap, norm)
        view = s.wasm.call("fixedresolutionbuffer_rgba", frb)
        rgba = s.wasm.read(view.offset, view.length)
    return rgba, (limits if shown is not None else None)
