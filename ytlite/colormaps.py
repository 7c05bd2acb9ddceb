"""Colormap lookup tables, generated at build time from matplotlib and cmyt.

``build.py`` writes ``_generated/colormaps.json`` (an index) and
``_generated/colormaps.bin`` (every table's RGBA bytes, concatenated): each
table is exactly ``cmap(np.arange(cmap.N), bytes=True)`` for a colormap
registered in matplotlib once yt is imported (matplotlib's own, cmyt's and
yt's, with the ``_r`` variants; ``cmyt.arbre`` is yt's default). Nothing here
is typed by hand.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ._runtime import generated_file

DEFAULT_COLORMAP = "cmyt.arbre"  # yt's default


@lru_cache(maxsize=1)
def _tables():
    index = json.loads(generated_file("colormaps.json"))
    return index, generated_file("colormaps.bin")


def colormap_names() -> list[str]:
    return sorted(_tables()[0]["colormaps"])


def colormap_index() -> dict:
    """``{"colormaps": {name: {"offset", "n", "bad", "under", "over"}}, ...}`` (offset in bytes)."""
    return _tables()[0]


def colormap_table_bytes() -> bytes:
    return _tables()[1]


def check_colormap(name: str) -> str:
    if name not in _tables()[0]["colormaps"]:
        close = [n for n in colormap_names() if name.lower() in n.lower()][:8]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown colormap {name!r}.{hint} (ytlite.colormap_names() lists all)")
    return name


def lookup_table(name: str) -> bytes:
    """The RGBA table of colormap ``name`` (4 bytes per entry)."""
    entry = _tables()[0]["colormaps"][check_colormap(name)]
    return _tables()[1][entry["offset"]: entry["offset"] + 4 * entry["n"]]
