#!/usr/bin/env python3
"""A big slice file in the kiosk page and in a notebook: time to first image and peak memory.

    .venv/bin/python bench/bigfile.py [--cells 7500000 | --file PATH] [--no-before] [--paths kiosk,notebook] [--site _site]

Writes (once, cached by bench/synthetic.py) a synthetic AMR slice in yt's
``save_as_dataset`` layout, ~300 MB (7.5 M cells: px, py, pdx, pdy, density,
float64), and opens it in headless Chromium two ways:

* the kiosk page: SITE/view/ plus the file, served on 127.0.0.1, now from a
  server that serves byte ranges (the page reads the file a piece at a time)
  and from one that does not (streamed whole into h5wasm's FS), and (unless
  ``--no-before``) the kiosk of HEAD or ``--kiosk-before REV`` (``git
  archive``); in a Chromium of its own driven over the DevTools pipe with no
  domain watching its network (``cdp_pipe.py``: Playwright's watching would
  keep copies of responses, memory the page does not hold for a visitor);
* the notebook: the built JupyterLite site with the file in its content (served
  as the site serves its shipped files: ``files/data/NAME`` and the entry in
  ``api/contents/data/all.json``), a notebook whose first cell draws the small
  demo slice (the widget's bundle and the page's h5wasm loaded, the kernel's
  runtime ready), then ``ds = ytlite.load("data/NAME")`` (timed alone too), ``ds.plot()`` and a later
  ``ds["density"]``. Now: the kernel reads the site's copy a piece at a time
  by ranges, at ``load`` and later; "no ranges": a server that sends whole
  files (the kernel copies the file in); before (unless ``--no-before``): the
  same site with ``ytlite._hdf5.PAGED = False`` (a copy at ``load``, later
  arrays by synchronous range requests). Also in a Chromium of its own over
  the DevTools pipe (``PipeNotebook``): the kernel's and the page's pieces of
  4-32 MB would look held under Playwright's watching.

* on CPython (``--paths cpython``): ``ytlite.load`` against h5py reading every
  array of the same file into numpy, each in a fresh process: seconds and peak
  memory.

For each browser path:

* time to first image: from asking for the file (the kiosk's open, the cell's
  run) to the first frame drawn;
* peak memory: the renderer processes' resident set (from /proc, sampled every
  20 ms in a thread of this script: every ArrayBuffer, wasm memory and the JS
  heap alike, the kernel's Web Worker included: a dedicated worker runs in its
  page's renderer process; the sum over every renderer, and the process that
  grew most), above what it was before the file was asked for; in the kiosk
  also, sampled in the page, the JS heap (``performance.memory``) plus
  h5wasm's wasm memory;
* the same once the image is up and the page's garbage is collected (what is
  kept; the worker's own garbage is collected when its V8 decides);

against the arrays' total bytes (cells x 5 x 8).
"""

from __future__ import annotations

import argparse
import json
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

from cdp_pipe import PipeBrowser  # noqa: E402
from support.browser import CHROMIUM, CHROMIUM_ARGS, QuietHandler, StaticServer  # noqa: E402
from support.notebook import ERROR_OUTPUTS_JS, EXECUTE_JS  # noqa: E402

KIOSK_ASSETS = ("ytlite_pixelizer_bg.wasm", "colormaps.json", "colormaps.bin", "length_units.json", "h5wasm.js",
                "index.html", "site.json")


def esbuild() -> Path:
    import build

    return build.npm_modules() / ".bin" / "esbuild"


def kiosk_before(out: Path, site: Path, rev: str | None = None) -> bool:
    """The kiosk of commit ``rev`` (default HEAD: before the change not yet
    committed) into out/view/, with today's wasm module -> True."""
    tree = out / "src"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev or "HEAD", "lite/js"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)

    (tree / "ytlite" / "_generated").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "ytlite" / "_generated" / "ytlite_pixelizer.js", tree / "ytlite" / "_generated" / "ytlite_pixelizer.js")
    view = out / "view"
    view.mkdir()
    import build

    # (a recent tree imports today's generated inputs by name: the wasm glue, and the deposit worker, which
    # is that tree's own, bundled here: its messages are its page's)
    inputs = dict(build.FRONT_END_INPUTS)
    if (tree / "lite" / "js" / "depositworker.js").exists():
        inputs["ytlite-deposit-worker"] = out / "deposit-worker.txt"
        subprocess.run([esbuild(), tree / "lite" / "js" / "depositworker.js", "--bundle", "--format=iife", "--target=es2020",
                        "--log-level=error", "--define:import.meta.url=undefined",
                        f"--alias:ytlite-pixelizer={inputs['ytlite-pixelizer']}", f"--outfile={inputs['ytlite-deposit-worker']}"],
                       check=True)
    aliases = [f"--alias:{k}={v}" for k, v in inputs.items()]
    subprocess.run([esbuild(), tree / "lite" / "js" / "page.js", "--bundle", "--format=esm", "--target=es2020",
                    "--log-level=error", *aliases, f"--outfile={view / 'ytlite-view.js'}"], check=True)
    for name in KIOSK_ASSETS:
        if (site / "view" / name).exists():
            shutil.copyfile(site / "view" / name, view / name)
    no_start(view)
    return True


def no_start(view: Path) -> None:
    """The kiosk opens no dataset of its own (site.json's start): it waits for the big file."""
    import json

    index = view / "site.json"
    if index.exists():
        data = json.loads(index.read_text())
        data["start"] = None
        index.write_text(json.dumps(data))


def settle_until_steady(seconds=3.0, most=60.0):
    """Wait until the renderers' resident memory has not grown by more than 1 % for ``seconds``
    (at most ``most`` seconds), at least 1 s."""
    time.sleep(1.0)
    start = last_growth = time.monotonic()
    top = renderer_rss()
    while time.monotonic() - last_growth < seconds and time.monotonic() - start < most:
        time.sleep(0.25)
        now = renderer_rss()
        if now > 1.01 * top:
            top, last_growth = now, time.monotonic()


def renderer_rss(per_process=None) -> int:
    """Resident bytes of the Chromium renderer processes started by this script
    (``per_process``: a dict filled with each one's, by pid)."""
    total = 0
    for child in psutil.Process().children(recursive=True):
        try:
            if "--type=renderer" in " ".join(child.cmdline()):
                rss = child.memory_info().rss
                total += rss
                if per_process is not None:
                    per_process[child.pid] = rss
        except psutil.Error:
            pass
    return total


class Sampler(threading.Thread):
    """The peak of the renderers' summed RSS, and each renderer's own peak, above ``baseline``."""

    def __init__(self):
        super().__init__(daemon=True)
        self.start_each = {}
        self.baseline = renderer_rss(self.start_each)
        self.peak, self.peak_each, self.running = 0, {}, True

    def run(self):
        while self.running:
            each = {}
            self.peak = max(self.peak, renderer_rss(each))
            for pid, rss in each.items():
                self.peak_each[pid] = max(self.peak_each.get(pid, 0), rss)
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.join()
        # the renderer that grew most, and by how much (is the worker in its page's process?)
        grew = {pid: rss - self.start_each.get(pid, 0) for pid, rss in self.peak_each.items()}
        return max(grew.values(), default=0), len(grew)


def measure(url, file, label):
    """The kiosk opening ``file``, in a Chromium of its own driven over the DevTools pipe with no
    domain watching the network (bench/cdp_pipe.py: Playwright's would keep copies of responses)."""
    with PipeBrowser(CHROMIUM, [*CHROMIUM_ARGS, "--js-flags=--expose-gc"]) as browser:
        page = browser.open(f"{url}/view/")
        page.wait_for("!!window.ytliteKiosk && document.querySelector('#status').textContent.includes('open a file')")
        page.evaluate("window.ytliteKiosk.ready.then(() => true)")
        time.sleep(0.5)
        sampler = Sampler()
        baseline = sampler.baseline
        sampler.start()
        page.evaluate(f"""(() => {{
            window.benchStart = performance.now();
            window.ytliteKiosk.openUrl({json.dumps(file)}).catch((e) => {{ window.benchError = String(e.message ?? e); }});
            return true; }})()""")
        heap_peak, notes = 0, set()
        while True:
            state = page.evaluate("""({
                frame: !!document.querySelector('canvas.ytlite-image[data-frame]'),
                error: window.benchError ?? null, status: document.querySelector('#status').textContent,
                heap: performance.memory?.usedJSHeapSize ?? 0,
                h5wasm: globalThis.h5wasm?.Module?.HEAPU8?.buffer?.byteLength ?? 0,
                elapsed: performance.now() - window.benchStart })""")
            heap_peak = max(heap_peak, state["heap"] + state["h5wasm"])
            notes.add(state["status"].split(":")[-1].strip()[:40])
            if state["frame"] or state["error"]:
                break
            if state["elapsed"] > 180000:
                state["error"] = "no image after 180 s"
                break
            time.sleep(0.05)
        first_image_s = state["elapsed"] / 1000
        # (the peak until the deposit workers hold the mesh too: a big mesh's first image is made on the
        # page, core/pipeline.js wantsWorkers, and they get it after that)
        workers_ready_s, deadline = None, time.monotonic() + 120
        while not state["error"] and time.monotonic() < deadline:
            ready = page.evaluate("""(() => { const p = window.ytliteKiosk.viewer?.pipeline;
                return p?.pool ? (p.poolMesh === p.meshGeneration && !p.pool.sending() ? performance.now() - window.benchStart : null)
                    : (p?.workers ? null : -1); })()""")
            if ready is not None:
                workers_ready_s = ready / 1000 if ready >= 0 else None
                break
            time.sleep(0.05)
        time.sleep(1.0)
        one, processes = sampler.stop()
        # what the page keeps: garbage (the read's buffers) collected. A deposit worker's copy of the mesh
        # arrives in messages whose buffers its thread frees only at its next full collection, which an
        # idle worker may not run for long: what is kept once every worker has collected too.
        browser.send("HeapProfiler.collectGarbage", session=page.session)
        time.sleep(1.0)
        kept = renderer_rss()
        workers = page.workers()
        page.collect_garbage()
        time.sleep(1.0)
        kept_collected = renderer_rss()
    return {"path": "kiosk", "label": label, "first_image_s": first_image_s, "error": state["error"],
            "rss_peak": sampler.peak - baseline, "rss_kept": kept - baseline, "heap_peak": heap_peak,
            "rss_kept_collected": kept_collected - baseline, "workers": len(workers),
            "rss_peak_one": one, "renderers": processes, "workers_ready_s": workers_ready_s,
            "progress_seen": sum(1 for n in notes if " of " in n and n.endswith("MB"))}


class SiteWithBigFile(QuietHandler):
    """The built site, plus the big file in its content (data/NAME): served as
    the site serves its shipped files (files/data/NAME, with its byte ranges
    unless ``ranges = False``; its entry in the static listing
    api/contents/data/all.json)."""

    extra: dict = {}

    def translate_path(self, path):
        if path.split("?", 1)[0] == f"/files/data/{self.extra['file'].name}":
            return str(self.extra["file"])
        return super().translate_path(path)

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path.split("?", 1)[0] == "/api/contents/data/all.json":
            self.send_body(self.extra["listing"], "application/json")
            return
        super().do_GET()


def site_listing(site: Path, src: Path) -> bytes:
    import json

    listing = json.loads((site / "api" / "contents" / "data" / "all.json").read_text())
    listing["content"] = [e for e in listing["content"] if e.get("name") != src.name] + [{
        "content": None, "created": "2026-01-01T00:00:00Z", "format": None, "hash": None, "hash_algorithm": None,
        "last_modified": "2026-01-01T00:00:00.000000Z", "mimetype": "application/x-hdf5", "name": src.name,
        "path": f"data/{src.name}", "size": src.stat().st_size, "type": "file", "writable": True}]
    return json.dumps(listing).encode()


class PipeNotebook:
    """A notebook of the built site in a Chromium of its own over the DevTools pipe, nothing watching its
    network (Playwright's watching keeps copies of responses of under ~20 MB: the kernel's and the page's
    range reads would look held): its cells run and its kernel asked through JupyterLab's own objects."""

    def __init__(self, url, notebook):
        self.browser = PipeBrowser(CHROMIUM, [*CHROMIUM_ARGS, "--js-flags=--expose-gc", "--window-size=1400,1000"])
        self.page = self.browser.open(f"{url}/notebooks/index.html?path={notebook}")

    def call(self, function, arg=None, timeout=300.0):
        """``function`` (JS source of a function of one argument) called with ``arg``, its promise awaited."""
        return self.page.evaluate(f"({function})({json.dumps(arg)})", timeout=timeout)

    def wait_for(self, expression, timeout):
        return self.page.wait_for(expression, timeout=timeout, every=0.1)

    def wait_for_kernel_idle(self):
        # (the kernel says "idle" before it has booted: a kernel_info reply means it is up)
        self.wait_for("!!(window.jupyterapp && window.jupyterapp.shell.currentWidget"
                      " && window.jupyterapp.shell.currentWidget.sessionContext)", 240)
        self.call("""async () => {
            const w = window.jupyterapp.shell.currentWidget;
            await w.sessionContext.ready;
            await w.sessionContext.session.kernel.info;
        }""")

    def run_cell(self, code):
        """A new cell at the notebook's end, run (not waited for: the demo's own cells stay unrun)."""
        self.call("""async (code) => {
            const app = window.jupyterapp, nb = app.shell.currentWidget.content;
            nb.activeCellIndex = nb.widgets.length - 1;
            await app.commands.execute('notebook:insert-cell-below');
            nb.activeCell.model.sharedModel.setSource(code);
            app.commands.execute('notebook:run-cell');
        }""", code)

    def wait_cell(self):
        """Until the last cell has run and the kernel is idle."""
        self.wait_for("""(() => {
            const w = window.jupyterapp.shell.currentWidget, last = w.content.widgets[w.content.widgets.length - 1];
            return w.sessionContext.session.kernel.status === 'idle' && last.model.executionCount !== null;
        })()""", 300)

    def execute(self, code):
        """Run code in the kernel; its text output (errors as 'ERROR name: value')."""
        return self.call(EXECUTE_JS, code)

    def error_outputs(self):
        return self.call(ERROR_OUTPUTS_JS)

    def collect_garbage(self):
        """The page's full collection (the kernel's worker keeps its own: what it holds is measured)."""
        self.browser.send("HeapProfiler.collectGarbage", session=self.page.session)

    def close(self):
        self.browser.close()


def measure_notebook(url, name, label, setup):
    """The notebook path: a warm page (the demo slice drawn), then load + plot of the big file."""
    run = PipeNotebook(url, "demo.ipynb")
    try:
        run.wait_for_kernel_idle()
        count = "document.querySelectorAll('canvas.ytlite-image[data-frame]').length"
        run.run_cell("import ytlite\nawait ytlite.ready()\n"
                     f"{setup}\n"
                     "warm = ytlite.load('data/amr_demo_slice.h5').plot()\nwarm")
        run.wait_for(f"{count} >= 1", 240)
        run.wait_cell()
        jspi = run.execute("from pyodide.ffi import can_run_sync\nprint(can_run_sync())").strip()
        run.collect_garbage()
        time.sleep(1.5)
        sampler = Sampler()
        sampler.start()
        t0 = time.perf_counter()
        # (load and plot in cells of their own: how long ytlite.load alone takes, said in the notes)
        run.run_cell(f"ds = ytlite.load('data/{name}')")
        run.wait_cell()
        load_s = time.perf_counter() - t0
        run.run_cell("ds.plot()")
        error = None
        try:
            run.wait_for(f"{count} >= 2", 300)
        except Exception as exc:  # noqa: BLE001 (reported in the table)
            error = f"no image: {run.error_outputs() or exc}"
        first_image_s = time.perf_counter() - t0
        run.wait_cell()
        # (the peak until the deposit workers hold the mesh too, which they get after a big mesh's first
        # image: here no handle on the viewer says when, so until the renderers' memory settles)
        settle_until_steady()
        one, processes = sampler.stop()
        run.collect_garbage()
        time.sleep(1.0)
        kept = renderer_rss()
        in_kernel = run.execute("print(ds._raw.reader.in_kernel)").strip()
        # a later array (Python asks for numbers): the file back for that cell
        before_array = renderer_rss()
        t1 = time.perf_counter()
        run.execute("d = ds['density']")
        array_s = time.perf_counter() - t1
        time.sleep(0.5)
        array_rss = renderer_rss() - before_array
        by_ranges = run.execute("print(ds._raw.reader.by_ranges)").strip()
        errors = run.error_outputs()
        return {"path": "notebook", "label": label, "first_image_s": first_image_s,
                "error": error or (errors[0] if errors else None),
                "rss_peak": sampler.peak - sampler.baseline, "rss_kept": kept - sampler.baseline,
                "rss_peak_one": one, "renderers": processes, "heap_peak": None,
                "progress_seen": 0, "array_s": array_s, "array_rss": array_rss,
                "note": f"ytlite.load {load_s:.1f} s; file in kernel after: {in_kernel}; ds['density'] (by ranges: {by_ranges}): "
                        f"{array_s:.1f} s, +{array_rss / 1e6:.0f} MB; run_sync: {jspi}"}
    finally:
        run.close()


CPYTHON_READS = {  # label: (what is imported first, the read timed)
    "ytlite.load": ("import ytlite", "ds = ytlite.load(path)"),
    "h5py, every array (numpy)": ("import h5py", "with h5py.File(path) as f:\n    arrays = [d[()] for d in f['grid'].values()]"),
}


def measure_cpython(src: Path) -> list[str]:
    """``ytlite.load`` on CPython against h5py reading every array of the same file into
    numpy (the values and nothing else), each in a fresh process: seconds and the peak
    resident memory above the process's own before the read."""
    lines = []
    for label, (imports, read) in CPYTHON_READS.items():
        code = (f"import resource, sys, time\npath = sys.argv[1]\n{imports}\n"
                "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\nt = time.perf_counter()\n"
                f"{read}\nprint(time.perf_counter() - t, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0) * 1024)\n")
        out = subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            lines.append(f"cpython   {label:<27} FAILED: {out.stderr.strip()[-300:]}")
            continue
        seconds, peak = (float(x) for x in out.stdout.split()[-2:])
        lines.append(f"cpython   {label:<27}{seconds:>8.1f} s{peak / 1e6:>9.0f} MB peak")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=7_500_000, help="cells in the synthetic slice (default 7.5 M: ~300 MB)")
    parser.add_argument("--file", type=Path, help="an existing slice file instead of the synthetic one (e.g. 50 M cells, 5 fields)")
    parser.add_argument("--no-before", action="store_true", help="skip the read paths before (HEAD's kiosk, HEAD's kernel)")
    parser.add_argument("--kiosk-before", metavar="REV", help="compare the kiosk with this commit's, whatever it reads like")
    parser.add_argument("--paths", default="kiosk,notebook", help="which of kiosk,notebook,cpython to measure (default kiosk,notebook)")
    parser.add_argument("--site", type=Path, default=Path(os.environ.get("YTLITE_SITE", ROOT / "_site")),
                        help="the built site measured (default _site or $YTLITE_SITE)")
    args = parser.parse_args(argv)
    paths = {p.strip() for p in args.paths.split(",") if p.strip()}

    src = args.file.resolve() if args.file else synthetic.ensure(args.cells)
    size = src.stat().st_size
    import h5py

    with h5py.File(src, "r") as f:
        arrays = sum(d.size * 8 for d in f["grid"].values())
        cells = f["grid/px"].size
    print(f"file {src.name}: {cells:,} cells, {size / 1e6:.0f} MB on disk, arrays {arrays / 1e6:.0f} MB")
    results = []
    with tempfile.TemporaryDirectory(prefix="ytlite-bigfile-") as tmp:
        tmp = Path(tmp)
        if "kiosk" in paths:
            # now: the file read a piece at a time by ranges (static hosts serve them), or streamed whole
            variants = [("now", tmp / "now", True), ("now, no ranges", tmp / "now", False)]
            (tmp / "now").mkdir()
            shutil.copytree(args.site / "view", tmp / "now" / "view")
            no_start(tmp / "now" / "view")
            if not args.no_before and kiosk_before(tmp / "before", args.site, args.kiosk_before):
                variants.append((f"before ({args.kiosk_before or 'HEAD'})", tmp / "before", True))
            for label, root, ranges in variants:
                (root / "files").mkdir(exist_ok=True)
                if not (root / "files" / src.name).exists():
                    try:
                        os.link(src, root / "files" / src.name)
                    except OSError:  # (another file system)
                        shutil.copyfile(src, root / "files" / src.name)
                with StaticServer(root, type("Handler", (QuietHandler,), {"ranges": ranges})) as server:
                    results.append(measure(server.url, src.name, label))
        if "notebook" in paths:
            handler = type("Handler", (SiteWithBigFile,), {"extra": {"file": src, "listing": site_listing(args.site, src)}})
            # now: later arrays by ranges a piece at a time (static hosts serve them), or from a copy (a
            # server that does not); before: by synchronous range requests
            variants = [("now", "", True), ("now, no ranges", "", False)]
            variants += [] if args.no_before else [("before (HEAD)", "ytlite._hdf5.PAGED = False", True)]
            with StaticServer(args.site, handler) as server:
                for label, setup, ranges in variants:
                    handler.ranges = ranges
                    results.append(measure_notebook(server.url, src.name, label, setup))
    if "cpython" in paths:
        cpython = measure_cpython(src)
        print("\n" + "\n".join(cpython))
    if not results:
        return 0
    print(f"\n{'path':<10}{'read path':<17}{'first image':>12}{'peak RSS':>12}{'x arrays':>10}{'one process':>13}"
          f"{'JS heap+h5wasm':>16}{'kept RSS':>11}  notes")
    for r in results:
        if r["error"]:
            print(f"{r['path']:<10}{r['label']:<17} FAILED: {r['error']}")
            continue
        heap = f"{r['heap_peak'] / 1e6:>13.0f} MB" if r["heap_peak"] is not None else f"{'-':>16}"
        note = r.get("note") or ("progress shown" if r["progress_seen"] else "-")
        if r.get("workers"):
            note += f"; {r['workers']} deposit workers, kept once they collect {r['rss_kept_collected'] / 1e6:.0f} MB"
        if r.get("workers_ready_s") is not None:
            note += f"; the mesh sent to the workers by {r['workers_ready_s']:.1f} s"
        print(f"{r['path']:<10}{r['label']:<17}{r['first_image_s']:>10.1f} s{r['rss_peak'] / 1e6:>9.0f} MB"
              f"{r['rss_peak'] / arrays:>9.2f}x{r['rss_peak_one'] / 1e6:>10.0f} MB{heap}{r['rss_kept'] / 1e6:>8.0f} MB"
              f"  {note}; {r['renderers']} renderer(s)")
    print("\n(peak/kept RSS: the renderers' resident memory above its level before the file was asked for;"
          " one process: the peak growth of the renderer that grew most (the page and its kernel worker share one);"
          " JS heap+h5wasm: sampled in the kiosk page, ArrayBuffers outside the JS heap not counted)")
    return 0 if all(not r["error"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
