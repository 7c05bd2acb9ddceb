"""What the page needs once, whatever it shows: the wasm pixelizer and the
colormap tables (one shared widget model per kernel), and the length-unit
table generated at build time from unyt."""

from __future__ import annotations

import json
from functools import lru_cache

import ipywidgets
import traitlets as t

from . import colormaps
from ._runtime import PIXELIZER_WASM, generated_file


class PixelizerAssets(ipywidgets.Widget):
    """The wasm pixelizer and the colormap tables, sent to the page once and
    shared by every viewer on it (no view of its own)."""

    pixelizer_wasm = t.Bytes().tag(sync=True)
    colormap_tables = t.Bytes().tag(sync=True)
    colormap_index = t.Dict().tag(sync=True)


@lru_cache(maxsize=1)
def shared_assets() -> PixelizerAssets:
    """The one :class:`PixelizerAssets` of this kernel (made at first use)."""
    return PixelizerAssets(
        pixelizer_wasm=generated_file(PIXELIZER_WASM),
        colormap_tables=colormaps.colormap_table_bytes(),
        colormap_index=colormaps.colormap_index(),
    )


@lru_cache(maxsize=1)
def length_units_cm() -> dict:
    """{unit: its length in cm}, generated at build time from unyt."""
    return json.loads(generated_file("length_units.json"))
