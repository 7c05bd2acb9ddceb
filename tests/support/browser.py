"""Headless Chromium as every browser test and benchmark starts it (Debian's
/usr/bin/chromium; any host but this machine fails to resolve, so a page must
be self-contained), a quiet static HTTP server of a folder on 127.0.0.1, and
``read_canvases``: a page's image canvases read back as RGBA arrays, and
``MainThreadTasks``: how long each task kept a page's main thread (for the
benchmarks: a timed test would fail on a slower machine). Also
``needs_site``: the mark that skips a test when the site is not built."""

from __future__ import annotations

import base64
import sys
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from support.paths import ROOT, SITE

if str(ROOT) not in sys.path:  # (the benchmarks put only tests/ on the path; the sites' server is ytlite's)
    sys.path.insert(0, str(ROOT))
from ytlite.site.serve import SiteHandler, site_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Any host but this machine fails to resolve: the site must be self-contained.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

needs_site = pytest.mark.skipif(not (SITE / "index.html").exists(), reason="site not built: run python3 build.py build")


class QuietHandler(SiteHandler):
    """The sites' own server (ytlite.site.serve: byte ranges of files, as static hosts serve them; the
    kernel and the viewer read big files so), without a log line per request; ``ranges = False``: a
    server that does not (the kernel then copies the file, the viewer streams it whole)."""

    def log_message(self, *args):
        pass

    def send_body(self, body: bytes, content_type: str):
        """A whole 200 response of ``body`` (for a file a subclass makes up)."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StaticServer:
    """Serves ``folder`` on 127.0.0.1 (a free port) from a daemon thread;
    ``handler``: a QuietHandler subclass (e.g. one that adds files)."""

    def __init__(self, folder: Path, handler: type = QuietHandler):
        self.httpd = site_server(folder, 0, handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def launch(playwright, args=CHROMIUM_ARGS):
    """Chromium with these arguments, from a started sync_playwright()."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


def read_canvases(page, selector="canvas.ytlite-image[data-frame]"):
    """[(frame dict, RGBA array HxWx4)] for every canvas ``selector`` matches,
    in page order (frame: the canvas's data-frame). The pixels cross as one
    base64 string per canvas (a JSON array of 1 M numbers takes seconds)."""
    shots = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].map(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let s = '';
            for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
            return {frame: c.dataset.frame, pixels: btoa(s)};
        })""", selector)
    out = []
    for s in shots:
        frame = json.loads(s["frame"])
        px = np.frombuffer(base64.b64decode(s["pixels"]), dtype=np.uint8)
        out.append((frame, px.reshape(frame["height"], frame["width"], 4)))
    return out


class MainThreadTasks:
    """A Chromium trace of every task a page's renderer main thread runs,
    from now to ``stop()`` -> [(wall ms, CPU ms)]. CPU time, not wall time,
    says how long a task keeps the thread: on a loaded machine (workers run
    beside it) a task's wall time grows while it waits for a core.

    The trace is taken by a browser-level CDP session (a page's own session
    records nothing of its renderer); the page's renderer is told from the
    others (earlier pages' renderers run tasks of their own) by a timestamp
    the page writes into the trace as it begins."""

    def __init__(self, browser, page):
        self.page = page
        self.cdp = browser.new_browser_cdp_session()
        self.events, self.done = [], []
        self.cdp.on("Tracing.dataCollected", lambda m: self.events.extend(m["value"]))
        self.cdp.on("Tracing.tracingComplete", lambda m: self.done.append(True))
        self.cdp.send("Tracing.start", {"transferMode": "ReportEvents", "traceConfig": {
            "includedCategories": ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline"]}})
        self.mark = f"ytlite-trace-{id(self)}"
        page.evaluate("(mark) => console.timeStamp(mark)", self.mark)

    def stop(self):
        self.cdp.send("Tracing.end")
        deadline = time.monotonic() + 30
        while not self.done and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        self.cdp.detach()
        marked = {(e["pid"], e["tid"]) for e in self.events if e.get("name") == "TimeStamp"
                  and ((e.get("args") or {}).get("data") or {}).get("message") == self.mark}
        if len(marked) != 1:
            raise RuntimeError(f"the page's timestamp {self.mark!r} is not in the trace once: {marked}")
        return [(e["dur"] / 1000, e.get("tdur", 0) / 1000) for e in self.events
                if (e["pid"], e["tid"]) in marked and e.get("name") == "RunTask" and e.get("ph") == "X"]
