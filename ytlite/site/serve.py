"""A built site served on this machine as static hosts serve one: its files,
and byte ranges of them (``Accept-Ranges: bytes``; a ``Range: bytes=a-b``
request answered ``206`` with those bytes), which the viewer reads big files
by, a piece at a time (``lite/js/core/pagedfile.js``), and the kernel too
(``lite/js/core/rangefile.js``). Python's own static handler sends whole
files only. Used by ``build.py serve``, ``ytlite site serve`` and the test
and benchmark servers (``tests/support/browser.py``)."""

from __future__ import annotations

import functools
import http.server
import os
import re
from pathlib import Path


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """http.server's static handler, serving byte ranges of files too
    (``ranges = False``: a server that does not, as some hosts are)."""

    ranges = True

    def end_headers(self):
        if self.ranges and getattr(self, "_file_response", False):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):
        self._range_left = None
        path = self.translate_path(self.path)
        self._file_response = os.path.isfile(path)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if not (self.ranges and self._file_response and match):
            return super().send_head()
        size = os.path.getsize(path)
        start, end = int(match[1]), min(size - 1, int(match[2]) if match[2] else size - 1)
        if start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        f = open(path, "rb")  # noqa: SIM115 (http.server closes it)
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        self._range_left = end - start + 1
        return f

    def copyfile(self, source, outputfile):
        if getattr(self, "_range_left", None) is None:
            return super().copyfile(source, outputfile)
        left = self._range_left
        while left > 0 and (chunk := source.read(min(left, 1 << 20))):
            outputfile.write(chunk)
            left -= len(chunk)
        return None


def site_server(folder: Path, port: int = 0, handler: type = SiteHandler) -> http.server.ThreadingHTTPServer:
    """A server of ``folder`` on 127.0.0.1:``port`` (0: a free one); call its ``serve_forever()``."""
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(folder)))
