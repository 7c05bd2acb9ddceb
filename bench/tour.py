#!/usr/bin/env python3
"""Frame time while a tour plays on the viewer page (issue: exhibit mode), at
1024² on the real RAMSES slice: the tour eases through zooms of the slice in
real time (headless Chromium, the page's own requestAnimationFrame loop), and
every frame's own time (deposit + shade + draw, what the viewer reports) and
the time between frames are collected. Printed side by side with yt +
matplotlib drawing the same 1024² views natively in the same run (the
baseline: what a server-side renderer would spend per frame).

    .venv/bin/python bench/tour.py [--seconds 20] [--site _site]

Needs the built site (python3 build.py build) and the real slices beside
the repository (../shared/data/slices).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
from support.browser import CHROMIUM, CHROMIUM_ARGS, StaticServer  # noqa: E402

FILE = "data/real/ramses_blast3d_z0.5_slice.h5"
SLICE = ROOT.parent / "shared" / "data" / "slices" / "ramses_blast3d_z0.5_slice.h5"
RESOLUTION = 1024
# a zoom in to the shock and out again, with dwells (each frame of a move a new view)
STOPS = [
    {"file": FILE, "view": [0.0, 1.0, 0.0, 1.0], "dwell": 1, "transition": 3},
    {"view": [0.3, 0.55, 0.35, 0.6], "dwell": 1, "transition": 3, "caption": "closer"},
    {"view": [0.4, 0.45, 0.45, 0.5], "dwell": 1, "transition": 3, "caption": "the front", "cmap": "viridis"},
]


def frames_in_browser(site: Path, seconds: float) -> list[dict]:
    from playwright.sync_api import sync_playwright

    tour = {"format": "ytlite-tour", "stops": STOPS}
    query = urllib.parse.urlencode({"exhibit": "", "res": str(RESOLUTION), "tour": json.dumps(tour)})
    with StaticServer(site) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{server.url}/view/?{query}")
        page.wait_for_function("() => document.body.dataset.tour === 'playing'", timeout=60000)
        # every frame the viewer reports (its data-frame attribute), with the time it appeared
        page.evaluate("""() => {
            window.benchFrames = [];
            const c = document.querySelector('canvas.ytlite-image');
            new MutationObserver(() => window.benchFrames.push({at: performance.now(), t: ytliteKiosk.player?.time(),
                ...JSON.parse(c.dataset.frame)}))
                .observe(c, {attributes: true, attributeFilter: ['data-frame']}); }""")
        time.sleep(seconds)
        frames = page.evaluate("window.benchFrames")
        browser.close()
    return frames


def rest_intervals() -> list[tuple[float, float]]:
    """[(start, end)] of each stop's rest in one pass of the tour (core/tour.js's timeline)."""
    out, t = [], 0.0
    for i, stop in enumerate(STOPS):
        if i > 0:
            t += stop["transition"]
        out.append((t, t + stop["dwell"]))
        t += stop["dwell"]
    return out


def yt_matplotlib_ms(views: list[list[float]]) -> list[float]:
    """yt's pixelize_cartesian + matplotlib LogNorm + colormap to RGBA, the same 1024² views."""
    import cmyt  # noqa: F401
    import h5py
    import matplotlib
    import matplotlib.colors
    import numpy as np
    from yt.utilities.lib.pixelization_routines import pixelize_cartesian

    with h5py.File(SLICE, "r") as f:
        px, py, pdx, pdy, rho = (f["grid"][k][()].astype("f8") for k in ("px", "py", "pdx", "pdy", "density"))
    out = []
    for view in views:
        t0 = time.perf_counter()
        w = h = RESOLUTION
        buff = np.full((h, w), np.nan)
        pixelize_cartesian(buff, px, py, pdx, pdy, rho, tuple(view), antialias=1, period=None, check_period=0)
        finite = buff[np.isfinite(buff) & (buff > 0)]
        norm = matplotlib.colors.LogNorm(finite.min(), finite.max())
        matplotlib.colormaps["cmyt.arbre"](norm(np.ma.masked_invalid(buff)), bytes=True)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--site", type=Path, default=ROOT / "_site")
    args = parser.parse_args()
    if not SLICE.exists() or not (args.site / "files" / FILE).exists():
        sys.exit(f"needs {SLICE} and a site built with it ({args.site}/files/{FILE}): python3 build.py build")
    frames = [f for f in frames_in_browser(args.site, args.seconds) if f.get("width") == RESOLUTION or f.get("height") == RESOLUTION]
    if len(frames) < 10:
        sys.exit(f"only {len(frames)} frames at {RESOLUTION}²: nothing to measure")
    moving = [f for f in frames if f["deposited"]]  # (a new view: a deposit; at rest nothing is redrawn)
    frame_ms = sorted(f["frame_ms"] for f in moving)
    # (the time between two frames of one move: a gap across a stop's rest, where nothing is redrawn, is no stall)
    rests = rest_intervals()
    length = rests[-1][1] + STOPS[0]["transition"]
    def in_move(a, b):
        ta, tb = a["t"] % length, b["t"] % length
        return tb >= ta and not any(ta < r1 and tb > r0 for r0, r1 in rests)
    gaps = sorted(b["at"] - a["at"] for a, b in zip(moving, moving[1:])
                  if b["count"] == a["count"] + 1 and a.get("t") is not None and b.get("t") is not None and in_move(a, b))
    baseline = yt_matplotlib_ms([f["view"] for f in moving[:: max(1, len(moving) // 30)]])
    median, worst = statistics.median(frame_ms), frame_ms[-1]
    base = statistics.median(baseline)
    print(f"tour at {RESOLUTION}² on {SLICE.name}, {args.seconds:.0f} s: {len(moving)} frames with a new view")
    print(f"  frame (deposit + shade + draw): median {median:.2f} ms, 95 % {frame_ms[int(0.95 * (len(frame_ms) - 1))]:.2f} ms, "
          f"worst {worst:.2f} ms")
    if gaps:
        print(f"  between consecutive frames: median {statistics.median(gaps):.1f} ms "
              f"({1000 / statistics.median(gaps):.0f} frames/s), worst {gaps[-1]:.1f} ms")
    print(f"  yt + matplotlib, the same views (native, same run): median {base:.1f} ms, worst {max(baseline):.1f} ms")
    print(f"  ratio: {base / median:.1f}x faster (median), {max(baseline) / worst:.1f}x (worst)")


if __name__ == "__main__":
    main()
