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

The front end is ``lite/js/`` (core: pipeline, view maths, ticks; ui:
toolbar, figure, gestures), bundled into ``_generated/widget.js``. It keeps
the mesh in wasm memory and runs two cached stages: *deposit* (cells ->
float image, on pan/zoom/field change) then *shade* (normalize + colormap ->
RGBA, on colormap/scale/limit change).
"""

from __future__ import annotations

import base64
import json
import math
import pathlib
import uuid
from functools import lru_cache

import anywidget
import ipywidgets
import traitlets as t

from . import _conventions as conventions
from . import colormaps
from ._conventions import AXIS_NAMES, SCALES, field_name
from ._drive import drive_source
from ._runtime import PIXELIZER_WASM, generated_file
from ._viewable import is_stack, open_viewable
from .pixelizer import MAX_IMAGE_SIDE

VIEW_TRAITS = ("view",)
COLORMAP_TRAITS = ("cmap",)
LIMIT_TRAITS = ("scale", "vmin", "vmax", "linthresh")


class PixelizerAssets(ipywidgets.Widget):
    """The wasm pixelizer and the colormap tables, sent to the page once and
    shared by every viewer on it (no view of its own)."""

    pixelizer_wasm = t.Bytes().tag(sync=True)
    colormap_tables = t.Bytes().tag(sync=True)
    colormap_index = t.Dict().tag(sync=True)


@lru_cache(maxsize=1)
def _assets() -> PixelizerAssets:
    return PixelizerAssets(
        pixelizer_wasm=generated_file(PIXELIZER_WASM),
        colormap_tables=colormaps.colormap_table_bytes(),
        colormap_index=colormaps.colormap_index(),
    )


@lru_cache(maxsize=1)
def _length_units_cm() -> dict:
    """{unit: its length in cm}, generated at build time from unyt."""
    return json.loads(generated_file("length_units.json"))


def length_unit_choices(ds) -> dict:
    """{unit name: value of one code_length in it} for the units that make
    sense for this domain (see ``_conventions.length_unit_choices``)."""
    return conventions.length_unit_choices(ds.length_unit, ds.period, _length_units_cm())


def _sources(ds, stack) -> dict:
    """``_source`` for a dataset (or a stack) whose files the page can read
    itself, else ``{}``: ``{"files": [{path, name, size, mtime_ms[, cells]}]}``,
    one per slice (see ytlite._drive.drive_source)."""

    if stack is None:
        source = getattr(ds, "source", None)
        return {"files": [{**source, "cells": ds.num_cells}]} if source else {}
    files = [drive_source(f) for f in stack.files]
    return {"files": files} if all(files) else {}


def _mesh_state(ds, names) -> dict:
    return {"px": ds.px.tobytes(), "py": ds.py.tobytes(), "pdx": ds.pdx.tobytes(), "pdy": ds.pdy.tobytes(),
            "fields": {n: ds[n].tobytes() for n in names}}


def _axis_info(ds) -> dict:
    kind = "slice" if ds.container_type == "slice" else "projection"
    coord = None
    if kind == "slice" and ds.coord is not None:
        coord = [float(ds.coord), str(ds.attrs.get("coord_units", "code_length"))]
    time = None
    if ds.current_time[0] is not None:
        time = [float(ds.current_time[0]), ds.current_time[1]]
    return {
        "name": pathlib.PurePath(ds.filename).name, "kind": kind, "axis": AXIS_NAMES[ds.axis],
        "x_axis": ds.x_axis_name, "y_axis": ds.y_axis_name, "coord": coord, "time": time,
    }


class SliceViewer(anywidget.AnyWidget):
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
    # why nothing could be, and a PNG of the last view (kept in the notebook).
    frame = t.Dict().tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    _snapshot = t.Bytes(b"").tag(sync=True)
    _key = t.Unicode().tag(sync=True)  # names this viewer in the browser, across re-rendered views

    def __init__(self, ds, field=None, resolution=512, fields=None, **kwargs):
        if not isinstance(resolution, int) or isinstance(resolution, bool) or not 16 <= resolution <= MAX_IMAGE_SIDE:
            raise ValueError(f"resolution must be an integer from 16 to {MAX_IMAGE_SIDE}, got {resolution!r}")
        depth = kwargs.pop("depth", None)
        state = self._dataset_state(ds, field, fields, depth)
        kwargs.setdefault("scale", state["field_scales"][state["field"]])
        self._display_id = None
        self.source_error = ""  # why the page could not read the file itself (it then got the arrays)
        self._png_requests = {}
        self._from_front_end = frozenset()
        super().__init__(_assets=_assets(), resolution=resolution, _key=uuid.uuid4().hex, **{**state, **kwargs})
        self.on_msg(self._on_front_end_message)

    def _dataset_state(self, ds, field=None, fields=None, depth=None) -> dict:
        """The traits that describe a dataset (or a stack at ``depth``): its
        cells and fields, units, axes, domain; sets ``_ds`` and ``_stack``."""
        ds = open_viewable(ds, field, fields)  # a path loaded; a yt slice, projection or slice file converted
        stack = None
        if is_stack(ds):
            stack, depth = ds, 0 if depth is None else depth
            if not isinstance(depth, int) or isinstance(depth, bool) or not 0 <= depth < len(ds):
                raise ValueError(f"depth must be a slice number from 0 to {len(ds) - 1}, got {depth!r}")
            ds = ds[depth]
        elif depth is not None:
            raise ValueError("depth is for a stack of slices (ytlite.load of a stack folder); this is one slice")
        names = [*ds.field_list, *ds.derived_field_list] if fields is None else [field_name(f) for f in fields]
        for name in names:
            ds.check_field(name)  # KeyError naming the fields there are
        if not names:
            raise ValueError("fields must name at least one field")
        field = field_name(ds.default_field() if field is None else field)
        if field not in names:
            names = [field, *names]
        units = length_unit_choices(ds)
        state = dict(
            field_units={n: ds.units(n) for n in names}, field=field,
            field_scales={n: ds.default_scale(n) for n in names},
            length_units=units, length_unit=ds.length_unit[1] if ds.length_unit[1] in units else "code_length",
            domain=list(ds.domain_bounds), view=list(ds.domain_bounds), period=list(ds.period),
        )
        source = _sources(ds, stack)
        if stack is None:
            state.update(info=_axis_info(ds), depth=0, depth_coords=[], depth_meshes=[], _source=source)
        else:
            state.update(px=b"", py=b"", pdx=b"", pdy=b"", fields={n: b"" for n in names}, _source=source,
                         depth=depth, depth_coords=[float(c) for c in stack.coords], depth_meshes=[],
                         info={**_axis_info(ds), "name": pathlib.PurePath(stack.filename).name, "stack": len(stack)})
        state.update(self._mesh_traits(ds, stack, names, with_arrays=not source))
        self._ds, self._stack = ds, stack
        return state

    @staticmethod
    def _mesh_traits(ds, stack, names, with_arrays) -> dict:
        """The cells as traits: the arrays (``with_arrays``), or only the field names."""
        if stack is None:
            if not with_arrays:
                return dict(px=b"", py=b"", pdx=b"", pdy=b"", fields={n: b"" for n in names})
            return dict(px=ds.px.tobytes(), py=ds.py.tobytes(), pdx=ds.pdx.tobytes(), pdy=ds.pdy.tobytes(),
                        fields={n: ds[n].tobytes() for n in names})
        return dict(depth_meshes=[_mesh_state(stack[i], names) for i in range(len(stack))] if with_arrays else [])

    def _source_failed(self, message):
        """The page could not read the file itself: it gets the arrays instead
        (today's path), then redraws with them."""
        if not self._source:
            return
        self.source_error = message
        state = self._mesh_traits(self._ds, self._stack, list(self.fields), with_arrays=True)
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
        state = self._dataset_state(dataset, field)
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

    def frb(self, field=None, resolution=None):
        """The current view's fixed-resolution buffer (a :class:`ytlite.PixelizedImage`),
        deposited by the same pixelizer the browser draws with (wasm in the browser,
        yt's own on CPython): ``viewer.frb().rows()[i, j]``, row 0 at y_min."""
        width, height = conventions.image_size(self.view, self.resolution if resolution is None else resolution)
        return self._ds.pixelize(field or self.field, bounds=tuple(self.view), width=width, height=height,
                                 antialias=self.antialias, periodic=self.periodic)

    # -- pictures ----------------------------------------------------------------
    def save_png(self, path, axes=True):
        """Write the current view as a PNG: with title, axes and colorbar
        (``axes=True``) or the image alone (``axes=False``).

        The browser draws the picture. With axes, the file is written at once
        from the last picture the browser kept (it keeps one whenever the view
        rests); either way the browser is asked for the view as it is now and
        the file is (re)written when it answers, once this cell has finished.
        Returns the path."""
        path = pathlib.Path(path)
        if self._display_id is None and not self._snapshot:
            raise RuntimeError("the viewer has not been drawn yet: display it (and let it draw) first")
        if axes and self._snapshot:
            path.write_bytes(self._snapshot)
        request = uuid.uuid4().hex
        self._png_requests[request] = path
        self.send({"type": "png", "axes": bool(axes), "id": request})
        return path

    # What the browser may change (toolbar, gestures, what it drew).
    _FRONT_END_STATE = frozenset({"field", "depth", "view", "resolution", "cmap", "scale", "vmin", "vmax", "linthresh",
                                  "length_unit", "show_mesh", "wheel_zoom", "frame", "error", "_snapshot"})

    def _apply_front_end_state(self, state, binary, buffers):
        state = dict(state)
        for name, buf in zip(binary, buffers):
            state[name] = bytes(buf)
        state = {k: v for k, v in state.items() if k in self._FRONT_END_STATE}
        # These values came from the browser: do not send them back (a stale
        # echo would undo what the user did since). Saved and restored, not
        # cleared: an observer below may run another message's handler.
        outer = self._from_front_end
        self._from_front_end = outer | set(state)
        rejected = []
        try:
            with self.hold_trait_notifications():
                for name, value in state.items():
                    try:
                        setattr(self, name, value)
                    except t.TraitError:
                        rejected.append(name)
        finally:
            self._from_front_end = outer
        for name in rejected:  # the browser shows what Python holds
            self.send_state(name)

    def _should_send_property(self, key, value):
        if key in self._from_front_end:
            return False
        return super()._should_send_property(key, value)

    def _on_front_end_message(self, _widget, content, buffers):
        if not isinstance(content, dict):
            return
        if content.get("type") == "state":
            self._apply_front_end_state(json.loads(content.get("json", "{}")), list(content.get("binary", [])), buffers)
            return
        if content.get("type") == "source-failed":  # the page could not read the file: send the arrays
            self._source_failed(str(content.get("message", "")))
            return
        if content.get("type") == "open":  # a file dropped on the viewer
            self._open_dropped(str(content.get("name", "")), buffers)
            return
        if content.get("type") != "png":
            return
        path = self._png_requests.pop(content.get("id"), None)
        if path is None:
            return
        if content.get("error") or not buffers:
            self.error = f"PNG export failed: {content.get('error', 'no data')}"
            return
        path.write_bytes(bytes(buffers[0]))

    def _open_dropped(self, name, buffers):
        name = pathlib.PurePath(name).name  # no folders from the browser's side
        try:
            if not name or not buffers:
                raise ValueError("no file arrived")
            path = pathlib.Path(name)
            if path.exists() and path.read_bytes() != bytes(buffers[0]):
                stem, n = path.stem, 1
                while path.exists():
                    path, n = pathlib.Path(f"{stem}-{n}{pathlib.PurePath(name).suffix}"), n + 1
            path.write_bytes(bytes(buffers[0]))  # kept beside the notebook (the file browser shows it)
            self.show(str(path))
        except Exception as exc:  # noqa: BLE001 -- any reason the file cannot be shown is the user's to read
            message = str(exc) if isinstance(exc, (ValueError, KeyError)) else f"{type(exc).__name__}: {exc}"
            self.send({"type": "open-error", "message": message})

    # Saved notebooks keep a picture: the output holds the widget and, once the
    # browser has drawn it, a PNG of the last view (shown where no widget runs).
    def _mimebundle(self):
        bundle = {
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                          "model_id": self.model_id},
            "text/plain": repr(self),
        }
        if self._snapshot:
            bundle["image/png"] = base64.b64encode(self._snapshot).decode("ascii")
        return bundle

    def _ipython_display_(self):
        from IPython.display import display

        self._display_id = self._display_id or uuid.uuid4().hex
        display(self._mimebundle(), raw=True, display_id=self._display_id)

    @t.observe("_snapshot")
    def _snapshot_changed(self, change):
        if self._display_id and change["new"]:
            from IPython.display import update_display

            update_display(self._mimebundle(), raw=True, display_id=self._display_id)

    def __repr__(self):
        x0, x1, y0, y1 = self.view
        limits = "auto" if self.vmin is None and self.vmax is None else f"{self.vmin}..{self.vmax}"
        depth = ""
        if self.depth_coords:
            depth = (f", slice {self.depth + 1}/{len(self.depth_coords)} at {self.info.get('axis', '?')} = "
                     f"{self.depth_coords[self.depth]:.4g}")
        return (f"<ytlite SliceViewer of {self.field!r} ({self.info.get('name', '?')}{depth}): view x [{x0:.4g}, "
                f"{x1:.4g}] y [{y0:.4g}, {y1:.4g}] code_length, {self.scale} {self.cmap}, limits {limits}>")


def link(*viewers, view=True, colormap=False, limits=False):
    """Link viewers in the browser: panning/zooming one moves the others
    (``view``), and optionally the colormap and the colour scale/limits.
    Nothing goes through the kernel while you drag. Returns the link (a
    widget; ``.close()`` unlinks)::

        rho, temp = ds.plot("density"), ds.plot("temperature")
        ytlite.link(rho, temp)
    """
    if len(viewers) < 2 or not all(isinstance(v, SliceViewer) for v in viewers):
        raise TypeError(f"link needs two or more SliceViewers, got {[type(v).__name__ for v in viewers]}")
    names = [*(VIEW_TRAITS if view else ()), *(COLORMAP_TRAITS if colormap else ()),
             *(LIMIT_TRAITS if limits else ())]
    if not names:
        raise ValueError("nothing to link: set view, colormap or limits to True")
    for follower in viewers[1:]:  # start equal: the first viewer leads
        with follower.hold_trait_notifications():
            for name in names:
                setattr(follower, name, getattr(viewers[0], name))
    return ViewerLink(viewers=list(viewers), names=names)


class ViewerLink(anywidget.AnyWidget):
    """Keeps traits of several viewers equal, in the browser (see :func:`link`)."""

    _esm = pathlib.Path(__file__).parent / "_generated" / "link.js"  # lite/js/link.js, bundled
    viewers = t.List(t.Instance(SliceViewer)).tag(sync=True, **ipywidgets.widget_serialization)
    names = t.List(t.Unicode()).tag(sync=True)
