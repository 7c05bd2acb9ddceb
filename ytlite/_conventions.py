"""The rules Python and the front end must agree on, written once in Python.

Their twin is ``lite/js/core/conventions.js`` (the same rules, the same names
in camelCase); ``tests/test_conventions.py`` runs both, in CPython and in node,
on one table of edge cases. Change a rule in both files and in that table.

Every rule here is defined by IEEE arithmetic alone (``+ - * /``, comparisons,
exact exponent extraction), never by a transcendental function's last bit, so
both languages give the same answer on any CPU. Pure Python, no imports from
ytlite: every other module may import this one.
"""

from __future__ import annotations

import math
import numbers
from datetime import datetime, timedelta, timezone

AXIS_NAMES = ("x", "y", "z")
# yt's image-plane axes for a slice/projection along an axis (its cartesian
# coordinate handler's x_axis and y_axis).
IMAGE_X_AXIS = {0: 1, 1: 2, 2: 0}
IMAGE_Y_AXIS = {0: 2, 1: 0, 2: 1}

# Datasets of /grid that are cell geometry, not fields (yt writes pz/pdz for
# slices, weight_field for weighted projections).
GEOMETRY_DATASETS = ("px", "py", "pdx", "pdy", "pz", "pdz", "weight_field")
# Fields ytlite derives from the cells themselves (not stored in the file).
REFINEMENT_LEVEL = "refinement_level"
DERIVED_FIELDS = (REFINEMENT_LEVEL,)

SCALES = ("linear", "log", "symlog")


def field_name(field) -> str:
    """(Python only: the front end knows fields by their names alone.) A yt-style field key as ytlite names it: "density", ("gas", "density")
    and ("grid", "density") are all "density"."""
    if isinstance(field, tuple):
        if len(field) != 2:
            raise KeyError(f"field {field!r}: expected (field_type, field_name)")
        return field[1]
    return str(field)


def round_half_up(x: float) -> int:
    """The integer nearest ``x``, halves up: JavaScript's ``Math.round`` exactly
    (not Python's ``round``, which takes halves to even, nor ``floor(x + 0.5)``,
    which rounds 0.49999999999999994 up). ``x - floor(x)`` is exact."""
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


def image_size(view, resolution: int) -> tuple[int, int]:
    """(width, height) in pixels of the image of ``view`` (x_min, x_max, y_min,
    y_max): square pixels, the longer side ``resolution``, the shorter one
    ``resolution * short / long`` (in that order) rounded half up, at least 1."""
    w, h = view[1] - view[0], view[3] - view[2]
    if w >= h:
        return resolution, max(1, round_half_up(resolution * h / w))
    return max(1, round_half_up(resolution * w / h)), resolution


def _usable_width(w) -> bool:
    return w > 0 and math.isfinite(w)


def level_of(coarsest: float, width: float) -> float:
    """The refinement level of a cell ``width`` wide below a coarsest cell
    ``coarsest`` wide: ``k`` for ``coarsest / 2**k``. A ratio between powers of
    two goes to the nearer one in the geometric sense: with ``r = m * 2**e``
    (``1 <= m < 2``, exact), ``e + 1`` when ``m * m >= 2`` (IEEE product), else
    ``e``. NaN when the width is not positive and finite or the ratio overflows."""
    if not _usable_width(width):
        return math.nan
    r = coarsest / width
    if not math.isfinite(r) or r <= 0:
        return math.nan
    m, e = math.frexp(r)  # r = m * 2**e, 0.5 <= m < 1
    m, e = m * 2, e - 1  # 1 <= m < 2 (exact)
    return float(e + 1 if m * m >= 2 else e)


def refinement_level(pdx) -> list[float]:
    """Each cell's level: 0 for the coarsest cell in the file (the largest
    positive finite half width; 1 if there is none), +1 per halving of the
    width (see :func:`level_of`)."""
    coarsest = max((w for w in pdx if _usable_width(w)), default=1.0)
    return [level_of(coarsest, w) for w in pdx]


def all_positive(values) -> bool:
    """Whether no value is <= 0 (NaN does not count against it)."""
    return not any(v <= 0 for v in values)


def default_scale(name: str, positive: bool, chosen=None) -> str:
    """The colour scale a field is usually shown with, as yt chooses it:
    ``linear`` for the refinement level, else ``log`` when every value is
    positive (``positive``, see :func:`all_positive`), else ``symlog``;
    ``chosen`` (a site's choice for this field, see :func:`site_choices`)
    wins when it is one of SCALES."""
    if chosen in SCALES:
        return chosen
    if name in DERIVED_FIELDS:
        return "linear"
    return "log" if positive else "symlog"


def default_field(field_list, chosen=None) -> str | None:
    """The field shown first: ``chosen`` (a site's choice, see
    :func:`site_choices`) when the file has it, else density when there is
    one, else the first field in sorted order (None when there is none)."""
    names = sorted(field_list)
    if chosen in names:
        return chosen
    if "density" in names:
        return "density"
    return names[0] if names else None


#: the file attributes a site build writes from ytlite.toml's [datasets."..."]
#: (field, cmap, scale, view): what the viewer shows first, in a notebook and on the kiosk
SITE_CHOICE_ATTRS = {"field": "ytlite_field", "cmap": "ytlite_cmap", "scale": "ytlite_scale", "view": "ytlite_view"}


def site_choices(attrs) -> dict:
    """{field, cmap, scale: str; view: [x_min, x_max, y_min, y_max]} of a
    file's attributes: the text ones that are non-empty strings, the view
    when it is 4 finite numbers with min < max (anything else is no choice)."""
    out = {}
    for key, attr in SITE_CHOICE_ATTRS.items():
        value = attrs.get(attr) if hasattr(attrs, "get") and not isinstance(attrs, (str, bytes)) else None
        if key == "view":
            view = view_or_none(value)
            if view is not None:
                out[key] = view
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value:
            out[key] = value
    return out


def view_or_none(value) -> list | None:
    """``value`` as a view [x_min, x_max, y_min, y_max] (4 finite numbers,
    min < max on both axes), or None when it is not one."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or len(value) != 4:
        return None
    # (numbers only: not text, not bool; numpy's scalars are numbers.Real)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        return None
    view = [float(v) for v in value]
    if not all(math.isfinite(v) for v in view) or not (view[0] < view[1] and view[2] < view[3]):
        return None
    return view


def length_unit_choices(length_unit, period, cm_per_unit: dict) -> dict:
    """{unit name: value of one code_length in it} for the units that make
    sense for a domain of size ``max(period)`` (it spans 1e-3 to 1e6 of them),
    always with code_length and the dataset's own unit. ``length_unit`` is
    (value, unit) of one code_length; ``cm_per_unit`` {unit: its length in cm}
    (from unyt at build time), in the order the choices are listed."""
    value, unit = length_unit
    out = {"code_length": 1.0}
    if unit in cm_per_unit:
        code_cm = value * cm_per_unit[unit]
        size = max(period)
        for name, cm in cm_per_unit.items():
            factor = code_cm / cm
            if name == unit or 1e-3 <= size * factor <= 1e6:
                out[name] = factor
    elif unit != "code_length":
        out[unit] = value
    return out


def auto_linthresh(vmin: float, vmax: float) -> float:
    """The automatic symlog linear threshold: 1/1000 of the largest magnitude
    shown, or 1 when that is 0 or a limit is not finite (NaN included, as
    JavaScript's ``Math.max`` propagates it)."""
    if not (math.isfinite(vmin) and math.isfinite(vmax)):
        return 1.0
    big = max(abs(vmin), abs(vmax))
    return big / 1000 if big > 0 else 1.0


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def listing_time_ms(text) -> int | None:
    """A time as JupyterLite's contents listing writes it (ISO 8601, e.g.
    ``2026-12-04T16:10:11.123456Z``) in whole milliseconds since 1970, cut as
    JavaScript's ``Date.parse`` cuts it (which gives the drive's mtime); None
    when it is not such a time."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return (when - _EPOCH) // timedelta(milliseconds=1)


def is_shipped_copy(entry, path: str, size: int, mtime_ms: int) -> bool:
    """Whether the drive's file ``path`` (``size`` bytes, modified at
    ``mtime_ms``) is the file shipped with the site: its static listing's
    ``entry`` names the same path, size and time. A file uploaded, dropped or
    rewritten in the browser under the same name differs in one of them, and
    its stored copy is what must be read."""
    if not isinstance(entry, dict):
        return False
    return (entry.get("path") == path and entry.get("size") == size
            and listing_time_ms(entry.get("last_modified")) == mtime_ms)
