"""Headless Chromium as every browser test and benchmark starts it (Debian's
/usr/bin/chromium; any host but this machine fails to resolve, so a page must
be self-contained), and a quiet static HTTP server of a folder on 127.0.0.1.
Also ``needs_site``: the mark that skips a test when the site is not built."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from support.paths import SITE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Any host but this machine fails to resolve: the site must be self-contained.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

needs_site = pytest.mark.skipif(not (SITE / "index.html").exists(), reason="site not built: run python3 build.py build")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """http.server's static handler, without a log line per request."""

    def log_message(self, *args):
        pass


class StaticServer:
    """Serves ``folder`` on 127.0.0.1 (a free port) from a daemon thread;
    ``handler``: a QuietHandler subclass (e.g. one that adds files)."""

    def __init__(self, folder: Path, handler: type = QuietHandler):
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
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
