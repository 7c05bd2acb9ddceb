"""One table of edge cases through both copies of each shared rule:
ytlite/_conventions.py (CPython) and lite/js/core/conventions.js (node).
Every rule is IEEE arithmetic, so the two must agree exactly, and where a
value is defined from outside (JavaScript's Math.round, Date.parse, powers
of two) the test says so."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from ytlite import _conventions as py

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "tests" / "support" / "conventions_runner.mjs"
NAN, INF = math.nan, math.inf
TINY = 5e-324
SQRT_HALF = 2 ** -0.5

ROUND_CASES = [0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, 1.4999999999999998, 2.5000000000000004,
               4503599627370495.5, 1e300, 0.0, 3.0, 170.66666666666666]
VIEWS = [
    ([0, 1024, 0, 5], 512),  # 2.5 rows: halves up (Python's round gave 2)
    ([0, 5, 0, 1024], 512),
    ([0, 2048, 0, 10], 512), ([0, 2048, 0, 5], 512), ([0, 1024, 0, 1], 512),
    ([-20, 20, -10, 10], 512), ([0, 1, 0, 8], 512), ([0, 1e-9, 0, 1], 512), ([0, 3, 0, 1], 512),
    ([0, 1, 0, 1], 16), ([0.1, 0.7, 0.2, 0.5], 300), ([-1e-300, 1e-300, 0, 1e-300], 8192),
]
WIDTHS = [1, 0.5, 0.25, 2 ** -30, 2 ** -2.5, SQRT_HALF, math.nextafter(SQRT_HALF, 0), math.nextafter(SQRT_HALF, 1),
          1 / 3, 3 / 8, 0.3, 0, -1, NAN, INF, -INF, TINY, 1e-300]
PDX = [[1, 0.5, 0.25, 0.125], [0.3, 0.15, 0.1, 0.075], [NAN, 1, 0.5], [0, -1], [], [2.0], [1e-3, 5e-4, 3e-4, 1e-4]]
VALUES = [[1, 2], [1, 0], [NAN, 1], [-0.0], [INF], [-INF], [], [NAN], [1e-300, -1e-300]]
LENGTH_TABLE = {"cm": 1.0, "m": 100.0, "km": 1e5, "au": 1.495978707e13, "pc": 3.0856775814913673e18,
                "kpc": 3.0856775814913673e21, "Mpc": 3.0856775814913673e24}
LENGTH_CASES = [
    ([3.0856775814913673e18, "cm"], [40, 40]), ([1.0, "kpc"], [1, 1]), ([1.0, "code_length"], [2, 1]),
    ([2.5, "furlong"], [1, 1]), ([1.0, "Mpc"], [0, 0]), ([1.0, "pc"], [1e-3, 1e-9]), ([1e-5, "m"], [1, 2]),
]
TIMES = ["2026-12-04T16:10:11.123456Z", "2026-12-04T16:10:11Z", "2026-12-04T16:10:11.5Z",
         "2026-12-04T16:10:11.999999Z", "2026-12-04T18:10:11.123+02:00", "2026-12-04T16:10:11", "garbage",
         12, None, "1969-12-31T23:59:59.9995Z", "2026-12-04"]
SHIPPED = {"path": "data/a.h5", "size": 10, "last_modified": "2026-12-04T16:10:11.123456Z"}


def cases():
    out = [(name, []) for name in ("AXIS_NAMES", "IMAGE_X_AXIS", "IMAGE_Y_AXIS", "GEOMETRY_DATASETS",
                                   "REFINEMENT_LEVEL", "DERIVED_FIELDS", "SCALES", "ATTRIBUTE_CLASSES")]
    out += [("attribute_class_read", [c]) for c in (-1, 0, 1, 2, 3, 5, 8, 9, 10, 11, 1.5, None, "3")]
    out += [("round_half_up", [x]) for x in ROUND_CASES]
    out += [("image_size", [v, r]) for v, r in VIEWS]
    out += [("level_of", [c, w]) for c in (1, 8, 3, 1e300) for w in WIDTHS]
    out += [("refinement_level", [p]) for p in PDX]
    out += [("all_positive", [v]) for v in VALUES]
    out += [("default_scale", [n, p]) for n in ("density", "velocity_x", "refinement_level") for p in (True, False)]
    out += [("default_field", [f]) for f in (["temperature", "density"], ["b", "a"], [], ["density"])]
    # a site's choices (ytlite.toml, written into the file's attributes)
    out += [("default_scale", [n, p, c]) for n in ("density", "refinement_level") for p in (True, False)
            for c in ("linear", "symlog", "log", "loog", "", None)]
    out += [("default_field", [f, c]) for f in (["temperature", "density"], [], ["a"])
            for c in ("temperature", "density", "nope", "", None)]
    out += [("site_choices", [a]) for a in (
        {}, {"ytlite_field": "temperature", "ytlite_cmap": "viridis", "ytlite_scale": "linear"},
        {"ytlite_field": "", "ytlite_cmap": 3, "ytlite_scale": None, "other": "x"}, {"ytlite_cmap": "magma"},
        None, [], "ytlite_field")]
    # a site's first view: 4 finite numbers with min < max, else no choice
    out += [("site_choices", [{"ytlite_view": v, "ytlite_cmap": "magma"}]) for v in (
        [0, 1, 0, 1], [-0.5, 0.25, 1e-300, 2e-300], [0, 1, 0], [0, 1, 0, 1, 2], [1, 0, 0, 1], [0, 1, 1, 1],
        [0, NAN, 0, 1], [0, INF, 0, 1], ["0", "1", "0", "1"], [True, 2, 0, 1], "0,1,0,1", {"a": 1}, None, 3)]
    out += [("view_or_none", [v]) for v in ([0.5, 1, 2, 3], [3, 2, 1, 0], [], [0, 1, 0, NAN])]
    out += [("SITE_CHOICE_ATTRS", [])]
    out += [("length_unit_choices", [u, p, LENGTH_TABLE]) for u, p in LENGTH_CASES]
    generated = ROOT / "ytlite" / "_generated" / "length_units.json"
    if generated.exists():  # the table the site ships (from unyt, at build time)
        table = json.loads(generated.read_text())
        out += [("length_unit_choices", [u, p, table]) for u, p in LENGTH_CASES]
    out += [("auto_linthresh", list(a)) for a in ((0, 0), (-5, 2), (1e-30, 3e-30), (-INF, 1), (1, NAN), (NAN, 1),
                                                  (-1e308, 1e308), (0, -0.0))]
    out += [("listing_time_ms", [t]) for t in TIMES]
    out += [("is_shipped_copy", [e, "data/a.h5", 10, 1796400611123]) for e in (
        SHIPPED, {**SHIPPED, "size": 11}, {**SHIPPED, "path": "a.h5"}, {**SHIPPED, "last_modified": "2026-12-04T16:10:11.124Z"},
        {**SHIPPED, "last_modified": "2026-12-04T16:10:11.123Z"}, None, {})]
    heap = list(b"GCOL\x01\x00\x00\x00" + (4096).to_bytes(8, "little"))
    obj = lambda i, n: list(i.to_bytes(2, "little") + bytes(6) + n.to_bytes(8, "little"))  # noqa: E731
    out += [("global_heap_that_hangs", [d]) for d in (
        [], list(b"GCOL"), heap + obj(1, 3) + [1, 2, 3, 0, 0, 0, 0, 0] + obj(0, 4056) + [0] * 4056,  # a good one
        heap + obj(1, 3) + [1, 2, 3, 0, 0, 0, 0, 0] + obj(0, 0) + [0] * 4056,  # free space of size 0
        [9] * 10 + heap + obj(0, 2 ** 63) + [0] * 4064, heap + [0] * 100,  # (too short: not a collection)
        heap[:4] + [2] + heap[5:] + obj(0, 0) + [0] * 4064,  # (version 2: not a collection)
        heap + obj(1, 2 ** 37 + 5) + [0] * 4064, heap + obj(1, 4064) + [0] * 4064,  # an object past the end
        heap + obj(1, 4065) + [0] * 4064, heap + obj(1, 2 ** 64 - 1) + [0] * 4064)]  # (and one just inside)
    # superblocks (versions 0 and 2, 8-byte addresses; 4-byte ones; after a user block; undefined, odd, cut)
    sig = list(b"\x89HDF\r\n\x1a\n")
    u = lambda v, n=8: list(v.to_bytes(n, "little"))  # noqa: E731
    v0 = sig + [0, 0, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0, 0, 0, 0, 0] + u(0) + u(2 ** 64 - 1) + u(4389960) + u(2 ** 64 - 1)
    v1 = sig + [1, 0, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0, 0, 0, 0, 0, 32, 0, 0, 0] + u(0) + u(0) + u(1234) + u(0)
    v2 = sig + [2, 8, 8, 0] + u(0) + u(2 ** 64 - 1) + u(2048) + u(96) + [1, 2, 3, 4]
    v3_4 = sig + [3, 4, 4, 0] + u(0, 4) + u(2 ** 32 - 1, 4) + u(800, 4) + u(48, 4) + [1, 2, 3, 4]
    user = [0] * 512 + sig + [0, 0, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0, 0, 0, 0, 0] + u(512) + u(0) + u(1212) + u(0)
    out += [("SUPERBLOCK_SEARCH_BYTES", [])]
    out += [("superblock_end", [h]) for h in (
        v0, v1, v2, v3_4, user, [7] * 100 + v0, [0] * 1024 + v2, v0[:44], v2[:40],
        v0[:40] + u(2 ** 64 - 1) + v0[48:], v0[:13] + [16] + v0[14:], sig + [4] + v2[9:], [], list(b"not HDF5 at all"),
        v0[:40] + u(2 ** 53 - 1) + v0[48:], v0[:40] + u(2 ** 53) + v0[48:], v0[:40] + u(2 ** 64 - 2) + v0[48:])]
    out += [("incomplete_file_problem", list(a)) for a in (
        (1572864, 4389960), (4389960, 4389960), (4389961, 4389960), (0, 96), (0, None), (100, None), (2 ** 52, 2 ** 53 - 1))]
    out += [("attr_number", [v]) for v in (2, 2.5, -0.0, NAN, INF, True, False, "2", "", [2], [], None, {}, 2 ** 60)]
    # what a file may declare (before any value is read), and what a load of it needs
    out += [(n, []) for n in ("H5T_CLASSES", "NUMBER_SIZES", "WASM_ADDRESS_SPACE", "VIEWER_BYTES_PER_CELL",
                              "ARRAY_BYTES_PER_CELL")]
    out += [("grid_dataset_problem", ["px", *a]) for a in (
        ([4], 1, 8), ([4], 1, 4), ([4], 0, 1), ([4], 0, 8), ([0], 1, 8), ([4], 1, 2), ([4], 1, 16), ([4], 0, 3),
        ([4], 3, 8), ([4], 3, 4), ([4], 6, 12), ([4], 8, 1), ([4], 9, 16), ([4], 10, 24), ([4], 11, 8), ([4], -1, 8),
        ([4, 4], 1, 8), ([], 1, 8), (None, 1, 8), ([2, 3, 4], 3, 1), ([2000000000], 1, 8))]
    ieee8 = {"cls": "float", "size": 8, "order": "little", "offset": 0, "precision": 64, "sign": 63, "epos": 52,
             "esize": 11, "mpos": 0, "msize": 52, "ebias": 1023, "norm": "implied"}
    int4 = {"cls": "integer", "size": 4, "order": "big", "offset": 0, "precision": 32}
    out += [("NUMBER_LAYOUTS", []), ("LAYOUT_WORDS", [])]
    out += [("number_layout_problem", ["density", lay]) for lay in (
        ieee8, {**ieee8, "order": "big"}, {**ieee8, "ebias": 1023 + 2 ** 24}, {**ieee8, "esize": 3},
        {**ieee8, "order": "vax"}, {**ieee8, "order": None}, {**ieee8, "norm": "msb set", "precision": 48},
        {**ieee8, "size": 4}, {**ieee8, "size": 4, "precision": 32, "sign": 31, "epos": 23, "esize": 8, "msize": 23,
                               "ebias": 127}, {**ieee8, "size": 2}, {**ieee8, "size": True}, {**ieee8, "sign": True},
        {**ieee8, "ebias": 1023.0}, {**ieee8, "ebias": 1022.5}, {**ieee8, "cls": "string"},
        int4, {**int4, "size": 8}, {**int4, "offset": 3, "precision": 29}, {**int4, "order": "little"}, {"cls": "integer"},
        {}, None, [], "float")]
    out += [("viewer_bytes", [c]) for c in (1, 4, 2_000_000_000, 60_000_000, 2 ** 53, 0, 18446744073709551615)]
    out += [("arrays_bytes", [c, f]) for c, f in ((1, 0), (4, 2), (2_000_000_000, 1), (60_000_000, 1), (2 ** 53, 3),
                                                 (0, 5), (18446744073709551615, 1))]
    out += [("format_bytes", [n]) for n in (0, 1, 999_999, 1_000_000, 1_000_001, 9_999_999_999, 1e10, 1e10 + 1,
                                            4 * 2 ** 30, 1.14e11, 1e21)]
    gib = 2 ** 30
    out += [("too_big_to_load", ["f.h5", c, f, u, a]) for c, f, u, a in (
        (4, 2, 0, None), (2_000_000_000, 1, 0, None), (60_000_000, 1, 0, None), (60_000_000, 1, 3 * gib, None),
        (60_000_000, 4, 0, None), (50_000_000, 5, 0, None), (50_000_000, 5, 0, 4 * gib), (60_000_000, 1, 0, 2 * gib),
        (60_000_000, 1, 3 * gib, 2 * gib), (60_000_000, 1, 0, 3 * gib),  # (the wasm check first)
        (10_000_000, 1, 5 * gib, None), (1, 0, 0, 0), (1, 0, 0, 39), (1, 0, 0, 40), (1, 2, 0, 55), (1, 2, 0, 56),
        (1, 0, 4 * gib - 17, None), (1, 0, 4 * gib - 16, None), (252_645_135, 1, 0, None), (252_645_136, 1, 0, None),
        (252_645_136, 1, 100, None), (18446744073709551615, 1, 0, None))]
    return out


def camel(name):
    if name.isupper():
        return name
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def encode(v):
    if isinstance(v, float) and not math.isfinite(v):
        return {"$num": "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")}
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return {str(k): encode(x) for k, x in v.items()}
    return v


def run_python(rule, args):
    value = getattr(py, rule)
    try:
        return {"value": json.loads(json.dumps(encode(value(*args) if callable(value) else value)))}
    except Exception as exc:  # noqa: BLE001 -- the same case must fail in JS too
        return {"error": str(exc)}


@pytest.fixture(scope="module")
def both():
    table = cases()
    proc = subprocess.run(["node", RUNNER], input=json.dumps([[camel(r), encode(a)] for r, a in table]),
                          capture_output=True, text=True, check=True, cwd=ROOT)
    # (JS writes a large float such as 3.0856775814913674e18 as 3085677581491367400: read it as a float)
    return table, json.loads(proc.stdout, parse_int=float)


def test_every_rule_gives_the_same_answer_in_python_and_javascript(both):
    table, js = both
    assert len(js) == len(table)
    differ = [(rule, args, run_python(rule, args), j) for (rule, args), j in zip(table, js)
              if run_python(rule, args) != j]
    assert not differ, "\n".join(f"{r}{tuple(a)}: Python {p}, JS {j}" for r, a, p, j in differ)


def test_every_python_rule_is_in_the_table():
    shared = {n for n in dir(py) if not n.startswith("_") and (n.isupper() or callable(getattr(py, n)))}
    python_only = {"field_name", "annotations", "datetime", "timedelta", "timezone", "math", "Decimal"}
    assert shared - python_only <= {rule for rule, _ in cases()}


def test_the_defined_values():
    """What the rules are, from outside the code: Math.round's halves up,
    powers of two, the rounding case the viewer once got wrong."""
    assert [py.round_half_up(x) for x in (2.5, -2.5, 0.49999999999999994, 1.5)] == [3, -2, 0, 2]
    assert py.image_size([0, 1024, 0, 5], 512) == (512, 3)  # 2.5 rows -> 3, as the browser draws it
    assert py.image_size([0, 5, 0, 1024], 512) == (3, 512)
    assert [py.level_of(1, 2.0 ** -k) for k in range(40)] == list(range(40))
    assert py.level_of(1, 3 / 8) == 1 and py.level_of(3, 1) == 2  # nearer power of two (2.67 -> 2, 3 -> 4)
    assert math.isnan(py.level_of(1, 0)) and math.isnan(py.level_of(1, TINY))
    assert py.refinement_level([0.3, 0.15, 0.075]) == [0, 1, 2]
    assert py.default_scale("velocity_x", py.all_positive([1, -1])) == "symlog"
    assert py.auto_linthresh(-5, 2) == 5 / 1000
    assert py.listing_time_ms("1970-01-01T00:00:01.0019Z") == 1001


def test_the_memory_rule_from_outside():
    """The estimates against what the hosts hold (the viewer's compact mesh is
    measured in test_compact_mesh.py; float64 arrays are 8 bytes a value) and
    what wasm32 can address; the classes against h5py's own numbering."""
    import h5py
    import numpy as np

    assert py.viewer_bytes(1) == 4 + 4 + 1 + 8  # the compact mesh's indices (x, y, widths); a float64 value
    assert py.arrays_bytes(1, 2) == (4 + 2 + 1) * 8  # px, py, pdx, pdy, two fields, the level
    assert py.WASM_ADDRESS_SPACE == 2 ** 32
    for dtype, ok in ((np.float64, True), (np.float32, True), (np.int8, True), (np.uint64, True), (np.float16, False),
                      (h5py.string_dtype(), False), (np.dtype([("a", "f8")]), False), (np.bool_, False)):
        tid = h5py.h5t.py_create(np.dtype(dtype), logical=True)
        assert (py.grid_dataset_problem("k", [3], tid.get_class(), tid.get_size()) is None) == ok, dtype
    assert py.H5T_CLASSES[h5py.h5t.COMPOUND] == "compound" and py.H5T_CLASSES[h5py.h5t.ENUM] == "enum"
    assert py.H5T_CLASSES[h5py.h5t.ARRAY] == "array" and py.H5T_CLASSES[h5py.h5t.STRING] == "string"
    # the file: 2e9 declared cells cannot be viewed; 12 k cells can
    assert "2000000000 cells with 1 field(s) need 34 GB in the viewer" in py.too_big_to_load("f.h5", 2_000_000_000, 1)
    assert py.too_big_to_load("f.h5", 12_289, 4) is None
    # a production slice the viewer holds: 50 M cells, 5 fields (0.85 GB of wasm), where the machine has room
    assert py.too_big_to_load("f.h5", 50_000_000, 5, 0, 8 * 2 ** 30) is None
    assert "need 4000 MB as float64 arrays, more than the 2148 MB" in py.too_big_to_load("f.h5", 50_000_000, 5, 0, 2 ** 31)
