#!/usr/bin/env python3
"""Synthetic AMR slices for the ytlite pixelizer benchmark.

A quadtree over a non-unit, non-square domain, refined level by level where an
analytic multi-scale field varies most, until the number of leaves hits a
target (1 M, 10 M cells...). Written in the HDF5 layout of yt's
``save_as_dataset`` for a slice (``/grid/{px,py,pdx,pdy,density}`` with
``units`` attributes; root attributes ``axis``, ``container_type``,
``domain_left_edge``/``domain_right_edge``, ``length_unit``...), so the
benchmark (and ytlite) read it exactly like the real slices.

    .venv/bin/python bench/synthetic.py 1000000 10000000     # generate / show the cached files

Files are cached under ``$YTLITE_CACHE/bench`` (default
``~/.cache/ytlite/bench``), keyed by the generator version and parameters.

Algorithm (all vectorized numpy):
1. a root grid of ``nx0 x ny0`` square cells over ``[x0, x1] x [y0, y1]``;
2. per level, every cell of the finest level gets a score = spread
   (max - min) of ``log10(field)`` over 9 points (centre, corners, edge
   midpoints), the ``k`` highest-scoring ones (``np.argpartition``) are split in
   4; ``k = min(ceil(q * n_finest), remaining)`` where ``remaining`` is the
   number of splits still needed to reach the target (each split adds 3
   leaves), so the leaf count ends within 2 of the target;
3. leaves are ordered coarse level first, Morton (Z) order within a level,
   like yt's grid-by-grid output (spatial locality preserved);
4. the value is the field at the cell centre (always > 0, log-friendly).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 1
CACHE = Path(os.environ.get("YTLITE_CACHE", Path.home() / ".cache" / "ytlite")) / "bench"

# Domain: deliberately not [0, 1]^2 (offset, non-square, 2:1).
DOMAIN = (-3.0, 5.0, -1.0, 3.0)  # x0, x1, y0, y1
ROOT = (64, 32)  # root cells along x, y (square cells of 0.125)
SPLIT_FRACTION = 0.6  # q: at most this fraction of the finest level is split per level
MAX_LEVEL = 24

# Multi-scale analytic field features (in domain units).
_CLUMPS = [  # (x, y, sigma, amplitude)
    (-1.2, 0.4, 0.60, 3.0),
    (2.5, 1.8, 0.25, 8.0),
    (0.8, -0.2, 0.08, 30.0),
    (3.7, 0.3, 0.02, 200.0),
    (-2.1, 2.2, 0.006, 900.0),
]
_RING = (0.9, 1.2, 0.85, 0.004)  # centre x, y, radius, shock width
_CUSP = (1.3, 1.5, 0.0015, 3.0e3)  # centre x, y, core radius, amplitude


def field(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Positive multi-scale 'density': smooth turbulence, clumps from 0.6 to
    0.006 wide, a thin shock ring (tanh, width 0.004) and a softened cusp."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    f = np.exp(0.3 * np.sin(2.1 * x + 0.7) * np.cos(1.7 * y - 0.3)
               + 0.15 * np.sin(9.3 * x - 4.1 * y) + 0.05 * np.sin(41.0 * x + 37.0 * y))
    for cx, cy, s, a in _CLUMPS:
        f += a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2.0 * s * s))
    rx, ry, rr, rw = _RING
    r = np.hypot(x - rx, y - ry)
    f += 4.0 * (1.0 - np.tanh((r - rr) / rw))
    kx, ky, kr, ka = _CUSP
    f += ka / (1.0 + ((x - kx) ** 2 + (y - ky) ** 2) / (kr * kr))
    return f


_OFFSETS = [(0, 0), (-1, -1), (1, -1), (-1, 1), (1, 1), (0, -1), (0, 1), (-1, 0), (1, 0)]


def _score(cx: np.ndarray, cy: np.ndarray, half: float, chunk: int = 1 << 20) -> np.ndarray:
    """max - min of log10(field) over 9 points of each cell."""
    out = np.empty(cx.size)
    for s in range(0, cx.size, chunk):
        x, y = cx[s:s + chunk], cy[s:s + chunk]
        lo = np.full(x.size, np.inf)
        hi = np.full(x.size, -np.inf)
        for ox, oy in _OFFSETS:
            v = np.log10(field(x + ox * half, y + oy * half))
            np.minimum(lo, v, out=lo)
            np.maximum(hi, v, out=hi)
        out[s:s + chunk] = hi - lo
    return out


def _morton(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """Interleave the bits of two uint32 index arrays (Z order key)."""
    def spread(v):
        v = v.astype(np.uint64) & np.uint64(0xFFFFFFFF)
        for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                            (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333), (1, 0x5555555555555555)):
            v = (v | (v << np.uint64(shift))) & np.uint64(mask)
        return v
    return spread(ix) | (spread(iy) << np.uint64(1))


def generate(target: int, verbose: bool = True):
    """Return (px, py, pdx, pdy, density, levels) with ~target leaves."""
    x0, x1, y0, y1 = DOMAIN
    nx0, ny0 = ROOT
    d0 = (x1 - x0) / nx0
    assert abs((y1 - y0) / ny0 - d0) < 1e-12, "root cells must be square"
    n0 = nx0 * ny0
    if target < n0:
        raise ValueError(f"target {target} < root cells {n0}")
    # finest level cells, as integer indices at their own level
    iy, ix = np.divmod(np.arange(n0, dtype=np.int64), nx0)
    leaves = []  # per level: (ix, iy) of unsplit cells
    remaining = (target - n0) // 3
    level = 0
    t0 = time.perf_counter()
    while True:
        d = d0 / 2 ** level
        if remaining == 0 or level == MAX_LEVEL:
            leaves.append((level, ix, iy))
            break
        cx = x0 + (ix + 0.5) * d
        cy = y0 + (iy + 0.5) * d
        score = _score(cx, cy, 0.5 * d)
        k = min(math.ceil(SPLIT_FRACTION * ix.size), remaining)
        if k < ix.size:
            split = np.argpartition(-score, k - 1)[:k]
            mask = np.zeros(ix.size, dtype=bool)
            mask[split] = True
        else:
            mask = np.ones(ix.size, dtype=bool)
        leaves.append((level, ix[~mask], iy[~mask]))
        sx, sy = ix[mask], iy[mask]
        ix = np.concatenate([2 * sx, 2 * sx + 1, 2 * sx, 2 * sx + 1])
        iy = np.concatenate([2 * sy, 2 * sy, 2 * sy + 1, 2 * sy + 1])
        remaining -= k
        if verbose:
            print(f"  level {level}: {k} split, {int((~mask).sum())} leaves kept "
                  f"({time.perf_counter() - t0:.1f} s)", flush=True)
        level += 1
    px, py, pdx, lev = [], [], [], []
    for lvl, lx, ly in leaves:
        if lx.size == 0:
            continue
        order = np.argsort(_morton(lx, ly), kind="stable")
        lx, ly = lx[order], ly[order]
        d = d0 / 2 ** lvl
        px.append(x0 + (lx + 0.5) * d)
        py.append(y0 + (ly + 0.5) * d)
        pdx.append(np.full(lx.size, 0.5 * d))
        lev.append(np.full(lx.size, lvl, dtype=np.int8))
    px = np.concatenate(px)
    py = np.concatenate(py)
    pdx = np.concatenate(pdx)
    pdy = pdx.copy()
    levels = np.concatenate(lev)
    density = field(px, py)
    # sanity: the leaves tile the domain exactly
    area = float(np.sum(4.0 * pdx * pdy))
    assert abs(area - (x1 - x0) * (y1 - y0)) < 1e-9 * area, area
    return px, py, pdx, pdy, density, levels


def path_for(target: int) -> Path:
    return CACHE / f"synthetic_{target}_v{GENERATOR_VERSION}.h5"


def write(path: Path, px, py, pdx, pdy, density, levels) -> None:
    import h5py

    x0, x1, y0, y1 = DOMAIN
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with h5py.File(tmp, "w") as f:
        f.attrs["axis"] = np.int64(2)
        f.attrs["container_type"] = "slice"
        f.attrs["data_type"] = "yt_data_container"
        f.attrs["dimensionality"] = np.int64(3)
        f.attrs["geometry"] = "cartesian"
        f.attrs["coord"] = np.float64(0.5)
        f.attrs["coord_units"] = "code_length"
        f.attrs["con_args"] = "('axis', 'coord')"
        f.attrs["domain_left_edge"] = np.array([x0, y0, 0.0])
        f.attrs["domain_left_edge_units"] = "code_length"
        f.attrs["domain_right_edge"] = np.array([x1, y1, 1.0])
        f.attrs["domain_right_edge_units"] = "code_length"
        f.attrs["length_unit"] = np.float64(3.0856775809623245e21)
        f.attrs["length_unit_units"] = "cm"
        f.attrs["periodicity"] = np.array([False, False, False])
        f.attrs["synthetic"] = f"ytlite bench/synthetic.py v{GENERATOR_VERSION}"
        f.attrs["max_level"] = np.int64(levels.max())
        g = f.create_group("grid")
        for name, arr, units in (("px", px, "code_length"), ("py", py, "code_length"),
                                 ("pdx", pdx, "code_length"), ("pdy", pdy, "code_length"),
                                 ("density", density, "g/cm**3")):
            ds = g.create_dataset(name, data=arr)
            ds.attrs["units"] = units
    os.replace(tmp, path)


def ensure(target: int, verbose: bool = True) -> Path:
    """Path of the cached synthetic slice with ~target cells (generated if missing)."""
    path = path_for(target)
    if not path.exists():
        t0 = time.perf_counter()
        if verbose:
            print(f"[synthetic] generating {target} cells -> {path}", flush=True)
        arrays = generate(target, verbose=verbose)
        write(path, *arrays)
        if verbose:
            print(f"[synthetic] {arrays[0].size} cells, max level {arrays[5].max()}, "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", type=int, default=[1_000_000, 10_000_000])
    args = ap.parse_args(argv)
    import h5py

    for t in args.targets:
        p = ensure(t)
        with h5py.File(p, "r") as f:
            n = f["grid/px"].shape[0]
            print(f"{p}: {n} cells, max level {f.attrs['max_level']}, "
                  f"{p.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
