"""Row bands through the built wasm module (node): ``RowBand.depositRows`` /
``depositRowsPeriodic`` for every band of a split of the image, put together
in row order, give the bytes of ``FixedResolutionBuffer.deposit`` /
``depositPeriodic`` of the whole image (so yt's picture: the whole deposit is
checked against yt by ``test_wasm_parity.py``).

Meshes: every real slice in ``shared/data/slices`` (skipped if absent) and the
demo slice and projection. Splits: K = 1, 2, 3, 7 bands of ``ceil(h / K)``
rows (the last shorter; K = 7 deposited last band first), a band per row on a
small image, uneven cuts. Views: the data's extent, zoomed off-centre, partly
outside the domain; antialiased or not; periodic where the file is.

All the wasm work runs in one node process (``support/wasm_runner.mjs``); the
whole images are written by the runner and hashed here, the banded images are
hashed by the runner (sha256 of the raw f64 bytes, NaN bits included).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest

from support.paths import REAL_SLICES, ROOT

GENERATED = ROOT / "ytlite" / "_generated"
RUNNER = Path(__file__).resolve().parent / "support" / "wasm_runner.mjs"
GEOMETRY = ("px", "py", "pdx", "pdy", "pz", "pdz")
X_AXIS = {0: 1, 1: 2, 2: 0}
Y_AXIS = {0: 2, 1: 0, 2: 1}

pytestmark = pytest.mark.skipif(
    not (GENERATED / "ytlite_pixelizer_bg.wasm").exists(), reason="wasm module not built (python3 build.py build)"
)


def split(h: int, k: int) -> list[list[int]]:
    """K bands of ceil(h / K) rows, the last shorter (fewer if K > h)."""
    step = -(-h // k)
    return [[r, min(r + step, h)] for r in range(0, h, step)]


def uneven(h: int) -> list[list[int]]:
    cuts = sorted({1, h // 3, h // 3 + 1, h - 1} - {0, h})
    edges = [0, *cuts, h]
    return [[a, b] for a, b in zip(edges, edges[1:])]


@dataclass
class Case:
    id: str
    mesh: str
    width: int
    height: int
    bounds: list
    antialias: bool
    period: list | None
    splits: dict  # name -> bands


def _mesh_info(path: Path):
    with h5py.File(path, "r") as h:
        g = h["grid"]
        fields = sorted(k for k in g if k not in GEOMETRY and k != "weight_field")
        arrays = {k: np.ascontiguousarray(g[k][:], dtype=np.float64) for k in ("px", "py", "pdx", "pdy", fields[0])}
        periodic = bool(np.all(h.attrs["periodicity"]))
        axis = int(h.attrs["axis"])
        dw = np.asarray(h.attrs["domain_right_edge"]) - np.asarray(h.attrs["domain_left_edge"])
    period = [float(dw[X_AXIS[axis]]), float(dw[Y_AXIS[axis]])] if periodic else None
    return arrays, fields[0], period


def _views(px, py, pdx, pdy):
    x0, x1 = float((px - pdx).min()), float((px + pdx).max())
    y0, y1 = float((py - pdy).min()), float((py + pdy).max())
    w, h = x1 - x0, y1 - y0
    cx, cy = x0 + 0.37 * w, y0 + 0.61 * h
    return {
        "extent": [x0, x1, y0, y1],
        "zoom4": [cx - w / 8, cx + w / 8, cy - h / 8, cy + h / 8],
        "partly_outside": [x0 - 0.3 * w, x1 - 0.3 * w, y0 + 0.45 * h, y1 + 0.45 * h],
    }


def _cases_for(key: str, arrays, period):
    views = _views(*(arrays[k] for k in ("px", "py", "pdx", "pdy")))
    cases = []
    for view, bounds in views.items():
        for (w, h), aa, per in [
            ((333, 215), True, None),
            ((333, 215), False, None),
            ((256, 129), True, period),
        ]:
            if per is None and (w, h) == (256, 129):
                continue
            splits = {f"K{k}": split(h, k) for k in (1, 2, 3, 7)}
            splits["K7"] = splits["K7"][::-1]  # last band first
            splits["uneven"] = uneven(h)
            cases.append(Case(f"{key}-{view}-{w}x{h}-aa{int(aa)}-{'per' if per else 'noper'}", key, w, h, bounds, aa, per, splits))
        # a band per row on a small image
        cases.append(Case(f"{key}-{view}-23x17-rows", key, 23, 17, bounds, True, period, {"rows": split(17, 17)}))
    return cases


@pytest.fixture(scope="module")
def batch(tmp_path_factory, demo_dir):
    d = tmp_path_factory.mktemp("bands")
    files = [*REAL_SLICES, demo_dir / "amr_demo_slice.h5", demo_dir / "amr_demo_proj.h5"]
    setup, jobs, cases = [], [], []
    for path in files:
        key = path.stem
        arrays, fld, period = _mesh_info(path)
        md = d / key
        md.mkdir()
        step = {"op": "mesh", "name": key}
        for k, name in (("px", "px"), ("py", "py"), ("pdx", "pdx"), ("pdy", "pdy"), (fld, "values")):
            arrays[k].astype("<f8").tofile(md / f"{name}.f64")
            step[name] = str(md / f"{name}.f64")
        setup.append(step)
        for c in _cases_for(key, arrays, period):
            cases.append(c)
            steps = [
                {"op": "frb", "name": "f", "width": c.width, "height": c.height},
                {"op": "deposit", "frb": "f", "mesh": key, "bounds": c.bounds, "antialias": c.antialias, "period": c.period},
                {"op": "saveValues", "frb": "f", "path": str(d / f"{c.id}.f64")},
            ]
            for n, (name, bands) in enumerate(c.splits.items()):
                steps.append({"op": "bands", "mesh": key, "width": c.width, "height": c.height, "bounds": c.bounds,
                              "antialias": c.antialias, "period": c.period, "bands": bands, "copy": n % 2 == 1,
                              "as": name})
            jobs.append({"id": c.id, "steps": steps})
    # errors: an empty band, a band past the image, a bad size, bad bounds, a bad period
    err = [
        ("empty", {"row0": 5, "row1": 5}),
        ("reversed", {"row0": 6, "row1": 2}),
        ("past_height", {"row0": 10, "row1": 18}),
        ("zero_width", {"width": 0}),
        ("bad_bounds", {"bounds": [1, 0, 0, 1]}),
        ("bad_period", {"period": [0, 1]}),
    ]
    key0 = files[0].stem
    for name, over in err:
        s = {"op": "depositRows", "band": "b", "mesh": key0, "bounds": [0, 1, 0, 1], "width": 8, "height": 17,
             "row0": 0, "row1": 4, "antialias": True, "period": None, **over}
        if s["period"] is None:
            s.pop("period")
        jobs.append({"id": f"error-{name}", "steps": [{"op": "band", "name": "b"}, s]})
    spec = d / "jobs.json"
    spec.write_text(json.dumps({"setup": setup, "jobs": jobs}))
    out = d / "results.json"
    subprocess.run(["node", str(RUNNER), str(spec), str(out)], check=True, timeout=900)
    return d, {c.id: c for c in cases}, json.loads(out.read_text())


def _case_ids():
    # ids only (the meshes are read by the fixture): real slices + demo files
    keys = [p.stem for p in REAL_SLICES] + ["amr_demo_slice", "amr_demo_proj"]
    return keys


@pytest.mark.parametrize("key", _case_ids())
def test_bands_equal_the_whole_image(batch, key):
    d, cases, results = batch
    mine = [c for c in cases.values() if c.mesh == key]
    assert mine, key
    covered = 0
    for c in mine:
        r = results[c.id]
        assert r["ok"], f"{c.id}: {r['error']}"
        whole = (d / f"{c.id}.f64").read_bytes()
        assert len(whole) == 8 * c.width * c.height
        sha = hashlib.sha256(whole).hexdigest()
        for name, bands in c.splits.items():
            seen = r["returns"][name]
            assert seen == [[c.width, c.height, a, b, (b - a) * c.width] for a, b in bands], (c.id, name)
            assert r["returns"][f"{name}_sha256"] == sha, f"{c.id}: {name} bands {bands} differ from the whole image"
        covered += int(np.isfinite(np.frombuffer(whole, dtype="<f8")).sum())
    assert covered > 0, f"{key}: no case covers any pixel"


def test_cases_cover_the_brief():
    """K = 1, 2, 3, 7, a band per row, the last band shorter, uneven cuts."""
    h = 215
    assert [len(split(h, k)) for k in (1, 2, 3, 7)] == [1, 2, 3, 7]
    assert split(h, 7)[-1][1] - split(h, 7)[-1][0] < split(h, 7)[0][1] - split(h, 7)[0][0]
    assert split(17, 17) == [[i, i + 1] for i in range(17)]
    assert split(5, 7) == [[i, i + 1] for i in range(5)]  # more bands than rows: one per row
    for bands in (split(h, 3), uneven(h), split(17, 17)):
        assert [r for a, b in bands for r in range(a, b)] == list(range(bands[-1][1]))


@pytest.mark.parametrize(
    "name,pattern",
    [
        ("empty", r"invalid row band \[5, 5\) of an image 17 rows high: row0 < row1 <= height is required \(an empty band is refused\)"),
        ("reversed", r"invalid row band \[6, 2\) of an image 17 rows high"),
        ("past_height", r"invalid row band \[10, 18\) of an image 17 rows high"),
        ("zero_width", r"invalid image size 0x17: width and height must be between 1 and 8192"),
        ("bad_bounds", r"invalid view bounds .*x_min must be < x_max"),
        ("bad_period", r"invalid period along x: 0 \(must be finite and > 0\)"),
    ],
)
def test_band_errors_are_js_errors(batch, name, pattern):
    import re

    r = batch[2][f"error-{name}"]
    assert not r["ok"] and r["error_is_Error"] and r["failed_step"] == 1, r
    assert re.search(pattern, r["error"]), r["error"]
