"""The slice viewer widget: every pan, zoom and colormap change is drawn in the
browser by the Rust/wasm pixelizer, with no round trip to Python.

State lives in traitlets (anywidget); the cell arrays travel once, as binary
buffers. The front end (``lite/js/widget.js``, bundled into
``_generated/widget.js``) keeps the mesh in wasm memory and runs
two cached stages: *deposit* (cells -> float image, on pan/zoom/field change)
then *shade* (normalize + colormap -> RGBA, on colormap/scale/limit change).
"""

from __future__ import annotations

import math
import pathlib

import anywidget
import traitlets as t

from . import colormaps
from ._runtime import PIXELIZER_JS, PIXELIZER_WASM, generated_file
from .pixelizer import MAX_IMAGE_SIDE

SCALES = ("linear", "log", "symlog")


def _image_size(bounds, resolution):
    """(width, height) with square pixels and the longer side = resolution."""
    w, h = bounds[1] - bounds[0], bounds[3] - bounds[2]
    if w >= h:
        return resolution, max(1, round(resolution * h / w))
    return max(1, round(resolution * w / h)), resolution


class SliceViewer(anywidget.AnyWidget):
    """Interactive view of one field of a :class:`ytlite.SliceDataset`.

    Drag to pan, scroll to zoom (about the cursor), double-click to reset.
    Change ``field``, ``cmap``, ``scale``, ``vmin``/``vmax`` from Python and
    the image follows.
    """

    _esm = pathlib.Path(__file__).parent / "_generated" / "widget.js"

    # The pixelizer itself (wasm-bindgen glue + wasm) and the colormap tables:
    # sent with the widget so nothing is ever fetched from a server.
    _pixelizer_js = t.Unicode().tag(sync=True)
    _pixelizer_wasm = t.Bytes().tag(sync=True)
    _colormap_tables = t.Bytes().tag(sync=True)
    _colormap_index = t.Dict().tag(sync=True)

    # The mesh: float64 little-endian bytes (cell centres, half-widths, values).
    px = t.Bytes().tag(sync=True)
    py = t.Bytes().tag(sync=True)
    pdx = t.Bytes().tag(sync=True)
    pdy = t.Bytes().tag(sync=True)
    values = t.Bytes().tag(sync=True)

    field = t.Unicode().tag(sync=True)
    units = t.Unicode().tag(sync=True)
    title = t.Unicode().tag(sync=True)
    x_label = t.Unicode().tag(sync=True)
    y_label = t.Unicode().tag(sync=True)
    length_unit = t.List(t.Any(), default_value=[1.0, "code_length"]).tag(sync=True)

    domain = t.List(t.Float(), minlen=4, maxlen=4).tag(sync=True)
    view = t.List(t.Float(), minlen=4, maxlen=4).tag(sync=True)  # x_min, x_max, y_min, y_max
    width = t.Int(512).tag(sync=True)
    height = t.Int(512).tag(sync=True)
    antialias = t.Bool(True).tag(sync=True)
    periodic = t.Bool(False).tag(sync=True)
    period = t.List(t.Float(), default_value=[0.0, 0.0]).tag(sync=True)

    cmap = t.Unicode(colormaps.DEFAULT_COLORMAP).tag(sync=True)
    scale = t.Unicode("log").tag(sync=True)
    vmin = t.Float(None, allow_none=True).tag(sync=True)  # None: from the image in view
    vmax = t.Float(None, allow_none=True).tag(sync=True)
    linthresh = t.Float(None, allow_none=True).tag(sync=True)  # symlog; None: auto

    # Written by the front end after every frame: what was drawn (view, limits
    # actually used, timings) or why nothing could be drawn.
    frame = t.Dict().tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(self, ds, field=None, resolution=512, **kwargs):
        if not isinstance(resolution, int) or not 16 <= resolution <= MAX_IMAGE_SIDE:
            raise ValueError(f"resolution must be an integer from 16 to {MAX_IMAGE_SIDE}, got {resolution!r}")
        self._ds = ds
        field = ds.default_field() if field is None else field
        width, height = _image_size(ds.domain_bounds, resolution)
        unit = ds.length_unit[1]
        super().__init__(
            _pixelizer_js=generated_file(PIXELIZER_JS).decode("utf-8"),
            _pixelizer_wasm=generated_file(PIXELIZER_WASM),
            _colormap_tables=colormaps.colormap_table_bytes(),
            _colormap_index=colormaps.colormap_index(),
            px=ds.px.tobytes(), py=ds.py.tobytes(), pdx=ds.pdx.tobytes(), pdy=ds.pdy.tobytes(),
            domain=list(ds.domain_bounds), view=list(ds.domain_bounds),
            width=width, height=height,
            x_label=f"{ds.x_axis_name} ({unit})", y_label=f"{ds.y_axis_name} ({unit})",
            length_unit=list(ds.length_unit),
            period=list(ds.period),
            **kwargs,
        )
        self.set_field(field)

    def set_field(self, field):
        from .dataset import _field_name

        values = self._ds[field]
        name = _field_name(field)
        self.title = name
        self.units = self._ds.units(name)
        self.values = values.tobytes()
        self.field = name

    @t.validate("cmap")
    def _valid_cmap(self, proposal):
        return colormaps.check_colormap(proposal["value"])

    @t.validate("scale")
    def _valid_scale(self, proposal):
        if proposal["value"] not in SCALES:
            raise t.TraitError(f"scale must be one of {', '.join(SCALES)}, got {proposal['value']!r}")
        return proposal["value"]

    @t.validate("vmin", "vmax", "linthresh")
    def _valid_limit(self, proposal):
        v = proposal["value"]
        if v is not None and not math.isfinite(v):
            raise t.TraitError(f"{proposal['trait'].name} must be finite or None, got {v!r}")
        if proposal["trait"].name == "linthresh" and v is not None and v <= 0:
            raise t.TraitError(f"linthresh must be positive, got {v!r}")
        return v

    @t.validate("view")
    def _valid_view(self, proposal):
        v = proposal["value"]
        if not all(math.isfinite(x) for x in v) or not (v[0] < v[1] and v[2] < v[3]):
            raise t.TraitError(f"view must be finite (x_min, x_max, y_min, y_max) with min < max, got {v!r}")
        return v

    @t.validate("width", "height")
    def _valid_size(self, proposal):
        v = proposal["value"]
        if not 1 <= v <= MAX_IMAGE_SIDE:
            raise t.TraitError(f"{proposal['trait'].name} must be from 1 to {MAX_IMAGE_SIDE}, got {v}")
        return v

    @t.validate("field")
    def _valid_field(self, proposal):
        from .dataset import _field_name

        self._ds[proposal["value"]]  # KeyError naming the fields there are
        return _field_name(proposal["value"])

    @t.observe("field")
    def _field_changed(self, change):
        if change["new"] != self.title:
            self.set_field(change["new"])

    def zoom(self, factor: float):
        """Zoom about the centre of the view (factor > 1 zooms in), like yt's ``zoom``."""
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"zoom factor must be positive, got {factor!r}")
        x0, x1, y0, y1 = self.view
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hw, hh = (x1 - x0) / (2 * factor), (y1 - y0) / (2 * factor)
        self.view = [cx - hw, cx + hw, cy - hh, cy + hh]
        return self

    def reset_view(self):
        self.view = list(self.domain)
        return self
