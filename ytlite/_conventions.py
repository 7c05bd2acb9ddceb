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
from decimal import Decimal

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


def attr_number(value) -> float | None:
    """A root attribute's value as a number: an int or a float (read as float), None for
    anything else (a bool, a string, an array: JavaScript's ``Number()`` would take some of those)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


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


# -- what a file may declare, and what a load of it needs ------------------------------------

#: HDF5's datatype classes (H5T_class_t: h5py's ``get_class()``, h5wasm's ``metadata.type``), by number
H5T_CLASSES = ("integer", "float", "time", "string", "bitfield", "opaque", "compound", "reference", "enum",
               "variable-length", "array")
#: the byte sizes read of each numeric class (h5wasm has no float16)
NUMBER_SIZES = {"integer": (1, 2, 4, 8), "float": (4, 8)}
#: the classes of attributes read (yt writes numbers, strings and booleans, an enum): any other is absent,
#: unreadable, in both readers (h5py's HDF5 crashed reading a damaged one whose string became a sequence)
ATTRIBUTE_CLASSES = ("integer", "float", "string", "enum")


def attribute_class_read(type_class) -> bool:
    """Whether an attribute of this H5T_class_t is read (``ATTRIBUTE_CLASSES``)."""
    return isinstance(type_class, int) and 0 <= type_class < len(H5T_CLASSES) and H5T_CLASSES[type_class] in ATTRIBUTE_CLASSES


def grid_dataset_problem(key: str, shape, type_class: int, size: int) -> str | None:
    """What is wrong with a dataset of ``/grid`` as declared (``shape``: a list
    of lengths, None for HDF5's null dataspace; ``type_class``: H5T_class_t;
    ``size``: bytes per value), None if it can be read: every dataset must be
    a 1-D array of float32, float64 or integer numbers. Decided from the
    file's metadata alone, before any value is read."""
    if shape is None or len(shape) != 1:
        how = "null" if shape is None else ("scalar" if len(shape) == 0 else "x".join(str(n) for n in shape))
        return f"grid/{key} is not a 1-D array (shape {how})"
    name = H5T_CLASSES[type_class] if 0 <= type_class < len(H5T_CLASSES) else f"class {type_class}"
    if size in NUMBER_SIZES.get(name, ()):
        return None
    what = f"{size}-byte {name}" if name in NUMBER_SIZES else name
    return f"grid/{key} holds {what} values, not float32, float64 or integer numbers"


#: the layouts of the numbers read (IEEE 754 binary32 and binary64; integers using all their bits), by class and
#: byte size: HDF5 lets a datatype declare others (another exponent bias or size, bits left over), which h5py
#: converts (or refuses) and h5wasm reads as raw IEEE / two's complement numbers. A real file never has one; a
#: damaged datatype message does (the readers' fuzzer found it): both readers refuse it, with this rule.
NUMBER_LAYOUTS = {
    "float": {4: {"offset": 0, "precision": 32, "sign": 31, "epos": 23, "esize": 8, "mpos": 0, "msize": 23,
                  "ebias": 127, "norm": "implied"},
              8: {"offset": 0, "precision": 64, "sign": 63, "epos": 52, "esize": 11, "mpos": 0, "msize": 52,
                  "ebias": 1023, "norm": "implied"}},
    "integer": {n: {"offset": 0, "precision": 8 * n} for n in (1, 2, 4, 8)},
}
#: the words a message uses for each property of a layout
LAYOUT_WORDS = {"order": "byte order", "offset": "bit offset", "precision": "precision", "sign": "sign bit",
                "epos": "exponent position", "esize": "exponent size", "mpos": "mantissa position",
                "msize": "mantissa size", "ebias": "exponent bias", "norm": "mantissa normalization"}


def number_layout_problem(key: str, layout) -> str | None:
    """What is wrong with the layout a dataset of ``/grid`` declares for its
    numbers (``layout``: {"cls": "float" | "integer", "size", "order":
    "little" | "big" | "vax" | ..., "offset", "precision"} and for floats
    "sign", "epos", "esize", "mpos", "msize", "ebias", "norm": "implied" |
    "msb set" | "none"; None when it could not be read: nothing to say), None
    when it is a standard one (NUMBER_LAYOUTS, either byte order)."""
    if not isinstance(layout, dict):
        return None
    size = layout.get("size")
    want = None if isinstance(size, bool) else NUMBER_LAYOUTS.get(layout.get("cls"), {}).get(size)
    if want is None:
        return None  # (another class or size: grid_dataset_problem says so)
    order = layout.get("order")
    odd = [] if order in ("little", "big") else [f"byte order {_show_layout(order)}"]
    odd += [f"{LAYOUT_WORDS[k]} {_show_layout(layout.get(k))}, not {_show_layout(v)}" for k, v in want.items()
            if isinstance(layout.get(k), bool) or layout.get(k) != v]
    if not odd:
        return None
    what = "IEEE 754 numbers" if layout["cls"] == "float" else "integers"
    return (f"grid/{key} declares {_show_layout(size)}-byte {layout['cls']} values in a layout other than "
            f"{what} ({', '.join(odd)}): a damaged file")


def _show_layout(v) -> str:
    """A layout's value as JavaScript's String() shows it (layouts hold whole numbers and words)."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


#: the wasm32 address space: everything the viewer draws lives in it
WASM_ADDRESS_SPACE = 4 * 2 ** 30
#: bytes per cell the viewer's wasm memory holds at least: its compact mesh, a cell's indices into the
#: tables of centres and widths (4 + 4 + 1) and the shown values (float64: any field may be switched to)
VIEWER_BYTES_PER_CELL = 17
#: bytes per cell of each array a host holds beside the viewer (float64)
ARRAY_BYTES_PER_CELL = 8


def viewer_bytes(cells) -> float:
    """Bytes the viewer's wasm memory needs for ``cells`` cells, at least (a
    mesh that does not compact needs more, and says so when it cannot have it)."""
    return float(cells) * float(VIEWER_BYTES_PER_CELL)


def arrays_bytes(cells, fields) -> float:
    """Bytes of the slice as float64 arrays: px, py, pdx, pdy, every field and
    the refinement level (what ``ytlite.load`` holds on CPython; in the page,
    about the file it reads plus the fields it keeps for the field switch)."""
    return float(cells) * float(ARRAY_BYTES_PER_CELL * (5 + fields))


def format_bytes(n) -> str:
    """Bytes for a message, rounded up to whole MB (whole GB from 10 GB)."""
    return f"{math.ceil(n / 1e6)} MB" if n < 1e10 else f"{math.ceil(n / 1e9)} GB"


def _count(n) -> str:
    """A whole number as JavaScript prints it: past 2**53, the double nearest it (as h5wasm's lengths are)."""
    n = float(n)
    return str(int(n)) if abs(n) < 2 ** 53 else format(Decimal(repr(n)), "f")


def too_big_to_load(name: str, cells, fields, in_use=0, available=None) -> str | None:
    """The message refusing a load of ``cells`` cells and ``fields`` fields that
    cannot be held, None when it can. Two checks: :func:`viewer_bytes` against
    the wasm32 address space less ``in_use`` (the viewer's wasm memory in use);
    then, when ``available`` is known (the machine's free memory on CPython, the
    device's memory in a browser), :func:`arrays_bytes` against it."""
    wasm = WASM_ADDRESS_SPACE - max(0, in_use)
    if viewer_bytes(cells) > wasm:
        problem = (f"need {format_bytes(viewer_bytes(cells))} in the viewer, more than the {format_bytes(max(0, wasm))} "
                   f"a wasm32 viewer can hold (4 GiB less {format_bytes(max(0, in_use))} in use)")
        remedy = ""  # (every cell is in the viewer, whatever the fields)
    elif available is not None and arrays_bytes(cells, fields) > available:
        problem = (f"need {format_bytes(arrays_bytes(cells, fields))} as float64 arrays, more than the "
                   f"{format_bytes(max(0, available))} of memory available")
        remedy = " or fewer --fields"
    else:
        return None
    return (f"{name}: {_count(cells)} cells with {_count(fields)} field(s) {problem}; "
            f"make a smaller file with `ytlite extract` and a sub-region (--region x0,x1,y0,y1){remedy}")


def global_heap_that_hangs(data) -> int | None:
    """The offset of a global heap collection of an HDF5 file (``data``: its bytes,
    e.g. a memory map) holding a free-space object of size 0, or of a size that wraps
    around (HDF5 1.14, h5py's, loops for ever on reading any string kept there), or an
    object whose size runs past the collection's end (HDF5 2.0, h5wasm's, loops for
    ever: the readers' fuzzer found both). None when there is none. Looks at every ``GCOL`` signature
    (version 1, a size of at least 4 KB that fits in the file): each object is an
    index (2 bytes), a reference count (2), 4 reserved, its size (8, little-endian)
    and its data padded to 8 bytes; index 0 is the free space, ``size`` bytes long."""
    if isinstance(data, list):
        data = bytes(data)
    end, at = len(data), data.find(b"GCOL")
    while at >= 0:
        size = int.from_bytes(data[at + 8:at + 16], "little") if at + 16 <= end else 0
        if size and data[at + 4] == 1 and 4096 <= size <= end - at:
            p, stop = at + 16, at + size
            while p + 16 <= stop:
                index, obj = int.from_bytes(data[p:p + 2], "little"), int.from_bytes(data[p + 8:p + 16], "little")
                if index == 0 and (obj == 0 or obj >= 2 ** 52):
                    return at
                if index != 0 and obj > stop - p - 16:
                    return at
                p += obj if index == 0 else 16 + (obj + 7) // 8 * 8
        at = data.find(b"GCOL", at + 4)
    return None


# The HDF5 superblock: at 0, or at 512, 1024, 2048 ... after a user block (HDF5 looks no further than this).
SUPERBLOCK_SEARCH_BYTES = 2 ** 20 + 64
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def superblock_end(head) -> int | None:
    """Where an HDF5 file's data ends as its superblock declares it (its end-of-file address: from
    the file's start, a user block included, as HDF5 writes it), from the file's first bytes ``head``
    (up to SUPERBLOCK_SEARCH_BYTES of them); None when no superblock is found there or it does not
    say (an undefined address, a size of addresses HDF5 does not write, 2**53 bytes or more). The
    address's place (HDF5 file format specification 3.0): versions 0 and 1, two addresses after the
    base address, which is 24 and 28 bytes from the signature; versions 2 and 3, after 12."""
    if isinstance(head, list):
        head = bytes(head)
    at = 0
    while at + 16 <= len(head) and at <= 2 ** 20:
        if head[at:at + 8] == _HDF5_SIGNATURE:
            version = head[at + 8]
            if version <= 1:
                size, base_at = head[at + 13], at + (24 if version == 0 else 28)
            elif version <= 3:
                size, base_at = head[at + 9], at + 12
            else:
                return None
            eof_at = base_at + 2 * size
            if size not in (2, 4, 8) or eof_at + size > len(head):
                return None
            eof = int.from_bytes(head[eof_at:eof_at + size], "little")
            return None if eof == 2 ** (8 * size) - 1 or eof >= 2 ** 53 else eof  # (all bits set: undefined)
        at = at * 2 if at else 512
    return None


def incomplete_file_problem(size, end) -> str | None:
    """The message for a file of ``size`` bytes whose superblock says its data end at ``end``
    (:func:`superblock_end`) when it is shorter: cut short, or still arriving (JupyterLab uploads a
    file a MB at a time and lists it after the first); None when it is not (or ``end`` is None)."""
    if end is None or not size < end:
        return None
    return (f"incomplete: it has {_count(size)} of its {_count(end)} bytes (still being uploaded, copied or "
            f"written? load it again once it is complete)")
