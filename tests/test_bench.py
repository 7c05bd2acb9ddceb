"""The benchmark keeps working (its --quick subset), and what it times is the
same image in the browser and natively. It asserts no speed: speed goals are
read from the full benchmark's side-by-side table, never from a timed test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support.paths import ROOT, SHARED_SLICES


@pytest.mark.skipif(not SHARED_SLICES.is_dir(), reason="the quick benchmark uses a real slice")
def test_quick_benchmark_runs(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())
    rows = results["rows"]
    assert {r["mesh"] for r in rows} == {"ramses_blast3d_z0.5_slice", "synthetic_1M"}
    for r in rows:
        wasm, native, yt = r["wasm"]["frame"], r["native"]["frame"], r["yt"]
        assert wasm["total"] > 0 and native["total"] > 0 and yt["total"] > 0
        # wasm in Chromium and the native build draw byte-identical images
        assert wasm["checksum"] == native["checksum"], r["mesh"]
    # the printed table has a line for every case measured, with its ratio
    table = [line for line in results["report"].splitlines() if line.endswith("x") and "|" in line]
    for r in rows:
        assert any(line.split()[:3] == [r["mesh"], str(r["w"]), f"{r['zoom']}x"] for line in table), r["mesh"]


@pytest.mark.skipif(not SHARED_SLICES.is_dir(), reason="the quick benchmark uses a real slice")
def test_quick_parallel_benchmark_runs():
    """bench/parallel.py (the exact image by K workers vs the page's thread, panning with previews) keeps working."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "parallel.py"), "--quick", "--views", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    for mesh in ("real RAMSES z slice", "synthetic 1 M"):
        exact = next(line for line in lines if line.startswith(f"{mesh}: exact image"))
        assert all(f"K={k} " in exact for k in (1, 2, 4)) and "[" not in exact, exact  # ([main]: not made by workers)
    assert any(line.startswith("synthetic 1 M: panning") for line in lines), proc.stdout
    assert "page errors" not in proc.stdout, proc.stdout
