"""The compact mesh (``mesh.compact()``) through the built wasm module (node):
on every real slice in ``shared/data/slices`` (skipped if absent) and the demo
slice and projection, filled like the readers fill a mesh (``withLength`` +
views), the compacted mesh deposits the very bits the f64 mesh deposits
(sha256 of the raw f64 images, NaN bits included), for the data's extent at
1024², odd sizes, zooms, a view partly outside, antialias off, periodic where
the file is; its row bands too; and ``VariableMesh.fromParts(mesh.parts())``
in a *second* wasm instance (as a Web Worker would) deposits the same again.
The f64 images are checked against yt's own ``pixelize_cartesian`` (the
oracle; ``test_wasm_parity.py``'s tolerance), so the compact ones are too.

Also: ``bytesPerCell`` <= 24 on these AMR slices (printed with ``-s``) and no
less than the memory rule's bound (``_conventions.VIEWER_BYTES_PER_CELL``), the
decoded ``geometryCopy`` arrays are the file's arrays bit for bit, ``pxView()``
on a compact mesh throws a clear error, switching fields keeps every bit
(f32 storage when the values are exactly f32, back to f64 when not), a mesh
of f32 values (``extract --float32``) is held in f32, and broken parts are
refused with clear messages.

All the wasm work runs in one node process (``support/compact_runner.mjs``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

from support.paths import REAL_SLICES, ROOT
from ytlite import _conventions as conventions

GENERATED = ROOT / "ytlite" / "_generated"
RUNNER = Path(__file__).resolve().parent / "support" / "compact_runner.mjs"
GEOMETRY = ("px", "py", "pdx", "pdy", "pz", "pdz")
X_AXIS = {0: 1, 1: 2, 2: 0}
Y_AXIS = {0: 2, 1: 0, 2: 1}
RTOL = 1e-9  # test_wasm_parity.py's tolerance against yt

pytestmark = pytest.mark.skipif(
    not (GENERATED / "ytlite_pixelizer_bg.wasm").exists(), reason="wasm module not built (python3 build.py build)"
)


def _keys():
    return [p.stem for p in REAL_SLICES] + ["amr_demo_slice", "amr_demo_proj"]


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f8").tobytes()).hexdigest()


def _split(h, k):
    step = -(-h // k)
    return [[r, min(r + step, h)] for r in range(0, h, step)]


def _cases(key, a, period, d):
    px, py, pdx, pdy = (a[k] for k in ("px", "py", "pdx", "pdy"))
    x0, x1 = float((px - pdx).min()), float((px + pdx).max())
    y0, y1 = float((py - pdy).min()), float((py + pdy).max())
    w, h = x1 - x0, y1 - y0
    cx, cy = x0 + 0.37 * w, y0 + 0.61 * h
    views = {
        "extent": [x0, x1, y0, y1],
        "zoom4": [cx - w / 8, cx + w / 8, cy - h / 8, cy + h / 8],
        "zoom16": [cx - w / 32, cx + w / 32, cy - h / 32, cy + h / 32],
        "partly_outside": [x0 - 0.3 * w, x1 - 0.3 * w, y0 + 0.45 * h, y1 + 0.45 * h],
    }
    cases = []
    for view, size, aa, per, bands in [
        ("extent", (1024, 1024), True, None, [[0, 512], [512, 1024]]),
        ("extent", (333, 215), False, None, _split(215, 3)),
        ("zoom4", (1024, 1024), True, None, None),
        ("zoom4", (333, 215), True, None, _split(215, 7)[::-1]),
        ("zoom16", (257, 129), True, period, _split(129, 3)),
        ("partly_outside", (256, 200), True, period, _split(200, 7)[::-1]),
        ("partly_outside", (256, 200), False, None, None),
        ("zoom4", (7, 3), True, None, [[0, 1], [1, 2], [2, 3]]),
    ]:
        cid = f"{view}-{size[0]}x{size[1]}-aa{int(aa)}-{'per' if per else 'noper'}"
        c = {"id": cid, "bounds": views[view], "width": size[0], "height": size[1], "antialias": aa, "period": per,
             "path": str(d / f"{key}-{cid}.f64")}
        if bands:
            c["bands"] = bands
        cases.append(c)
    return cases


def _read(path: Path):
    with h5py.File(path, "r") as f:
        g = f["grid"]
        fields = sorted(k for k in g if k not in GEOMETRY and k != "weight_field")
        arrays = {k: np.ascontiguousarray(g[k][:], dtype=np.float64) for k in ("px", "py", "pdx", "pdy")}
        values = {k: np.ascontiguousarray(g[k][:], dtype=np.float64) for k in fields}
        periodic = bool(np.all(f.attrs["periodicity"]))
        axis = int(f.attrs["axis"])
        dw = np.asarray(f.attrs["domain_right_edge"]) - np.asarray(f.attrs["domain_left_edge"])
    period = [float(dw[X_AXIS[axis]]), float(dw[Y_AXIS[axis]])] if periodic else None
    return arrays, fields, values, period


@pytest.fixture(scope="module")
def batch(tmp_path_factory, demo_dir):
    d = tmp_path_factory.mktemp("compact")
    files = [*REAL_SLICES, demo_dir / "amr_demo_slice.h5", demo_dir / "amr_demo_proj.h5"]
    meshes, info = [], {}
    for path in files:
        key = path.stem
        arrays, fields, values, period = _read(path)
        job = {"name": key}
        for k in ("px", "py", "pdx", "pdy"):
            arrays[k].astype("<f8").tofile(d / f"{key}-{k}.f64")
            job[k] = str(d / f"{key}-{k}.f64")
        arrays["values"] = values[fields[0]]
        arrays["values"].astype("<f8").tofile(d / f"{key}-values.f64")
        job["values"] = str(d / f"{key}-values.f64")
        job["fields"] = {}
        for fld in fields[1:3] or fields[:1]:  # switching fields: up to two more (or the same again)
            values[fld].astype("<f8").tofile(d / f"{key}-field-{fld}.f64")
            job["fields"][fld] = str(d / f"{key}-field-{fld}.f64")
        job["cases"] = _cases(key, arrays, period, d)
        meshes.append(job)
        info[key] = (path, arrays, job)
    # cells that do not compact (every centre its own: the demo slice, px moved by a different tiny amount each)
    arrays, fields, values, period = _read(demo_dir / "amr_demo_slice.h5")
    arrays["px"] = arrays["px"] + np.arange(len(arrays["px"])) * 1e-12
    key = "no_tables"
    job = {"name": key, "fields": {}}
    arrays["values"] = values[fields[0]]
    for k in ("px", "py", "pdx", "pdy", "values"):
        arrays[k].astype("<f8").tofile(d / f"{key}-{k}.f64")
        job[k] = str(d / f"{key}-{k}.f64")
    job["cases"] = _cases(key, arrays, period, d)
    meshes.append(job)
    info[key] = (None, arrays, job)
    spec = d / "jobs.json"
    spec.write_text(json.dumps({"meshes": meshes}))
    out = d / "results.json"
    subprocess.run(["node", str(RUNNER), str(spec), str(out)], check=True, timeout=900)
    return info, json.loads(out.read_text())


@pytest.mark.parametrize("key", _keys())
def test_compact_deposits_are_the_f64_deposits(batch, key):
    info, results = batch
    path, arrays, job = info[key]
    r = results[key]
    print(f"\n{key}: {len(arrays['px'])} cells, bytes/cell f64 {r['f64']['bytesPerCell']:.2f} -> compact "
          f"{r['compact']['bytesPerCell']:.2f} ({r['compact']['geometryKind']} geometry, "
          f"{r['compact']['valuesKind']} values; compact() {r['compactMs']:.1f} ms)")
    assert r["f64"]["geometryKind"] == "f64" and r["f64"]["bytesPerCell"] > 40
    assert r["compact"]["geometryKind"] == "table", "an AMR slice must compact"
    assert r["compact"]["bytesPerCell"] <= 24
    # the memory rule refuses a load by this bound: no compact mesh of float64 values is smaller
    assert r["compact"]["bytesPerCell"] >= conventions.VIEWER_BYTES_PER_CELL
    assert r["compact"]["returned"] == r["compact"]["again"] == r["compact"]["bytesPerCell"]
    assert r["b"] == {k: r["compact"][k] for k in ("bytesPerCell", "geometryKind", "valuesKind")}
    # the decoded arrays are the file's, bit for bit, in both instances
    want = {k: _sha(arrays[k]) for k in ("px", "py", "pdx", "pdy", "values")}
    assert r["inputs"] == want
    assert r["copies"] == want
    assert r["copiesB"] == want
    assert r["extent"][0] == r["extent"][1] == r["extent"][2]
    assert r["parts"]["kind"] == "table" and r["parts"]["compacted"] is True
    assert r["parts"]["values"] == f"Float64Array({len(arrays['px'])})"
    assert r["parts"]["pdIndex"] == f"Uint8Array({len(arrays['px'])})"
    covered = 0
    for c in job["cases"]:
        got = r["cases"][c["id"]]
        assert got["compact"] == got["f64"], f"{key} {c['id']}: the compact mesh deposits other bits"
        assert got["b"] == got["f64"], f"{key} {c['id']}: fromParts in a second instance deposits other bits"
        if "bands" in c:
            assert got["bandsCompact"] == got["f64"], f"{key} {c['id']}: compact bands {c['bands']}"
            assert got["bandsB"] == got["f64"], f"{key} {c['id']}: bands of the rebuilt mesh"
        img = np.fromfile(c["path"], dtype="<f8")
        assert _sha(img) == got["f64"]
        covered += int(np.isfinite(img).sum())
    assert covered > 0


@pytest.mark.parametrize("key", [*_keys(), "no_tables"])
def test_a_mesh_built_while_reading_is_the_compacted_mesh(batch, key):
    """MeshBuilder (the readers' path: the cells compact as the slices of a file come) gives the mesh that
    filling f64 arrays and compact() gives: the same parts bit for bit, hence the same deposits; cells that
    do not compact stay f64 arrays both ways."""
    info, results = batch
    _, arrays, job = info[key]
    r = results[key]
    kind = "f64" if key == "no_tables" else "table"
    assert r["compact"]["geometryKind"] == r["built"]["geometryKind"] == kind
    assert r["built"]["parts"] == r["built"]["compactParts"]
    assert r["built"]["bytesPerCell"] == r["compact"]["bytesPerCell"]
    for c in job["cases"]:
        got = r["cases"][c["id"]]
        assert got["built"] == got["f64"], f"{key} {c['id']}: the built mesh deposits other bits"


@pytest.mark.parametrize("key", _keys())
def test_f64_deposits_are_yts(batch, key):
    """The oracle: yt's pixelize_cartesian of the same cells (so the compact images, equal bit
    for bit to the f64 ones, are yt's too)."""
    from yt.utilities.lib.pixelization_routines import pixelize_cartesian

    info, _ = batch
    path, a, job = info[key]
    for c in job["cases"]:
        buff = np.full((c["height"], c["width"]), np.nan)
        kw = {"period": tuple(c["period"]), "check_period": 1} if c["period"] else {"period": None, "check_period": 0}
        pixelize_cartesian(buff, a["px"], a["py"], a["pdx"], a["pdy"], a["values"], tuple(c["bounds"]),
                           antialias=int(c["antialias"]), **kw)
        ours = np.fromfile(c["path"], dtype="<f8").reshape(buff.shape)
        assert np.array_equal(np.isnan(ours), np.isnan(buff)), f"{key} {c['id']}: NaN masks differ"
        ok = ~np.isnan(buff)
        rel = np.abs(ours[ok] - buff[ok]) / np.maximum(np.abs(buff[ok]), 1e-300)
        assert rel.size == 0 or rel.max() <= RTOL, f"{key} {c['id']}: max relative error {rel.max():.3g}"


@pytest.mark.parametrize("key", _keys())
def test_switching_fields_and_f32_values(batch, key):
    info, results = batch
    r = results[key]
    for s in r["fields"]:
        assert s["got"] == s["want"], f"{key}: {s['what']}"
    assert r["fields"], key
    # exactly-f32 values are held as f32; any other value brings back f64 storage
    by = {s["what"]: s for s in r["fields"]}
    for what, s in by.items():
        f32 = what.startswith("setValues(fround(") and "0.1" not in what
        assert s["valuesKind"] == ("f32" if f32 else "f64"), f"{key}: {what}: {s['valuesKind']}"
        assert s["bytesPerCell"] <= (20 if f32 else 24), f"{key}: {what}"
        assert s["bytesPerCell"] >= conventions.VIEWER_BYTES_PER_CELL - (4 if f32 else 0), f"{key}: {what}"
    f = r["float32"]
    assert f["valuesKind"] == f["bValuesKind"] == "f32" and f["partsValues"] == "Float32Array"
    assert f["got"] == f["want"] == f["gotB"]
    assert f["bytesPerCell"] <= 20
    print(f"\n{key}: float32 values: {f['bytesPerCell']:.2f} bytes/cell")


@pytest.mark.parametrize("key", _keys())
def test_compact_errors(batch, key):
    r = batch[1][key]
    for k, msg in r["viewErrors"].items():
        assert msg and msg.startswith("Error: ") and f'geometryCopy("{k}")' in msg and "compact" in msg, msg
    e = r["errors"]
    assert "expected the object mesh.parts() returns" in e["notObject"]
    assert 'parts.kind must be "f64" or "table", not "f16"' in e["kind"]
    assert "parts.values must be a Float64Array or a Float32Array" in e["values"]
    assert "parts.compacted must be a boolean" in e["compacted"]
    assert "xIndex[3] = " in e["index"] and "is outside xTable" in e["index"]
    assert "parts.xIndex must be a Uint32Array" in e["indexType"]
    assert "pdIndex has" in e["short"]
    assert "half widths must be finite and >= 0" in e["width"]
    assert all(m.startswith("Error: invalid mesh parts") for m in e.values()), e
