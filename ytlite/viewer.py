"""The slice viewer widget: every pan, zoom, field, colormap and limit change is
drawn in the browser by the Rust/wasm pixelizer, with no round trip to Python.

State lives in traitlets (anywidget) and is reflected both ways: set
``viewer.cmap = "viridis"`` and the image follows; drag the image and
``viewer.view`` follows (once the gesture ends). The wasm module and colormap
tables travel once per page, in one shared :class:`PixelizerAssets` model.

The cells: when the dataset came from a file the page can reach itself (in
Pyodide, a file in JupyterLite's drive: shipped with the site or kept in the
browser's storage), Python sends only ``_source`` (the file's drive path,
size and modification time) and the page reads the file with its own h5wasm
straight into the wasm mesh; no array goes through the kernel. Otherwise
(CPython, a file outside the drive, a dataset made in memory), or when the
page reports it could not read the file, Python sends the cell geometry and
every field's values once, as binary buffers.

Here: the traits, their validation and the view API (zoom, pan, frb). The
dataset's traits are made in ``ytlite._dataset_traits``, the shared assets in
``ytlite._assets``, the messages from the page handled by ``ytlite._sync``,
PNG files and the notebook's kept picture by ``ytlite._pictures``; linked
viewers are ``ytlite._linking``.

The front end is ``lite/js/`` (core: pipeline, view maths, ticks; ui:
toolbar, figure, gestures), bundled into ``_generated/widget.js``. It keeps
the mesh in wasm memory and runs two cached stages: *deposit* (cells ->
float image, on pan/zoom/field change) then *shade* (normalize + colormap ->
RGBA, on colormap/scale/limit change).
"""

from __future__ import annotations

import math
import pathlib
import uuid

import anywidget
import ipywidgets
import traitlets as t

from . import _conventions as conventions
from . import colormaps
from ._assets import PixelizerAssets, shared_assets
from ._conventions import SCALES, field_name
from ._dataset_traits import dataset_traits, mesh_traits
from ._drops import keep_dropped_file
from ._pictures import KeptPictures
from ._sync import FrontEndSync
from .pixelizer import MAX_IMAGE_SIDE


class SliceViewer(FrontEndSync, KeptPictures, anywidget.AnyWidget):
    """Interactive view of a :class:`ytlite.SliceDataset` (a yt slice or projection).

    In the browser: drag to pan, scroll (or pinch) to zoom about the cursor,
    double-click to re-centre, arrow keys and +/- when focused, the toolbar for
    field, colormap, scale, limits, resolution, units, mesh, full screen and PNG.

    From Python, every setting is a trait, reflected both ways::

        v = ds.plot("density", cmap="viridis")
        v.field = "temperature"        # switched in the browser, no new data sent
        v.scale, v.vmin, v.vmax = "log", 1e-27, 1e-23
        v.zoom(4); v.center = (0.1, 0.2); v.width = 0.05
        img = v.frb()                  # the current view's float image (wasm / yt)
        v.save_png("view.png")         # the picture as the browser drew it

    Parameters
    ----------
    ds : SliceDataset
    field : str, optional
        The field shown first (default: density if present, else the first).
    resolution : int
        Pixels along the longer side of the image (16 to 8192).
    fields : list of str, optional
        The fields the toolbar can switch between (default: all of the file's);
        each is sent to the browser once.
    Any trait (cmap, scale, vmin, vmax, linthresh, view, ...) as a keyword.
    """

    _esm = pathlib.Path(__file__).parent / "_generated" / "widget.js"

    _assets = t.Instance(PixelizerAssets).tag(sync=True, **ipywidgets.widget_serialization)

    # The mesh: float64 little-endian bytes; every field's values, sent once.
    # Empty when the page reads the file itself (_source), except the field
    # names (the keys of ``fields``).
    _source = t.Dict().tag(sync=True)  # {"files": [{path, name, size, mtime_ms}]}: the page reads these
    px = t.Bytes().tag(sync=True)
    py = t.Bytes().tag(sync=True)
    pdx = t.Bytes().tag(sync=True)
    pdy = t.Bytes().tag(sync=True)
    fields = t.Dict().tag(sync=True)  # {name: bytes}
    field_units = t.Dict().tag(sync=True)  # {name: unyt unit string}
    field_scales = t.Dict().tag(sync=True)  # {name: its usual scale}: what the toolbar's field switch picks
    info = t.Dict().tag(sync=True)  # dataset name, slice axis/coord or projection, time

    field = t.Unicode().tag(sync=True)
    length_units = t.Dict().tag(sync=True)  # {unit: value of 1 code_length in it}
    length_unit = t.Unicode("code_length").tag(sync=True)

    domain = t.List(t.Float(), minlen=4, maxlen=4).tag(sync=True)
    view = t.List(t.Float(), minlen=4, maxlen=4).tag(sync=True)  # x_min, x_max, y_min, y_max (code_length)
    resolution = t.Int(512).tag(sync=True)  # pixels along the longer side
    antialias = t.Bool(True).tag(sync=True)
    periodic = t.Bool(False).tag(sync=True)
    period = t.List(t.Float(), default_value=[0.0, 0.0]).tag(sync=True)

    cmap = t.Unicode(colormaps.DEFAULT_COLORMAP).tag(sync=True)
    scale = t.Unicode("log").tag(sync=True)
    vmin = t.Float(None, allow_none=True).tag(sync=True)  # None: from the image in view
    vmax = t.Float(None, allow_none=True).tag(sync=True)
    linthresh = t.Float(None, allow_none=True).tag(sync=True)  # symlog; None: automatic

    # A stack of slices (ytlite.load of a stack folder): every slice's cells,
    # sent once, and the one shown; the px..fields traits are then empty.
    depth = t.Int(0).tag(sync=True)
    depth_coords = t.List(t.Float()).tag(sync=True)  # slice positions along the axis (code_length)
    depth_meshes = t.List(t.Dict()).tag(sync=True)  # [{px, py, pdx, pdy: bytes, fields: {name: bytes}}]

    show_mesh = t.Bool(False).tag(sync=True)  # draw the AMR cell edges
    wheel_zoom = t.Bool(True).tag(sync=True)  # False: the mouse wheel scrolls the page

    # Written by the front end: what was drawn (view, limits used, timings) or
    # why nothing could be.
    frame = t.Dict().tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    # (and _snapshot, the PNG of the last view: ytlite._pictures)
    _key = t.Unicode().tag(sync=True)  # names this viewer in the browser, across re-rendered views

    def __init__(self, ds, field=None, resolution=512, fields=None, **kwargs):
        if not isinstance(resolution, int) or isinstance(resolution, bool) or not 16 <= resolution <= MAX_IMAGE_SIDE:
            raise ValueError(f"resolution must be an integer from 16 to {MAX_IMAGE_SIDE}, got {resolution!r}")
        depth = kwargs.pop("depth", None)
        state, self._ds, self._stack = dataset_traits(ds, field, fields, depth)
        kwargs.setdefault("scale", state["field_scales"][state["field"]])
        kwargs.setdefault("cmap", self._ds.default_cmap())
        self.source_error = ""  # why the page could not read the file itself (it then got the arrays)
        super().__init__(_assets=shared_assets(), resolution=resolution, _key=uuid.uuid4().hex, **{**state, **kwargs})
        self.on_msg(self._on_front_end_message)

    def _on_source_failed(self, content, _buffers):
        """The page could not read the file itself: it gets the arrays instead,
        then redraws with them."""
        if not self._source:
            return
        self.source_error = str(content.get("message", ""))
        state = mesh_traits(self._ds, self._stack, list(self.fields), with_arrays=True)
        # (the fields' scales the page would have added as it read them: from the arrays now read)
        state["field_scales"] = {n: self.field_scales.get(n) or self._ds.default_scale(n) for n in self.fields}
        with self.hold_sync():
            for name, value in state.items():
                setattr(self, name, value)
            self._source = {}
        self.send({"type": "reload"})

    def show(self, dataset, field=None):
        """Show another dataset (a path, or what ``ytlite.load`` gives, a stack
        too) in this viewer, keeping the colormap; the view, field, scale and
        limits start afresh. A file dropped on the viewer in the browser
        arrives here (saved next to the notebook first, so nothing is lost)."""
        state, self._ds, self._stack = dataset_traits(dataset, field)
        self.send({"type": "opening"})  # the browser stops drawing the old cells (and keeps their picture)
        with self.hold_sync():
            # (fields first: the field trait is validated against them)
            self.fields = state.pop("fields")
            for name, value in state.items():
                setattr(self, name, value)
            self.scale = self.field_scales[self.field]
            self.vmin = self.vmax = self.linthresh = None
            self.error = ""
        self.send({"type": "reload"})
        return self

    # -- validation: errors name the bad argument ------------------------------
    @t.validate("field")
    def _valid_field(self, proposal):
        name = field_name(proposal["value"])
        if name not in self.fields:
            raise t.TraitError(f"field {name!r} is not in this viewer; fields: {', '.join(self.fields)}")
        return name

    @t.validate("cmap")
    def _valid_cmap(self, proposal):
        try:
            return colormaps.check_colormap(proposal["value"])
        except ValueError as exc:
            raise t.TraitError(str(exc)) from None

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

    @t.validate("depth")
    def _valid_depth(self, proposal):
        v, n = proposal["value"], max(1, len(self.depth_coords))
        if not 0 <= v < n:
            raise t.TraitError(f"depth must be a slice number from 0 to {n - 1}, got {v}")
        return v

    @t.observe("depth")
    def _depth_changed(self, change):
        if self._stack is not None:
            self._ds = self._stack[change["new"]]  # what frb() deposits

    @t.validate("view")
    def _valid_view(self, proposal):
        v = proposal["value"]
        if not all(math.isfinite(x) for x in v) or not (v[0] < v[1] and v[2] < v[3]):
            raise t.TraitError(f"view must be finite (x_min, x_max, y_min, y_max) with min < max, got {v!r}")
        return v

    @t.validate("resolution")
    def _valid_resolution(self, proposal):
        v = proposal["value"]
        if not 16 <= v <= MAX_IMAGE_SIDE:
            raise t.TraitError(f"resolution must be from 16 to {MAX_IMAGE_SIDE}, got {v}")
        return v

    @t.validate("length_unit")
    def _valid_length_unit(self, proposal):
        if proposal["value"] not in self.length_units:
            raise t.TraitError(f"length_unit must be one of {', '.join(self.length_units)}, got {proposal['value']!r}")
        return proposal["value"]

    # -- the view ----------------------------------------------------------------
    @property
    def image_size(self):
        """(width, height) in pixels of the image for the current view."""
        return conventions.image_size(self.view, self.resolution)

    @property
    def center(self):
        """Centre of the view (code_length); assign to move the view there."""
        x0, x1, y0, y1 = self.view
        return ((x0 + x1) / 2, (y0 + y1) / 2)

    @center.setter
    def center(self, xy):
        x, y = (float(v) for v in xy)
        x0, x1, y0, y1 = self.view
        hw, hh = (x1 - x0) / 2, (y1 - y0) / 2
        self.view = [x - hw, x + hw, y - hh, y + hh]

    @property
    def width(self):
        """Width of the view (code_length); assign to zoom, keeping the centre and aspect."""
        return self.view[1] - self.view[0]

    @width.setter
    def width(self, w):
        w = float(w)
        if not (math.isfinite(w) and w > 0):
            raise ValueError(f"width must be positive, got {w!r}")
        self.zoom(self.width / w)

    def zoom(self, factor: float):
        """Zoom about the centre of the view (factor > 1 zooms in), like yt's ``zoom``."""
        if not (isinstance(factor, (int, float)) and math.isfinite(factor) and factor > 0):
            raise ValueError(f"zoom factor must be positive, got {factor!r}")
        x0, x1, y0, y1 = self.view
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hw, hh = (x1 - x0) / (2 * factor), (y1 - y0) / (2 * factor)
        self.view = [cx - hw, cx + hw, cy - hh, cy + hh]
        return self

    def pan(self, dx: float, dy: float):
        """Move the view by (dx, dy) in code_length."""
        x0, x1, y0, y1 = self.view
        self.view = [x0 + dx, x1 + dx, y0 + dy, y1 + dy]
        return self

    def reset_view(self):
        self.view = list(self.domain)
        return self

    def tour(self, title: str = "", file: str | None = None):
        """A tour recorder on this viewer (:class:`ytlite.tour.TourRecorder`):
        ``t = viewer.tour(); t.add(caption="...")`` at each view worth a stop,
        then ``t.save("tours/x.json")``, ``t.url()`` or ``viewer.play(t)``."""
        from .tour import TourRecorder

        return TourRecorder(self, title, file)

    def play(self, tour, loop: bool = False):
        """Play a tour (a recorder, its dict, JSON text or a file) in this
        viewer in the browser: the views eased one into the next, each stop's
        caption shown, resting on the last stop (``loop``: again and again);
        a touch or a drag on the image stops it. Every stop must be of this
        viewer's dataset (the viewer page plays tours across datasets)."""
        from .tour import dataset_site_path, stop_files, tour_dict

        data = tour_dict(tour)
        mine = dataset_site_path(self)
        for i, file in stop_files(data):
            if file not in (None, mine):
                raise ValueError(f"stop {i} of the tour is of {file}; this viewer shows {mine} "
                                 "(play a tour across datasets on the viewer page: tour.url())")
        self.send({"type": "play-tour", "tour": data, "loop": bool(loop)})
        return self

    def frb(self, field=None, resolution=None):
        """The current view's fixed-resolution buffer (a :class:`ytlite.PixelizedImage`),
        deposited by the same pixelizer the browser draws with (the wasm pixelizer, through
        wasmtime on CPython): ``viewer.frb().rows()[i, j]``, row 0 at y_min."""
        width, height = conventions.image_size(self.view, self.resolution if resolution is None else resolution)
        return self._ds.pixelize(field or self.field, bounds=tuple(self.view), width=width, height=height,
                                 antialias=self.antialias, periodic=self.periodic)

    # -- what the browser says (see ytlite._sync) ----------------------------------
    # What the browser may change (toolbar, gestures, what it drew).
    FRONT_END_STATE = frozenset({"field", "depth", "view", "resolution", "cmap", "scale", "vmin", "vmax", "linthresh",
                                 "length_unit", "show_mesh", "wheel_zoom", "frame", "error", "_snapshot",
                                 "field_scales"})  # (the scales of the fields the page scanned as it read them)
    FRONT_END_MESSAGES = {
        "source-failed": "_on_source_failed",  # the page could not read the file: send the arrays
        "open": "_on_dropped_file",  # a file dropped on the viewer
        "png": "_on_png",  # the answer to save_png (ytlite._pictures)
    }

    def _on_dropped_file(self, content, buffers):
        try:
            if not buffers:
                raise ValueError("no file arrived")
            self.show(str(keep_dropped_file(str(content.get("name", "")), bytes(buffers[0]))))
        except Exception as exc:  # noqa: BLE001 -- any reason the file cannot be shown is the user's to read
            message = str(exc) if isinstance(exc, (ValueError, KeyError)) else f"{type(exc).__name__}: {exc}"
            self.send({"type": "open-error", "message": message})

    def __repr__(self):
        x0, x1, y0, y1 = self.view
        limits = "auto" if self.vmin is None and self.vmax is None else f"{self.vmin}..{self.vmax}"
        depth = ""
        if self.depth_coords:
            depth = (f", slice {self.depth + 1}/{len(self.depth_coords)} at {self.info.get('axis', '?')} = "
                     f"{self.depth_coords[self.depth]:.4g}")
        return (f"<ytlite SliceViewer of {self.field!r} ({self.info.get('name', '?')}{depth}): view x [{x0:.4g}, "
                f"{x1:.4g}] y [{y0:.4g}, {y1:.4g}] code_length, {self.scale} {self.cmap}, limits {limits}>")

