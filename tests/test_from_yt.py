"""ytlite.SliceViewer / from_yt of yt's own objects (ytlite/from_yt.py), on CPython.

Oracles from yt itself: the object's own arrays (``obj["px"]``, ``obj[field]``),
yt's ``pixelize_cartesian`` of those arrays, and the file yt's
``save_as_dataset`` writes of the same object read back by ``ytlite.load``
(what every other part of ytlite is tested against).
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import yt
from yt.utilities.lib.pixelization_routines import pixelize_cartesian

import ytlite
from support.paths import ROOT, real_slice
from ytlite.from_yt import FromYTError, as_slice_dataset, from_yt

RAMSES = ROOT.parent / "shared" / "data" / "ramses_blast3d" / "output_00003" / "info_00003.txt"
GEOMETRY = ("px", "py", "pdx", "pdy")

yt.set_log_level(50)


@pytest.fixture(scope="module")
def ramses():
    if not RAMSES.exists():
        pytest.skip(f"real data not present: {RAMSES}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (RAMSES without cooling tables: T/mu, said once)
        return yt.load(str(RAMSES))


def values(arr) -> np.ndarray:
    return np.frombuffer(arr, dtype="<f8")


def assert_same_cells_and_fields(got, obj, fields):
    """The converted dataset holds yt's own arrays, value for value, with yt's units."""
    for key in GEOMETRY:
        want = obj[key]
        assert str(want.units) == "code_length"
        np.testing.assert_array_equal(values(getattr(got, key)), want.d.astype("f8"), err_msg=key)
    assert got.field_list == sorted(f[1] for f in fields)
    for field in fields:
        want = obj[field]
        np.testing.assert_array_equal(values(got[field[1]]), want.d.astype("f8"), err_msg=str(field))
        assert got.units(field[1]) == str(want.units)


def assert_same_as_saved_file(got, obj, tmp_path, fields):
    """What yt's save_as_dataset writes of the object, read by ytlite.load, is the same dataset."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = obj.save_as_dataset(str(tmp_path / "saved.h5"), fields=list(fields))
    saved = ytlite.load(path)
    for key in (*GEOMETRY, *saved.field_list):
        np.testing.assert_array_equal(values(got[key] if key not in GEOMETRY else getattr(got, key)),
                                      values(saved[key] if key not in GEOMETRY else getattr(saved, key)), err_msg=key)
    assert got.field_list == saved.field_list
    assert {f: got.units(f) for f in got.field_list} == {f: saved.units(f) for f in saved.field_list}
    for attr in ("axis", "x_axis_name", "y_axis_name", "domain_bounds", "length_unit", "current_time",
                 "periodicity", "container_type", "coord", "num_cells"):
        assert getattr(got, attr) == getattr(saved, attr), attr
    return saved


def yt_image(obj, field, bounds, width, height, antialias=True):
    buff = np.full((height, width), np.nan)
    pixelize_cartesian(buff, obj["px"].d, obj["py"].d, obj["pdx"].d, obj["pdy"].d, obj[field].d, tuple(bounds),
                       antialias=int(antialias), period=None, check_period=0)
    return buff


def test_slice_of_a_ramses_output(ramses, tmp_path):
    sl = ramses.slice("z", 0.5)
    fields = [("gas", "density"), ("gas", "temperature")]
    got = from_yt(sl, "density", [("gas", "temperature")])
    assert_same_cells_and_fields(got, sl, fields)
    assert (got.axis, got.x_axis_name, got.y_axis_name, got.coord) == (2, "x", "y", 0.5)
    assert got.domain_bounds == (0.0, 1.0, 0.0, 1.0)
    assert got.current_time == (float(ramses.current_time.d), "code_time")
    assert got.length_unit == (float(ramses.length_unit.d), str(ramses.length_unit.units))
    assert got.units("density") == "g/cm**3" and got.num_cells == len(sl["px"])
    assert_same_as_saved_file(got, sl, tmp_path, fields)
    # its picture is yt's own pixelizer's of the same cells, in a zoomed view too
    for bounds, (w, h) in [(got.domain_bounds, (128, 128)), ((0.3, 0.55, 0.4, 0.6), (100, 80))]:
        image = got.pixelize("density", bounds, width=w, height=h)
        np.testing.assert_array_equal(np.array(image.values).reshape(h, w), yt_image(sl, ("gas", "density"), bounds, w, h))


def test_slice_along_x_and_its_fields_already_computed(ramses):
    sl = ramses.slice("x", 0.25)
    sl["gas", "pressure"]  # computed before: it comes along with the asked-for one
    got = as_slice_dataset(sl, ("gas", "velocity_x"))
    assert_same_cells_and_fields(got, sl, [("gas", "pressure"), ("gas", "velocity_x")])
    assert from_yt(sl, fields=["velocity_x"]).field_list == ["velocity_x"]  # fields= names them all
    assert (got.axis, got.x_axis_name, got.y_axis_name, got.coord) == (0, "y", "z", 0.25)
    # nothing computed, nothing asked for: gas density
    assert from_yt(ramses.slice("y", 0.5)).field_list == ["density"]


@pytest.mark.parametrize("weight", [None, ("gas", "density")], ids=["plain", "weighted"])
def test_projection_of_a_ramses_output(ramses, tmp_path, weight):
    proj = ramses.proj(("gas", "temperature"), "y", weight_field=weight)
    got = from_yt(proj)
    assert_same_cells_and_fields(got, proj, [("gas", "temperature")])
    assert got.container_type == "quad_proj" and got.coord is None and (got.x_axis_name, got.y_axis_name) == ("z", "x")
    assert got.units("temperature") == ("K*cm" if weight is None else "K")
    assert_same_as_saved_file(got, proj, tmp_path, [("gas", "temperature")])
    bounds = (0.1, 0.9, 0.2, 0.7)
    image = got.pixelize("temperature", bounds, width=96, height=60, antialias=False)
    np.testing.assert_array_equal(np.array(image.values).reshape(60, 96),
                                  yt_image(proj, ("gas", "temperature"), bounds, 96, 60, antialias=False))


@pytest.mark.parametrize("name", ["ramses_blast3d_z0.5_slice.h5", "amrex_adv3d_y_proj.h5"])
def test_yt_load_of_a_slice_or_projection_file(name):
    """yt.load of a save_as_dataset file: the same dataset as ytlite.load of it."""
    path = real_slice(name)
    ds = yt.load(str(path))
    got, want = from_yt(ds), ytlite.load(path)
    assert got.field_list == want.field_list
    data = ds.all_data()
    for key in (*GEOMETRY, *want.field_list):
        mine = getattr(got, key) if key in GEOMETRY else got[key]
        np.testing.assert_array_equal(values(mine), data["grid", key].d.astype("f8"), err_msg=key)
        np.testing.assert_array_equal(values(mine), values(getattr(want, key) if key in GEOMETRY else want[key]))
    for attr in ("axis", "x_axis_name", "y_axis_name", "domain_bounds", "length_unit", "current_time",
                 "periodicity", "container_type", "coord"):
        assert getattr(got, attr) == getattr(want, attr), attr
    assert {f: got.units(f) for f in got.field_list} == {f: want.units(f) for f in want.field_list}


def test_the_viewer_takes_yt_objects(ramses):
    sl = ramses.slice("z", 0.5)
    v = ytlite.SliceViewer(sl, ("gas", "density"), resolution=64)
    assert v.field == "density" and set(v.fields) == {"density", "refinement_level"}
    assert v.px == np.ascontiguousarray(sl["px"].d, dtype="<f8").tobytes()
    assert v.fields["density"] == np.ascontiguousarray(sl["gas", "density"].d, dtype="<f8").tobytes()
    assert v.field_units["density"] == "g/cm**3" and v.scale == "log"
    assert (v.info["kind"], v.info["axis"], v.info["coord"]) == ("slice", "z", [0.5, "code_length"])
    assert v.domain == [0.0, 1.0, 0.0, 1.0]
    # fields= names what travels; a projection shown in the same viewer
    v2 = ytlite.SliceViewer(sl, fields=["temperature", "pressure"], resolution=64)
    assert set(v2.fields) == {"temperature", "pressure"}
    v2.show(ramses.proj(("gas", "density"), "x"))
    assert v2.info["kind"] == "projection" and v2.field_units["density"] == "g/cm**2" and v2.info["axis"] == "x"
    # a slice file as yt loaded it
    path = real_slice("ramses_blast3d_x0.5_slice.h5")
    v3 = ytlite.SliceViewer(yt.load(str(path)), "temperature", resolution=64)
    assert v3.fields["temperature"] == ytlite.load(path)["temperature"].tobytes()


def test_what_cannot_be_shown(ramses, tmp_path):
    with pytest.raises(FromYTError, match=r"info_00003 is a whole 3-D yt dataset: give ytlite a slice or a projection"):
        ytlite.SliceViewer(ramses)
    with pytest.raises(FromYTError, match=r"an off-axis cutting plane"):
        from_yt(ramses.cutting([1, 1, 0], [0.5, 0.5, 0.5]))
    with pytest.raises(FromYTError, match=r"yt slices \(ds.slice\) and on-axis projections \(ds.proj\); this is a yt 'region'"):
        from_yt(ramses.r[0.2:0.4, 0.2:0.4, 0.2:0.4])
    with pytest.raises(FromYTError, match=r"no field 'nope' in info_00003"):
        ytlite.SliceViewer(ramses.slice("z", 0.5), "nope")
    # non-cartesian geometry
    grid = {"density": np.ones((8, 8, 8))}
    sph = yt.load_uniform_grid(grid, (8, 8, 8), bbox=np.array([[0, 1], [0, np.pi], [0, 2 * np.pi]]), geometry="spherical")
    with pytest.raises(FromYTError, match=r"has spherical geometry: ytlite draws cartesian slices and projections only"):
        from_yt(sph.slice("phi", 1.0), ("gas", "density"))
    # particles only: a particle dataset, its slice, and a particle field of a mesh dataset
    rng = np.random.default_rng(1)
    parts = {f"particle_position_{a}": rng.random(50) for a in "xyz"} | {"particle_mass": np.ones(50)}
    pds = yt.load_particles(parts, bbox=np.array([[0, 1], [0, 1], [0, 1]]))
    for obj in (pds, pds.slice(2, 0.5)):
        with pytest.raises(FromYTError, match=r"is a particle dataset \(its index holds particles, no mesh cells\)"):
            ytlite.SliceViewer(obj)
    mixed = yt.load_uniform_grid({**grid, **{("io", k): v for k, v in parts.items()}}, (8, 8, 8), nprocs=1)
    with pytest.raises(FromYTError, match=r"'io,particle_mass' is a particle field: ytlite draws mesh fields"):
        from_yt(mixed.slice(2, 0.5), ("io", "particle_mass"))
    # a save_as_dataset file of something else than a slice or projection
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = ramses.r[0.4:0.5, 0.4:0.5, 0.4:0.5].save_as_dataset(str(tmp_path / "region.h5"), fields=[("gas", "density")])
    with pytest.raises(FromYTError, match=r"region.h5 is a save_as_dataset file of a yt 'region' object: "
                                          r"ytlite shows files of slices and on-axis projections"):
        from_yt(yt.load(saved))


def test_ytlite_needs_no_yt_for_its_own_datasets():
    """Without a yt object nothing of yt or numpy is imported (ytlite runs in Pyodide without them)."""
    code = ("import sys, ytlite, ytlite.from_yt as f\n"
            "assert f.as_slice_dataset('x') == 'x' and not f.is_yt_object(3)\n"
            "print('yt' in sys.modules, 'numpy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"], out
