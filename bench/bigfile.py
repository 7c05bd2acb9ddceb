#!/usr/bin/env python3
"""A big slice file in the kiosk page: time to first image and peak memory.

    .venv/bin/python bench/bigfile.py [--cells 7500000] [--no-before] [--site _site]

Writes (once, cached by bench/synthetic.py) a synthetic AMR slice in yt's
``save_as_dataset`` layout, ~300 MB (7.5 M cells: px, py, pdx, pdy, density,
float64), serves it with the built kiosk page (SITE/view/ plus the file) on
127.0.0.1, opens it in headless Chromium and prints, for the current read
path and (unless ``--no-before``) the one before issue 9 (the kiosk built from
the repository's HEAD commit, ``git archive``; skipped when HEAD already has
the streamed reader):

* time to first image: from asking for the file to the first frame drawn;
* peak memory of the page: the renderer process's resident set (from /proc,
  sampled every 20 ms in a thread of this script: every ArrayBuffer, wasm
  memory and the JS heap alike), above what it was before the file was
  asked for; and, sampled in the page, the JS heap (CDP
  ``Performance.getMetrics`` ``JSHeapUsedSize``) plus h5wasm's wasm memory;
* the same once the image is up and garbage is collected (what the page keeps);

against the arrays' total bytes (cells x 5 x 8).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import synthetic  # noqa: E402

from support.browser import CHROMIUM, CHROMIUM_ARGS, StaticServer  # noqa: E402

KIOSK_ASSETS = ("ytlite_pixelizer_bg.wasm", "colormaps.json", "colormaps.bin", "length_units.json", "h5wasm.js",
                "index.html", "site.json")


def esbuild() -> Path:
    import build

    return build.npm_modules() / ".bin" / "esbuild"


def kiosk_before(out: Path, site: Path) -> bool:
    """The kiosk as HEAD has it (the read path before this change) into out/view/;
    False when HEAD's page.js already streams (nothing older to compare)."""
    tree = out / "src"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "lite/js"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    if "fetchToFS" in (tree / "lite" / "js" / "page.js").read_text():
        return False
    (tree / "ytlite" / "_generated").mkdir(parents=True)
    shutil.copyfile(ROOT / "ytlite" / "_generated" / "ytlite_pixelizer.js", tree / "ytlite" / "_generated" / "ytlite_pixelizer.js")
    view = out / "view"
    view.mkdir()
    subprocess.run([esbuild(), tree / "lite" / "js" / "page.js", "--bundle", "--format=esm", "--target=es2020",
                    "--log-level=error", f"--outfile={view / 'ytlite-view.js'}"], check=True)
    for name in KIOSK_ASSETS:
        if (site / "view" / name).exists():
            shutil.copyfile(site / "view" / name, view / name)
    return True


def renderer_rss() -> int:
    """Resident bytes of the Chromium renderer processes started by this script."""
    total = 0
    for child in psutil.Process().children(recursive=True):
        try:
            if "--type=renderer" in " ".join(child.cmdline()):
                total += child.memory_info().rss
        except psutil.Error:
            pass
    return total


class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, renderer_rss())
            time.sleep(0.02)


def measure(browser, url, file, label):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/view/")
    page.wait_for_function("() => !!window.ytliteKiosk && document.querySelector('#status').textContent.includes('open a file')",
                           timeout=60000)
    page.evaluate("() => window.ytliteKiosk.ready.then(() => true)")
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    time.sleep(0.5)
    baseline = renderer_rss()
    sampler = Sampler()
    sampler.start()
    page.evaluate("""(file) => {
        window.benchStart = performance.now();
        window.ytliteKiosk.openUrl(file).catch((e) => { window.benchError = String(e.message ?? e); });
    }""", file)
    heap_peak, notes = 0, set()
    while True:
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        state = page.evaluate("""() => ({
            frame: !!document.querySelector('canvas.ytlite-image[data-frame]'),
            error: window.benchError ?? null, status: document.querySelector('#status').textContent,
            h5wasm: globalThis.h5wasm?.Module?.HEAPU8?.buffer?.byteLength ?? 0,
            elapsed: performance.now() - window.benchStart })""")
        heap_peak = max(heap_peak, metrics["JSHeapUsedSize"] + state["h5wasm"])
        notes.add(state["status"].split(":")[-1].strip()[:40])
        if state["frame"] or state["error"]:
            break
        if state["elapsed"] > 180000:
            state["error"] = "no image after 180 s"
            break
        time.sleep(0.05)
    first_image_s = state["elapsed"] / 1000
    time.sleep(1.0)
    sampler.running = False
    sampler.join()
    cdp.send("HeapProfiler.collectGarbage")  # what the page keeps: garbage (the read's buffers) collected
    time.sleep(1.0)
    kept = renderer_rss()
    context.close()
    return {"label": label, "first_image_s": first_image_s, "error": state["error"] or (errors[0] if errors else None),
            "rss_peak": sampler.peak - baseline, "rss_kept": kept - baseline, "heap_peak": heap_peak,
            "progress_seen": sum(1 for n in notes if " of " in n and n.endswith("MB"))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=7_500_000, help="cells in the synthetic slice (default 7.5 M: ~300 MB)")
    parser.add_argument("--no-before", action="store_true", help="skip the read path of HEAD")
    parser.add_argument("--site", type=Path, default=Path(os.environ.get("YTLITE_SITE", ROOT / "_site")),
                        help="the built site whose view/ is measured (default _site or $YTLITE_SITE)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    src = synthetic.ensure(args.cells)
    size = src.stat().st_size
    import h5py

    with h5py.File(src, "r") as f:
        arrays = sum(d.size * 8 for d in f["grid"].values())
        cells = f["grid/px"].size
    print(f"file {src.name}: {cells:,} cells, {size / 1e6:.0f} MB on disk, arrays {arrays / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory(prefix="ytlite-bigfile-") as tmp:
        tmp = Path(tmp)
        variants = [("now", tmp / "now")]
        (tmp / "now").mkdir()
        shutil.copytree(args.site / "view", tmp / "now" / "view")
        if not args.no_before and kiosk_before(tmp / "before", args.site):
            variants.append(("before (HEAD)", tmp / "before"))
        results = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, root in variants:
                (root / "files").mkdir(exist_ok=True)
                try:
                    os.link(src, root / "files" / src.name)
                except OSError:  # (another file system)
                    shutil.copyfile(src, root / "files" / src.name)
                with StaticServer(root) as server:
                    results.append(measure(browser, server.url, src.name, label))
            browser.close()
    print(f"\n{'read path':<16}{'first image':>12}{'peak RSS':>12}{'x arrays':>10}{'JS heap+h5wasm':>16}{'kept RSS':>11}  progress")
    for r in results:
        if r["error"]:
            print(f"{r['label']:<16} FAILED: {r['error']}")
            continue
        print(f"{r['label']:<16}{r['first_image_s']:>10.1f} s{r['rss_peak'] / 1e6:>9.0f} MB{r['rss_peak'] / arrays:>9.2f}x"
              f"{r['heap_peak'] / 1e6:>13.0f} MB{r['rss_kept'] / 1e6:>8.0f} MB  {'shown' if r['progress_seen'] else '-'}")
    print("\n(peak/kept RSS: the renderer's resident memory above its level before the file was asked for;"
          " JS heap+h5wasm: sampled in the page, ArrayBuffers outside the JS heap not counted)")
    return 0 if all(not r["error"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
