"""Deposit variable-size cells onto a fixed-resolution image from Python.

Everywhere this runs ytlite's Rust/wasm pixelizer, the very code the viewer
widget runs on every pan and zoom: in the browser through Pyodide's JS
interop, on native CPython through ``wasmtime`` (``ytlite/_native_engine.py``:
no yt needed). It reproduces yt's own ``pixelize_cartesian`` bit for bit (the
tests compare them).

The contract (the same as yt's ``pixelize_cartesian``):

* cells span ``[px - pdx, px + pdx] x [py - pdy, py + pdy]`` (half-widths);
* the image covers ``bounds = (x_min, x_max, y_min, y_max)`` with ``width``
  columns and ``height`` rows; row 0 is at ``y_min`` (yt's buffer order, the
  order of ``values``; flip it to draw with the origin at the top);
* with ``antialias`` each pixel is the sum of cell values weighted by the
  fraction of the pixel's area each cell covers; without it, a pixel takes the
  value of the last cell (in input order) that touches it;
* pixels no cell touches are NaN;
* with ``period`` (the domain widths), cells crossing a view edge are also drawn
  shifted by one period, for periodic domains.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

from . import _runtime

MAX_IMAGE_SIDE = 8192


@dataclass
class PixelizedImage:
    values: array  # float64, row-major, height rows x width columns, row 0 at y_min
    width: int
    height: int
    bounds: tuple

    def rows(self) -> memoryview:
        """A 2-D (height, width) view: ``image.rows()[i, j]``."""
        return memoryview(self.values).cast("B").cast("d", (self.height, self.width))

    def covered_range(self, log: bool = False):
        """(min, max) of covered pixels (only positive ones when ``log``), or None."""
        good = [v for v in self.values if math.isfinite(v) and (v > 0 or not log)]
        return (min(good), max(good)) if good else None


def _check_args(arrays, bounds, width, height):
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("px, py, pdx, pdy and values must have the same length: got "
                         + ", ".join(str(len(a)) for a in arrays))
    if n == 0:
        raise ValueError("cannot pixelize an empty mesh (no cells)")
    if len(bounds) != 4 or not all(math.isfinite(b) for b in bounds):
        raise ValueError(f"bounds must be 4 finite numbers (x_min, x_max, y_min, y_max), got {bounds!r}")
    if not (bounds[0] < bounds[1] and bounds[2] < bounds[3]):
        raise ValueError(f"bounds must have x_min < x_max and y_min < y_max, got {bounds!r}")
    for name, side in (("width", width), ("height", height)):
        if not isinstance(side, int) or not 1 <= side <= MAX_IMAGE_SIDE:
            raise ValueError(f"{name} must be an integer from 1 to {MAX_IMAGE_SIDE}, got {side!r}")


def pixelize(px, py, pdx, pdy, values, bounds, width=512, height=512, antialias=True, period=None):
    """Deposit cells onto a ``height`` x ``width`` image. Returns a :class:`PixelizedImage`."""
    arrays = [array("d", a) if not isinstance(a, array) else a for a in (px, py, pdx, pdy, values)]
    bounds = tuple(float(b) for b in bounds)
    _check_args(arrays, bounds, width, height)
    if _runtime.IN_PYODIDE:
        out = _pixelize_wasm(arrays, bounds, width, height, antialias, period)
    else:
        out = _pixelize_native(arrays, bounds, width, height, antialias, period)
    return PixelizedImage(out, width, height, bounds)


def _pixelize_wasm(arrays, bounds, width, height, antialias, period):
    from pyodide.ffi import JsException, to_js

    wasm = _runtime.runtime().pixelizer
    mesh = frb = None
    try:
        mesh = wasm.VariableMesh.new(*(to_js(a) for a in arrays))
        frb = wasm.FixedResolutionBuffer.new(width, height)
        if period is None:
            frb.deposit(mesh, *bounds, bool(antialias))
        else:
            frb.depositPeriodic(mesh, *bounds, bool(antialias), float(period[0]), float(period[1]))
        out = array("d")
        out.frombytes(frb.valuesCopy().to_bytes())
        return out
    except JsException as exc:
        raise ValueError(getattr(exc, "message", str(exc))) from None
    finally:
        for obj in (frb, mesh):
            if obj is not None:
                obj.free()


def _pixelize_native(arrays, bounds, width, height, antialias, period):
    from . import _native_engine

    out = array("d")  # (the engine's errors are ValueErrors, as in the browser)
    out.frombytes(_native_engine.deposit(arrays, bounds, width, height, antialias, period))
    return out
