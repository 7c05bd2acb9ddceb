"""The pixelizer's wasm API under a seeded fuzzer in node (tests/support/wasm_fuzz.mjs):
random meshes, image sizes (0, 1, 10^5 x 10^5, negative, NaN), views (NaN, infinite, huge,
inverted, empty), periods (tiny, zero, NaN), normalizations (log of negatives, vmin = vmax,
NaN limits, bad linthresh and base) and colormaps (tables of bad lengths). Every call gives a
picture or a JS Error, never a wasm trap; wasm memory does not grow over thousands of failing
calls. A fixed seed, a few seconds; longer: ``.venv/bin/python bench/fuzz.py --wasm-only``."""

from __future__ import annotations

import json
import subprocess

import pytest

from support.paths import ROOT

RUNNER = ROOT / "tests" / "support" / "wasm_fuzz.mjs"
pytestmark = pytest.mark.skipif(not (ROOT / "ytlite" / "_generated" / "ytlite_pixelizer_bg.wasm").exists(),
                                reason="not built: run python3 build.py build")


def test_no_call_traps_and_failing_calls_leak_nothing():
    proc = subprocess.run(["node", RUNNER, "--seed", "20261206", "--seconds", "4"], capture_output=True, text=True,
                          timeout=120)
    report = json.loads(proc.stdout.splitlines()[-1])
    assert not report["traps"], report["traps"][:5]
    assert not report["other"], report["other"][:5]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert report["growth"]["after"] == report["growth"]["before"]
    # (a fuzzer that never draws, or never fails, tests little)
    assert report["pictures"] > 100 and report["errors"] > 1000, report
    assert any("between 1 and 8192" in m for m in report["messages"])  # the 10^5 x 10^5 request, refused
