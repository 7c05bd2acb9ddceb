"""`python -m ytlite extract` (ytlite/extract.py) on the real RAMSES and AMReX outputs.

Oracles: yt's own ds.slice / ds.proj computed here, the yt-made files in
../shared/data/slices, yt.load and ytlite.load of the output, a serial run for
the 2-rank mpirun run. Runs in about a minute on 2 cores (3 mpirun runs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yt

import ytlite
from ytlite import extract as ex

from support.paths import ROOT, SHARED_SLICES

DATA = ROOT.parent / "shared" / "data"
RAMSES = DATA / "ramses_blast3d" / "output_00003" / "info_00003.txt"
AMREX_DIR = DATA / "amrex_adv3d"


def _amrex_plotfile():
    found = sorted(p.parent for p in AMREX_DIR.glob("*/Header")) if AMREX_DIR.is_dir() else []
    return found[-1] if found else AMREX_DIR / "plt*"


AMREX = _amrex_plotfile()
PATHS = {"ramses": RAMSES, "amrex": AMREX}

# name -> (dataset, extract() arguments, the yt-made file of the same thing in shared/data/slices)
CASES = {
    "ramses_slice": ("ramses", dict(axis="z", coord=0.5, fields=["density", "temperature"]),
                     "ramses_blast3d_z0.5_slice.h5"),
    "ramses_proj": ("ramses", dict(axis="z", fields=["density"], projection=True), "ramses_blast3d_z_proj.h5"),
    "ramses_wproj": ("ramses", dict(axis="x", fields=["gas,temperature"], projection=True, weight="density"), None),
    "amrex_slice": ("amrex", dict(axis="z", fields=["phi"]), "amrex_adv3d_z_slice.h5"),  # default coord
    "amrex_proj": ("amrex", dict(axis="y", fields=["boxlib,phi"], projection=True), "amrex_adv3d_y_proj.h5"),
}
GEOMETRY = ("px", "py", "pdx", "pdy")


def need(name):
    path = PATHS[name]
    if not path.exists():
        pytest.skip(f"real {name} data not present: {path}")
    return path


@pytest.fixture(scope="module")
def datasets():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = yt.load(str(need(name)))
        return cache[name]

    return get


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Serial float64 outputs of each case, made once: name -> (path, summary)."""
    folder = tmp_path_factory.mktemp("extract")
    cache = {}

    def get(case):
        if case not in cache:
            name, kwargs, _ = CASES[case]
            out = folder / f"{case}.h5"
            cache[case] = out, ex.extract(need(name), out=out, log=lambda m: None, **kwargs)
        return cache[case]

    return get


def grid(path):
    with h5py.File(path, "r") as f:
        return {k: f["grid"][k][()] for k in f["grid"]}, {k: f["grid"][k].attrs.get("units") for k in f["grid"]}


def root_attrs(path):
    """Root attributes as text. unit_registry_json is compared as a mapping on the
    units both files hold: yt reuses a dataset object per path within a process,
    and its registry grows with every unit used so far (keV after a temperature)."""
    with h5py.File(path, "r") as f:
        attrs = {k: str(v) for k, v in f.attrs.items()}
    return attrs, json.loads(attrs.pop("unit_registry_json"))


def same_attrs(a_path, b_path):
    (a, ua), (b, ub) = root_attrs(a_path), root_attrs(b_path)
    assert a == b
    common = set(ua) & set(ub)
    assert len(common) > 20 and all(ua[u] == ub[u] for u in common)


def by_position(arrays):
    order = np.lexsort((arrays["py"], arrays["px"]))
    return {k: np.asarray(v)[order] for k, v in arrays.items()}


def yt_reference(ds, kwargs):
    """What yt itself computes for these arguments (field tuples -> arrays)."""
    ax = ex.AXES[kwargs["axis"]]
    fields = [ds._get_field_info(tuple(f.split(",")) if "," in f else f).name for f in kwargs["fields"]]
    if kwargs.get("projection"):
        obj = ds.proj(fields, ax, weight_field=kwargs.get("weight"))
    else:
        coord = kwargs.get("coord", float(ds.domain_center[ax]))
        obj = ds.slice(ax, coord)
    return obj, fields


# -- serial: the output is yt's own slice/projection -----------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_output_is_yts_slice_or_projection(case, datasets, outputs):
    name, kwargs, shared = CASES[case]
    out, summary = outputs(case)
    obj, fields = yt_reference(datasets(name), kwargs)
    arrays, units = grid(out)
    # the arrays in the file, in order, are yt's
    for k in (*GEOMETRY, *(f[1] for f in fields)):
        np.testing.assert_array_equal(arrays[k], obj[k if k in GEOMETRY else next(f for f in fields if f[1] == k)].d,
                                      err_msg=f"{case}: grid/{k}")
        assert arrays[k].dtype == np.float64
    for f in fields:
        assert units[f[1]] == str(obj[f].units)
    with h5py.File(out, "r") as h:
        assert h.attrs["container_type"] == ("quad_proj" if kwargs.get("projection") else "slice")
        assert int(h.attrs["axis"]) == ex.AXES[kwargs["axis"]]
        if not kwargs.get("projection"):
            assert float(h.attrs["coord"]) == summary["coord"]
    assert summary["cells"] == len(arrays["px"]) and summary["bytes"] == out.stat().st_size
    assert summary["fields"] == [f[1] for f in fields] and summary["seconds"] > 0
    assert out.stat().st_mode & 0o777 == 0o666 & ~ex._umask()  # not mkstemp's private 0600

    # yt.load opens it and gives the same cells
    yds = yt.load(str(out))
    ad = yds.all_data()
    loaded = by_position({k: ad["grid", k].d for k in (*GEOMETRY, *(f[1] for f in fields))})
    for k, v in by_position({k: arrays[k] for k in loaded}).items():
        np.testing.assert_array_equal(loaded[k], v, err_msg=f"{case}: yt.load grid/{k}")

    # ytlite.load reads it
    lds = ytlite.load(out)
    assert lds.num_cells == len(arrays["px"]) and lds.axis == ex.AXES[kwargs["axis"]]
    for k in (*GEOMETRY, *(f[1] for f in fields)):
        np.testing.assert_array_equal(np.frombuffer(lds[k] if k not in GEOMETRY else getattr(lds, k)), arrays[k])

    # the same as the file yt made of the same thing (shared/data/slices)
    if shared and (SHARED_SLICES / shared).exists():
        theirs, _ = grid(SHARED_SLICES / shared)
        for k in (*GEOMETRY, *(f[1] for f in fields)):
            np.testing.assert_array_equal(arrays[k], theirs[k], err_msg=f"{case} vs {shared}: grid/{k}")


# -- float32 and compression ------------------------------------------------------


@pytest.mark.parametrize("case, float32, compress", [
    ("ramses_slice", True, True), ("amrex_proj", True, True), ("amrex_slice", False, True),
])
def test_float32_and_compress(case, float32, compress, outputs, tmp_path):
    name, kwargs, _ = CASES[case]
    ref_path, _ = outputs(case)
    out = tmp_path / "small.h5"
    summary = ex.extract(need(name), out=out, float32=float32, compress=compress, log=lambda m: None, **kwargs)
    assert summary["float32"] is float32 and summary["compress"] is compress
    ref, ref_units = grid(ref_path)
    got, units = grid(out)
    assert set(got) == set(ref) and units == ref_units
    fields = summary["fields"]
    with h5py.File(out, "r") as h:
        for k in got:
            ds = h["grid"][k]
            is_field = k in fields
            assert ds.dtype == (np.float32 if float32 and is_field else np.float64), k
            assert ds.compression == ("gzip" if compress else None), k
    same_attrs(out, ref_path)  # every attribute kept
    for k in got:
        if k in fields and float32:
            # float32 rounding of yt's float64 values, nothing else
            np.testing.assert_array_equal(got[k], ref[k].astype(np.float32))
        else:
            np.testing.assert_array_equal(got[k], ref[k])
    # both readers open it; ytlite hands out float64
    yds = yt.load(str(out))
    assert yds.all_data()["grid", fields[0]].size == len(ref["px"])
    lds, lref = ytlite.load(out), ytlite.load(ref_path)
    for f in fields:
        np.testing.assert_array_equal(np.frombuffer(lds[f]), got[f].astype(np.float64))
        a = lds.pixelize(f, width=256).values
        b = lref.pixelize(f, width=256).values
        a, b = np.frombuffer(a), np.frombuffer(b)
        ok = np.isfinite(b) & (b != 0)
        rel = np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok]))
        assert rel <= (2.0 ** -24 * 1.01 if float32 else 0.0), (f, rel)
    if compress:
        assert out.stat().st_size < ref_path.stat().st_size


def test_browser_reader_reads_float32_gzip(outputs, tmp_path):
    """h5wasm (the reader ytlite uses in Pyodide) decodes float32 + gzip field datasets."""
    h5wasm = ROOT / "ytlite" / "_generated" / "h5wasm.js"
    node = shutil.which("node")
    if not h5wasm.exists() or node is None:
        pytest.skip("needs node and the built ytlite/_generated/h5wasm.js (python3 build.py build)")
    name, kwargs, _ = CASES["amrex_slice"]
    out = tmp_path / "f32.h5"
    ex.extract(need(name), out=out, float32=True, compress=True, log=lambda m: None, **kwargs)
    reader = (ROOT / "lite" / "js" / "core" / "slicefile.js").as_uri()  # what the kernel and the kiosk use
    script = tmp_path / "read.mjs"
    script.write_text(
        "import fs from 'node:fs';\n"
        f"import {{ readSliceFile }} from {json.dumps(reader)};\n"
        f"const h5wasm = new Function(fs.readFileSync({json.dumps(str(h5wasm))}, 'utf8') + ';return h5wasm;')();\n"
        "await h5wasm.ready;\n"
        f"const r = readSliceFile(h5wasm, new Uint8Array(fs.readFileSync({json.dumps(str(out))})), 'f32.h5');\n"
        "const o = {};\n"
        "for (const [k, v] of Object.entries(r.arrays)) o[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength)"
        ".toString('base64');\n"
        "console.log(JSON.stringify(o));\n"
    )
    result = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import base64

    arrays = {k: np.frombuffer(base64.b64decode(v)) for k, v in json.loads(result.stdout).items()}
    ref, _ = grid(out)
    assert set(arrays) == set(ref)
    for k, v in ref.items():
        np.testing.assert_array_equal(arrays[k], v.astype(np.float64), err_msg=k)


def test_float32_range_check():
    # tiny values next to large ones are below float32's resolution anyway (RAMSES velocity_x has one)
    ex._check_float32(np.array([1e-30, -3e38, 0.0, np.nan, np.inf, 4.6e-39]), "ok")
    with pytest.raises(ex.ExtractError, match=r"--float32: field 'rho' has 1 values above float32's range"):
        ex._check_float32(np.array([1.0, 4e38]), "rho")
    with pytest.raises(ex.ExtractError, match=r"--float32: field 'rho' has 2 values below float32's range"):
        ex._check_float32(np.array([1e-40, 3e-39, 0.0]), "rho")


# -- MPI ------------------------------------------------------------------------------


def _mpirun_cmd(*args):
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        pytest.skip("mpirun not installed (Debian openmpi-bin)")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py not installed")
    flags = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    return [mpirun, *flags, "-n", "2", sys.executable, *args]


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT), OMPI_MCA_btl_vader_single_copy_mechanism="none")


def _cli_args(case, out):
    name, kwargs, _ = CASES[case]
    args = ["extract", str(need(name)), "--axis", kwargs["axis"], "--fields", *kwargs["fields"], "-o", str(out)]
    if "coord" in kwargs:
        args += ["--coord", str(kwargs["coord"])]
    if kwargs.get("projection"):
        args.append("--projection")
    if kwargs.get("weight"):
        args += ["--weight", kwargs["weight"]]
    return args


@pytest.mark.parametrize("case", ["ramses_slice", "amrex_proj"])
def test_mpirun_equals_serial(case, outputs, tmp_path):
    serial, _ = outputs(case)
    out = tmp_path / "mpi.h5"
    result = subprocess.run(_mpirun_cmd("-m", "ytlite", *_cli_args(case, out)), cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "on 2 MPI ranks" in result.stdout and result.stdout.count("wrote ") == 1  # rank 0 reports
    a, ua = grid(serial)
    b, ub = grid(out)
    assert set(a) == set(b) and ua == ub
    a, b = by_position(a), by_position(b)
    fields = [f.split(",")[-1] for f in CASES[case][1]["fields"]]
    for k in a:
        if k in fields and CASES[case][1].get("projection"):
            # yt sums each rank's part of the line of sight, then adds the ranks' sums:
            # the same terms in another order (a few ulps; exact where one rank holds all)
            np.testing.assert_allclose(b[k], a[k], rtol=1e-13, atol=0, err_msg=k)
        else:
            np.testing.assert_array_equal(b[k], a[k], err_msg=k)
    same_attrs(serial, out)


def test_mpirun_rank_death_leaves_no_output(tmp_path):
    """Rank 1 is killed while rank 0 writes: mpirun fails, rank 0 removes its
    temporary file, and an existing OUT is left as it was."""
    wrapper = tmp_path / "die.py"
    wrapper.write_text(
        "import os, signal, sys\n"
        "import ytlite.extract as ex\n"
        "_commit = ex._commit\n"
        "def dying(comm, ok, message=''):\n"
        "    if comm.rank == 1:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return _commit(comm, ok, message)\n"
        "ex._commit = dying\n"
        "from ytlite.__main__ import main\n"
        "sys.exit(main())\n"
    )
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "slice.h5"
    out.write_bytes(b"previous contents")
    result = subprocess.run(_mpirun_cmd(str(wrapper), *_cli_args("amrex_slice", out)), cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "rank 1" in result.stderr  # mpirun's own report (Open MPI: "... exited on signal 9 (Killed)")
    assert f"{out} was not written" in result.stderr  # ours, from rank 0
    assert out.read_bytes() == b"previous contents"
    assert sorted(p.name for p in folder.iterdir()) == ["slice.h5"]  # no temporary file left


# -- bad input -------------------------------------------------------------------------


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "ytlite", "extract", *map(str, args)], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)


def _assert_clean_error(result, message):
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ytlite extract: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert 'File "' + str(ROOT / "ytlite") not in result.stderr  # no traceback of ours


def test_cli_errors(tmp_path):
    amrex = need("amrex")
    out = tmp_path / "out.h5"
    out.write_bytes(b"keep me")
    cases = [
        ((tmp_path / "nothing-here", "-o", out), "cannot load"),
        ((ROOT / "README.md", "-o", out), "yt cannot load"),
        ((amrex, "--fields", "phi", "density", "-o", out), "unknown field 'density' in plt"),
        ((amrex, "--fields", "phi", "--axis", "w", "-o", out), "bad axis 'w': use x, y or z"),
        ((amrex, "--fields", "phi", "--coord", "0.5", "-o", out),
         "coord z = 0.5 code_length is outside the domain, which spans 0 to 0.125 along z"),
        ((amrex, "--fields", "phi", "-o", tmp_path / "missing" / "out.h5"), "output directory"),
    ]
    for args, message in cases:
        _assert_clean_error(_cli(*args), message)
    assert out.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.h5"]


def test_unknown_field_lists_the_available_ones(tmp_path):
    with pytest.raises(ex.ExtractError) as info:
        ex.extract(need("amrex"), fields=["gas,nope"], out=tmp_path / "x.h5", log=lambda m: None)
    assert "unknown field 'gas,nope'" in str(info.value) and "on disk: boxlib,phi" in str(info.value)
    with pytest.raises(ex.ExtractError, match=r"unknown weight field 'nope'.*on disk: ramses,Density"):
        ex.extract(need("ramses"), fields=["density"], projection=True, weight="nope",
                   out=tmp_path / "x.h5", log=lambda m: None)
    assert list(tmp_path.iterdir()) == []


def test_rejects_what_ytlite_cannot_draw(tmp_path):
    """In-memory yt datasets: a spherical grid, a particle field, a slice on the far face."""
    dens = np.random.default_rng(0).random((8, 8, 8)) + 0.5
    sph = yt.load_uniform_grid({"density": dens}, dens.shape, bbox=np.array([[0, 1], [0, np.pi], [0, 2 * np.pi]]),
                               geometry="spherical")
    with pytest.raises(ex.ExtractError, match="geometry 'spherical'; ytlite draws cartesian"):
        ex.extract(sph, out=tmp_path / "x.h5", log=lambda m: None)
    box = yt.load_uniform_grid({"density": dens, "particle_position_x": np.array([0.5]),
                                "particle_position_y": np.array([0.5]), "particle_position_z": np.array([0.5]),
                                "particle_mass": np.array([1.0])}, dens.shape, nprocs=1)
    with pytest.raises(ex.ExtractError, match="'io,particle_mass' is a particle field"):
        ex.extract(box, fields=["io,particle_mass"], out=tmp_path / "x.h5", log=lambda m: None)
    with pytest.raises(ex.ExtractError, match="the slice at z = 1 has no cells"):
        ex.extract(box, coord=1.0, out=tmp_path / "x.h5", log=lambda m: None)
    with pytest.raises(ex.ExtractError, match="--weight applies to projections only"):
        ex.extract(box, weight="density", out=tmp_path / "x.h5", log=lambda m: None)
    s = ex.extract(box, axis="x", coord="0.25 code_length", out=tmp_path / "ok.h5", log=lambda m: None)
    assert s["coord"] == 0.25 and s["cells"] == 64 and ex.format_summary(s).startswith(f"wrote {tmp_path}/ok.h5: slice at x = 0.25, 64 cells")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.h5"]


def test_failed_write_keeps_existing_output(tmp_path, monkeypatch):
    """A failure half-way through writing leaves the old OUT and no temporary file."""
    out = tmp_path / "out.h5"
    out.write_bytes(b"old")

    def broken(src, dst, *args, **kwargs):
        with h5py.File(dst, "w") as f:
            f["grid/px"] = np.arange(3.0)
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ex, "rewrite", broken)
    with pytest.raises(ex.ExtractError, match="writing .*out.h5 failed: OSError: disk full"):
        ex.extract(need("amrex"), fields=["phi"], float32=True, out=out, log=lambda m: None)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.h5"]


def test_import_ytlite_does_not_import_yt_or_numpy():
    code = ("import sys, ytlite, ytlite.__main__; "
            "print(sorted(m for m in ('yt', 'numpy', 'h5py') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def test_without_yt_one_line_says_to_install_the_extra(tmp_path):
    """`ytlite extract` where yt is not installed (ytlite without its extra): exit
    status 2 and one line, what is missing and the command that installs it."""
    from support.without import run_without

    out = tmp_path / "x.h5"
    done = run_without(("yt",), f"""
from ytlite.__main__ import main
sys.exit(main(["extract", {str(RAMSES)!r}, "-o", {str(out)!r}]))
""")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        'ytlite extract: error: making slice files needs yt, which is not installed: pip install "ytlite[extract]"']
    assert not out.exists()


# -- a sub-region: --region / --center --width -------------------------------------------


@pytest.mark.parametrize("how", [
    dict(region="0.125,0.4,0.55,0.9"),
    dict(center="0.2625,0.725", width="0.275,0.35"),  # (the same rectangle)
])
def test_region_is_yts_slice_restricted_to_the_cells_overlapping_it(how, datasets, tmp_path):
    """The cells of yt's own slice that share an area with the rectangle, no others, in
    yt's order; a cell only touching its edge is left out; the file reads in ytlite."""
    ds = datasets("ramses")
    out = tmp_path / "region.h5"
    summary = ex.extract(RAMSES, axis="z", coord=0.5, fields=["density", "temperature"], out=out,
                         log=lambda m: None, **how)
    x0, x1, y0, y1 = 0.125, 0.4, 0.55, 0.9
    assert summary["region"] == pytest.approx([x0, x1, y0, y1])
    sl = ds.slice(2, 0.5)
    px, py, pdx, pdy = (sl[k].to("code_length").d for k in ("px", "py", "pdx", "pdy"))
    keep = (px + pdx > x0) & (px - pdx < x1) & (py + pdy > y0) & (py - pdy < y1)
    assert 0 < keep.sum() < len(px) / 4
    arrays, units = grid(out)
    assert summary["cells"] == keep.sum() == len(arrays["px"])
    for k, v in (("px", px), ("py", py), ("pdx", pdx), ("pdy", pdy), ("density", sl["gas", "density"].d),
                 ("temperature", sl["gas", "temperature"].d)):
        np.testing.assert_array_equal(arrays[k], v[keep], err_msg=k)
    # every kept cell overlaps; the cells just outside (touching the edge) are not kept
    touching = ((px + pdx == x0) | (px - pdx == x1) | (py + pdy == y0) | (py - pdy == y1)) & ~keep
    assert touching.sum() > 0  # (the rectangle sits on cell edges: the test means something)
    with h5py.File(out) as f:
        assert list(f.attrs["ytlite_region"]) == pytest.approx([x0, x1, y0, y1])
        assert list(f.attrs["domain_left_edge"]) == list(ds.domain_left_edge.to("code_length").d)
    loaded = ytlite.load(out)
    assert loaded.num_cells == keep.sum() and loaded.field_list == ["density", "temperature"]


def test_region_with_float32_and_gzip_and_a_stack(tmp_path):
    need("ramses")
    out = tmp_path / "small.h5"
    s = ex.extract(RAMSES, axis="x", fields=["density"], region="0,0.5,0,0.5", float32=True, compress=True,
                   out=out, log=lambda m: None)
    with h5py.File(out) as f:
        assert f["grid/density"].dtype == np.float32 and f["grid/px"].compression == "gzip"
        assert len(f["grid/px"]) == s["cells"] and np.all(f["grid/px"][()] - f["grid/pdx"][()] < 0.5)
    stack = ex.extract(RAMSES, axis="z", stack=2, fields=["density"], region="0.5,1,0.5,1", out=tmp_path / "st",
                       log=lambda m: None)
    counts = [len(h5py.File(tmp_path / "st" / f)["grid/px"]) for f in ("slice_000.h5", "slice_001.h5")]
    assert stack["cells"] == sum(counts) and all(counts)


def test_region_errors(tmp_path):
    need("ramses")
    out = tmp_path / "out.h5"
    for args, message in (
        (("--region", "1,0,0,1"), "region x 1..0, y 0..1 is empty or inverted"),
        (("--region", "0,0,0,1"), "is empty or inverted"),
        (("--region", "0,nan,0,1"), "--region '0,nan,0,1': every number must be finite"),
        (("--region", "0,inf,0,1"), "every number must be finite"),
        (("--region", "0,1,0"), "expected 4 numbers separated by commas"),
        (("--region", "a,b,c,d"), "expected 4 numbers"),
        (("--region", "5,6,5,6"), "the region x 5..6, y 5..6 (code_length) holds no cell of the slice "
                                  "(its cells span x 0..1, y 0..1)"),
        (("--center", "0.5,0.5"), "--center and --width go together"),
        (("--center", "0.5,0.5", "--width", "0"), "the width and height must be positive"),
        (("--center", "0.5,0.5", "--width=-1,1"), "must be positive"),  # (negative first numbers: with "=")
        (("--region=-2,-1,0,1",), "the region x -2..-1, y 0..1 (code_length) holds no cell"),
        (("--region", "0,1,0,1", "--width", "1"), "give either --region or --center with --width"),
    ):
        _assert_clean_error(_cli(RAMSES, *args, "-o", out), message)
        assert not out.exists()
