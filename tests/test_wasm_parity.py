"""Parity of the Rust/wasm pixelizer (ytlite/_generated/ytlite_pixelizer*.{js,wasm})
with its references, run under node:

* deposition vs yt 4.4.3 ``pixelize_cartesian`` on every real slice/projection
  and every field in it, plus synthetic meshes, over many views, sizes,
  antialias on/off, periodic on/off;
* shading vs matplotlib ``cmap(norm(np.ma.masked_invalid(buff)), bytes=True)[::-1]``
  (Normalize / LogNorm / SymLogNorm), and every colormap of colormaps.json vs
  the matplotlib colormap of the same name: byte for byte wherever the colour
  is defined; within the float error bound of a log/symlog colour threshold,
  where the CPU's log10 decides, either neighbouring colour
  (``support/shading_oracle.py``);
* errors crossing the wasm boundary as JS exceptions with clear messages.

All the wasm work of this module runs in ONE node process
(tests/support/wasm_runner.mjs, module-scoped fixture ``batch``); each parametrized
test then computes its oracle natively (yt / matplotlib / analytic) and
compares it with the runner's output files.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import h5py
import numpy as np
import pytest

from support.paths import REAL_SLICES, ROOT, real_slice
from support.shading_oracle import compare_colours

GENERATED = ROOT / "ytlite" / "_generated"
GLUE = GENERATED / "ytlite_pixelizer.js"
WASM = GENERATED / "ytlite_pixelizer_bg.wasm"
CMAP_JSON = GENERATED / "colormaps.json"
CMAP_BIN = GENERATED / "colormaps.bin"
RUNNER = Path(__file__).resolve().parent / "support" / "wasm_runner.mjs"
NODE = shutil.which("node") or "/usr/bin/node"

RTOL = 1e-9  # max relative error allowed on covered pixels
SIZES = [(512, 512), (640, 360), (333, 517), (7, 3)]  # (width, height)
VIEWS = ["full", "zoom4", "zoom16", "zoom64", "offcentre", "partly_outside", "outside"]
GEOMETRY = ("px", "py", "pdx", "pdy", "pz", "pdz")

# yt's cartesian image axes for a slice/projection along axis 0, 1, 2
X_AXIS = {0: 1, 1: 2, 2: 0}
Y_AXIS = {0: 2, 1: 0, 2: 1}


def fnum(x):
    """JSON-safe number for the runner (NaN/inf as strings, None = undefined)."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


# --------------------------------------------------------------------------
# meshes


@dataclass
class Mesh:
    key: str
    extent: tuple  # x0, x1, y0, y1 of the cell edges
    period: tuple | None  # domain widths along the image axes, if periodic
    fields: list
    loader: object = field(repr=False)  # () -> dict(px, py, pdx, pdy, <fields>)


@lru_cache(maxsize=None)
def _load(key):
    return MESHES[key].loader()


def _extent(px, py, pdx, pdy):
    return (float((px - pdx).min()), float((px + pdx).max()), float((py - pdy).min()), float((py + pdy).max()))


def _real_loader(path):
    def load():
        with h5py.File(path, "r") as h:
            g = h["grid"]
            return {k: np.ascontiguousarray(g[k][:], dtype=np.float64) for k in g if k not in ("pz", "pdz")}

    return load


def _real_mesh(path: Path) -> Mesh:
    with h5py.File(path, "r") as h:
        g = h["grid"]
        geo = [g[k][:] for k in ("px", "py", "pdx", "pdy")]
        fields = sorted(k for k in g if k not in GEOMETRY)
        periodic = bool(np.all(h.attrs["periodicity"]))
        axis = int(h.attrs["axis"])
        dw = np.asarray(h.attrs["domain_right_edge"]) - np.asarray(h.attrs["domain_left_edge"])
    # the data field first, weight_field (if any) last
    fields.sort(key=lambda f: (f == "weight_field", f))
    period = (float(dw[X_AXIS[axis]]), float(dw[Y_AXIS[axis]])) if periodic else None
    return Mesh(path.stem, _extent(*geo), period, fields, _real_loader(path))


def _quadtree(seed=20240531, bounds=(-3.7, 5.1, 10.0, 10.02), max_level=7):
    """Leaves of a random quadtree over non-unit, very anisotropic bounds,
    refined more around a ring (like an AMR blast wave)."""
    rng = np.random.default_rng(seed)
    x0, x1, y0, y1 = bounds
    cells = []

    def visit(cx, cy, hx, hy, level):
        u, v = (cx - x0) / (x1 - x0), (cy - y0) / (y1 - y0)
        r = math.hypot(u - 0.45, v - 0.55)
        p = 0.95 if abs(r - 0.3) < 1.5 / 2**level else 0.15
        if level < max_level and (level < 2 or rng.random() < p):
            for sx in (-0.5, 0.5):
                for sy in (-0.5, 0.5):
                    visit(cx + sx * hx, cy + sy * hy, hx / 2, hy / 2, level + 1)
        else:
            cells.append((cx, cy, hx, hy))

    visit((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2, 0)
    a = np.array(cells, dtype=np.float64)
    px, py, pdx, pdy = (np.ascontiguousarray(a[:, k]) for k in range(4))
    u, v = (px - x0) / (x1 - x0), (py - y0) / (y1 - y0)
    smooth = 1.0 + 0.8 * np.sin(7.3 * u) * np.cos(5.1 * v) + np.exp(-((u - 0.45) ** 2 + (v - 0.55) ** 2) * 20)
    signed = np.sin(11.0 * u + 2.0) * np.cos(9.0 * v) * 1e3
    signed[rng.random(len(px)) < 0.01] = np.nan
    signed[rng.random(len(px)) < 0.01] = 0.0
    const = np.full(len(px), 2.5)
    return dict(px=px, py=py, pdx=pdx, pdy=pdy, smooth=smooth, signed=signed, const=const)


def _overlapping(seed=7):
    """Projection-like soup: overlapping cells in random order, a few with
    zero width, NaN and negative values, centred around (1e5, -2e-3)."""
    rng = np.random.default_rng(seed)
    n = 3000
    px = 1e5 + rng.uniform(-1.0, 1.0, n)
    py = -2e-3 + rng.uniform(-1e-3, 1e-3, n)
    pdx = 10 ** rng.uniform(-4, -0.5, n)
    pdy = 10 ** rng.uniform(-7, -3.5, n)
    pdx[rng.random(n) < 0.02] = 0.0
    pdy[rng.random(n) < 0.02] = 0.0
    values = rng.normal(0.0, 1.0, n) * 10 ** rng.uniform(-3, 3, n)
    values[rng.random(n) < 0.02] = np.nan
    return dict(px=px, py=py, pdx=pdx, pdy=pdy, soup=values)


def _synthetic(key, fn, fields, periodic):
    d = fn()
    ext = _extent(d["px"], d["py"], d["pdx"], d["pdy"])
    period = (ext[1] - ext[0], ext[3] - ext[2]) if periodic else None
    return Mesh(key, ext, period, fields, fn)


MESHES: dict[str, Mesh] = {}
for _p in REAL_SLICES:
    MESHES[_p.stem] = _real_mesh(_p)
MESHES["synthetic_quadtree"] = _synthetic("synthetic_quadtree", _quadtree, ["smooth", "signed", "const"], True)
MESHES["synthetic_overlap"] = _synthetic("synthetic_overlap", _overlapping, ["soup"], False)


def view_bounds(extent, view):
    x0, x1, y0, y1 = extent
    W, H = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if view == "full":
        return (x0, x1, y0, y1)
    if view.startswith("zoom"):
        z = int(view[4:])
        return (cx - W / 2 / z, cx + W / 2 / z, cy - H / 2 / z, cy + H / 2 / z)
    if view == "offcentre":  # 16x zoom around a non-grid-aligned point
        ox, oy = x0 + 0.3137 * W, y0 + 0.7071 * H
        return (ox - W / 32, ox + W / 32, oy - H / 32, oy + H / 32)
    if view == "partly_outside":  # 40% off the left edge, 25% off the top
        return (x0 - 0.4 * W, x0 + 0.6 * W, y0 + 0.25 * H, y1 + 0.25 * H)
    if view == "outside":  # entirely right of the data
        return (x1 + 0.1 * W, x1 + 0.6 * W, y0 + 0.1 * H, y1 - 0.1 * H)
    raise ValueError(view)


# --------------------------------------------------------------------------
# deposition cases


@dataclass(frozen=True)
class DepositCase:
    id: str
    mesh: str
    field: str
    view: str
    width: int
    height: int
    antialias: bool
    periodic: bool

    @property
    def bounds(self):
        return view_bounds(MESHES[self.mesh].extent, self.view)

    @property
    def period(self):
        return MESHES[self.mesh].period if self.periodic else None


def _case(mesh, fld, view, size, aa, per):
    w, h = size
    cid = f"{mesh}/{fld}/{view}/{w}x{h}/{'aa' if aa else 'noaa'}/{'periodic' if per else 'nonperiodic'}"
    return DepositCase(cid, mesh, fld, view, w, h, aa, per)


def deposit_cases():
    cases = []
    for key, m in MESHES.items():
        if key == "synthetic_overlap":
            for view in VIEWS:
                for size in [(640, 360), (7, 3)]:
                    for aa in (True, False):
                        cases.append(_case(key, "soup", view, size, aa, False))
            continue
        pers = [False, True] if m.period else [False]
        primary, others = m.fields[0], [f for f in m.fields[1:] if f != "const"]
        # full matrix on the primary field
        for view in VIEWS:
            for size in SIZES:
                for aa in (True, False):
                    for per in pers:
                        cases.append(_case(key, primary, view, size, aa, per))
        # every other field: every view, both antialias modes, rotating sizes
        for fi, fld in enumerate(others):
            for vi, view in enumerate(VIEWS):
                size = SIZES[(fi + vi) % len(SIZES)]
                per = bool(m.period) and vi % 2 == 1
                for aa in (True, False):
                    cases.append(_case(key, fld, view, size, aa, per))
    return cases


DEPOSIT_CASES = deposit_cases()
# constant field on the quadtree: analytic oracle (value * covered fraction)
ANALYTIC_CASES = [
    _case("synthetic_quadtree", "const", view, size, True, False)
    for view in ("full", "zoom16", "offcentre", "partly_outside", "outside")
    for size in ((640, 360), (333, 517))
]


def yt_deposit(case: DepositCase) -> np.ndarray:
    from yt.utilities.lib.pixelization_routines import pixelize_cartesian

    d = _load(case.mesh)
    buff = np.full((case.height, case.width), np.nan, dtype=np.float64)
    pixelize_cartesian(
        buff, d["px"], d["py"], d["pdx"], d["pdy"], d[case.field], case.bounds,
        int(case.antialias), case.period, int(case.periodic),
    )
    return buff


# --------------------------------------------------------------------------
# shading cases (values are fed exactly through a one-cell-per-pixel mesh)


def _shade_arrays():
    """name -> 2D array (row 0 = y_min) fed to the shading stage."""
    rng = np.random.default_rng(42)
    out = {}
    a = rng.lognormal(0.0, 2.0, (61, 97))
    a[rng.random(a.shape) < 0.05] *= -1
    a[rng.random(a.shape) < 0.05] = 0.0
    a[rng.random(a.shape) < 0.03] = np.nan
    a[0, :5] = [np.inf, -np.inf, np.nan, 0.0, -0.0]
    # NaN with other bit patterns (signalling, negative): bad as well
    a[0, 5:10] = np.array([0x7FF0_DEAD_BEEF_0001] * 4 + [0xFFF8_0000_0000_0000], dtype=np.uint64).view(np.float64)
    out["mixed_signs_nan_inf"] = a
    b = 10 ** rng.uniform(-3, 5, (40, 50))
    b[:, 10] = np.nan
    out["positive_decades"] = b
    c = np.full((9, 13), 3.0)
    c[2, 3] = np.nan
    out["constant"] = c
    out["threshold_runs"] = _threshold_runs(rng)
    for name, mesh, fld, view, size in [
        ("ramses_density_full", "ramses_blast3d_z0.5_slice", "density", "full", (160, 90)),
        ("ramses_velocity_partly_outside", "ramses_blast3d_z0.5_slice", "velocity_x", "partly_outside", (96, 64)),
        ("amrex_phi_offcentre", "amrex_adv3d_z_slice", "phi", "offcentre", (71, 53)),
    ]:
        if mesh in MESHES:
            out[name] = yt_deposit(_case(mesh, fld, view, size, True, False))
    return out


def _threshold_runs(rng, vmin=0.37, vmax=4.1e3, n=256, shape=(67, 97)):
    """Runs of 1-6 equal values (odd row width, so runs straddle the
    shading loop's pixel pairs) drawn from: the log-scale colour
    thresholds of LogNorm(vmin, vmax) over n colours and their neighbours
    within 3 ulps, plateaus at exactly vmin / vmax (auto limits sit on
    thresholds), values between thresholds, just under / over the limits,
    NaN and non-positive values."""
    k = np.arange(1, n)  # inner thresholds: the auto limits stay vmin / vmax
    edges = 10 ** (np.log10(vmin) + k / n * (np.log10(vmax) - np.log10(vmin)))
    near = [np.nextafter(edges, np.inf if d > 0 else -np.inf) if d else edges for d in (-1, 0, 1)]
    for _ in range(2):
        near += [np.nextafter(near[-1], np.inf), np.nextafter(near[0], -np.inf)]
    pools = [np.concatenate(near), np.sqrt(edges[:-1] * edges[1:]),
             np.array([vmin, vmax]), np.array([np.nan, 0.0, -1.0])]
    out = []
    while len(out) < shape[0] * shape[1]:
        pool = pools[rng.choice(len(pools), p=[0.5, 0.25, 0.15, 0.1])]
        out += [pool[rng.integers(len(pool))]] * int(rng.integers(1, 7))
    a = np.array(out[: shape[0] * shape[1]]).reshape(shape)
    a[3, :] = vmin  # whole rows of plateaus
    a[4, :] = vmax
    a[5, :] = np.nan
    # ascending walks across thresholds, one ulp at a time from 2 below to
    # 3 above, each value repeated 4-6 times (so that the wasm loop keeps
    # its colour-run shortcut on): a run must end exactly at the threshold
    # (the last third: the thresholds of the linear scale's auto limits,
    # Normalize(-1, vmax): -1 is the smallest finite value)
    linear_edges = -1.0 + np.arange(1, n) / n * (vmax + 1.0)
    for row in range(6, shape[0] - 1):
        walk = []
        pool = edges if row < 2 * shape[0] // 3 else linear_edges
        while len(walk) < shape[1]:
            bits = pool[rng.integers(len(pool))].view(np.int64)
            for d in range(-2, 4):
                walk += [np.int64(bits + d).view(np.float64)] * int(rng.integers(4, 7))
        a[row, :] = walk[: shape[1]]
    a.flat[0], a.flat[-1] = vmin, vmax  # the auto limits are exactly vmin / vmax
    return a


def _percentile(a, q, positive=False):
    f = a[np.isfinite(a)]
    if positive:
        f = f[f > 0]
    return float(np.percentile(f, q))


def _absmax(a):
    f = a[np.isfinite(a)]
    return float(np.abs(f).max())


SPECIAL = dict(under=(255, 0, 0, 255), over=(0, 255, 0, 255), bad=(0, 0, 255, 127))
SPECIAL_MPL = dict(under=(1.0, 0.0, 0.0, 1.0), over=(0.0, 1.0, 0.0, 1.0), bad=(0.0, 0.0, 1.0, 0.5))


def _norm_specs(a):
    """(name, cmap, scale, vmin, vmax, linthresh, special colours?)"""
    lt = _absmax(a) / 100 or 1.0
    specs = [
        ("linear_auto", "viridis", "linear", None, None, None, False),
        ("linear_explicit", "RdBu_r", "linear", _percentile(a, 20), _percentile(a, 80), None, True),
        ("linear_vmin_only", "magma", "linear", _percentile(a, 30), None, None, False),
        ("linear_vmax_only_resampled7", "viridis7", "linear", None, _percentile(a, 70), None, True),
        ("log_auto", "viridis", "log", None, None, None, False),
        ("log_explicit", "inferno", "log", _percentile(a, 30, True), _percentile(a, 90, True), None, True),
        ("log_vmax_only", "RdBu_r", "log", None, _percentile(a, 60, True), None, False),
        ("log_equal_limits", "viridis", "log", 2.0, 2.0, None, True),
        ("linear_equal_limits", "viridis", "linear", 2.0, 2.0, None, True),
        ("symlog_auto", "RdBu_r", "symlog", None, None, lt, False),
        ("symlog_explicit", "viridis", "symlog", -_absmax(a), _absmax(a), lt / 1000, True),
        ("symlog_asym", "coolwarm", "symlog", _percentile(a, 10), _percentile(a, 95), lt * 10, True),
    ]
    # mixed explicit/auto that ends inverted would be an error: not a parity case
    return [s for s in specs if s[3] is None or s[4] is None or s[3] <= s[4]]


SHADE_ARRAYS = _shade_arrays()
SHADE_CASES = [(f"{an}/{spec[0]}", an, spec) for an, arr in SHADE_ARRAYS.items() for spec in _norm_specs(arr)]


def mpl_cmap(name):
    import matplotlib

    if name == "viridis7":
        return matplotlib.colormaps["viridis"].resampled(7)
    return matplotlib.colormaps[name]


def mpl_norm(scale, vmin, vmax, linthresh):
    import matplotlib.colors as mc

    if scale == "linear":
        return mc.Normalize(vmin, vmax)
    if scale == "log":
        return mc.LogNorm(vmin, vmax)
    return mc.SymLogNorm(linthresh, linscale=1.0, vmin=vmin, vmax=vmax, base=10)


def lut_bytes(cmap):
    return np.ascontiguousarray(cmap(np.arange(cmap.N), bytes=True), dtype=np.uint8).ravel()


# --------------------------------------------------------------------------
# colormaps


def _cmap_index():
    if not CMAP_JSON.exists():
        return {}
    return json.loads(CMAP_JSON.read_text())["colormaps"]


CMAP_INDEX = _cmap_index()


def cmap_probe(n):
    """Normalized values probing every entry boundary of an N-entry map,
    under/over/bad and the x == 1 special case, as a (rows, 64) array."""
    k = np.arange(n + 1, dtype=np.float64) / n
    vals = np.concatenate([
        np.linspace(-0.05, 1.05, 111), k, np.nextafter(k, -1.0), np.nextafter(k, 2.0),
        [0.0, -0.0, 1.0, -1e-300, 1e-300, np.nan, np.inf, -np.inf, 0.5, 1.0 - 1e-16],
    ])
    width = 64
    rows = -(-len(vals) // width)
    out = np.full(rows * width, np.nan)
    out[: len(vals)] = vals
    return out.reshape(rows, width)


# --------------------------------------------------------------------------
# error cases: (id, steps, expected message regex)

F = fnum
GOOD_MESH = dict(op="mesh", name="m", px=[0.25, 0.75], py=[0.5, 0.5], pdx=[0.25, 0.25], pdy=[0.5, 0.5], values=[1.0, 2.0])
LUT2 = dict(op="colormap", name="c", bytes=[0, 0, 0, 255, 255, 255, 255, 255])


def _mesh(**kw):
    return {**GOOD_MESH, **{k: [F(x) for x in v] for k, v in kw.items()}}


def _frb(w=4, h=2):
    return dict(op="frb", name="f", width=w, height=h)


def _dep(bounds, aa=True, period=None, mesh="m"):
    return dict(op="deposit", frb="f", mesh=mesh, bounds=[F(b) for b in bounds], antialias=aa, period=period and [F(p) for p in period])


def _norm(scale, vmin=None, vmax=None, linthresh=None):
    return dict(op="norm", name="n", scale=scale, vmin=F(vmin), vmax=F(vmax), linthresh=F(linthresh))


SHADE = dict(op="shade", frb="f", cmap="c", norm="n")
POS = r"[0-9.e+-]+"

ERROR_CASES = [
    ("mesh_length_mismatch_py", [_mesh(py=[0.5])],
     r"^length mismatch for py: expected 2 elements, got 1$"),
    ("mesh_length_mismatch_values", [_mesh(values=[1.0, 2.0, 3.0])],
     r"^length mismatch for values: expected 2 elements, got 3$"),
    ("mesh_length_mismatch_pdy", [_mesh(pdy=[])],
     r"^length mismatch for pdy: expected 2 elements, got 0$"),
    ("mesh_nan_half_width", [_mesh(pdx=[0.25, "NaN"])],
     r"^cell half-width pdx\[1\] = NaN must be finite and >= 0$"),
    ("mesh_negative_half_width", [_mesh(pdy=[-0.5, 0.5])],
     r"^cell half-width pdy\[0\] = -0\.5 must be finite and >= 0$"),
    ("mesh_infinite_half_width", [_mesh(pdx=["Infinity", 0.25])],
     r"^cell half-width pdx\[0\] = inf must be finite and >= 0$"),
    ("mesh_nan_position_x", [_mesh(px=["NaN", 0.75])],
     r"^cell centre px\[0\] = NaN is not a finite number$"),
    ("mesh_infinite_position_y", [_mesh(py=[0.5, "-Infinity"])],
     r"^cell centre py\[1\] = -inf is not a finite number$"),
    ("mesh_empty", [_mesh(px=[], py=[], pdx=[], pdy=[], values=[])],
     r"^the mesh has no cells \(all arrays are empty\)$"),
    ("mesh_with_length_zero", [dict(op="meshWithLength", name="m", n=0)],
     r"^the mesh has no cells"),
    ("mesh_set_values_length", [GOOD_MESH, dict(op="setValues", mesh="m", values=[1.0])],
     r"^length mismatch for values \(must match the number of cells\): expected 2 elements, got 1$"),
    ("mesh_view_write_revalidated", [GOOD_MESH, dict(op="viewWrite", mesh="m", array="pdx", index=1, value=-5.0),
                                     _frb(), _dep((0, 1, 0, 1))],
     r"^cell half-width pdx\[1\] = -5 must be finite and >= 0$"),
    ("frb_zero_width", [_frb(0, 10)],
     r"^invalid image size 0x10: width and height must be between 1 and 8192$"),
    ("frb_zero_height", [_frb(10, 0)],
     r"^invalid image size 10x0: width and height must be between 1 and 8192$"),
    ("frb_too_wide", [_frb(8193, 10)],
     r"^invalid image size 8193x10: width and height must be between 1 and 8192$"),
    ("frb_too_high", [_frb(16, 100000)],
     r"^invalid image size 16x100000: width and height must be between 1 and 8192$"),
    ("bounds_nan", [GOOD_MESH, _frb(), _dep((0, 1, "NaN", 1))],
     r"^invalid view bounds \(x: \[0, 1\], y: \[NaN, 1\]\): all bounds must be finite numbers$"),
    ("bounds_infinite", [GOOD_MESH, _frb(), _dep((0, "Infinity", 0, 1))],
     r"^invalid view bounds \(x: \[0, inf\], y: \[0, 1\]\): all bounds must be finite numbers$"),
    ("bounds_inverted_x", [GOOD_MESH, _frb(), _dep((1, 0, 0, 1))],
     r"^invalid view bounds \(x: \[1, 0\], y: \[0, 1\]\): x_min must be < x_max$"),
    ("bounds_inverted_y", [GOOD_MESH, _frb(), _dep((0, 1, 2, -2))],
     r"^invalid view bounds \(x: \[0, 1\], y: \[2, -2\]\): y_min must be < y_max$"),
    ("bounds_empty_x", [GOOD_MESH, _frb(), _dep((0.5, 0.5, 0, 1))],
     r"x_min must be < x_max$"),
    ("bounds_too_large", [GOOD_MESH, _frb(), _dep((-1.7e308, 1.7e308, 0, 1))],
     r"^invalid view bounds .*: the pixel size is not representable"),
    ("period_zero", [GOOD_MESH, _frb(), _dep((0, 1, 0, 1), period=(0, 1))],
     r"^invalid period along x: 0 \(must be finite and > 0\)$"),
    ("period_nan", [GOOD_MESH, _frb(), _dep((0, 1, 0, 1), period=(1, "NaN"))],
     r"^invalid period along y: NaN \(must be finite and > 0\)$"),
    ("log_vmin_zero", [_norm("log", 0.0, 1.0)],
     r"^invalid normalization: log scale needs vmin > 0, got 0$"),
    ("log_vmin_negative_auto_vmax", [_norm("log", -1.0)],
     r"^invalid normalization: log scale needs vmin > 0, got -1$"),
    ("log_vmax_negative", [_norm("log", None, -3.0)],
     r"^invalid normalization: log scale needs vmax > 0, got -3$"),
    ("log_no_positive_data", [_mesh(values=[-3.0, 0.0]), _frb(), _dep((0, 1, 0, 1)), LUT2, _norm("log"), SHADE],
     r"^cannot determine automatic limits for a log scale: the buffer holds no finite value > 0"),
    ("value_range_log_no_positive", [_mesh(values=[-3.0, 0.0]), _frb(), _dep((0, 1, 0, 1)),
                                     dict(op="valueRange", frb="f", log=True, as_="r")],
     r"^cannot determine automatic limits for a log scale"),
    ("linear_no_data_view_outside", [GOOD_MESH, _frb(), _dep((5, 6, 5, 6)), LUT2, _norm("linear"), SHADE],
     r"^cannot determine automatic limits: the buffer holds no finite value \(is the view outside the data\?\)$"),
    ("vmin_greater_than_vmax", [_norm("linear", 2.0, 1.0)],
     r"^invalid normalization: vmin \(2\) must be <= vmax \(1\)$"),
    ("log_vmin_greater_than_vmax", [_norm("log", 10.0, 1.0)],
     r"^invalid normalization: vmin \(10\) must be <= vmax \(1\)$"),
    ("symlog_vmin_greater_than_vmax", [_norm("symlog", 1.0, -1.0, 0.1)],
     r"^invalid normalization: vmin \(1\) must be <= vmax \(-1\)$"),
    ("vmin_above_auto_vmax", [GOOD_MESH, _frb(), _dep((0, 1, 0, 1)), LUT2, _norm("linear", 100.0), SHADE],
     r"^invalid normalization: vmin \(100\) must be <= vmax \(2\)$"),
    ("infinite_limit", [_norm("linear", 0.0, "Infinity")],
     r"^invalid normalization: vmax = inf is not finite"),
    ("symlog_linthresh_zero", [_norm("symlog", None, None, 0.0)],
     r"^invalid normalization: symlog linthresh = 0 must be finite and > 0$"),
    ("colormap_length_not_multiple_of_4", [dict(op="colormap", name="c", bytes=[1, 2, 3, 4, 5, 6])],
     r"^invalid colormap: the lookup table must hold RGBA quadruplets \(length a multiple of 4\), got 6 bytes$"),
    ("colormap_single_entry", [dict(op="colormap", name="c", bytes=[1, 2, 3, 4])],
     r"^invalid colormap: the lookup table needs at least 2 colours, got 1$"),
    ("colormap_empty", [dict(op="colormap", name="c", bytes=[])],
     r"^invalid colormap: the lookup table needs at least 2 colours, got 0$"),
]
for _c in ERROR_CASES:  # `as` is a Python keyword
    for _s in _c[1]:
        if "as_" in _s:
            _s["as"] = _s.pop("as_")


# --------------------------------------------------------------------------
# the batch: build every job, run node once


@dataclass
class Batch:
    dir: Path
    results: dict

    def result(self, job_id):
        r = self.results.get(job_id)
        assert r is not None, f"runner produced no result for {job_id}"
        return r

    def ok(self, job_id):
        r = self.result(job_id)
        assert r["ok"], f"{job_id}: wasm threw at step {r['failed_step']}: {r['error']}"
        return r

    def f64(self, name, shape):
        return np.fromfile(self.dir / name, dtype="<f8").reshape(shape)

    def u8(self, name, shape):
        return np.fromfile(self.dir / name, dtype=np.uint8).reshape(shape)


def _safe(name):
    return name.replace("/", "__")


def _write(path: Path, a):
    np.ascontiguousarray(a, dtype="<f8").tofile(path)
    return str(path)


def _pixel_mesh_steps(d: Path, name, shape, cache):
    """Global mesh with one cell per pixel of `shape` over [0, W] x [0, H]:
    without antialiasing it deposits every value exactly (row-major order,
    so the next cell overwrites yt's bonus row/column)."""
    h, w = shape
    if name in cache:
        return []
    cache.add(name)
    jj, ii = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    base = d / f"pixmesh_{w}x{h}"
    return [dict(op="mesh", name=name, px=_write(Path(f"{base}_px.f64"), jj.ravel() + 0.5),
                 py=_write(Path(f"{base}_py.f64"), ii.ravel() + 0.5),
                 pdx=_write(Path(f"{base}_pdx.f64"), np.full(w * h, 0.5)),
                 pdy=_write(Path(f"{base}_pdy.f64"), np.full(w * h, 0.5)),
                 values=_write(Path(f"{base}_v0.f64"), np.zeros(w * h)))]


def _build_jobs(d: Path):
    setup, jobs = [], []
    # errors first, then a job that must still work
    for cid, steps, _ in ERROR_CASES:
        jobs.append(dict(id=f"error/{cid}", steps=steps))

    # meshes: geometry + field files, one global VariableMesh per mesh
    needed = {c.mesh for c in DEPOSIT_CASES + ANALYTIC_CASES}
    for key in sorted(needed):
        data = _load(key)
        files = {k: _write(d / f"{key}_{k}.f64", data[k]) for k in data}
        MESHES[key].files = files
        setup.append(dict(op="mesh", name=f"mesh:{key}", px=files["px"], py=files["py"], pdx=files["pdx"],
                          pdy=files["pdy"], values=files[MESHES[key].fields[0]]))
        jobs.append(dict(id=f"extent/{key}", steps=[dict(op="extent", mesh=f"mesh:{key}", **{"as": "extent"}),
                                                     dict(op="len", mesh=f"mesh:{key}", **{"as": "len"})]))

    # the module keeps working after all those errors
    q = _case("synthetic_quadtree", "smooth", "offcentre", (333, 517), True, True)
    jobs.append(_deposit_job("after_errors", q, d))

    # same geometry built through withLength + views
    qd = _load("synthetic_quadtree")
    fill = {k: MESHES["synthetic_quadtree"].files[k] for k in ("px", "py", "pdx", "pdy")}
    fill["values"] = MESHES["synthetic_quadtree"].files["signed"]
    jobs.append(dict(id="views/with_length", steps=[
        dict(op="meshWithLength", name="vm", n=len(qd["px"]), fill=fill),
        dict(op="frb", name="f", width=211, height=97),
        dict(op="deposit", frb="f", mesh="vm", bounds=list(view_bounds(MESHES["synthetic_quadtree"].extent, "zoom4")),
             antialias=True, period=None),
        dict(op="saveValues", frb="f", path=str(d / "views_with_length.f64")),
    ]))

    for c in DEPOSIT_CASES + ANALYTIC_CASES:
        jobs.append(_deposit_job(f"deposit/{c.id}", c, d))

    # shading
    pix_cache = set()
    luts = {}
    for cid, an, spec in SHADE_CASES:
        arr = SHADE_ARRAYS[an]
        mesh_name = f"pix:{arr.shape}"
        setup += _pixel_mesh_steps(d, mesh_name, arr.shape, pix_cache)
        vals = d / f"shade_in_{_safe(an)}.f64"
        if not vals.exists():
            _write(vals, arr.ravel())
        name, cmap, scale, vmin, vmax, lt, special = spec
        if cmap not in luts:
            luts[cmap] = [int(b) for b in lut_bytes(mpl_cmap(cmap))]
        h, w = arr.shape
        cm = dict(op="colormap", name="c", bytes=luts[cmap])
        if special:
            cm.update({k: list(v) for k, v in SPECIAL.items()})
        jobs.append(dict(id=f"shade/{cid}", steps=[
            dict(op="setValues", mesh=mesh_name, values=str(vals)),
            dict(op="frb", name="f", width=w, height=h),
            dict(op="deposit", frb="f", mesh=mesh_name, bounds=[0.0, float(w), 0.0, float(h)], antialias=False, period=None),
            dict(op="saveValues", frb="f", path=str(d / f"shade_{_safe(cid)}_values.f64")),
            cm, _norm(scale, vmin, vmax, lt), dict(SHADE, **{"as": "limits"}),
            dict(op="saveRgba", frb="f", path=str(d / f"shade_{_safe(cid)}.rgba")),
            dict(SHADE, direct=True, **{"as": "limits_direct"}),
            dict(op="saveRgba", frb="f", path=str(d / f"shade_{_safe(cid)}_direct.rgba")),
        ]))

    # every colormap of colormaps.json, shaded with Normalize(0, 1)
    for name, meta in CMAP_INDEX.items():
        probe = cmap_probe(meta["n"])
        h, w = probe.shape
        mesh_name = f"pix:{probe.shape}"
        setup += _pixel_mesh_steps(d, mesh_name, probe.shape, pix_cache)
        vals = d / f"cmap_probe_{meta['n']}.f64"
        if not vals.exists():
            _write(vals, probe.ravel())
        jobs.append(dict(id=f"cmap/{name}", steps=[
            dict(op="setValues", mesh=mesh_name, values=str(vals)),
            dict(op="frb", name="f", width=w, height=h),
            dict(op="deposit", frb="f", mesh=mesh_name, bounds=[0.0, float(w), 0.0, float(h)], antialias=False, period=None),
            dict(op="colormap", name="c", bin=[meta["offset"], meta["n"]], bad=meta["bad"], under=meta["under"], over=meta["over"]),
            _norm("linear", 0.0, 1.0), SHADE,
            dict(op="saveRgba", frb="f", path=str(d / f"cmap_{_safe(name)}.rgba")),
        ]))

    # colorbar tick positions: the normalization's own map
    for pid, (scale, vmin, vmax, lt) in POSITION_CASES.items():
        jobs.append(dict(id=f"positions/{pid}", steps=[
            _norm(scale, None, None, lt),
            dict(op="positions", norm="n", values=[F(v) for v in POSITION_VALUES], vmin=F(vmin), vmax=F(vmax),
                 **{"as": "t"}),
        ]))

    # and once more at the very end: still working
    jobs.append(_deposit_job("final", q, d, out="final"))
    return dict(colormaps_bin=str(CMAP_BIN), setup=setup, jobs=jobs)


def _deposit_job(job_id, c: DepositCase, d: Path, out=None):
    mesh = f"mesh:{c.mesh}"
    return dict(id=job_id, steps=[
        dict(op="setValues", mesh=mesh, values=MESHES[c.mesh].files[c.field]),
        dict(op="frb", name="f", width=c.width, height=c.height),
        dict(op="deposit", frb="f", mesh=mesh, bounds=[fnum(b) for b in c.bounds], antialias=c.antialias,
             period=c.period and [fnum(p) for p in c.period]),
        dict(op="saveValues", frb="f", path=str(d / f"{_safe(out or job_id)}.f64")),
    ])


@pytest.fixture(scope="module")
def batch():
    missing = [p for p in (GLUE, WASM, CMAP_JSON, CMAP_BIN) if not p.exists()]
    if missing:
        pytest.fail(f"generated files missing (run `python3 build.py build`): {[str(p) for p in missing]}")
    d = Path(tempfile.mkdtemp(prefix="ytlite-wasm-parity-"))
    try:
        spec = _build_jobs(d)
        (d / "jobs.json").write_text(json.dumps(spec, allow_nan=False))
        proc = subprocess.run([NODE, str(RUNNER), str(d / "jobs.json"), str(d / "results.json")],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"wasm_runner failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        results = json.loads((d / "results.json").read_text())
        yield Batch(d, results)
    finally:
        if not os.environ.get("YTLITE_KEEP_PARITY_DIR"):
            shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# comparison helpers


def assert_same_deposit(ours, ref, what):
    assert ours.shape == ref.shape
    nan_o, nan_r = np.isnan(ours), np.isnan(ref)
    if not np.array_equal(nan_o, nan_r):
        bad = np.argwhere(nan_o != nan_r)
        i, j = bad[0]
        pytest.fail(f"{what}: NaN masks differ at {len(bad)} pixels, first (row {i}, col {j}): "
                    f"wasm {ours[i, j]!r}, yt {ref[i, j]!r}")
    cov = ~nan_r
    o, r = ours[cov], ref[cov]
    diff = np.where(o == r, 0.0, np.abs(o - r))
    rel = diff / np.maximum(np.abs(r), np.finfo(np.float64).tiny)
    if rel.size and rel.max() > RTOL:
        k = int(np.argmax(rel))
        i, j = np.argwhere(cov)[k]
        pytest.fail(f"{what}: max relative error {rel.max():.3g} > {RTOL} at (row {i}, col {j}): "
                    f"wasm {o[k]!r}, yt {r[k]!r} ({int((rel > RTOL).sum())} pixels over tolerance)")


# --------------------------------------------------------------------------
# tests: deposition


@pytest.mark.parametrize("case", DEPOSIT_CASES, ids=lambda c: c.id)
def test_deposit_matches_yt(batch, case):
    batch.ok(f"deposit/{case.id}")
    ours = batch.f64(f"{_safe('deposit/' + case.id)}.f64", (case.height, case.width))
    assert_same_deposit(ours, yt_deposit(case), case.id)


@pytest.mark.parametrize("case", ANALYTIC_CASES, ids=lambda c: c.id)
def test_deposit_constant_field_analytic(batch, case):
    """A constant field c on a mesh tiling its domain: antialiased deposit is
    c * (area of pixel inside the domain) / (pixel area). yt drops cell/pixel
    overlaps below 1e-6 of a pixel, hence the 1e-5 tolerance."""
    batch.ok(f"deposit/{case.id}")
    ours = batch.f64(f"{_safe('deposit/' + case.id)}.f64", (case.height, case.width))
    x0, x1, y0, y1 = case.bounds
    X0, X1, Y0, Y1 = MESHES[case.mesh].extent
    xe = x0 + (x1 - x0) / case.width * np.arange(case.width + 1)
    ye = y0 + (y1 - y0) / case.height * np.arange(case.height + 1)
    fx = np.clip(np.minimum(xe[1:], X1) - np.maximum(xe[:-1], X0), 0, None) / np.diff(xe)
    fy = np.clip(np.minimum(ye[1:], Y1) - np.maximum(ye[:-1], Y0), 0, None) / np.diff(ye)
    frac = fy[:, None] * fx[None, :]
    expected = 2.5 * frac
    covered = frac > 1e-5
    assert np.isnan(ours[frac == 0]).all(), "pixels outside the domain must stay NaN"
    assert np.isfinite(ours[covered]).all(), "pixels overlapping the domain must be deposited"
    np.testing.assert_allclose(ours[covered], expected[covered], rtol=1e-5, atol=0)
    assert_same_deposit(ours, yt_deposit(case), case.id)


def test_extent_and_len(batch):
    for key in {c.mesh for c in DEPOSIT_CASES}:
        r = batch.ok(f"extent/{key}")["returns"]
        d = _load(key)
        assert r["len"] == len(d["px"])
        assert r["extent"] == list(_extent(d["px"], d["py"], d["pdx"], d["pdy"])), key


def test_with_length_views_equal_constructor(batch):
    batch.ok("views/with_length")
    ours = batch.f64("views_with_length.f64", (97, 211))
    c = DepositCase("views", "synthetic_quadtree", "signed", "zoom4", 211, 97, True, False)
    assert_same_deposit(ours, yt_deposit(c), "withLength + views")


def test_module_still_works_after_errors(batch):
    q = _case("synthetic_quadtree", "smooth", "offcentre", (333, 517), True, True)
    for job in ("after_errors", "final"):
        batch.ok(job)
        assert_same_deposit(batch.f64(f"{job}.f64", (517, 333)), yt_deposit(q), job)
    assert sum(not r["ok"] for k, r in batch.results.items() if k.startswith("error/")) == len(ERROR_CASES)


def test_real_slices_present_and_covered():
    """Every real slice is in the matrix with every one of its fields."""
    if not REAL_SLICES:
        real_slice("*.h5")  # skips with a clear reason
    covered = {(c.mesh, c.field) for c in DEPOSIT_CASES}
    for p in REAL_SLICES:
        m = MESHES[p.stem]
        assert m.fields and all((p.stem, f) in covered for f in m.fields), p.name
        if p.stem.startswith("ramses"):
            assert m.period and any(c.periodic for c in DEPOSIT_CASES if c.mesh == p.stem)


# --------------------------------------------------------------------------
# tests: shading


@pytest.mark.parametrize("cid,array_name,spec", SHADE_CASES, ids=[c[0] for c in SHADE_CASES])
def test_shade_matches_matplotlib(batch, cid, array_name, spec):
    name, cmap_name, scale, vmin, vmax, lt, special = spec
    arr = SHADE_ARRAYS[array_name]
    r = batch.ok(f"shade/{cid}")
    # the one-cell-per-pixel mesh fed the values exactly
    fed = batch.f64(f"shade_{_safe(cid)}_values.f64", arr.shape)
    np.testing.assert_array_equal(fed, arr)

    cmap = mpl_cmap(cmap_name)
    if special:
        cmap = cmap.with_extremes(**SPECIAL_MPL)
    norm = mpl_norm(scale, vmin, vmax, lt)
    ours = batch.u8(f"shade_{_safe(cid)}.rgba", arr.shape + (4,))
    # exact wherever the colour is defined; on a log/symlog colour threshold
    # (within the float error bound) either neighbour: see shading_oracle
    check = compare_colours(ours[::-1], arr, cmap, norm, cid)
    assert r["returns"]["limits"] == [float(norm.vmin), float(norm.vmax)], cid
    if cid == "threshold_runs/log_auto":  # (the walks are made for LogNorm(0.37, 4.1e3))
        assert check.near_threshold > 1000, f"{cid}: the threshold walks no longer reach the colour thresholds"
    # the fast path (codes, thresholds, bucket table, colour runs: in wasm
    # its SIMD loop) against the engine's pixel-by-pixel definition: exact
    # (the same libm in the same wasm: no CPU dependence)
    direct = batch.u8(f"shade_{_safe(cid)}_direct.rgba", arr.shape + (4,))
    assert r["returns"]["limits_direct"] == r["returns"]["limits"], cid
    assert np.array_equal(ours, direct), f"{cid}: fast shading differs from shadeDirect"


def test_shade_cases_cover_edge_data():
    a = SHADE_ARRAYS["mixed_signs_nan_inf"]
    assert np.isnan(a).any() and np.isinf(a).any() and (a == 0).any() and (a < 0).any()
    scales = {s[2][2] for s in SHADE_CASES}
    assert scales == {"linear", "log", "symlog"}


@pytest.mark.parametrize("name", sorted(CMAP_INDEX), ids=str)
def test_colormap_matches_matplotlib(batch, name):
    import matplotlib
    import matplotlib.colors as mc

    _register_all_colormaps()
    batch.ok(f"cmap/{name}")
    cmap = matplotlib.colormaps[name]
    meta = CMAP_INDEX[name]
    assert meta["n"] == cmap.N
    probe = cmap_probe(cmap.N)
    ours = batch.u8(f"cmap_{_safe(name)}.rgba", probe.shape + (4,))
    check = compare_colours(ours[::-1], probe, cmap, mc.Normalize(0.0, 1.0), name)
    assert check.near_threshold == 0  # linear: every colour is defined, byte for byte


@lru_cache(maxsize=None)
def _register_all_colormaps():
    import cmyt  # noqa: F401
    import yt  # noqa: F401
    import yt.visualization.color_maps  # noqa: F401


def test_colormaps_json_lists_every_registered_colormap():
    import matplotlib

    _register_all_colormaps()
    assert CMAP_INDEX, f"{CMAP_JSON} missing or empty (run `python3 build.py build`)"
    assert set(CMAP_INDEX) == set(matplotlib.colormaps)


POSITION_VALUES = [-1e5, -1e3, -20.0, -0.05, -1e-3, 0.0, 1e-6, 1e-3, 0.05, 0.5, 1.0, 7.0, 99.0, 1e3, 4.1e4,
                   np.nan, np.inf, -np.inf]
POSITION_CASES = {
    "linear": ("linear", -20.0, 1e3, None),
    "log": ("log", 1e-3, 4.1e4, None),
    "symlog": ("symlog", -1e3, 4.1e4, 0.05),
    "symlog_asym_small_linthresh": ("symlog", -20.0, 99.0, 1e-3),
}


@pytest.mark.parametrize("pid", sorted(POSITION_CASES))
def test_positions_match_matplotlib_norm(batch, pid):
    """``Normalization.positions`` (where the colorbar puts a tick) is the
    norm matplotlib applies: SymLogNorm with its linscale adjustment too."""
    scale, vmin, vmax, lt = POSITION_CASES[pid]
    got = np.array([np.nan if v == "NaN" else v for v in batch.ok(f"positions/{pid}")["returns"]["t"]], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = np.ma.filled(mpl_norm(scale, vmin, vmax, lt)(np.ma.masked_invalid(POSITION_VALUES)).astype(float),
                            np.nan)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)  # (log10 last bits differ by CPU)
    assert np.isnan(got[-3:]).all()


# --------------------------------------------------------------------------
# tests: errors


@pytest.mark.parametrize("cid,steps,pattern", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_is_js_exception_with_message(batch, cid, steps, pattern):
    import re

    r = batch.result(f"error/{cid}")
    assert not r["ok"], f"{cid}: expected an exception, got success"
    assert r["failed_step"] == len(steps) - 1, f"{cid}: threw at step {r['failed_step']}: {r['error']}"
    assert r["error_is_Error"] and r["error_name"] == "Error", r
    assert re.search(pattern, r["error"]), f"{cid}: message {r['error']!r} does not match {pattern!r}"
    assert "runner:" not in r["error"] and "unreachable" not in r["error"].lower()
