"""A dataset (or a stack of slices) as the viewer's traits: its cells and
fields, units, axes, domain, and where the page can read the file itself.

The viewer sends either ``_source`` (files the page reads with its own h5wasm,
see ``ytlite._drive.drive_source``) or the arrays, never both: the arrays are
float64 little-endian bytes, each field's sent once."""

from __future__ import annotations

import pathlib

from . import _conventions as conventions
from ._assets import length_units_cm
from ._conventions import AXIS_NAMES, field_name
from ._drive import drive_source
from ._viewable import is_stack, open_viewable


def length_unit_choices(ds) -> dict:
    """{unit name: value of one code_length in it} for the units that make
    sense for this domain (see ``_conventions.length_unit_choices``)."""
    return conventions.length_unit_choices(ds.length_unit, ds.period, length_units_cm())


def dataset_traits(ds, field=None, fields=None, depth=None):
    """``(traits, dataset, stack)``: the traits that describe ``ds`` (a path,
    a dataset, a yt object, or a stack shown at ``depth``), the slice shown and
    the stack (``None`` for one slice). Errors name the bad argument."""
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
    source = _sources(ds, stack)
    state = dict(
        field_units={n: ds.units(n) for n in names}, field=field,
        # (a page that reads the file itself scans the others' signs as it reads them, and adds their
        # scales (widget.js: addFieldScales); scanning them here would read every field in the kernel first)
        field_scales={n: ds.default_scale(n) for n in names if n == field or not source or ds.knows_scale(n)},
        length_units=units, length_unit=ds.length_unit[1] if ds.length_unit[1] in units else "code_length",
        domain=list(ds.domain_bounds), view=ds.default_view(), period=list(ds.period),
    )
    if stack is None:
        state.update(info=_axis_info(ds), depth=0, depth_coords=[], depth_meshes=[], _source=source)
    else:
        state.update(px=b"", py=b"", pdx=b"", pdy=b"", fields={n: b"" for n in names}, _source=source,
                     depth=depth, depth_coords=[float(c) for c in stack.coords], depth_meshes=[],
                     info={**_axis_info(ds), "name": pathlib.PurePath(stack.filename).name, "stack": len(stack)})
    state.update(mesh_traits(ds, stack, names, with_arrays=not source))
    return state, ds, stack


def mesh_traits(ds, stack, names, with_arrays) -> dict:
    """The cells as traits: the arrays (``with_arrays``), or only the field names."""
    if stack is None:
        if not with_arrays:
            return dict(px=b"", py=b"", pdx=b"", pdy=b"", fields={n: b"" for n in names})
        return _mesh_arrays(ds, names)
    return dict(depth_meshes=[_mesh_arrays(stack[i], names) for i in range(len(stack))] if with_arrays else [])


def _mesh_arrays(ds, names) -> dict:
    return dict(px=ds.px.tobytes(), py=ds.py.tobytes(), pdx=ds.pdx.tobytes(), pdy=ds.pdy.tobytes(),
                fields={n: ds[n].tobytes() for n in names})


def _sources(ds, stack) -> dict:
    """``_source`` for a dataset (or a stack) whose files the page can read
    itself, else ``{}``: ``{"files": [{path, name, size, mtime_ms[, cells]}]}``,
    one per slice (see ytlite._drive.drive_source)."""
    if stack is None:
        source = getattr(ds, "source", None)
        return {"files": [{**source, "cells": ds.num_cells}]} if source else {}
    files = [drive_source(f) for f in stack.files]
    return {"files": files} if all(files) else {}


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
