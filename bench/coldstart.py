#!/usr/bin/env python3
"""Cold-start benchmark (issue 10, "Start in seconds"): how long a person waits.

    .venv/bin/python bench/coldstart.py [--runs 3] [--site _site] [--baseline DIR]
    .venv/bin/python bench/coldstart.py --profile [--runs 1]   where the time goes, stage by stage

Serves the ytlite site and a *baseline* site (the same JupyterLite + Pyodide
kernel built by ytlite/site/jupyterlite.py, but without ytlite and with one trivial
notebook) with Python's plain ``http.server`` on 127.0.0.1 (no COOP/COEP
headers, as on most static hosts), opens them in Debian's headless Chromium
with a fresh browser context (empty HTTP cache) for every run, and prints the
medians side by side:

- kiosk first image: ``view/?file=...`` until ``canvas.ytlite-image[data-frame]``
- notebook kernel idle: ``notebooks/index.html?path=...`` until the kernel has
  answered ``kernel_info`` (before that a kernel may say "idle" but drop cells)
- notebook first image: then "run all cells" of demo.ipynb until the first
  ``canvas.ytlite-image[data-frame]`` (time counted from the page load)
- all files arrived: when the last static file (page and kernel worker; not
  JupyterLite's in-browser /api/) fetched before the kernel was idle had
  arrived, from Resource Timing; the time between it and "kernel idle" is CPU
- second visit: same context, ``page.reload()``, kernel idle again (warm cache)
- site size and its 15 biggest files, and the top folders

and checks that no request left 127.0.0.1. Without ``--baseline`` the baseline
is built (or reused: ytlite/site/jupyterlite.py caches whole sites) into
``~/.cache/ytlite/coldstart/baseline``. With defaults it takes ~4-6 minutes (330 s
measured on the 2-core machine while other tests ran).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
# Chromium as the browser tests start it (any host but this machine fails to
# resolve), and the quiet static server of one folder on 127.0.0.1
from support.browser import CHROMIUM, CHROMIUM_ARGS, StaticServer as Server  # noqa: E402

CACHE = Path(os.environ.get("YTLITE_CACHE", Path.home() / ".cache" / "ytlite"))
KIOSK_FILE = "data/real/ramses_blast3d_z0.5_slice.h5"
DEMO_NOTEBOOK = "demo.ipynb"
BASELINE_NOTEBOOK = "hello.ipynb"
BASELINE_CELL = "print('hello from the baseline kernel')"
TIMEOUT_MS = 180_000


def build_baseline(dest: Path) -> Path:
    """The same JupyterLite site (ytlite/site/jupyterlite.py) with no extra wheel and one
    one-cell notebook."""
    if (dest / "index.html").is_file() and (dest / "files" / BASELINE_NOTEBOOK).is_file():
        return dest
    sys.path.insert(0, str(ROOT))
    from ytlite.site import jupyterlite as site
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": [BASELINE_CELL]}],
        "metadata": {"kernelspec": {"display_name": "Python (Pyodide)", "language": "python", "name": "python"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    with tempfile.TemporaryDirectory(prefix="coldstart-content-") as content:
        (Path(content) / BASELINE_NOTEBOOK).write_text(json.dumps(nb))
        # its own site cache (ytlite/site/jupyterlite.py keeps only 3 built sites per cache:
        # do not evict the project's), sharing the downloads of the project's
        cache = CACHE / "coldstart" / "site"
        cache.mkdir(parents=True, exist_ok=True)
        for sub in ("npm", "wheels", "jupyterlite-cache"):
            shared = CACHE / "site" / sub
            if shared.is_dir() and not (cache / sub).exists():
                (cache / sub).symlink_to(shared, target_is_directory=True)
        site.build_site(dest, Path(content), [], cache, log=lambda m: print(f"  {m}", flush=True),
                        kernel_speedups=False)  # JupyterLite's kernel as it comes
    return dest


# ------------------------------------------------------------ measurements ---

# the last response end (ms since the page's time origin) of every resource the
# page and its workers fetched; the worker's origin is mapped onto the page's
# (static files only: /api/ requests are JupyterLite's in-browser server)
_RESOURCES_JS = ("() => ({origin: performance.timeOrigin, ends: performance.getEntriesByType('resource')"
                 ".filter(e => !new URL(e.name).pathname.includes('/api/')).map(e => e.responseEnd)})")


class Visit:
    """One fresh browser context (empty cache); records every request URL."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.requests: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()

    def close(self):
        self.context.close()

    def goto(self, url):
        self.t0 = time.perf_counter()
        self.page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)

    def reload(self):
        self.t0 = time.perf_counter()
        self.page.reload(wait_until="commit", timeout=TIMEOUT_MS)

    def since(self) -> float:
        return time.perf_counter() - self.t0

    def wait_kernel_idle(self) -> float:
        # JupyterLite reports "idle" before the kernel booted; a kernel_info
        # reply means it is really up (tests/support/notebook.py NotebookRun)
        self.page.wait_for_function(
            "() => !!(window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext)", timeout=TIMEOUT_MS)
        self.page.evaluate(
            """async () => {
                const w = window.jupyterapp.shell.currentWidget;
                await w.sessionContext.ready;
                await w.sessionContext.session.kernel.info;
            }""")
        return self.since()

    def run_all(self):
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def wait_first_image(self) -> float:
        self.page.wait_for_selector("canvas.ytlite-image[data-frame]", state="attached", timeout=TIMEOUT_MS)
        return self.since()

    def wait_stdout(self) -> float:
        self.page.wait_for_selector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]',
                                    state="attached", timeout=TIMEOUT_MS)
        return self.since()

    def all_arrived(self) -> float:
        """Seconds from navigation start to the end of the last resource
        (page + workers), from Resource Timing."""
        page = self.page.evaluate(_RESOURCES_JS)
        last = max(page["ends"], default=0.0)
        for w in self.page.workers:
            try:
                r = w.evaluate(_RESOURCES_JS)
            except Exception:
                continue
            shift = r["origin"] - page["origin"]
            last = max([last] + [e + shift for e in r["ends"]])
        return last / 1000.0

    def foreign(self, base: str) -> list[str]:
        allowed = (base + "/", "blob:", "data:")
        return sorted({u for u in self.requests if not u.startswith(allowed)})


def measure(browser, site_url: str, base_url: str, runs: int, log) -> tuple[dict, list[str]]:
    samples: dict[str, list[float]] = {}
    foreign: list[str] = []

    def add(key, value):
        samples.setdefault(key, []).append(value)

    for r in range(runs):
        # kiosk (ytlite only)
        v = Visit(browser)
        try:
            v.goto(f"{site_url}/view/?file={KIOSK_FILE}")
            add(("ytlite", "kiosk first image"), v.wait_first_image())
            foreign += v.foreign(site_url)
        finally:
            v.close()

        # the demo notebook, then the baseline (same JupyterLite, no ytlite, one print)
        for who, url, notebook, first in (("ytlite", site_url, DEMO_NOTEBOOK, "notebook first image"),
                                          ("baseline", base_url, BASELINE_NOTEBOOK, "notebook first output")):
            v = Visit(browser)
            try:
                v.goto(f"{url}/notebooks/index.html?path={notebook}")
                add((who, "notebook kernel idle"), v.wait_kernel_idle())
                add((who, "all files arrived"), v.all_arrived())
                v.run_all()
                add((who, first), v.wait_first_image() if who == "ytlite" else v.wait_stdout())
                v.reload()
                add((who, "second visit: kernel idle"), v.wait_kernel_idle())
                foreign += v.foreign(url)
            finally:
                v.close()
        done = {k[1] if k[0] == "ytlite" else f"baseline {k[1]}": f"{s[-1]:.1f}" for k, s in samples.items()}
        log(f"run {r + 1}/{runs}: " + ", ".join(f"{k} {t} s" for k, t in done.items()))
    return samples, sorted(set(foreign))


# ---------------------------------------------------------------- profile ---

# Stage marks inside @jupyterlite/pyodide-kernel's worker (0.8.x
# PyodideRemoteKernel.initialize), patched into a COPY of the site: the core's
# loadPyodide is split from the boot packages' install so each shows.
_WORKER_PATCHES = (
    ("await this.initRuntime(e),await this.initFilesystem(e),await this.initPackageManager(e),"
     "await this.initKernel(e),await this.initGlobals(e),",
     "(self.__prof=[['worker starts',performance.now()]]),await this.initRuntime(e),"
     "self.__prof.push(['boot packages installed (unzipped)',performance.now()]),"
     "await this.initFilesystem(e),self.__prof.push(['DriveFS mounted',performance.now()]),"
     "await this.initPackageManager(e),self.__prof.push(['import micropip, piplite',performance.now()]),"
     "await this.initKernel(e),self.__prof.push(['import pyodide_kernel (IPython, shell)',performance.now()]),"
     "await this.initGlobals(e),self.__prof.push(['kernel globals',performance.now()]),"),
    ("...e.loadPyodideOptions}),",
     "...e.loadPyodideOptions,packages:[]}),self.__prof.push(['Pyodide core: wasm, Python start, stdlib',"
     "performance.now()]),await this._pyodide.loadPackage((e.loadPyodideOptions||{}).packages||[]),"),
)

_CELL_WATCH_JS = r"""() => { window.__cells = {}; window.__img = null;
  setInterval(() => { const w = window.jupyterapp.shell.currentWidget;
    w.content.widgets.forEach((c, i) => { if (c.model.type === 'code' && c.model.executionCount !== null && !(i in window.__cells))
      window.__cells[i] = [performance.now(), c.model.sharedModel.getSource().split('\n')[0].slice(0, 50)]; });
    if (!window.__img && document.querySelector('canvas.ytlite-image[data-frame]')) window.__img = performance.now();
  }, 10); }"""


def patched_copy(site: Path, dest: Path) -> Path:
    """A copy of ``site`` whose kernel worker records when each stage ends."""
    import shutil

    shutil.copytree(site, dest, symlinks=True)
    (worker,) = (dest / "extensions" / "@jupyterlite" / "pyodide-kernel-extension" / "static").glob("comlink.worker.*.js")
    text = worker.read_text()
    for old, new in _WORKER_PATCHES:
        if text.count(old) != 1:
            sys.exit(f"profile: {worker.name} is not the pyodide-kernel 0.8 worker this patch knows; update _WORKER_PATCHES")
        text = text.replace(old, new)
    worker.write_text(text)
    return dest


def profile(browser, site_url: str) -> list[tuple[float, str]]:
    """One fresh-context load of the demo notebook: [(seconds since navigation, what ended then)]."""
    v = Visit(browser)
    try:
        v.goto(f"{site_url}/notebooks/index.html?path={DEMO_NOTEBOOK}")
        idle = v.wait_kernel_idle()
        v.page.evaluate(_CELL_WATCH_JS)
        v.run_all()
        v.wait_first_image()
        time.sleep(0.3)
        page = v.page.evaluate("""() => ({origin: performance.timeOrigin,
            dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
            cells: window.__cells, img: window.__img})""")
        worker = None
        for w in v.page.workers:
            try:
                r = w.evaluate("() => ({origin: performance.timeOrigin, prof: self.__prof || null})")
            except Exception:
                continue
            if r["prof"]:
                worker = r
    finally:
        v.close()
    events = [(page["dom"] / 1000, "page: HTML + JupyterLab's first script (DOMContentLoaded)")]
    if worker:
        shift = worker["origin"] - page["origin"]
        events.append((shift / 1000, "JupyterLab front end up, kernel worker created"))
        events += [((t + shift) / 1000, f"kernel: {what}") for what, t in worker["prof"][1:]]
    events.append((idle, "kernel idle (kernel_info answered)"))
    events += [(t / 1000, f"cell {i}: {src}") for i, (t, src) in sorted(page["cells"].items(), key=lambda kv: kv[1][0])]
    if page["img"]:
        events.append((page["img"] / 1000, "first image drawn"))
    return sorted(events)


def print_profile(events: list[tuple[float, str]]) -> None:
    print(f"{'t (s)':>7s} {'stage (s)':>9s}  what ended")
    last = 0.0
    for t, what in events:
        print(f"{t:7.2f} {t - last:9.2f}  {what}")
        last = t


# -------------------------------------------------------------- site size ---


def site_sizes(folder: Path) -> tuple[int, list[tuple[int, str]], list[tuple[int, str]]]:
    files = [(p.stat().st_size, p.relative_to(folder).as_posix()) for p in folder.rglob("*") if p.is_file()]
    total = sum(s for s, _ in files)
    folders: dict[str, int] = {}
    for s, rel in files:
        parts = rel.split("/")
        for depth in (1, 2):
            if len(parts) > depth:
                key = "/".join(parts[:depth]) + "/"
                folders[key] = folders.get(key, 0) + s
    return total, sorted(files, reverse=True)[:15], sorted(((s, k) for k, s in folders.items()), reverse=True)[:15]


def mb(n: int) -> str:
    return f"{n / 1e6:.1f}"


# ------------------------------------------------------------------- main ---

ROWS = [
    ("kiosk first image", "kiosk first image", None),
    ("notebook kernel idle", "notebook kernel idle", "notebook kernel idle"),
    ("notebook first image / first output", "notebook first image", "notebook first output"),
    ("all files arrived (by kernel idle)", "all files arrived", "all files arrived"),
    ("second visit (reload): kernel idle", "second visit: kernel idle", "second visit: kernel idle"),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="fresh-context runs per measurement (default 3)")
    ap.add_argument("--site", type=Path, default=ROOT / "_site", help="the ytlite site folder (default _site)")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="a baseline site folder (default: built with ytlite/site/jupyterlite.py into "
                         "~/.cache/ytlite/coldstart/baseline)")
    ap.add_argument("--json", type=Path, default=None, help="also write every sample here")
    ap.add_argument("--profile", action="store_true",
                    help="instead: where the time goes, stage by stage, in --runs loads of the demo notebook "
                         "(kernel worker instrumented in a copy of the site)")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()
    log = lambda m: print(f"[coldstart] {m}", flush=True)  # noqa: E731

    site = args.site.resolve()
    if not (site / "index.html").is_file():
        sys.exit(f"no site at {site}: run python3 build.py build")
    if args.profile:
        from playwright.sync_api import sync_playwright

        with tempfile.TemporaryDirectory(prefix="coldstart-profile-") as tmp:
            server = Server(patched_copy(site, Path(tmp) / "site"))
            try:
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    try:
                        for r in range(args.runs):
                            print(f"\nrun {r + 1}/{args.runs}: {DEMO_NOTEBOOK}, fresh context, {site}")
                            print_profile(profile(browser, server.url))
                    finally:
                        browser.close()
            finally:
                server.close()
        log(f"done in {time.perf_counter() - t_start:.0f} s")
        return 0
    if args.baseline is None:
        log("baseline site (ytlite/site/jupyterlite.py, no ytlite, one notebook) ...")
        baseline = build_baseline(CACHE / "coldstart" / "baseline")
    else:
        baseline = args.baseline.resolve()
        if not (baseline / "index.html").is_file():
            sys.exit(f"no site at {baseline}")

    from playwright.sync_api import sync_playwright

    s_site, s_base = Server(site), Server(baseline)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                log(f"{args.runs} runs, each in a fresh browser context: {site} vs {baseline}")
                samples, foreign = measure(browser, s_site.url, s_base.url, args.runs, log)
            finally:
                browser.close()
    finally:
        s_site.close()
        s_base.close()

    med = {k: statistics.median(v) for k, v in samples.items()}
    print()
    print(f"median of {args.runs} runs (s), headless Chromium, {os.cpu_count()} cores, plain http.server (no COOP/COEP)")
    print(f"{'':40s} {'ytlite':>8s} {'baseline':>9s} {'ratio':>6s}")
    for label, ky, kb in ROWS:
        y = med.get(("ytlite", ky))
        b = med.get(("baseline", kb)) if kb else None
        ratio = f"{y / b:.2f}" if (y is not None and b) else "-"
        print(f"{label:40s} {y if y is None else f'{y:8.1f}':>8} {'-' if b is None else f'{b:9.1f}':>9} {ratio:>6s}")
    tot_s, top_s, dirs_s = site_sizes(site)
    tot_b, _, _ = site_sizes(baseline)
    print(f"{'site size (MB)':40s} {mb(tot_s):>8s} {mb(tot_b):>9s} {tot_s / tot_b:6.2f}")
    print()
    print(f"biggest files of {site}:")
    for s, rel in top_s:
        print(f"  {mb(s):>6s} MB  {rel}")
    print("biggest folders:")
    for s, rel in dirs_s:
        print(f"  {mb(s):>6s} MB  {rel}")
    print()
    if foreign:
        print(f"FAIL: {len(foreign)} request(s) left 127.0.0.1:")
        for u in foreign[:20]:
            print(f"  {u}")
    else:
        print("no request left 127.0.0.1")
    if args.json:
        args.json.write_text(json.dumps({" / ".join(k): v for k, v in samples.items()}, indent=1))
    log(f"done in {time.perf_counter() - t_start:.0f} s")
    return 1 if foreign else 0


if __name__ == "__main__":
    sys.exit(main())
