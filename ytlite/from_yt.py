"""yt's own objects in ytlite: ``ytlite.SliceViewer(obj, field)`` of a yt object.

Accepted, converted into a :class:`ytlite.SliceDataset` (the cells, the fields
with their units, the axis, the domain, the time: what ``ytlite.load`` reads
from a ``save_as_dataset`` file, see docs/data-format.md):

* a yt slice or on-axis projection of a cartesian mesh dataset:
  ``ds.slice(axis, coord)``, ``ds.proj(field, axis)`` (any frontend yt reads:
  RAMSES, AMReX, Enzo, ...). Its fields: ``field`` and ``fields`` when
  ``fields`` is given; otherwise ``field`` and those the object has computed
  already (a projection's own); with none of them, gas density;
* what ``yt.load`` gives for a ``save_as_dataset`` slice or projection file
  (a ``YTSpatialPlotDataset``), with every field of the file.

Cell centres and half widths are yt's ``px, py, pdx, pdy`` in code_length and
every field is yt's array as float64, value for value (a float32 field
converts exactly). Anything else (a whole 3-D dataset, a particle dataset, a
non-cartesian geometry, an off-axis cutting plane) is refused with a message
that says what to pass instead.

yt (and numpy) are imported only when a yt object is given: ``import ytlite``
keeps working without them, in the browser as on CPython.
"""

from __future__ import annotations

from array import array

from ._conventions import GEOMETRY_DATASETS
from ._hdf5 import ArrayReader, RawSliceFile
from .dataset import SliceDataset

#: yt's data-object types (``_type_name``) of an on-axis slice or projection
SLICE_TYPES = ("slice",)
PROJECTION_TYPES = ("proj", "quad_proj")
DEFAULT_FIELD = ("gas", "density")


class FromYTError(ValueError):
    """A yt object ytlite cannot show, with what to pass instead."""


def is_yt_object(obj) -> bool:
    """Whether ``obj`` is one of yt's objects, told without importing yt."""
    return any(cls.__module__.split(".")[0] == "yt" for cls in type(obj).__mro__)


def as_slice_dataset(obj, field=None, fields=None):
    """``obj`` itself unless it is a yt object; then ``from_yt(obj, field, fields)``."""
    if not is_yt_object(obj):
        return obj
    return from_yt(obj, field, fields)


def from_yt(obj, field=None, fields=None) -> SliceDataset:
    """The :class:`SliceDataset` of a yt slice, projection or slice/projection dataset.

    ``field``, ``fields``: names or ``(type, name)`` tuples, as for
    :class:`ytlite.SliceViewer` (they choose what a slice or projection
    object brings along; a file brings all of its fields).
    """
    saved = _saved_container_type(obj)
    if saved is not None:
        if saved in SLICE_TYPES + PROJECTION_TYPES and _is_spatial_plot_dataset(obj):
            return _from_plot_dataset(obj)
        raise FromYTError(f"{obj} is a save_as_dataset file of a yt {saved!r} object: ytlite shows files of "
                          f"slices and on-axis projections (sl.save_as_dataset(...) of ds.slice or ds.proj, "
                          f"or `python -m ytlite extract`)")
    if _is_dataset(obj):
        _check_mesh_dataset(obj)
        raise FromYTError(
            f"{obj} is a whole {obj.dimensionality}-D yt dataset: give ytlite a slice or a projection of it, "
            f"e.g. ytlite.SliceViewer(ds.slice('z', 0.5), ('gas', 'density')) or "
            f"ytlite.SliceViewer(ds.proj(('gas', 'density'), 'z')), or a file made by `python -m ytlite extract`"
        )
    kind = getattr(obj, "_type_name", None)
    if kind not in SLICE_TYPES + PROJECTION_TYPES:
        what = f"a yt {kind!r} object" if kind else f"a {type(obj).__name__}"
        hint = " (an off-axis cutting plane: ytlite draws slices along x, y or z)" if kind == "cutting" else ""
        raise FromYTError(f"ytlite shows yt slices (ds.slice) and on-axis projections (ds.proj); this is {what}{hint}")
    return _from_container(obj, field, fields)


# -- what kind of yt object ----------------------------------------------------------


def _is_dataset(obj) -> bool:
    return hasattr(obj, "field_info") and hasattr(obj, "domain_left_edge") and hasattr(obj, "index")


def _saved_container_type(obj) -> str | None:
    """A dataset yt loaded from a save_as_dataset file: the yt object type it was saved from."""
    if not (_is_dataset(obj) and any(cls.__name__ == "YTDataset" for cls in type(obj).__mro__)):
        return None
    return str(obj.parameters.get("container_type") or obj.parameters.get("data_type") or "unknown")


def _is_spatial_plot_dataset(obj) -> bool:
    return _is_dataset(obj) and any(cls.__name__ == "YTSpatialPlotDataset" for cls in type(obj).__mro__)


def _geometry(ds) -> str:
    return str(getattr(ds.geometry, "value", ds.geometry))  # an enum in yt 4.2+


def _check_mesh_dataset(ds, plot_file=False) -> None:
    geometry = _geometry(ds)
    if geometry != "cartesian":
        raise FromYTError(f"{ds} has {geometry} geometry: ytlite draws cartesian slices and projections only")
    if plot_file:
        return  # (yt indexes a slice file's cells as particles; they are cells)
    from yt.geometry.particle_geometry_handler import ParticleIndex

    if isinstance(ds.index, ParticleIndex):
        raise FromYTError(f"{ds} is a particle dataset (its index holds particles, no mesh cells): "
                          f"ytlite draws the cells of a mesh (grid, AMR or octree) slice or projection")


# -- conversion ----------------------------------------------------------------------


def _float64(values) -> array:
    import numpy as np

    return array("d", np.ascontiguousarray(np.asarray(values), dtype="<f8").tobytes())


def _code_length(ds, values):
    """yt's array (or quantity) in code_length, as a plain float64 numpy array."""
    return values.to_value("code_length") if hasattr(values, "to_value") else values


def _slice_dataset(name, attrs, arrays, units) -> SliceDataset:
    """A SliceDataset of arrays in memory (as h5py's reader gives them), with its checks."""
    raw = RawSliceFile(attrs=attrs, lengths={k: len(v) for k, v in arrays.items()}, units=units,
                       reader=ArrayReader(arrays))
    return SliceDataset(name, raw)


def _dataset_attrs(ds) -> dict:
    """The root attributes save_as_dataset writes that ytlite reads, from the dataset."""
    return {
        "domain_left_edge": [float(v) for v in _code_length(ds, ds.domain_left_edge)],
        "domain_right_edge": [float(v) for v in _code_length(ds, ds.domain_right_edge)],
        "length_unit": float(ds.length_unit.d), "length_unit_units": str(ds.length_unit.units),
        "current_time": float(ds.current_time.d), "current_time_units": str(ds.current_time.units),
        "periodicity": [bool(p) for p in ds.periodicity],
        "geometry": _geometry(ds), "dimensionality": int(ds.dimensionality),
    }


def _field_key(ds, name):
    """A field name as yt resolves it on ``ds``: its ``(type, name)``, a mesh field."""
    from yt.utilities.exceptions import YTFieldNotFound

    try:
        finfo = ds._get_field_info(name)
    except (YTFieldNotFound, KeyError, ValueError, TypeError):
        raise FromYTError(f"no field {name!r} in {ds}") from None
    if finfo.sampling_type == "particle":
        raise FromYTError(f"{','.join(finfo.name)!r} is a particle field: ytlite draws mesh fields of "
                          f"slices and projections")
    return finfo.name


def _from_container(obj, field, fields) -> SliceDataset:
    ds = obj.ds
    _check_mesh_dataset(ds)
    projection = obj._type_name in PROJECTION_TYPES
    wanted = [f for f in [field, *(fields or ())] if f is not None]
    keys = [] if fields is not None else [k for k in obj.field_data if isinstance(k, tuple) and k[1] not in GEOMETRY_DATASETS]
    keys += [_field_key(ds, f) for f in wanted]
    if not keys:
        if projection:
            raise FromYTError(f"the projection {obj} has no field: make it with ds.proj(field, axis)")
        keys = [_field_key(ds, DEFAULT_FIELD)]
    keys = list(dict.fromkeys(keys))
    names = {}
    for key in keys:
        if key[1] in GEOMETRY_DATASETS:
            raise FromYTError(f"field {','.join(key)!r}: its name clashes with the cell geometry ({', '.join(GEOMETRY_DATASETS)})")
        if key[1] in names and names[key[1]] != key:
            raise FromYTError(f"fields {','.join(names[key[1]])!r} and {','.join(key)!r} have the same name "
                              f"in ytlite: give one of them")
        names[key[1]] = key
    attrs = {**_dataset_attrs(ds), "container_type": obj._type_name, "axis": int(obj.axis)}
    if not projection:
        attrs.update(coord=float(_code_length(ds, obj.coord)), coord_units="code_length")
    elif obj.weight_field is not None:
        attrs["weight_field"] = ",".join(obj.weight_field) if isinstance(obj.weight_field, tuple) else str(obj.weight_field)
    arrays, units = {}, {}
    for key in ("px", "py", "pdx", "pdy"):
        arrays[key] = _float64(_code_length(ds, obj[key]))
        units[key] = "code_length"
    for name, key in names.items():
        values = obj[key]
        arrays[name] = _float64(values)
        units[name] = str(getattr(values, "units", ""))
    return _slice_dataset(str(ds), attrs, arrays, units)


def _from_plot_dataset(ds) -> SliceDataset:
    """A save_as_dataset slice/projection file as yt loaded it: its grid fields, its parameters."""
    _check_mesh_dataset(ds, plot_file=True)
    params = ds.parameters
    kind = str(params["container_type"])
    attrs = {**_dataset_attrs(ds), "container_type": kind, "axis": int(params["axis"])}
    if kind in SLICE_TYPES and params.get("coord") is not None:
        attrs.update(coord=float(_code_length(ds, params["coord"])), coord_units="code_length")
    data = ds.all_data()
    arrays, units = {}, {}
    for ftype, name in ds.field_list:
        if ftype != "grid" or name in ("pz", "pdz", "weight_field"):
            continue
        values = data[ftype, name]
        arrays[name] = _float64(values)
        units[name] = str(getattr(values, "units", ""))
    return _slice_dataset(str(getattr(ds, "filename", ds)), attrs, arrays, units)
