"""Files dropped on a viewer in the browser: kept beside the notebook before
they are shown, so nothing the user dropped is lost with the page."""

from __future__ import annotations

import pathlib


def keep_dropped_file(name: str, data: bytes) -> pathlib.Path:
    """Write ``data`` as ``name`` in the current folder (the notebook's, which
    the file browser shows) and return the path. Folders in ``name`` are
    dropped (the browser's side names no place here); a different file of
    that name is kept and the new one becomes ``stem-1.ext``, ``stem-2.ext``..."""
    name = pathlib.PurePath(name).name
    if not name:
        raise ValueError("no file arrived")
    path = pathlib.Path(name)
    if path.exists() and path.read_bytes() != data:
        stem, suffix, n = path.stem, path.suffix, 1
        while path.exists():
            path, n = pathlib.Path(f"{stem}-{n}{suffix}"), n + 1
    path.write_bytes(data)
    return path
