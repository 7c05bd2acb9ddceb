"""A yt slice or projection loaded from its ``save_as_dataset`` HDF5 file.

Mirrors what ``yt.load`` gives for such a file (a ``YTSpatialPlotDataset``)
closely enough for plotting: the cells in the image plane, the fields with their
units, the domain, the axis, and the time, without numpy, so it runs in the
browser's Pyodide as well as on CPython.

What is read when (see ``ytlite._hdf5``): ``load`` reads the metadata (root
attributes; each dataset's name, length and units); on CPython it checks the
cells (centres finite, half widths positive), in Pyodide it scans every
field's sign (its ``default_scale``) in JavaScript, then frees the worker's
copy of the file (other fields' signs are scanned when asked for, or by the
page that reads the file itself), and each array of the cells is checked as it is first
read (a plot the page draws from the file itself reads none in the kernel;
the page checks them as it reads them). Numbers become Python
``array('d')`` only when asked for: ``ds.px`` (and ``py``, ``pdx``,
``pdy``), ``ds[field]``, ``pixelize``, each array once (then kept), in
Pyodide from the file copied into the worker again for the cell that asks
(an error if it changed since ``load``); a ``SliceViewer`` of a file the
page can read itself sends no array at all (``ytlite.viewer``).
"""

from __future__ import annotations

import math
from array import array

from . import _conventions as conventions
from ._conventions import (AXIS_NAMES, DERIVED_FIELDS, GEOMETRY_DATASETS, IMAGE_X_AXIS, IMAGE_Y_AXIS,
                           REFINEMENT_LEVEL, field_name)
from ._hdf5 import SliceFileError, available_memory, check_layout, close_when_gone, read_slice_file


class SliceDataset:
    """Cells of a 2-D slice or projection of an AMR simulation.

    Attributes
    ----------
    px, py, pdx, pdy : array('d')
        Cell centres and *half*-widths in the image plane, in code length
        (yt's convention: a cell spans ``[px - pdx, px + pdx]``).
    axis : int
        The axis the slice/projection is taken along (0, 1, 2 for x, y, z).
    x_axis_name, y_axis_name : str
        The simulation axes shown horizontally and vertically (yt's choice).
    domain_bounds : tuple
        ``(x_min, x_max, y_min, y_max)`` of the simulation domain in the image
        plane, in code length.
    """

    viewable_kind = "dataset"  # (ytlite._viewable: what the viewer may show)

    def __init__(self, filename: str, raw):
        self.filename = str(filename)
        self.attrs = raw.attrs
        self._raw = raw
        close_when_gone(self, raw)
        self._arrays = {}  # key -> array('d'), read when first asked for
        self._units = raw.units
        self._positive = {}  # field -> whether no value is <= 0 (default_scale)
        # (the h5py reader checked this before reading; the h5wasm one reads nothing before)
        self._n = check_layout(self.filename, raw.lengths, available=available_memory())
        raw.reader.check_cells(self.filename)
        self.source = raw.source  # where the page can read the same file itself (None: it cannot)
        self._choices = conventions.site_choices(raw.attrs)  # a site's first choices (ytlite.toml)
        self.container_type = str(raw.attrs.get("container_type", "slice"))
        axis = conventions.attr_number(raw.attrs.get("axis"))
        if axis is None or not math.isfinite(axis) or axis != math.floor(axis):
            raise SliceFileError(f"{self.filename}: root attribute 'axis' missing or not an integer")
        self.axis = int(axis)
        if self.axis not in IMAGE_X_AXIS:
            raise SliceFileError(f"{self.filename}: axis {self.axis} is not 0, 1 or 2")
        length_unit = conventions.attr_number(raw.attrs.get("length_unit", 1.0))
        if length_unit is None:
            raise SliceFileError(f"{self.filename}: root attribute 'length_unit' is not a number")
        self.coord = raw.attrs.get("coord")
        self.x_axis_name = AXIS_NAMES[IMAGE_X_AXIS[self.axis]]
        self.y_axis_name = AXIS_NAMES[IMAGE_Y_AXIS[self.axis]]
        self.field_list = sorted(k for k in raw.lengths if k not in GEOMETRY_DATASETS)
        self.domain_bounds = self._domain_bounds()
        self.length_unit = (
            length_unit,
            str(raw.attrs.get("length_unit_units", "code_length")),
        )
        self.current_time = (
            raw.attrs.get("current_time"),
            str(raw.attrs.get("current_time_units", "code_time")),
        )
        periodicity = raw.attrs.get("periodicity")
        if not isinstance(periodicity, list) or len(periodicity) != 3:
            periodicity = [False, False, False]
        self.periodicity = (
            bool(periodicity[IMAGE_X_AXIS[self.axis]]),
            bool(periodicity[IMAGE_Y_AXIS[self.axis]]),
        )
        loaded = getattr(raw.reader, "loaded", None)
        if loaded is not None:
            # (Pyodide: the sign of the field shown first scanned while the file is in, for ds.plot(); the
            # others' when asked, or by the page that reads the file; then the file freed)
            if self.field_list:
                self.default_scale(self.default_field())
            loaded()

    def _domain_bounds(self):
        left = self.attrs.get("domain_left_edge")
        right = self.attrs.get("domain_right_edge")
        xa, ya = IMAGE_X_AXIS[self.axis], IMAGE_Y_AXIS[self.axis]
        try:
            bounds = (float(left[xa]), float(right[xa]), float(left[ya]), float(right[ya]))
        except (TypeError, IndexError, ValueError):
            bounds = None
        if bounds is None or not all(map(math.isfinite, bounds)) or bounds[0] >= bounds[1] or bounds[2] >= bounds[3]:
            # No usable domain attributes: fall back to the extent of the cells.
            bounds = self._raw.reader.extent()
        return bounds

    def _array(self, key) -> array:
        if key not in self._arrays:
            self._arrays[key] = self._raw.reader.read(key)
        return self._arrays[key]

    # The cell geometry, read when first asked for.
    px = property(lambda self: self._array("px"), doc="cell centres along the image x axis (code_length)")
    py = property(lambda self: self._array("py"), doc="cell centres along the image y axis (code_length)")
    pdx = property(lambda self: self._array("pdx"), doc="cell half widths along x (code_length)")
    pdy = property(lambda self: self._array("pdy"), doc="cell half widths along y (code_length)")

    @property
    def num_cells(self) -> int:
        return self._n

    @property
    def period(self):
        """Domain widths in the image plane: the period for periodic wrapping."""
        b = self.domain_bounds
        return (b[1] - b[0], b[3] - b[2])

    @property
    def derived_field_list(self):
        """Fields ytlite computes from the cells themselves (``refinement_level``)."""
        return list(DERIVED_FIELDS)

    def check_field(self, field) -> str:
        """The field's name, or a KeyError naming the fields there are (reads nothing)."""
        name = field_name(field)
        if name not in self.field_list and name not in DERIVED_FIELDS:
            raise KeyError(f"no field {name!r} in {self.filename}; fields: {', '.join(self.field_list)} "
                           f"(and {', '.join(DERIVED_FIELDS)})")
        return name

    def __getitem__(self, field) -> array:
        """The field's values (read from the file, or derived, when first asked for)."""
        name = self.check_field(field)
        if name == REFINEMENT_LEVEL and name not in self._arrays:
            self._arrays[name] = self._refinement_level()
        return self._array(name)

    def _refinement_level(self) -> array:
        """Each cell's level below the coarsest cell in the file: 0 for the
        coarsest, 1 for cells half as wide, ... (from pdx: cells are refined by
        factors of 2 in both directions, as in yt's AMR frontends; the rule,
        ties included, is ``_conventions.refinement_level``). NaN where a
        width is not positive and finite."""
        return array("d", conventions.refinement_level(self.pdx))

    def units(self, field) -> str:
        return self._units.get(self.check_field(field), "")

    def default_scale(self, field) -> str:
        """The colour scale a field is usually shown with, as yt chooses it:
        ``log`` when every finite value is positive, ``symlog`` when some are
        zero or negative, ``linear`` for the refinement level; for the field a
        site chose to show first, the scale it chose (``_conventions.site_choices``)."""
        name = self.check_field(field)
        chosen = self._chosen_scale(name)
        if name in DERIVED_FIELDS or chosen in conventions.SCALES:  # (no need to scan the values)
            return conventions.default_scale(name, True, chosen)
        if name not in self._positive:
            self._positive[name] = (conventions.all_positive(self._arrays[name]) if name in self._arrays
                                    else self._raw.reader.all_positive(name))
        return conventions.default_scale(name, self._positive[name], chosen)

    def knows_scale(self, field) -> bool:
        """Whether ``default_scale(field)`` reads nothing more of the file: a
        derived field, a site's chosen scale, a sign scanned already, values
        in memory (CPython's reader holds them all)."""
        name = self.check_field(field)
        return (name in DERIVED_FIELDS or self._chosen_scale(name) in conventions.SCALES or name in self._positive
                or name in self._arrays or getattr(self._raw.reader, "holds_values", False))

    def _chosen_scale(self, name):
        """A site's chosen scale (ytlite.toml), for the field it chose to show first; else None."""
        return self._choices.get("scale") if name == self.default_field() else None

    def default_field(self) -> str:
        if not self.field_list:
            raise SliceFileError(f"{self.filename}: no fields, only cell positions")
        return conventions.default_field(self.field_list, self._choices.get("field"))

    def default_cmap(self) -> str:
        """The colormap shown first: a site's choice (ytlite.toml) when the viewer has it, else ytlite's default."""
        from .colormaps import DEFAULT_COLORMAP, colormap_names

        chosen = self._choices.get("cmap")
        return chosen if chosen in colormap_names() else DEFAULT_COLORMAP

    def default_view(self) -> list:
        """The view shown first: a site's choice (ytlite.toml's view) when the
        file has one, else the whole domain [x_min, x_max, y_min, y_max]."""
        return list(self._choices.get("view", self.domain_bounds))

    def pixelize(self, field=None, bounds=None, width=512, height=None, antialias=True, periodic=False):
        """Deposit the cells onto a ``height`` x ``width`` image (see :mod:`ytlite.pixelizer`)."""
        from .pixelizer import pixelize

        field = self.default_field() if field is None else field
        bounds = self.domain_bounds if bounds is None else tuple(bounds)
        return pixelize(
            self.px, self.py, self.pdx, self.pdy, self[field], bounds,
            width=width, height=width if height is None else height,
            antialias=antialias, period=self.period if periodic else None,
        )

    def plot(self, field=None, **kwargs):
        """An interactive :class:`ytlite.viewer.SliceViewer` of ``field``."""
        from .viewer import SliceViewer

        return SliceViewer(self, field=field, **kwargs)

    def __repr__(self):
        kind = {"slice": "slice", "quad_proj": "projection", "proj": "projection"}.get(
            self.container_type, self.container_type
        )
        where = f" at {AXIS_NAMES[self.axis]} = {self.coord}" if kind == "slice" and self.coord is not None else ""
        return (
            f"<ytlite {kind} along {AXIS_NAMES[self.axis]}{where}: {self.num_cells} cells, "
            f"fields {', '.join(self.field_list)} ({self.filename})>"
        )


def read_dataset(filename) -> SliceDataset:
    """The :class:`SliceDataset` of one yt slice/projection file (``ytlite.load``
    also opens stacks)."""
    raw = read_slice_file(str(filename))
    try:
        return SliceDataset(filename, raw)
    except BaseException:
        close = getattr(raw.reader, "close", None)
        if close is not None:  # (Pyodide: the worker's copy freed now, not when the traceback goes)
            close()
        raise
