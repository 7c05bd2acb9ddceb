"""The two readers of yt slice files agree: ytlite.load (h5py on CPython;
the kernel's h5wasm path shares its checks) and the front end's
lite/js/core/slicefile.js with the site's h5wasm (tests/support/slicefile_runner.mjs).
Same cells and metadata for every real file; the same clear message, naming
the file, for every bad one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

import ytlite
from ytlite._hdf5 import SliceFileError
from support.paths import REAL_SLICES, ROOT

RUNNER = Path(__file__).resolve().parent / "support" / "slicefile_runner.mjs"
pytestmark = pytest.mark.skipif(not (ROOT / "ytlite" / "_generated" / "h5wasm.js").exists(),
                                reason="not built: run python3 build.py build")


def run_js(paths):
    proc = subprocess.run(["node", RUNNER, *map(str, paths)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {Path(r["file"]).name: r for r in json.loads(proc.stdout)}


def good(path, **over):
    arrays = {"px": [0.25, 0.75, 0.625, 0.875], "py": [0.5, 0.5, 0.125, 0.375],
              "pdx": [0.25, 0.25, 0.125, 0.125], "pdy": [0.5, 0.5, 0.125, 0.125],
              "density": [1.0, 2.0, 3.0, 4.0], "temperature": [10.0, 20.0, 30.0, 40.0]}
    attrs = {"axis": 2, "container_type": "slice", "domain_left_edge": [0.0, 0.0, 0.0],
             "domain_right_edge": [1.0, 1.0, 1.0], "unit_registry_json": "x" * 100}
    for k, v in over.items():
        if k.startswith("attr_"):
            if v is None:
                attrs.pop(k[5:], None)
            else:
                attrs[k[5:]] = v
        elif v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    with h5py.File(path, "w") as f:
        for k, v in attrs.items():
            f.attrs[k] = v
        for k, v in arrays.items():
            f[f"grid/{k}"] = np.asarray(v, dtype="f8")
            f[f"grid/{k}"].attrs["units"] = "g/cm**3" if k == "density" else ""
    return path


def corpus(d: Path):
    files = {}
    files["negative_pdx.h5"] = good(d / "negative_pdx.h5", pdx=[0.25, -0.25, 0.125, 0.125])
    files["zero_pdy.h5"] = good(d / "zero_pdy.h5", pdy=[0.5, 0.5, 0.0, 0.125])
    files["nan_px.h5"] = good(d / "nan_px.h5", px=[0.25, np.nan, 0.625, np.inf])
    files["mismatched.h5"] = good(d / "mismatched.h5", density=[1.0, 2.0, 3.0])
    files["no_pdy.h5"] = good(d / "no_pdy.h5", pdy=None)
    files["empty.h5"] = good(d / "empty.h5", px=[], py=[], pdx=[], pdy=[], density=[], temperature=[])
    files["no_axis.h5"] = good(d / "no_axis.h5", attr_axis=None)
    files["axis_7.h5"] = good(d / "axis_7.h5", attr_axis=7)
    files["no_fields.h5"] = good(d / "no_fields.h5", density=None, temperature=None)
    (d / "not_hdf5.h5").write_bytes(b"this is not HDF5 at all\n" * 40)
    files["not_hdf5.h5"] = d / "not_hdf5.h5"
    with h5py.File(d / "no_grid.h5", "w") as f:
        f["x"] = np.arange(3.0)
    files["no_grid.h5"] = d / "no_grid.h5"
    ok = good(d / "ok.h5").read_bytes()
    (d / "truncated.h5").write_bytes(ok[: len(ok) // 3])
    files["truncated.h5"] = d / "truncated.h5"
    damaged = bytearray(ok)  # the attribute message before unit_registry_json
    i = damaged.find(b"unit_registry_json") - 8
    damaged[i:i + 4] = b"\xff\xff\xff\xff"
    (d / "damaged_attrs.h5").write_bytes(bytes(damaged))
    files["damaged_attrs.h5"] = d / "damaged_attrs.h5"
    return files


EXPECTED = {  # the message after "<file>: "; text in parentheses after "damaged" is the HDF5 library's own
    "negative_pdx.h5": "grid/pdx has 1 value(s) that are not positive and finite (first at cell 1: -0.25)",
    "zero_pdy.h5": "grid/pdy has 1 value(s) that are not positive and finite (first at cell 2: 0)",
    "nan_px.h5": "grid/px has 2 value(s) that are not finite (first at cell 1: NaN)",
    "mismatched.h5": "grid/density has 3 values but grid/px has 4",
    "no_pdy.h5": "/grid lacks pdy",
    "empty.h5": "the slice has no cells",
    "no_axis.h5": "root attribute 'axis' missing or not an integer",
    "axis_7.h5": "axis 7 is not 0, 1 or 2",
    "no_fields.h5": "no fields, only cell positions",
    "not_hdf5.h5": "not an HDF5 file, or truncated or damaged (",
    "no_grid.h5": "no /grid group, so not a yt save_as_dataset slice or projection",
    "truncated.h5": "not an HDF5 file, or truncated or damaged (",
    "damaged_attrs.h5": "not an HDF5 file, or truncated or damaged (",
}


def python_error(path):
    try:
        ds = ytlite.load(path)
        ds.default_field()
    except SliceFileError as exc:
        return str(exc).replace(str(path), path.name)
    return None


def test_bad_files_get_the_same_clear_message_from_both_readers(tmp_path):
    files = corpus(tmp_path)
    js = run_js(files.values())
    for name, path in files.items():
        py = python_error(path)
        assert py is not None, f"{name}: ytlite.load accepted it"
        assert "error" in js[name], f"{name}: the front end's reader accepted it: {js[name]}"
        want = EXPECTED[name]
        for who, msg in (("python", py), ("js", js[name]["error"])):
            assert msg.startswith(f"{name}: "), (who, msg)
            if want is not None:
                assert msg[len(name) + 2:].startswith(want), (who, msg)
        if want is not None and not want.endswith("("):
            assert py == js[name]["error"]


@pytest.mark.skipif(not REAL_SLICES, reason="real data not present")
def test_real_files_read_the_same_in_both_readers():
    js = run_js(REAL_SLICES)
    for path in REAL_SLICES:
        ds = ytlite.load(path)
        s = js[path.name]["summary"]
        assert s["numCells"] == ds.num_cells and s["fieldList"] == ds.field_list
        assert s["domain"] == list(ds.domain_bounds)
        assert s["lengthUnit"] == list(ds.length_unit)
        assert s["units"] == {**{f: ds.units(f) for f in ds.field_list}, "refinement_level": ""}
        assert s["pdxSum"] == pytest.approx(float(np.frombuffer(ds.pdx).sum()), rel=1e-12)
        assert s["scales"] == {**{f: ds.default_scale(f) for f in ds.field_list}, "refinement_level": "linear"}
        for f in [*ds.field_list, "refinement_level"]:
            assert s["sums"][f] == pytest.approx(float(np.frombuffer(ds[f]).sum()), rel=1e-12, nan_ok=True), f
        assert s["info"]["axis"] == "xyz"[ds.axis] and (s["info"]["x_axis"], s["info"]["y_axis"]) == (
            ds.x_axis_name, ds.y_axis_name)
