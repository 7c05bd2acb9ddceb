"""The two slice-file readers under a seeded fuzzer (tests/support/fuzz.py):
mutations of the real slices (when present) and of a small good file made
here; 0 crashes, 0 hangs, every refusal naming the file, the same verdict
from both readers. A fixed seed, well under a minute; longer runs by hand:
``.venv/bin/python bench/fuzz.py --minutes 10 --seed 7``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support import fuzz
from support.paths import REAL_SLICES, ROOT

pytestmark = pytest.mark.skipif(not (ROOT / "ytlite" / "_generated" / "h5wasm.js").exists(),
                                reason="not built: run python3 build.py build")
SEED, CASES = 20261206, 360


def test_both_readers_survive_and_agree_on_mutated_files(tmp_path):
    good = fuzz.small_good_file(tmp_path / "good.h5")
    report = fuzz.fuzz([good, *REAL_SLICES], SEED, CASES, tmp_path, limit=20.0)
    print(report.summary())
    assert not report.failures, "\n".join(f"{c.path.name} ({c.source}: {c.what}): {p}" for c, p in report.failures)
    # (a fuzzer whose every case is refused, or read, would test little)
    assert report.accepted > CASES // 10 and report.refused > CASES // 10, report.summary()
    assert report.cases == CASES


def test_the_fuzzer_sees_hangs_crashes_and_disagreements(tmp_path):
    """What the fuzzer reports, from workers that misbehave on purpose."""
    files = [tmp_path / f"f{i}.h5" for i in range(3)]
    hang = [sys.executable, "-c", "import sys, time\nfor line in sys.stdin:\n    time.sleep(60)"]
    assert fuzz.run_workers(hang, files, limit=1.0) == {str(f): {"hang": 1.0} for f in files}
    die = [sys.executable, "-c", "import os; os._exit(3)"]
    results = fuzz.run_workers(die, files, limit=5.0)
    assert all("worker died (exit 3)" in r["crash"] for r in results.values())
    case = fuzz.Case(files[0], "good.h5", "nothing")
    ok = {"cells": 4, "crc": {"px": 1}}
    refused = {"error": f"{files[0]}: the slice has no cells", "kind": "SliceFileError"}
    assert fuzz.judge(case, ok, ok) is None and fuzz.judge(case, refused, refused) is None
    assert "different verdicts" in fuzz.judge(case, ok, refused)
    assert "differently" in fuzz.judge(case, ok, {"cells": 4, "crc": {"px": 2}})
    assert "crashed" in fuzz.judge(case, {"crash": "ValueError: x"}, ok)
    assert "crashed" in fuzz.judge(case, ok, {"error": "f0.h5: x", "kind": "TypeError"})
    assert "does not name the file" in fuzz.judge(case, ok | {"error": "x", "kind": "SliceFileError"}, refused)
    # the one allowed difference: damaged metadata, the other reader reading the source's values exactly
    damaged = {"error": f"{files[0]}: not an HDF5 file, or truncated or damaged (bad heap free list)", "kind": "SliceFileError"}
    assert fuzz.library_disagreement(damaged, ok, source=ok)
    assert not fuzz.library_disagreement(damaged, ok, source={"cells": 4, "crc": {"px": 9}})
    assert not fuzz.library_disagreement(refused, ok, source=ok)


def test_the_cases_are_the_same_for_the_same_seed(tmp_path):
    good = fuzz.small_good_file(tmp_path / "good.h5")
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    a = fuzz.make_cases([good], 5, 12, tmp_path / "a")
    b = fuzz.make_cases([good], 5, 12, tmp_path / "b")
    assert [x.what for x in a] == [y.what for y in b]
    assert [x.path.read_bytes() for x in a] == [y.path.read_bytes() for y in b]
