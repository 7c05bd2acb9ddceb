"""ytlite's engine on CPython (ytlite/_native_engine.py: the wasm pixelizer run
by wasmtime, through a host of its wasm-bindgen ABI): its deposit against yt's
own pixelize_cartesian byte for byte (what ``ytlite.pixelize`` returns), its
errors (the crate's messages, as in the browser), the imports it provides
against the JavaScript glue's, and that it needs no yt."""

from __future__ import annotations

import re
from array import array

import h5py
import numpy as np
import pytest
from yt.utilities.lib.pixelization_routines import pixelize_cartesian

import ytlite
from support.paths import REAL_SLICES, ROOT
from support.without import run_without
from ytlite import _native_engine

GLUE = ROOT / "ytlite" / "_generated" / "ytlite_pixelizer.js"


def cells(path, field):
    with h5py.File(path, "r") as f:
        return [f["grid"][k][()].astype("f8") for k in ("px", "py", "pdx", "pdy", field)]


def yt_image(arrays, bounds, width, height, antialias=True, period=None):
    buff = np.full((height, width), np.nan)
    pixelize_cartesian(buff, *arrays, bounds, antialias=int(antialias), period=period,
                       check_period=int(period is not None))
    return buff


@pytest.mark.parametrize("antialias", [True, False])
def test_pixelize_is_yts_buffer_byte_for_byte(antialias):
    if not REAL_SLICES:
        pytest.skip("no real slices beside the repository")
    for path in REAL_SLICES:
        with h5py.File(path, "r") as f:
            field = sorted(k for k in f["grid"] if k not in ("px", "py", "pdx", "pdy", "pz", "pdz", "weight_field"))[0]
        arrays = cells(path, field)
        x0, x1 = arrays[0].min(), arrays[0].max()
        y0, y1 = arrays[1].min(), arrays[1].max()
        for bounds, (w, h) in (((x0, x1, y0, y1), (300, 211)),  # the whole, odd sizes
                               ((x0 + 0.3 * (x1 - x0), x0 + 0.41 * (x1 - x0), y0 + 0.55 * (y1 - y0), y1), (97, 64))):
            bounds = tuple(map(float, bounds))
            got = ytlite.pixelize(*arrays, bounds, width=w, height=h, antialias=antialias)
            want = yt_image(arrays, bounds, w, h, antialias)
            assert np.isfinite(want).any()
            assert got.values.tobytes() == want.tobytes(), f"{path.name} {bounds} {w}x{h}"


def test_periodic_deposit_is_yts():
    rng = np.random.default_rng(7)
    n = 500
    px, py = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    pdx, pdy = rng.uniform(0.001, 0.05, n), rng.uniform(0.001, 0.05, n)
    values = rng.lognormal(size=n)
    bounds = (0.0, 1.0, 0.0, 1.0)
    got = ytlite.pixelize(px, py, pdx, pdy, values, bounds, width=64, height=48, period=(1.0, 1.0))
    want = yt_image([px, py, pdx, pdy, values], bounds, 64, 48, period=(1.0, 1.0))
    assert got.values.tobytes() == want.tobytes()
    plain = ytlite.pixelize(px, py, pdx, pdy, values, bounds, width=64, height=48)
    assert plain.values.tobytes() != got.values.tobytes()  # the period made a difference


def test_the_engines_errors_are_its_own_messages_and_it_goes_on():
    with pytest.raises(ValueError, match=r"^cell centre px\[1\] = NaN is not a finite number$"):
        ytlite.pixelize([0.5, float("nan")], [0.5, 0.5], [0.1, 0.1], [0.1, 0.1], [1.0, 2.0], (0, 1, 0, 1),
                        width=4, height=4)
    with pytest.raises(ValueError, match=r"^cell half-width pdx\[0\] = -0.1 must be finite and >= 0$"):
        ytlite.pixelize([0.5], [0.5], [-0.1], [0.1], [1.0], (0, 1, 0, 1), width=4, height=4)
    img = ytlite.pixelize([0.25], [0.5], [0.25], [0.5], [2.0], (0, 1, 0, 1), width=4, height=2)
    assert img.values.tobytes() == np.array([[2.0, 2.0, np.nan, np.nan]] * 2).tobytes()


def test_draw_with_nothing_to_show_is_the_bad_colour():
    """A log picture of values <= 0 only: the viewer's fallback (every pixel the
    colormap's "bad" colour, no limits), not an error."""
    from ytlite.colormaps import colormap_index

    mesh = [array("d", [v]) for v in (0.5, 0.5, 0.5, 0.5, -3.0)]
    rgba, limits = _native_engine.draw(mesh, (0.0, 1.0, 0.0, 1.0), 8, 4, "log", "viridis")
    assert limits is None
    bad = bytes(colormap_index()["colormaps"]["viridis"]["bad"])
    assert rgba == bad * 32
    with pytest.raises(ValueError, match="unknown scale 'loud'"):
        _native_engine.draw(mesh, (0.0, 1.0, 0.0, 1.0), 8, 4, "loud", "viridis")
    with pytest.raises(TypeError, match="expected a contiguous float64 buffer, got 'l'"):
        _native_engine.deposit([array("l", [1])] * 5, (0.0, 1.0, 0.0, 1.0), 8, 4)


def test_an_import_the_host_does_not_provide_says_so_when_called():
    """values() returns a Float64Array view, made through the glue's F64 cast import,
    which this host does not provide: the call fails with its name, and the next
    call works (a new instance)."""
    with _native_engine._Session() as s:
        frb = s.new("fixedresolutionbuffer", "new", 4, 4)
    with pytest.raises(RuntimeError, match=r"called __wbindgen_generic_\w+, which ytlite/_native_engine.py does not"):
        with _native_engine._Session() as s:
            frb = s.new("fixedresolutionbuffer", "new", 4, 4)
            s.wasm.call("fixedresolutionbuffer_values", frb)
    assert _native_engine._instance is None  # discarded
    img = ytlite.pixelize([0.5], [0.5], [0.5], [0.5], [1.0], (0, 1, 0, 1), width=2, height=2)
    assert list(img.values) == [1.0] * 4  # (each pixel wholly covered)


def test_the_host_provides_what_the_glue_does():
    """Every import of the glue's __wbg_get_imports() is one the host provides, except
    the Float64Array cast (views: never called by the host) and those only
    VariableMesh.parts() / fromParts() / PartsBuilder need (never called by the host); and they are
    the module's imports (so a rebuild with another wasm-bindgen shows here)."""
    import wasmtime

    from ytlite._runtime import PIXELIZER_WASM, generated_file

    glue = GLUE.read_text()
    body = glue[glue.index("function __wbg_get_imports()"):glue.index("const ColormapFinalization")]
    names = set(re.findall(r"^\s{8}(__w\w+): function", body, re.M))
    module = wasmtime.Module(wasmtime.Engine(), generated_file(PIXELIZER_WASM))
    assert names == {imp.name for imp in module.imports}
    instance = _native_engine._Instance()
    provided = {imp.name for imp in module.imports
                if getattr(instance._import(imp), "__name__", "") != "called"}
    assert len(provided) == 6
    # the rest: the Float64Array casts of the views, and what only VariableMesh.parts() /
    # fromParts() / PartsBuilder use (a plain object of typed-array copies or lengths; the host calls none)
    parts_only = {"new", "length", "prototypesetcall", "new_from_slice", "get", "set", "instanceof_Uint8Array",
                  "instanceof_Uint32Array", "instanceof_Float32Array", "instanceof_Float64Array",
                  "__wbindgen_string_get", "__wbindgen_is_object", "__wbindgen_boolean_get", "__wbindgen_number_get"}
    rest = names - provided
    assert {n for n in rest if n.startswith("__wbindgen_generic_")}, rest
    stems = {re.sub(r"_[0-9a-f]{16}$", "", n.removeprefix("__wbg_")) for n in rest
             if not n.startswith("__wbindgen_generic_")}
    assert stems <= parts_only, stems - parts_only


def test_ytlite_pixelize_and_a_thumbnail_need_no_yt():
    """In a process where yt, matplotlib and cmyt cannot be imported."""
    if not REAL_SLICES:
        pytest.skip("no real slices beside the repository")
    done = run_without(("yt", "matplotlib", "cmyt"), f"""
import ytlite
from ytlite.site import gallery
img = ytlite.pixelize([0.5], [0.5], [0.5], [0.5], [1.0], (0, 1, 0, 1), width=2, height=2)
assert list(img.values) == [1.0] * 4
png, meta = gallery.thumbnail({str(REAL_SLICES[0])!r})
assert png.startswith(b"\\x89PNG") and meta["vmin"] < meta["vmax"]
assert not [m for m in sys.modules if m.split(".")[0] in ("yt", "matplotlib", "cmyt")]
print("ok")
""")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr
