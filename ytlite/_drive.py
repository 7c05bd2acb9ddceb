"""Where the kernel's files come from in JupyterLite, and where the page finds the same file.

The kernel's drive (``/drive/`` in Pyodide) holds the page's files too: those
shipped with the site (also plain static files, ``files/<path>``) and those
kept in the browser's storage (uploads, drops, files Python wrote). This
module says where the page can read a file Python read (``drive_source``),
whether a file is still the one that was read (``stamp``), and copies a
file's bytes into h5wasm for the kernel by the fastest way there is
(``copy_into``). Nothing here reads HDF5 (``ytlite._hdf5`` does).
"""

from __future__ import annotations

import json
import os

from . import _conventions as conventions
from . import _runtime

# The kernel's JupyterLite drive: files under it are the page's files too
# (shipped with the site, or kept in the browser's storage), so the viewer
# can read them itself in the page (see ytlite._dataset_traits).
DRIVE_ROOT = "/drive/"
COPY_CHUNK = 8 << 20  # bytes copied at a time from the kernel's file system into h5wasm's


def drive_source(path: str) -> dict | None:
    """Where the page finds the file Python reads, when it is in JupyterLite's
    drive: ``{"path"`` relative to the drive's root, ``"name"``, ``"size"``,
    ``"mtime_ms"}`` (the size and time the page checks, so a file changed
    since is not read in its place). ``None`` outside the drive, and outside Pyodide."""
    if not _runtime.IN_PYODIDE:
        return None
    full = os.path.abspath(path)
    if not full.startswith(DRIVE_ROOT):
        return None
    st = os.stat(full)
    return {"path": full[len(DRIVE_ROOT):], "name": os.path.basename(full), "size": st.st_size,
            "mtime_ms": st.st_mtime_ns // 1_000_000}


def stamp(path: str) -> tuple:
    """``(size, mtime_ns)`` of a file: what says it is still the file that was
    read (the page checks the drive's size and time the same way)."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def copy_into(new_sink, path: str, size: int, streamed: bool = True) -> tuple:
    """The file's bytes into a new h5wasm FS file (``new_sink()``: slicefile.js's
    ``fsFile`` of that size) -> ``(sink, where)``: the site's own copy over HTTP
    when the drive's file is it ("site"), else from the kernel's file system a
    chunk at a time ("drive"). ``streamed``: the site's copy arrives a piece at
    a time straight into the FS file (a streamed fetch, waited for with
    Pyodide's ``run_sync``), never as one whole body beside it; where
    ``run_sync`` is missing (and with ``streamed=False``, HEAD's way before
    issue 17) one synchronous request gives the whole body first."""
    from pyodide.ffi import to_js

    url = site_copy_url(path)
    if url is not None:
        sink = new_sink()
        try:
            if _http_into(sink, url, size, streamed):
                return sink, "site"
        except BaseException:
            sink.discard()
            raise
        sink.discard()  # (a failed or partial copy: the drive's bytes instead, into a fresh file)
    sink = new_sink()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(COPY_CHUNK):
                sink.write(to_js(chunk))
    except BaseException:
        sink.discard()
        raise
    return sink, "drive"


# JupyterLite's drive hands the kernel a file's bytes as base64 text through its
# in-browser server (~1.5 MB/s here: minutes for a file of hundreds of MB). A
# file shipped with the site is also a plain static file, files/<path>: the
# kernel's worker fetches that instead (binary, synchronous XHR, allowed in a
# worker), when the drive's copy is that file (the site's listing gives the same
# size and time; an uploaded or rewritten file of the same name is not).


def _site_root() -> str | None:
    """The site's root URL, from the kernel worker's own address
    (<root>extensions/@jupyterlite/pyodide-kernel-extension/static/...)."""
    from js import location

    href = str(location.href)
    i = href.find("/extensions/")
    return href[: i + 1] if i >= 0 else None


def _sync_get(url: str, binary: bool):
    """(status, body) of a synchronous GET; body None on any failure."""
    from js import XMLHttpRequest
    from pyodide.ffi import JsException

    xhr = XMLHttpRequest.new()
    try:
        xhr.open("GET", url, False)
        if binary:
            xhr.responseType = "arraybuffer"
        xhr.send()
    except JsException:
        return 0, None
    if xhr.status != 200:
        return xhr.status, None
    return 200, (xhr.response if binary else str(xhr.responseText))


def site_copy_url(path: str) -> str | None:
    """The URL of the site's own copy of ``path`` when the drive's file is it, else None."""
    from urllib.parse import quote

    source = drive_source(path)
    root = _site_root() if source else None
    if root is None:
        return None
    rel = source["path"]
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    status, text = _sync_get(f"{root}api/contents/{quote(folder) + '/' if folder else ''}all.json", binary=False)
    if text is None:
        return None
    try:
        entry = next((e for e in json.loads(text).get("content") or [] if e.get("path") == rel), None)
    except (ValueError, TypeError, AttributeError):
        return None
    shipped = conventions.is_shipped_copy(entry, rel, source["size"], source["mtime_ms"])
    return f"{root}files/{quote(rel)}" if shipped else None


# A streamed fetch into an fsFile sink, in the worker's JavaScript: true when
# exactly `size` bytes arrived (a failure or any other length: false).
_STREAM_INTO_JS = r"""
(async (sink, url, size) => {
  let response;
  try { response = await fetch(url); } catch { return false; }
  if (!response.ok || !response.body) return false;
  // into one reused buffer (a BYOB reader) where the browser has them: pieces of
  // its own would be garbage the worker holds until its next collection
  let reader, buffer = null;
  try { reader = response.body.getReader({ mode: "byob" }); buffer = new ArrayBuffer(4 << 20); } catch { reader = response.body.getReader(); }
  try {
    for (;;) {
      const { done, value } = await (buffer ? reader.read(new Uint8Array(buffer)) : reader.read());
      if (done) break;
      if (sink.written + value.length > size) { reader.cancel(); return false; }
      sink.write(value);
      if (buffer) buffer = value.buffer;
    }
  } catch {
    return false;
  }
  return sink.written === size;
})
"""
_stream_into = []


def _http_into(sink, url: str, size: int, streamed: bool = True) -> bool:
    """The site's copy into h5wasm's file (True), or False (then the drive is used)."""
    from js import Uint8Array
    from pyodide.ffi import can_run_sync, run_sync

    if streamed and can_run_sync():
        if not _stream_into:
            from pyodide.code import run_js

            _stream_into.append(run_js(_STREAM_INTO_JS))
        return bool(run_sync(_stream_into[0](sink, url, size)))
    status, body = _sync_get(url, binary=True)
    if body is None or body.byteLength != size:
        return False
    sink.write(Uint8Array.new(body))
    return True
