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


#: the site's index.html when ytlite.toml's [exhibit] home is true: straight to the exhibit
EXHIBIT_HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ytlite exhibit</title>
<meta http-equiv="refresh" content="0; url=view/?exhibit"><link rel="icon" href="data:,"></head>
<body><a href="view/?exhibit">the exhibit</a></body></html>
"""

#: what the page reads of the site (its datasets with their titles and captions, where it starts, the exhibit)
SITE_INDEX = "site.json"


def site_index(content: Path, manifest=None) -> dict:
    """What the viewer page knows of the site (``view/site.json``): its
    title; its datasets in order, each {path, title, caption} (the title is
    the manifest's, else the file's name; captions are text, shown as text);
    the dataset it opens on (``start``: the exhibit's, else the first); the
    exhibit's settings (idle seconds, home, its attract tour: a site path)."""
    from .manifest import Manifest

    manifest = manifest or Manifest()
    datasets = []
    for path in site_datasets(content):
        about = manifest.datasets.get(path, {})
        fallback = path.removesuffix("/stack.json").rsplit("/", 1)[-1]
        datasets.append({"path": path, "title": about.get("title", fallback), "caption": about.get("caption", "")})
    start = manifest.exhibit.get("start") or (datasets[0]["path"] if datasets else None)
    return {"title": manifest.title, "start": start, "datasets": datasets,
            "exhibit": {"idle": manifest.exhibit["idle"], "home": manifest.exhibit["home"], "tour": manifest.exhibit["tour"]}}


def build_kiosk(site: Path, content: Path, manifest=None) -> None:
    """site/view/: the page (index.html), its bundles, the shared assets and
    site.json (:func:`site_index`: what it lists and opens first)."""
    if not (KIOSK_BUNDLE / "index.html").is_file():
        raise FileNotFoundError(f"{KIOSK_BUNDLE}/index.html missing: the front end was not built (python3 build.py build)")
    out = site / "view"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(KIOSK_BUNDLE, out)
    for name in KIOSK_ASSETS:
        shutil.copyfile(GENERATED / name, out / name)
    (out / SITE_INDEX).write_text(json.dumps(site_index(content, manifest), indent=1, ensure_ascii=False))
