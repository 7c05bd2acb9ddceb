"""The compact mesh (``VariableMesh.compact``) against today's f64 storage.

    .venv/bin/python bench/compact.py [--size 1024] [--reps 15] [--synthetic 10000000] [FILE.h5 ...]

For every real slice in ``shared/data/slices`` (default; or the files given)
and a synthetic AMR slice of ``--synthetic`` cells (``bench/synthetic.py``,
cached; 0: none): the bytes per cell held by the mesh (cell arrays, tables,
culling index) as f64 arrays and after ``compact()`` (and with the values
rounded to f32, as ``extract --float32`` writes them), and the antialiased
deposit of a size² image at zoom 1x (the data's extent), 4x and 16x: median
times of the f64 mesh and of the compact one, frames interleaved in the same
run, natively (``rust/examples/bench_compact.rs``, built into
``~/.cache/ytlite/bench/target-bands``) and in wasm (node,
``bench/compact_wasm.mjs``, the built module); every compact image is checked
bit for bit against the f64 one (a row band too).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bands import CACHE, ROOT, SLICES, export, views  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--reps", type=int, default=15, help="frames per median (5 for meshes over 2 M cells)")
    p.add_argument("--synthetic", type=int, default=10_000_000, help="cells of the synthetic slice (0: none)")
    p.add_argument("--no-wasm", action="store_true")
    args = p.parse_args()
    files = args.files or sorted(SLICES.glob("*.h5"))
    if args.synthetic:
        import synthetic

        path = synthetic.path_for(args.synthetic)
        if not path.exists():
            print(f"making {path} (bench/synthetic.py) ...", flush=True)
            synthetic.write(path, *synthetic.generate(args.synthetic, verbose=False))
        files.append(path)
    target = CACHE / "target-bands"
    env = {**os.environ, "CARGO_TARGET_DIR": str(target)}
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "bench_compact"], cwd=ROOT / "rust", env=env,
                   check=True)
    exe = target / "release" / "examples" / "bench_compact"
    gen = ROOT / "ytlite" / "_generated"
    wasm = not args.no_wasm and (gen / "ytlite_pixelizer_bg.wasm").exists()
    print(f"deposit: antialiased, {args.size}², median ms (f64 mesh | compact mesh | compact / f64), "
          f"interleaved in one run; 'same': the compact image is the f64 one bit for bit")
    bad = []
    for f in files:
        if not f.exists():
            sys.exit(f"not found: {f}")
        raw, ext, n = export(f)
        reps = str(min(args.reps, 5) if n > 2_000_000 else args.reps)
        out = subprocess.run([exe, raw, str(args.size), str(args.size), reps, *views(ext)], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        rows = {}
        for line in out:
            w = line.split()
            if not w:
                continue
            if w[0] == "mesh":
                _, cells, b64, bc, gk, vk, ms = w
                head = (f"{f.stem}: {int(cells):,} cells; bytes/cell {float(b64):.2f} (f64) -> {float(bc):.2f} "
                        f"(compact: {gk} geometry, {vk} values; compact() {float(ms):.0f} ms natively)")
            elif w[0] == "float32":
                head += f"; {float(w[1]):.2f} with f32 values"
            elif w[0] == "view":
                rows[w[1]] = {"native": w[2:6]}
        if wasm:
            env = {**os.environ, "REPS": reps, "SIZE": str(args.size)}
            wout = subprocess.run(["node", ROOT / "bench" / "compact_wasm.mjs", gen, raw, ",".join(views(ext))],
                                  check=True, capture_output=True, text=True, env=env).stdout.split("\n")
            for line in wout:
                w = line.split()
                if w and w[0] == "view":
                    rows[w[1]]["wasm"] = w[2:6]
                elif w and w[0] == "mesh":
                    head += f"; in wasm compact() {float(w[6]):.0f} ms"
        print(head)
        print(f"  {'view':<7} | {'native f64':>10} {'compact':>8} {'ratio':>6} {'same':>5} | "
              f"{'wasm f64':>8} {'compact':>8} {'ratio':>6} {'same':>5}")
        for view, r in rows.items():
            a = r["native"]
            line = f"  {view:<7} | {float(a[0]):>10.2f} {float(a[1]):>8.2f} {float(a[2]):>6.3f} {'yes' if a[3] == '1' else 'NO':>5} |"
            ok = a[3] == "1"
            if "wasm" in r:
                b = r["wasm"]
                line += f" {float(b[0]):>8.2f} {float(b[1]):>8.2f} {float(b[2]):>6.3f} {'yes' if b[3] == 'same' else 'NO':>5}"
                ok &= b[3] == "same"
            print(line, flush=True)
            if not ok:
                bad.append(f"{f.stem} {view}")
    if bad:
        sys.exit(f"the compact mesh deposits other bits: {', '.join(bad)}")


if __name__ == "__main__":
    main()
