"""ytlite's Python side on CPython: loading yt files, errors on bad input, the
pixelize API, colormap tables, widget state validation."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest
import yt

import ytlite
from ytlite._hdf5 import SliceFileError
from support.paths import REAL_SLICES, real_slice


def test_demo_slice_matches_yt(demo_dir, demo_slice):
    """What ytlite reads equals what yt.load reads from the same file."""
    ds = demo_slice
    yds = yt.load(str(demo_dir / "amr_demo_slice.h5"))
    ad = yds.all_data()
    assert ds.num_cells == len(ad["grid", "px"])
    for key in ("px", "py", "pdx", "pdy"):
        np.testing.assert_array_equal(np.frombuffer(getattr(ds, key)), ad["grid", key].d)
    for field in ("density", "temperature"):
        np.testing.assert_array_equal(np.frombuffer(ds[field]), ad["grid", field].d)
        assert ds.units(field) == str(ad["grid", field].units)
    assert ds.field_list == ["density", "temperature"]
    assert ds.axis == 2 and (ds.x_axis_name, ds.y_axis_name) == ("x", "y")
    assert ds.domain_bounds == (-20.0, 20.0, -20.0, 20.0)
    assert ds.length_unit == (1.0, "pc")
    assert repr(ds).startswith(f"<ytlite slice along z at z = 0.1: {ds.num_cells} cells, fields density, temperature")


def test_demo_data_has_real_refinement(demo_slice):
    """The demo model is AMR: several levels, refined where density varies."""
    widths = np.frombuffer(demo_slice.pdx) * 2
    levels = np.unique(np.round(np.log2(widths.max() / widths)).astype(int))
    assert list(levels) == [0, 1, 2, 3]
    from ytlite.demo import SLICE_Z, density

    x, y = np.frombuffer(demo_slice.px), np.frombuffer(demo_slice.py)
    h = 1e-3  # pc
    grad = np.hypot(
        np.log(density(x + h, y, SLICE_Z)) - np.log(density(x - h, y, SLICE_Z)),
        np.log(density(x, y + h, SLICE_Z)) - np.log(density(x, y - h, SLICE_Z)),
    ) / (2 * h)
    fine, coarse = widths == widths.min(), widths == widths.max()
    # Finest cells sit where the density changes fast (shell, clouds), coarse ones on smooth gas.
    assert np.median(grad[fine]) > 10 * np.median(grad[coarse])


@pytest.mark.parametrize("path", REAL_SLICES, ids=[p.stem for p in REAL_SLICES])
def test_real_files_load(path):
    ds = ytlite.load(path)
    yds = yt.load(str(path))
    assert ds.num_cells == len(yds.all_data()["grid", "px"])
    assert ds.field_list and all(len(ds[f]) == ds.num_cells for f in ds.field_list)
    # Cells lie inside the image-plane domain.
    x0, x1, y0, y1 = ds.domain_bounds
    px, pdx = np.frombuffer(ds.px), np.frombuffer(ds.pdx)
    py, pdy = np.frombuffer(ds.py), np.frombuffer(ds.pdy)
    assert (px - pdx).min() >= x0 - 1e-12 and (px + pdx).max() <= x1 + 1e-12
    assert (py - pdy).min() >= y0 - 1e-12 and (py + pdy).max() <= y1 + 1e-12


def test_refinement_level_is_yts_grid_level():
    """The derived refinement_level is yt's own ("index", "grid_level") of the
    same cells, counted from the coarsest level in the slice."""
    path = real_slice("ramses_blast3d_z0.5_slice.h5")
    raw = path.parents[1] / "ramses_blast3d" / "output_00003" / "info_00003.txt"
    if not raw.exists():
        pytest.skip(f"raw RAMSES output not present: {raw}")
    raw_ds = yt.load(str(raw))  # (kept: a yt data object holds only a weak reference to its dataset)
    sl = raw_ds.slice(2, 0.5)
    ds = ytlite.load(path)
    theirs = np.lexsort((sl["py"].d, sl["px"].d))
    ours = np.lexsort((np.frombuffer(ds.py), np.frombuffer(ds.px)))
    np.testing.assert_array_equal(np.frombuffer(ds.px)[ours], sl["px"].d[theirs])
    level = sl["index", "grid_level"].d[theirs]
    np.testing.assert_array_equal(np.frombuffer(ds["refinement_level"])[ours], level - level.min())
    assert level.max() > level.min()  # the slice crosses several levels
    assert ds.units("refinement_level") == "" and ds.default_scale("refinement_level") == "linear"
    assert "refinement_level" not in ds.field_list  # not in the file


def test_default_scales_follow_the_values(tmp_path):
    """log for positive fields, symlog when values reach zero or below (as yt
    chooses), and the viewer starts with the field's scale unless told."""
    path = tmp_path / "signs.h5"
    _write_slice(path, n=4, density=[1.0, 2.0, np.nan, 4.0], velocity_x=[-1.0, 0.5, 2.0, 3.0])
    ds = ytlite.load(path)
    assert ds.default_scale("density") == "log" and ds.default_scale("velocity_x") == "symlog"
    assert ds.plot("velocity_x").scale == "symlog" and ds.plot("velocity_x", scale="linear").scale == "linear"
    v = ds.plot("density")
    assert v.scale == "log" and v.field_scales == {"density": "log", "velocity_x": "symlog",
                                                   "refinement_level": "linear"}
    # levels from the widths: 0 for the widest cell, +1 per halving; NaN for a bad width
    widths = tmp_path / "widths.h5"
    _write_slice(widths, n=4, pdx=[0.5, 0.25, 0.125, 0.5])
    np.testing.assert_array_equal(np.frombuffer(ytlite.load(widths)["refinement_level"]), [0, 1, 2, 0])


def test_projection_axes_follow_yt():
    """A y-projection shows z horizontally and x vertically, as yt does."""
    ds = ytlite.load(real_slice("amrex_adv3d_y_proj.h5"))
    assert ds.axis == 1 and (ds.x_axis_name, ds.y_axis_name) == ("z", "x")
    assert ds.domain_bounds == (0.0, 0.125, 0.0, 1.0)
    assert ds.container_type == "quad_proj"


# -- bad input -----------------------------------------------------------------


def test_truncated_file(demo_dir, tmp_path):
    data = (demo_dir / "amr_demo_slice.h5").read_bytes()
    bad = tmp_path / "truncated.h5"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(SliceFileError, match="truncated"):
        ytlite.load(bad)


def test_not_hdf5(tmp_path):
    bad = tmp_path / "notes.h5"
    bad.write_text("hello")
    with pytest.raises(SliceFileError, match="not an HDF5 file"):
        ytlite.load(bad)


def test_hdf5_without_grid(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3.0)
    with pytest.raises(SliceFileError, match="no /grid group"):
        ytlite.load(path)


def _write_slice(path, n=4, **overrides):
    arrays = {"px": np.linspace(0.1, 0.9, n), "py": np.full(n, 0.5), "pdx": np.full(n, 0.1),
              "pdy": np.full(n, 0.1), "density": np.ones(n)}
    arrays.update(overrides)
    with h5py.File(path, "w") as f:
        f.attrs["axis"] = 2
        f.attrs["container_type"] = "slice"
        f.attrs["domain_left_edge"] = [0.0, 0.0, 0.0]
        f.attrs["domain_right_edge"] = [1.0, 1.0, 1.0]
        for k, v in arrays.items():
            f[f"grid/{k}"] = v
    return path


def test_mismatched_lengths(tmp_path):
    path = _write_slice(tmp_path / "m.h5", density=np.ones(3))
    with pytest.raises(SliceFileError, match="grid/density has 3 values but grid/px has 4"):
        ytlite.load(path)


def test_empty_mesh(tmp_path):
    path = _write_slice(tmp_path / "e.h5", n=0)
    with pytest.raises(SliceFileError, match="no cells"):
        ytlite.load(path)


def test_unknown_field(demo_slice):
    with pytest.raises(KeyError, match="no field 'pressure'.*density, temperature"):
        demo_slice["pressure"]
    assert demo_slice["gas", "density"] is demo_slice["density"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bounds": (0, 0, 0, 1)}, "x_min < x_max"),
        ({"bounds": (0, float("nan"), 0, 1)}, "finite"),
        ({"width": 0}, "width must be an integer from 1 to 8192"),
        ({"width": 10000}, "width must be an integer from 1 to 8192"),
        ({"height": 2.5}, "height must be an integer"),
    ],
)
def test_pixelize_rejects_bad_arguments(kwargs, message):
    args = dict(bounds=(0, 1, 0, 1), width=8, height=8)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ytlite.pixelize([0.5], [0.5], [0.5], [0.5], [1.0], **args)


def test_pixelize_rejects_bad_meshes():
    with pytest.raises(ValueError, match="same length"):
        ytlite.pixelize([0.5, 0.2], [0.5], [0.5], [0.5], [1.0], (0, 1, 0, 1))
    with pytest.raises(ValueError, match="empty mesh"):
        ytlite.pixelize([], [], [], [], [], (0, 1, 0, 1))


def test_pixelize_native_contract():
    """On CPython the pixelize API is yt's pixelizer: NaN outside, area-weighted inside."""
    img = ytlite.pixelize([0.25], [0.5], [0.25], [0.5], [2.0], (0, 1, 0, 1), width=4, height=2)
    rows = img.rows()
    assert [rows[0, j] for j in range(2)] == [2.0, 2.0]
    assert all(math.isnan(rows[i, j]) for i in range(2) for j in range(2, 4))
    assert img.covered_range() == (2.0, 2.0)


# -- colormaps ---------------------------------------------------------------


def test_colormap_tables_are_matplotlibs():
    import matplotlib

    names = ytlite.colormap_names()
    assert set(names) == set(matplotlib.colormaps)
    assert {"viridis", "viridis_r", "cmyt.arbre", "cmyt.arbre_r", "tab10"} <= set(names)
    from ytlite.colormaps import lookup_table

    for name in ("viridis", "cmyt.arbre", "tab10", "gist_rainbow_r"):
        cmap = matplotlib.colormaps[name]
        assert lookup_table(name) == cmap(np.arange(cmap.N), bytes=True).astype(np.uint8).tobytes()


def test_unknown_colormap():
    from ytlite.colormaps import check_colormap

    with pytest.raises(ValueError, match="unknown colormap 'virdis'"):
        check_colormap("virdis")


# -- widget state --------------------------------------------------------------


def test_viewer_state(demo_slice):
    from traitlets import TraitError

    v = demo_slice.plot("density")
    assert v.image_size == (512, 512)
    assert v.view == [-20.0, 20.0, -20.0, 20.0]
    assert v.cmap == "cmyt.arbre" and v.scale == "log"
    # every field travels once, byte for byte, with its units
    assert set(v.fields) == {*demo_slice.field_list, "refinement_level"}
    assert all(v.fields[f] == demo_slice[f].tobytes() for f in demo_slice.field_list)
    assert v.field_units == {f: demo_slice.units(f) for f in [*demo_slice.field_list, "refinement_level"]}
    assert v.px == demo_slice.px.tobytes() and len(v.pdy) == 8 * demo_slice.num_cells
    assert v.info["kind"] == "slice" and v.info["axis"] == "z" and (v.info["x_axis"], v.info["y_axis"]) == ("x", "y")
    assert v.length_unit == "pc" and v.length_units["pc"] == 1.0
    # the other units: one code_length (1 pc) in them, from unyt's own constants
    import unyt

    assert v.length_units["kpc"] == pytest.approx(float(unyt.unyt_quantity(1, "pc").to("kpc").v), rel=1e-12)
    assert "nm" not in v.length_units  # a 40 pc domain is not shown in nanometres
    v.zoom(4)
    assert v.view == [-5.0, 5.0, -5.0, 5.0]
    v.center = (1.0, 2.0)
    assert v.view == [-4.0, 6.0, -3.0, 7.0] and v.center == (1.0, 2.0)
    v.width = 5.0
    assert v.view == [-1.5, 3.5, -0.5, 4.5]
    v.pan(1.5, 0.5)
    assert v.view == [0.0, 5.0, 0.0, 5.0]
    v.field = "temperature"
    assert v.field == "temperature"
    for name, value, match in [
        ("cmap", "nope", "unknown colormap 'nope'"), ("scale", "loggy", "scale must be one of"),
        ("vmin", float("inf"), "vmin must be finite"), ("linthresh", -1.0, "linthresh must be positive"),
        ("view", [1.0, 0.0, 0.0, 1.0], "min < max"), ("resolution", 10, "resolution must be from 16"),
        ("field", "pressure", "field 'pressure' is not in this viewer; fields: density, temperature"),
        ("length_unit", "furlong", "length_unit must be one of code_length"),
    ]:
        with pytest.raises(TraitError, match=match):
            setattr(v, name, value)
    with pytest.raises(ValueError, match="zoom factor must be positive"):
        v.zoom(0)
    with pytest.raises(ValueError, match="resolution must be an integer"):
        demo_slice.plot(resolution=5)
    with pytest.raises(KeyError, match="no field 'nope'"):
        demo_slice.plot(fields=["density", "nope"])
    # only the chosen fields travel
    assert set(demo_slice.plot("temperature", fields=["temperature"]).fields) == {"temperature"}
    assert "temperature" in repr(v) and "log" in repr(v)


def test_viewer_frb_is_the_view_deposit(demo_slice):
    v = demo_slice.plot("density", resolution=64)
    v.view = [-7.5, 23.0, -2.0, 4.1]
    img = v.frb()
    assert (img.width, img.height) == v.image_size == (64, 13)
    ref = demo_slice.pixelize("density", bounds=(-7.5, 23.0, -2.0, 4.1), width=64, height=13)
    assert img.values.tobytes() == ref.values.tobytes()


def test_viewer_png_needs_a_drawn_view(demo_slice, tmp_path):
    v = demo_slice.plot("density")
    with pytest.raises(RuntimeError, match="has not been drawn yet"):
        v.save_png(tmp_path / "x.png")
    v._snapshot = b"\x89PNG fake"
    assert v.save_png(tmp_path / "x.png").read_bytes() == b"\x89PNG fake"
    assert v._mimebundle()["image/png"]  # a saved notebook keeps the picture


def test_link_starts_equal_and_checks_its_arguments(demo_slice):
    a, b = demo_slice.plot("density"), demo_slice.plot("temperature", cmap="inferno")
    a.zoom(2)
    link = ytlite.link(a, b, colormap=True)
    assert b.view == a.view and b.cmap == a.cmap and link.names == ["view", "cmap"]
    with pytest.raises(TypeError, match="two or more SliceViewers"):
        ytlite.link(a)
    with pytest.raises(ValueError, match="nothing to link"):
        ytlite.link(a, b, view=False)


def test_viewer_keeps_aspect_ratio():
    ds = ytlite.load(real_slice("amrex_adv3d_y_proj.h5"))
    v = ds.plot()
    assert v.image_size == (64, 512)
    assert v.info["kind"] == "projection" and v.info["axis"] == "y"


def test_viewer_opens_another_dataset_in_place(demo_dir, demo_slice):
    from support.paths import real_slice

    other = real_slice("ramses_blast3d_z0.5_slice.h5")
    v = demo_slice.plot("temperature", cmap="inferno", vmin=1e3, vmax=1e6)
    v.zoom(2)
    v.show(str(other))
    assert v.info["name"] == other.name and v.field == "density" and v.cmap == "inferno"
    assert v.view == v.domain == [0.0, 1.0, 0.0, 1.0] and (v.vmin, v.vmax) == (None, None)
    assert v.px == ytlite.load(other).px.tobytes() and "pressure" in v.fields and v.length_unit == "cm"
    w, h = v.image_size
    assert v.frb().values.tobytes() == ytlite.load(other).pixelize("density", width=w, height=h).values.tobytes()
    # a bad file: the error names it, and the viewer keeps what it had
    with pytest.raises(SliceFileError, match="/nonexistent/x.h5: not an HDF5 file"):
        v.show("/nonexistent/x.h5")
    assert v.info["name"] == other.name
