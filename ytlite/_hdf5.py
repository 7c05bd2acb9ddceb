"""Read yt ``save_as_dataset`` HDF5 files without numpy.

Two backends give the same result, a :class:`RawSliceFile`:

* in Pyodide, h5wasm (the HDF5 C library compiled to wasm, see ``_runtime``);
* on CPython, h5py (what yt itself uses).

The file layout written by yt 4 for slices and projections: root attributes
(``container_type``, ``axis``, ``coord``, domain edges, ``unit_registry_json``,
``current_time`` ...) and a group ``/grid`` of 1-D datasets ``px, py, pdx, pdy``
(cell centres and half-widths in the image plane) plus one dataset per field,
each with a ``units`` attribute.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field

from . import _runtime


class SliceFileError(ValueError):
    """The file is not a readable yt slice/projection dataset."""


@dataclass
class RawSliceFile:
    attrs: dict
    # name -> float64 values; includes px, py, pdx, pdy and every field
    arrays: dict[str, array] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


def _read_with_h5wasm(data: bytes, name: str) -> RawSliceFile:
    """In Pyodide: the front end's reader (lite/js/core/slicefile.js, bundled),
    so the kernel and the kiosk page say the same of the same file."""
    from js import JSON
    from pyodide.ffi import JsException, to_js

    rt = _runtime.runtime()
    try:
        result = rt.slicefile.readSliceFile(rt.h5wasm, to_js(data), name)
    except JsException as exc:
        message = str(getattr(exc, "message", exc))
        raise SliceFileError(message if message.startswith(f"{name}: ") else f"{name}: {message}") from None
    arrays = {}
    for key in result.arrays.object_keys():
        arr = array("d")
        arr.frombytes(getattr(result.arrays, key).to_bytes())
        arrays[key] = arr
    return RawSliceFile(attrs=json.loads(JSON.stringify(result.attrs)), arrays=arrays, units=result.units.to_py())


def _to_plain(value):
    """h5py attribute -> JSON-like Python value (what h5wasm's json_value gives)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    return value


def _read_with_h5py(path: str) -> RawSliceFile:
    try:
        import h5py
    except ImportError:
        raise RuntimeError("reading HDF5 on native Python needs h5py: pip install h5py") from None
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged ({exc})") from None
    with f:
        try:
            attrs = {k: _to_plain(v) for k, v in f.attrs.items()}
            grid = f.get("grid")
        except (OSError, RuntimeError, KeyError) as exc:  # damaged metadata: h5py raises any of these
            raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged ({exc})") from None
        if not isinstance(grid, h5py.Group):
            raise SliceFileError(f"{path}: no /grid group, so not a yt save_as_dataset slice or projection")
        if not attrs:  # (the front end's reader says the same: yt writes many root attributes)
            raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged (no root attribute could be read)")
        raw = RawSliceFile(attrs=attrs)
        for key, ds in grid.items():
            if not isinstance(ds, h5py.Dataset) or ds.ndim != 1 or ds.dtype.kind not in "fiu":
                continue
            try:
                values = ds[()].astype("<f8")
            except OSError as exc:
                raise SliceFileError(
                    f"{path}: not an HDF5 file, or truncated or damaged (grid/{key} cannot be read: {exc})"
                ) from None
            raw.arrays[key] = array("d", values.tobytes())
            raw.units[key] = _to_plain(ds.attrs.get("units", ""))
        return raw


def read_slice_file(path: str) -> RawSliceFile:
    if _runtime.IN_PYODIDE:
        with open(path, "rb") as fh:
            data = fh.read()
        return _read_with_h5wasm(data, str(path).rsplit("/", 1)[-1])
    return _read_with_h5py(str(path))
