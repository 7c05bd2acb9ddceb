"""Depth stacks: ``python -m ytlite extract DATASET --stack N ... -o OUTDIR`` and ``ytlite.load(OUTDIR)``.

Oracles: yt's own ds.slice at each stack coord, the stack.json contract
(docs/data-format.md), yt.load of every slice file. Bad stacks are made by
editing copies of a good one. About 20 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import yt

import ytlite
from ytlite import extract as ex
from ytlite.stack import SliceStack, StackError

from support.paths import ROOT

RAMSES = ROOT.parent / "shared" / "data" / "ramses_blast3d" / "output_00003" / "info_00003.txt"
FIELDS = ["density", "temperature", "pressure", "velocity_x"]
N = 4
GEOMETRY = ("px", "py", "pdx", "pdy")


def need_ramses():
    if not RAMSES.exists():
        pytest.skip(f"real RAMSES data not present: {RAMSES}")
    return RAMSES


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT))


def _cli(*args, wrapper=None):
    cmd = [sys.executable, *([str(wrapper)] if wrapper else ["-m", "ytlite"]), "extract", *map(str, args)]
    return subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def ramses():
    return yt.load(str(need_ramses()))


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory):
    """The CLI's stack of the RAMSES blast (N slices along z), and its run."""
    out = tmp_path_factory.mktemp("stack") / "blast_z"
    result = _cli(need_ramses(), "--axis", "z", "--stack", N, "--fields", *FIELDS, "-o", out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def grid(path):
    with h5py.File(path, "r") as f:
        return {k: f["grid"][k][()] for k in f["grid"]}, {k: f["grid"][k].attrs.get("units") for k in f["grid"]}


# -- the CLI's stack ----------------------------------------------------------------


def test_stack_json_is_as_specified(stack_dir):
    out, result = stack_dir
    files = [f"slice_{i:03d}.h5" for i in range(N)]
    assert sorted(p.name for p in out.iterdir()) == sorted([*files, "stack.json"])
    meta = json.loads((out / "stack.json").read_text())
    assert meta == {
        "format": "ytlite-stack", "version": 1, "axis": 2, "axis_name": "z",
        "coords": [(i + 0.5) / N for i in range(N)],  # domain 0..1 code_length
        "coord_units": "code_length", "files": files, "fields": FIELDS, "dataset": "info_00003.txt",
    }
    # progress per slice on stderr, one summary line on stdout
    for i in range(N):
        assert f"slice {i + 1}/{N}: z = {(i + 0.5) / N:g} code_length" in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote {out}: stack of {N} slices along z"), result.stdout
    total = sum(p.stat().st_size for p in out.iterdir())
    assert f" {total} bytes" in lines[0]
    cells = sum(len(h5py.File(out / f, "r")["grid"]["px"]) for f in files)
    assert f" {cells} cells" in lines[0]
    mode = out.stat().st_mode & 0o777
    assert mode == 0o777 & ~_umask()  # not mkdtemp's 0700


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_every_slice_is_yts_slice_at_its_coord(stack_dir, ramses):
    out, _ = stack_dir
    meta = json.loads((out / "stack.json").read_text())
    left, right = float(ramses.domain_left_edge[2]), float(ramses.domain_right_edge[2])
    for i, (name, c) in enumerate(zip(meta["files"], meta["coords"])):
        assert c == left + (i + 0.5) * (right - left) / N
        ref = ramses.slice(2, c)
        arrays, units = grid(out / name)
        for k in (*GEOMETRY, *FIELDS):
            np.testing.assert_array_equal(arrays[k], ref[k].d, err_msg=f"{name}: grid/{k}")
            assert arrays[k].dtype == np.float64
        for f in FIELDS:
            assert units[f] == str(ref[f].units)
        with h5py.File(out / name, "r") as h:
            assert h.attrs["coord"] == c and h.attrs["axis"] == 2 and h.attrs["container_type"] == "slice"
        # and yt reads the file back
        yds = yt.load(str(out / name))
        assert yds.all_data()["grid", "density"].size == len(arrays["px"])


def test_ytlite_load_gives_a_stack(stack_dir):
    out, _ = stack_dir
    meta = json.loads((out / "stack.json").read_text())
    for path in (out, str(out), out / "stack.json"):
        stack = ytlite.load(path)
        assert isinstance(stack, SliceStack) and isinstance(stack, ytlite.SliceStack)
        assert stack.filename == str(out)
        assert stack.axis == 2 and stack.axis_name == "z" and stack.coord_units == "code_length"
        assert stack.coords == meta["coords"] and len(stack) == N
        assert stack.files == [str(out / f) for f in meta["files"]]
        assert all(isinstance(f, str) for f in stack.files)
    assert stack.field_list == sorted(FIELDS)
    assert stack[0] is stack[0] and stack[-1] is stack[N - 1]  # loaded once, cached
    for i in range(N):
        ds = stack[i]
        single = ytlite.load(out / meta["files"][i])
        assert ds.filename == stack.files[i] and ds.axis == 2 and ds.coord == meta["coords"][i]
        assert ds.field_list == single.field_list
        for k in ("px", "pdy"):
            assert getattr(ds, k) == getattr(single, k)
        assert ds["density"] == single["density"]
    with pytest.raises(IndexError):
        stack[N]
    text = repr(stack)
    assert text.startswith(f"<ytlite stack of {N} slices along z at z = 0.125 to 0.875 code_length")
    assert "density, temperature" in text and str(out) in text


def test_relative_paths(stack_dir, monkeypatch):
    out, _ = stack_dir
    monkeypatch.chdir(out.parent)
    stack = ytlite.load(out.name)
    assert stack.filename == out.name and stack.files[0] == os.path.join(out.name, "slice_000.h5")
    assert stack[0].num_cells > 0
    monkeypatch.chdir(out)
    stack = ytlite.load("stack.json")
    assert stack.filename == "." and stack.files[1] == os.path.join(".", "slice_001.h5")
    assert stack[1].num_cells > 0


def test_plot_hands_the_stack_to_the_viewer(stack_dir, monkeypatch):
    """stack.plot(field, depth, ...) is SliceViewer(stack, field=field, depth=depth, ...)."""
    import types

    calls = []
    fake = types.ModuleType("ytlite.viewer")
    fake.SliceViewer = lambda *args, **kwargs: calls.append((args, kwargs)) or "viewer"
    monkeypatch.setitem(sys.modules, "ytlite.viewer", fake)
    stack = ytlite.load(stack_dir[0])
    assert stack.plot("pressure", depth=2, cmap="viridis") == "viewer"
    assert stack.plot() == "viewer"
    assert calls == [((stack,), {"field": "pressure", "depth": 2, "cmap": "viridis"}),
                     ((stack,), {"field": None, "depth": 0})]


# -- bad stacks -------------------------------------------------------------------------


@pytest.fixture
def copy(stack_dir, tmp_path):
    """A fresh copy of the good stack, and a helper to rewrite its stack.json."""
    dst = tmp_path / "copy"
    shutil.copytree(stack_dir[0], dst)
    meta = json.loads((dst / "stack.json").read_text())

    def edit(**changes):
        m = dict(meta)
        for k, v in changes.items():
            if v is None:
                m.pop(k, None)
            else:
                m[k] = v
        (dst / "stack.json").write_text(json.dumps(m))
        return dst

    return dst, meta, edit


def _error(path, index=None):
    with pytest.raises(StackError) as info:
        stack = ytlite.load(path)
        if index is not None:
            stack[index]
    return str(info.value)


def test_bad_stack_json(copy):
    dst, meta, edit = copy
    where = str(dst / "stack.json")
    (dst / "stack.json").write_text("{not json")
    msg = _error(dst)
    assert msg.startswith(where) and "not valid JSON" in msg
    (dst / "stack.json").write_text("[1, 2]")
    assert "not a ytlite stack" in _error(dst)
    assert "not a ytlite stack (\"format\" is 'other'" in _error(edit(format="other"))
    assert "not a ytlite stack (\"format\" is None" in _error(edit(format=None))
    assert "stack format version 2 is not supported" in _error(edit(version=2))
    assert "\"axis\" is 3, expected 0, 1 or 2" in _error(edit(axis=3))
    assert "\"axis_name\" 'x' does not match \"axis\" 2" in _error(edit(axis_name="x"))
    assert "\"coords\" must be a list of finite numbers" in _error(edit(coords=[0.1, "a", 0.5, 0.7]))
    assert "\"files\" must be a list of file names" in _error(edit(files="slice_000.h5"))
    assert "has no slices" in _error(edit(files=[], coords=[]))
    msg = _error(edit(coords=meta["coords"][:3]))
    assert msg.startswith(where) and "3 coords but 4 files" in msg
    msg = _error(edit(coords=[0.125, 0.375, 0.375, 0.875]))
    assert "coords are not strictly increasing: coords[1] = 0.375, coords[2] = 0.375" in msg
    assert "not strictly increasing" in _error(edit(coords=list(reversed(meta["coords"]))))
    assert "is not a name inside the stack folder" in _error(edit(files=["../x.h5", *meta["files"][1:]]))
    # a folder without stack.json is not a stack: ytlite.load treats it as a file
    (dst / "stack.json").unlink()
    with pytest.raises(Exception):
        ytlite.load(dst)
    with pytest.raises(StackError, match="no such file"):
        SliceStack(dst)


def test_missing_slice_files(copy):
    dst, meta, edit = copy
    (dst / "slice_002.h5").unlink()
    msg = _error(dst)
    assert msg.startswith(str(dst / "stack.json")) and "1 of the 4 slice files are missing" in msg
    assert "slice_002.h5" in msg


def test_slices_that_do_not_fit_the_stack(copy, stack_dir, tmp_path):
    dst, meta, edit = copy
    # a slice along another axis
    ex.extract(need_ramses(), axis="x", coord=0.625, fields=FIELDS, out=dst / "slice_002.h5", log=lambda m: None)
    stack = ytlite.load(dst)
    assert stack[1].num_cells > 0  # the others are fine
    msg = _error(dst, 2)
    assert msg.startswith(str(dst / "stack.json"))
    assert "slice 2 (slice_002.h5) is along x (axis 0), but the stack is along z (axis 2)" in msg
    # a slice with other fields than slice 0
    ex.extract(need_ramses(), axis="z", coord=0.625, fields=["density", "pressure"], out=dst / "slice_002.h5",
               log=lambda m: None)
    msg = _error(dst, 2)
    assert "slice 2 (slice_002.h5) has fields density, pressure, but slice 0 has density, pressure, " \
           "temperature, velocity_x: every slice must have the same fields" in msg
    # files listed in the wrong order: the slices' own coords disagree with stack.json
    files = list(meta["files"])
    files[0], files[1] = files[1], files[0]
    msg = _error(edit(files=files), 0)
    assert "slice 0 (slice_001.h5) is at z = 0.375 code_length, but stack.json puts it at 0.125" in msg
    # stack.json's fields that slice 0 does not have
    msg = _error(edit(fields=["density"]), 0)
    assert "slice 0 (slice_000.h5) has fields density, pressure, temperature, velocity_x, but stack.json " \
           "lists density" in msg
    # a projection in a stack
    ex.extract(need_ramses(), axis="z", projection=True, fields=FIELDS, out=dst / "slice_003.h5", log=lambda m: None)
    assert "slice 3 (slice_003.h5) is a quad_proj, not a slice" in _error(edit(), 3)
    # a damaged slice file: the slice reader's own message
    (dst / "slice_001.h5").write_bytes(b"not hdf5")
    with pytest.raises(ytlite.dataset.SliceFileError, match="slice_001.h5: not an HDF5 file"):
        ytlite.load(dst)[1]


# -- CLI errors and atomicity -------------------------------------------------------------


def _assert_clean_error(result, message):
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ytlite extract: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_cli_refuses(tmp_path):
    ramses = need_ramses()
    out = tmp_path / "out"
    _assert_clean_error(_cli(ramses, "--stack", 4, "--projection", "-o", out),
                        "--stack makes slices: it cannot be combined with --projection")
    _assert_clean_error(_cli(ramses, "--stack", 4, "--coord", "0.5", "-o", out),
                        "--stack places its slices itself (at the centres of 4 equal bins along the axis): "
                        "drop --coord")
    for bad in ("0", "-2", "x"):
        _assert_clean_error(_cli(ramses, "--stack", bad, "-o", out), f"--stack {bad}: the number of slices")
    _assert_clean_error(_cli(ramses, "--stack", 2, "-o", tmp_path / "missing" / "out"), "output directory")
    # an existing folder or file that is not a stack is kept unless --force
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    _assert_clean_error(_cli(ramses, "--stack", 2, "-o", out),
                        f"output {str(out)!r} exists and is not a ytlite stack")
    assert "--force" in _cli(ramses, "--stack", 2, "-o", out).stderr
    afile = tmp_path / "afile"
    afile.write_text("keep me too")
    _assert_clean_error(_cli(ramses, "--stack", 2, "-o", afile), "exists and is not a ytlite stack")
    assert (out / "mine.txt").read_text() == "keep me" and afile.read_text() == "keep me too"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "out"]
    # --force replaces it
    result = _cli(ramses, "--stack", 2, "--fields", "density", "--force", "-o", afile)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in afile.iterdir()) == ["slice_000.h5", "slice_001.h5", "stack.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "out"]  # nothing left over


def test_previous_stack_is_replaced(tmp_path):
    out = tmp_path / "s"
    ex.extract(need_ramses(), stack=3, fields=["density"], out=out, log=lambda m: None)
    assert len(ytlite.load(out)) == 3
    summary = ex.extract(need_ramses(), stack=2, fields=["pressure"], out=out, log=lambda m: None)
    assert summary["kind"] == "stack" and summary["files"] == ["slice_000.h5", "slice_001.h5"]
    stack = ytlite.load(out)
    assert len(stack) == 2 and stack.field_list == ["pressure"]
    assert sorted(p.name for p in out.iterdir()) == ["slice_000.h5", "slice_001.h5", "stack.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def test_failure_leaves_no_outdir_and_keeps_an_existing_one(tmp_path, monkeypatch):
    compute, calls = ex._compute, []

    def failing(ds, names, axis, coord, *args):
        calls.append(coord)
        if len(calls) == 3:
            raise ex.ExtractError("simulated failure on the third slice")
        return compute(ds, names, axis, coord, *args)

    monkeypatch.setattr(ex, "_compute", failing)
    out = tmp_path / "new"
    with pytest.raises(ex.ExtractError, match="simulated failure on the third slice"):
        ex.extract(need_ramses(), stack=4, fields=["density"], out=out, log=lambda m: None)
    assert len(calls) == 3 and list(tmp_path.iterdir()) == []
    # an existing stack is kept as it was
    monkeypatch.setattr(ex, "_compute", compute)
    ex.extract(need_ramses(), stack=2, fields=["density"], out=out, log=lambda m: None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(ex, "_compute", failing)
    calls.clear()
    with pytest.raises(ex.ExtractError, match="simulated failure"):
        ex.extract(need_ramses(), stack=4, fields=["density"], out=out, log=lambda m: None)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]


def test_sigterm_mid_stack_leaves_nothing(tmp_path):
    """SIGTERM (what mpirun sends when a rank dies) between two slices: the
    temporary folder is removed, an existing stack is kept."""
    wrapper = tmp_path / "term.py"
    wrapper.write_text(
        "import os, signal, sys\n"
        "import ytlite.extract as ex\n"
        "_compute, calls = ex._compute, []\n"
        "def dying(*args):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return _compute(*args)\n"
        "ex._compute = dying\n"
        "from ytlite.__main__ import main\n"
        "sys.exit(main())\n"
    )
    folder = tmp_path / "out"
    folder.mkdir()
    result = _cli(need_ramses(), "--stack", 3, "--fields", "density", "-o", folder / "s", wrapper=wrapper)
    assert result.returncode == 2, result.stderr
    assert f"interrupted by SIGTERM; {folder / 's'} was not written" in result.stderr
    assert list(folder.iterdir()) == []


def test_mpirun_stack_equals_serial(stack_dir, tmp_path):
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        pytest.skip("mpirun not installed (Debian openmpi-bin)")
    pytest.importorskip("mpi4py")
    serial, _ = stack_dir
    out = tmp_path / "mpi"
    flags = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    cmd = [mpirun, *flags, "-n", "2", sys.executable, "-m", "ytlite", "extract", str(need_ramses()),
           "--stack", str(N), "--fields", *FIELDS, "-o", str(out)]
    env = dict(_env(), OMPI_MCA_btl_vader_single_copy_mechanism="none")
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "on 2 MPI ranks" in result.stdout and result.stdout.count("wrote ") == 1
    assert result.stderr.count("slice 1/") == 1  # rank 0 reports
    meta = json.loads((out / "stack.json").read_text())
    assert meta == json.loads((serial / "stack.json").read_text())
    for name in meta["files"]:
        a, ua = grid(serial / name)
        b, ub = grid(out / name)
        assert ua == ub and set(a) == set(b)
        for k in a:
            np.testing.assert_array_equal(b[k], a[k], err_msg=f"{name}: {k}")


def test_stack_viewer_sends_every_slice_once_and_deposits_the_one_shown(stack_dir):
    import traitlets

    out, _ = stack_dir
    stack = ytlite.load(out)
    v = stack.plot("density", depth=1)
    assert v.depth == 1 and v.depth_coords == [float(c) for c in stack.coords]
    assert v.px == b"" and set(v.fields) == {*stack.field_list, "refinement_level"}  # the cells are per slice
    assert len(v.depth_meshes) == N
    for i, mesh in enumerate(v.depth_meshes):
        assert mesh["px"] == stack[i].px.tobytes() and mesh["pdy"] == stack[i].pdy.tobytes()
        assert mesh["fields"]["temperature"] == stack[i]["temperature"].tobytes()
    assert v.info["name"] == "blast_z" and v.info["stack"] == N and "slice 2/4 at z = " in repr(v)
    w, h = v.image_size
    ref = stack[1].pixelize("density", bounds=tuple(v.view), width=w, height=h)
    assert v.frb().values.tobytes() == ref.values.tobytes()
    v.depth = 3
    assert v.frb().values.tobytes() == stack[3].pixelize("density", bounds=tuple(v.view), width=w,
                                                          height=h).values.tobytes()
    with pytest.raises(traitlets.TraitError, match="depth must be a slice number from 0 to 3"):
        v.depth = N
    with pytest.raises(ValueError, match="depth must be a slice number from 0 to 3, got 9"):
        stack.plot("density", depth=9)
    with pytest.raises(ValueError, match="depth is for a stack"):
        stack[0].plot("density", depth=1)
