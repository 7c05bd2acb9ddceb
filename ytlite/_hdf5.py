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
from functools import lru_cache

from . import _runtime


class SliceFileError(ValueError):
    """The file is not a readable yt slice/projection dataset."""


@dataclass
class RawSliceFile:
    attrs: dict
    # name -> float64 values; includes px, py, pdx, pdy and every field
    arrays: dict[str, array] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


# JS helper run inside the kernel: reads every 1-D numeric dataset of /grid and
# the root attributes. Attributes come back as JSON (h5wasm's json_value), the
# arrays as Float64Arrays (converted from float32/int if needed).
_READ_JS = r"""
((h5wasm, bytes, name) => {
  const path = "/ytlite-" + name.replace(/[^A-Za-z0-9_.-]/g, "_");
  const damaged = (e) => new Error("not an HDF5 file, or truncated or damaged (HDF5 library: " +
                                   (e && e.message ? e.message : e) + ")");
  h5wasm.FS.writeFile(path, bytes);
  let file;
  try {
    try {
      file = new h5wasm.File(path, "r");
    } catch (e) {
      throw damaged(e);
    }
    try {
      const attrs = {};
      for (const key of Object.keys(file.attrs)) {
        attrs[key] = file.attrs[key].json_value;
      }
      const grid = file.get("grid");
      const arrays = {}, units = {};
      if (grid && grid.type === "Group") {
        for (const key of grid.keys()) {
          const ds = grid.get(key);
          if (!ds || ds.type !== "Dataset" || ds.shape.length !== 1) continue;
          const value = ds.value;
          if (typeof value === "string" || !value || value.length === undefined) continue;
          arrays[key] = value instanceof Float64Array ? value : Float64Array.from(value, Number);
          const u = ds.attrs["units"];
          units[key] = u ? String(u.json_value) : "";
        }
      }
      if (grid && !Object.keys(attrs).length) throw new Error("no root attribute could be read");
      return {attrs: JSON.stringify(attrs), arrays, units, hasGrid: !!grid};
    } catch (e) {
      throw damaged(e);
    }
  } finally {
    try { if (file) file.close(); } catch (e) { /* already failing */ }
    h5wasm.FS.unlink(path);
  }
})
"""


@lru_cache(maxsize=1)
def _js_reader():
    from pyodide.code import run_js

    return run_js(_READ_JS)


def _read_with_h5wasm(data: bytes, name: str) -> RawSliceFile:
    from pyodide.ffi import JsException, to_js

    rt = _runtime.runtime()
    try:
        result = _js_reader()(rt.h5wasm, to_js(data), name)
    except JsException as exc:
        raise SliceFileError(f"{name}: {getattr(exc, 'message', exc)}") from None
    if not result.hasGrid:
        raise SliceFileError(f"{name}: no /grid group, so not a yt save_as_dataset slice or projection")
    arrays = {}
    for key in result.arrays.object_keys():
        arr = array("d")
        arr.frombytes(getattr(result.arrays, key).to_bytes())
        arrays[key] = arr
    units = result.units.to_py()
    return RawSliceFile(attrs=json.loads(result.attrs), arrays=arrays, units=units)


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
