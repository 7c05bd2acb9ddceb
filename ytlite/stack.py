"""A depth stack: N slices of one dataset along one axis, in a folder.

Made by ``python -m ytlite extract DATASET --stack N ... -o OUTDIR`` (see
docs/data-format.md): ``OUTDIR/slice_000.h5, slice_001.h5, ...`` (each a yt
``save_as_dataset`` slice, as the single-slice extraction writes it) and
``OUTDIR/stack.json``::

    {"format": "ytlite-stack", "version": 1, "axis": 2, "axis_name": "z",
     "coords": [0.0625, ...], "coord_units": "code_length",
     "files": ["slice_000.h5", ...], "fields": ["density", ...],
     "dataset": "info_00003.txt"}

Pure Python (json and the SliceDataset reader): works in Pyodide without numpy.
"""

from __future__ import annotations

import json
import math
import os

from ._conventions import AXIS_NAMES
from ._hdf5 import SliceFileError
from .dataset import SliceDataset, read_dataset

STACK_FORMAT = "ytlite-stack"
STACK_VERSION = 1
STACK_FILE = "stack.json"


class StackError(SliceFileError):
    """The folder is not a readable ytlite stack (or one of its slices does not fit it)."""


def is_stack(path) -> bool:
    """Whether ``path`` names a stack: a folder holding stack.json, or a stack.json file."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, STACK_FILE))
    return os.path.basename(path) == STACK_FILE


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class SliceStack:
    """The slices of a depth stack, each a :class:`ytlite.SliceDataset` read on first use.

    Attributes
    ----------
    axis : int
        The axis the slices are taken along (0, 1, 2 for x, y, z).
    axis_name : str
        ``"x"``, ``"y"`` or ``"z"``.
    coords : list of float
        The slice positions along ``axis``, strictly increasing, in ``coord_units``
        (code_length).
    files : list of str
        The slice files (the stack folder joined with the names in stack.json).
    filename : str
        The stack folder.
    """

    viewable_kind = "stack"  # (ytlite._viewable: what the viewer may show)

    def __init__(self, path):
        path = os.fspath(path)
        if os.path.isdir(path):
            folder, meta_path = path, os.path.join(path, STACK_FILE)
        else:
            folder, meta_path = os.path.dirname(path) or ".", path
        self.filename = folder
        self._meta_path = meta_path
        meta = self._read_meta(meta_path)
        self.metadata = meta
        self.axis = meta["axis"]
        self.axis_name = AXIS_NAMES[self.axis]
        self.coords = [float(c) for c in meta["coords"]]
        self.coord_units = meta["coord_units"]
        self.files = [os.path.join(folder, name) for name in meta["files"]]
        self.dataset = meta.get("dataset")
        missing = [f for f in self.files if not os.path.isfile(f)]
        if missing:
            shown = ", ".join(os.path.basename(f) for f in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise StackError(f"{self._meta_path}: {len(missing)} of the {len(self.files)} slice files are missing "
                             f"from {folder}: {shown}{more}")
        self._slices = [None] * len(self.files)

    def _fail(self, message):
        raise StackError(f"{self._meta_path}: {message}")

    def _read_meta(self, meta_path) -> dict:
        try:
            with open(meta_path, "rb") as fh:
                text = fh.read()
        except FileNotFoundError:
            raise StackError(f"{meta_path}: no such file (a ytlite stack is a folder with a stack.json)") from None
        except OSError as exc:
            raise StackError(f"{meta_path}: cannot be read ({exc})") from None
        try:
            meta = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise StackError(f"{meta_path}: not valid JSON ({exc}), so not a ytlite stack") from None
        if not isinstance(meta, dict) or meta.get("format") != STACK_FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
            self._fail(f"not a ytlite stack (\"format\" is {found!r}, expected {STACK_FORMAT!r})")
        version = meta.get("version")
        if version != STACK_VERSION or isinstance(version, bool):
            self._fail(f"stack format version {version!r} is not supported (this ytlite reads version {STACK_VERSION})")
        axis = meta.get("axis")
        if isinstance(axis, bool) or axis not in (0, 1, 2):
            self._fail(f"\"axis\" is {axis!r}, expected 0, 1 or 2")
        if "axis_name" in meta and meta["axis_name"] != AXIS_NAMES[axis]:
            self._fail(f"\"axis_name\" {meta['axis_name']!r} does not match \"axis\" {axis} ({AXIS_NAMES[axis]!r})")
        coords, files = meta.get("coords"), meta.get("files")
        if not isinstance(coords, list) or not all(_number(c) for c in coords):
            self._fail("\"coords\" must be a list of finite numbers")
        if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
            self._fail("\"files\" must be a list of file names")
        if not files:
            self._fail("the stack has no slices (\"files\" is empty)")
        if len(coords) != len(files):
            self._fail(f"{len(coords)} coords but {len(files)} files: there must be one coord per slice file")
        for i in range(1, len(coords)):
            if not coords[i] > coords[i - 1]:
                self._fail(f"coords are not strictly increasing: coords[{i - 1}] = {coords[i - 1]!r}, "
                           f"coords[{i}] = {coords[i]!r}")
        for f in files:
            if os.path.isabs(f) or ".." in f.replace("\\", "/").split("/"):
                self._fail(f"slice file {f!r} is not a name inside the stack folder")
        units = meta.setdefault("coord_units", "code_length")
        if not isinstance(units, str):
            self._fail(f"\"coord_units\" is {units!r}, expected a unit name such as 'code_length'")
        fields = meta.get("fields")
        if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)):
            self._fail("\"fields\" must be a list of field names")
        return meta

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, i) -> SliceDataset:
        if isinstance(i, bool) or not isinstance(i, int):
            try:
                i = i.__index__()
            except AttributeError:
                raise TypeError(f"stack indices are integers, not {type(i).__name__}") from None
        n = len(self.files)
        if not -n <= i < n:
            raise IndexError(f"slice {i} of a stack of {n} slices")
        i %= n
        if self._slices[i] is None:
            self._slices[i] = self._load(i)
        return self._slices[i]

    def _load(self, i) -> SliceDataset:
        ds = read_dataset(self.files[i])
        where = f"slice {i} ({os.path.basename(self.files[i])})"
        if ds.container_type != "slice":
            self._fail(f"{where} is a {ds.container_type}, not a slice")
        if ds.axis != self.axis:
            self._fail(f"{where} is along {AXIS_NAMES[ds.axis]} (axis {ds.axis}), "
                       f"but the stack is along {self.axis_name} (axis {self.axis})")
        coord = ds.coord
        if _number(coord) and str(ds.attrs.get("coord_units", self.coord_units)) == self.coord_units:
            c = self.coords[i]
            if abs(coord - c) > 1e-9 * max(1.0, abs(c)):
                self._fail(f"{where} is at {self.axis_name} = {coord!r} {self.coord_units}, "
                           f"but stack.json puts it at {c!r}")
        if i == 0:
            declared = self.metadata.get("fields")
            if declared is not None and sorted(declared) != ds.field_list:
                self._fail(f"{where} has fields {', '.join(ds.field_list)}, "
                           f"but stack.json lists {', '.join(declared)}")
        else:
            first = self[0].field_list
            if ds.field_list != first:
                self._fail(f"{where} has fields {', '.join(ds.field_list)}, "
                           f"but slice 0 has {', '.join(first)}: every slice must have the same fields")
        return ds

    @property
    def field_list(self):
        """The fields of the slices (those of the first slice; every slice has the same)."""
        return self[0].field_list

    def plot(self, field=None, depth=0, **kwargs):
        """An interactive :class:`ytlite.viewer.SliceViewer` of ``field`` with a depth slider."""
        from .viewer import SliceViewer
        return SliceViewer(self, field=field, depth=depth, **kwargs)

    def __repr__(self):
        n = len(self.files)
        if n == 1:
            where = f"{self.axis_name} = {self.coords[0]:g}"
        else:
            where = f"{self.axis_name} = {self.coords[0]:g} to {self.coords[-1]:g}"
        fields = self.metadata.get("fields")
        shown = f", fields {', '.join(fields)}" if fields else ""
        return (f"<ytlite stack of {n} slice{'s' if n != 1 else ''} along {self.axis_name} at {where} "
                f"{self.coord_units}{shown} ({self.filename})>")
