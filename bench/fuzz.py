#!/usr/bin/env python3
"""Long fuzzing runs by hand, of the two slice-file readers and of the wasm API.

    .venv/bin/python bench/fuzz.py --minutes 10 --seed 7 [--keep DIR] [--wasm-only | --readers-only]

Readers (tests/support/fuzz.py, as tests/test_fuzz_readers.py but for as long
as asked): batches of mutated files (of the real slices in ../shared/data/slices
when present, and of a small good file) through ytlite.load and the front end's
reader in node; prints each batch's tally and every failure (a crash, a hang,
a refusal not naming the file, two verdicts), copying the failing files into
``--keep`` to become regression cases. The wasm API (tests/support/wasm_fuzz.mjs,
as tests/test_wasm_fuzz.py but longer): random views, sizes, normalizations and
colormaps, for a fifth of the time. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import fuzz  # noqa: E402
from support.paths import REAL_SLICES  # noqa: E402


def fuzz_readers(seconds: float, seed: int, keep: Path | None, batch: int) -> int:
    report, start = fuzz.Report(), 0
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ytlite-fuzz-") as tmp:
        tmp = Path(tmp)
        good = fuzz.small_good_file(tmp / "good.h5")
        while time.monotonic() - t0 < seconds:
            out = tmp / f"batch{start}"
            out.mkdir()
            before = len(report.failures)
            fuzz.fuzz([good, *REAL_SLICES], seed, batch, out, start=start, report=report)
            for case, problem in report.failures[before:]:
                print(f"FAIL {case.path.name} ({case.source}: {case.what}): {problem}", flush=True)
                if keep:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(case.path, keep / case.path.name)
            print(f"[{time.monotonic() - t0:6.0f} s] {report.summary()}", flush=True)
            shutil.rmtree(out)
            start += batch
    print(f"readers, seed {seed}: {report.summary()}")
    return len(report.failures)


def fuzz_wasm(seconds: float, seed: int) -> int:
    proc = subprocess.run(["node", str(ROOT / "tests" / "support" / "wasm_fuzz.mjs"), "--seed", str(seed),
                           "--seconds", str(seconds)], capture_output=True, text=True)
    print(proc.stdout.strip() or proc.stderr[-2000:])
    return 0 if proc.returncode == 0 else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="how long in all (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="the seed (the same seed makes the same cases)")
    parser.add_argument("--keep", type=Path, default=None, help="copy every failing file into this folder")
    parser.add_argument("--batch", type=int, default=200, help="files per batch (default 200)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--readers-only", action="store_true")
    only.add_argument("--wasm-only", action="store_true")
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    failed = 0
    if not args.readers_only:
        failed += fuzz_wasm(seconds if args.wasm_only else seconds / 5, args.seed)
    if not args.wasm_only:
        failed += fuzz_readers(seconds if args.readers_only else seconds * 4 / 5, args.seed, args.keep, args.batch)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
