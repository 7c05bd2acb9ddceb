"""The kiosk page (``view/`` of a site): the viewer with no Python, the same
front-end core as the widget, its wasm and colormap tables as files, and the
list of the site's datasets. Its bundles are made by the developers' build
(``build.py``, esbuild) into ``ytlite/_generated/kiosk/``; here they are copied."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

GENERATED = Path(__file__).resolve().parents[1] / "_generated"
#: what the developers' build leaves in _generated/kiosk/ (the page and its bundles)
KIOSK_BUNDLE = GENERATED / "kiosk"
#: the files the kiosk shares with the widget, from _generated/
KIOSK_ASSETS = ("ytlite_pixelizer_bg.wasm", "colormaps.json", "colormaps.bin", "length_units.json", "h5wasm.js")


def site_datasets(content: Path) -> list[str]:
    """The site's datasets (paths in content/): single files, and each stack
    once (its stack.json), not its slices one by one."""
    stacks = {p.parent for p in content.rglob("stack.json")}
    return sorted(p.relative_to(content).as_posix() for p in [*content.rglob("*.h5"), *content.rglob("stack.json")]
                  if p.name == "stack.json" or p.parent not in stacks)


def build_kiosk(site: Path, content: Path) -> None:
    """site/view/: the page (index.html), its bundles, the shared assets and
    datasets.json (what it lists)."""
    if not (KIOSK_BUNDLE / "index.html").is_file():
        raise FileNotFoundError(f"{KIOSK_BUNDLE}/index.html missing: the front end was not built (python3 build.py build)")
    out = site / "view"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(KIOSK_BUNDLE, out)
    for name in KIOSK_ASSETS:
        shutil.copyfile(GENERATED / name, out / name)
    (out / "datasets.json").write_text(json.dumps(site_datasets(content), indent=1))
