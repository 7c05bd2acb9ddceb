"""What splitting one deposit into row bands costs, natively (the Rust engine).

    .venv/bin/python bench/bands.py [--size 1024] [--reps 15] [--bands 1,2,4] [FILE.h5 ...]

For the real RAMSES z=0.5 slice (default; any `save_as_dataset` file can be
given, its first field is used) and views at zoom 1x (the data's extent), 4x
and 16x: the median time of the whole antialiased deposit of a size² image,
and of the same image as K bands deposited one after the other
(`RowBand::deposit_rows`), with the slowest band (what K parallel workers
would wait for, before any messaging). Prints the ratios to the whole
deposit; every banded image is checked bit for bit against the whole one.
Builds `rust/examples/bench_bands.rs` into `~/.cache/ytlite/bench/target-bands`;
then the same in wasm (`bench/bands_wasm.mjs`, node, the built module).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SLICES = ROOT.parent / "shared" / "data" / "slices"
CACHE = Path(os.environ.get("YTLITE_CACHE", Path.home() / ".cache" / "ytlite")) / "bench"
GEOMETRY = ("px", "py", "pdx", "pdy", "pz", "pdz")


def export(path: Path) -> tuple[Path, list[float], int]:
    out = CACHE / "raw-bands" / path.stem
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "r") as h:
        g = h["grid"]
        fld = sorted(k for k in g if k not in GEOMETRY and k != "weight_field")[0]
        a = {k: np.asarray(g[k][:], dtype="<f8") for k in ("px", "py", "pdx", "pdy")}
        a["values"] = np.asarray(g[fld][:], dtype="<f8")
    for k, v in a.items():
        v.tofile(out / f"{k}.f64")
    px, py, pdx, pdy = (a[k] for k in ("px", "py", "pdx", "pdy"))
    ext = [float((px - pdx).min()), float((px + pdx).max()), float((py - pdy).min()), float((py + pdy).max())]
    return out, ext, len(px)


def views(ext):
    x0, x1, y0, y1 = ext
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    out = []
    for z in (1, 4, 16):
        hw, hh = (x1 - x0) / 2 / z, (y1 - y0) / 2 / z
        out.append(f"zoom{z}:{cx - hw!r}:{cx + hw!r}:{cy - hh!r}:{cy + hh!r}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--bands", default="1,2,4")
    args = p.parse_args()
    files = args.files or [SLICES / "ramses_blast3d_z0.5_slice.h5"]
    target = CACHE / "target-bands"
    env = {**os.environ, "CARGO_TARGET_DIR": str(target)}
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "bench_bands"], cwd=ROOT / "rust", env=env, check=True)
    exe = target / "release" / "examples" / "bench_bands"
    for f in files:
        if not f.exists():
            sys.exit(f"not found: {f}")
        raw, ext, n = export(f)
        print(f"{f.stem}: {n} cells, {args.size}², antialiased, median of {args.reps} (ms)")
        out = subprocess.run([exe, raw, str(args.size), str(args.size), str(args.reps), args.bands, *views(ext)],
                             check=True, capture_output=True, text=True).stdout
        print(f"{'view':<7} {'K':>2} | {'whole':>7} | {'bands sum':>9} {'sum/whole':>9} | {'max band':>8} {'max/whole':>9} | same")
        whole = {}
        for line in out.splitlines():
            w = line.split()
            if w[0] == "whole":
                whole[w[1]] = float(w[2])
            else:
                _, view, k, s, m, rs, rm, same = w
                print(f"{view:<7} {k:>2} | {whole[view]:>7.2f} | {float(s):>9.2f} {float(rs):>9.2f} | "
                      f"{float(m):>8.2f} {float(rm):>9.2f} | {'yes' if same == '1' else 'NO'}")
                if same != "1":
                    sys.exit(f"{f.stem} {view}: the bands differ from the whole image")
        gen = ROOT / "ytlite" / "_generated"
        if (gen / "ytlite_pixelizer_bg.wasm").exists():
            print(f"the same in wasm (node, the built module in {gen.relative_to(ROOT)}), ms:")
            env = {**os.environ, "REPS": str(args.reps), "SIZE": str(args.size)}
            views_js = ",".join(views(ext))
            out = subprocess.run(["node", ROOT / "bench" / "bands_wasm.mjs", gen, raw, views_js, args.bands],
                                 check=True, capture_output=True, text=True, env=env).stdout
            print(out, end="")
            if "DIFFERENT" in out:
                sys.exit(f"{f.stem}: the wasm bands differ from the whole image")


if __name__ == "__main__":
    main()
