"""Headless Chromium as every browser test and benchmark starts it (Debian's
/usr/bin/chromium; any host but this machine fails to resolve, so a page must
be self-contained), a quiet static HTTP server of a folder on 127.0.0.1, and
``read_canvases``: a page's image canvases read back as RGBA arrays. Also
``needs_site``: the mark that skips a test when the site is not built."""

from __future__ import annotations

import base64
import sys
import json
import threading
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
