"""The sites' own server (ytlite.site.serve: ``build.py serve``, ``ytlite site
serve``, the tests' and benchmarks' servers) serves files as static hosts do,
byte ranges included: a ``Range`` request gets ``206`` and exactly those
bytes, one past the end ``416``, no ``Range`` the whole file with
``Accept-Ranges: bytes``; with ``ranges = False`` every answer is whole."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from ytlite.site.serve import SiteHandler, site_server


@pytest.fixture
def served(tmp_path):
    data = bytes(range(256)) * 40 + b"end"
    (tmp_path / "f.h5").write_bytes(data)

    def start(handler=SiteHandler):
        server = site_server(tmp_path, 0, type("Quiet", (handler,), {"log_message": lambda *a: None}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/f.h5"

    servers = []
    yield start, data
    for server in servers:
        server.shutdown()
        server.server_close()


def get(url, range_=None):
    request = urllib.request.Request(url, headers={"Range": range_} if range_ else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_the_sites_server_serves_byte_ranges_as_static_hosts_do(served):
    start, data = served
    url = start()
    status, headers, body = get(url)
    assert (status, headers["Accept-Ranges"], body) == (200, "bytes", data)
    for a, b in [(0, 0), (5, 1030), (10000, len(data) - 1), (len(data) - 3, len(data) + 50)]:
        status, headers, body = get(url, f"bytes={a}-{b}")
        end = min(b, len(data) - 1)
        assert status == 206 and body == data[a:end + 1], (a, b)
        assert headers["Content-Range"] == f"bytes {a}-{end}/{len(data)}"
    status, _, body = get(url, "bytes=7-")
    assert (status, body) == (206, data[7:])
    status, headers, _ = get(url, f"bytes={len(data)}-{len(data) + 9}")
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}"


def test_a_server_without_ranges_answers_whole(served):
    start, data = served
    url = start(type("NoRanges", (SiteHandler,), {"ranges": False}))
    status, headers, body = get(url, "bytes=5-9")
    assert (status, body) == (200, data) and "Accept-Ranges" not in headers
