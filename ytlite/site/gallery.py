"""The gallery page: every dataset of a site with a thumbnail drawn at build
time, a link opening it in the kiosk viewer and one to the notebook that uses
it, and the lines of Python that open it. A static page: no Python, no network.
Its HTML, CSS and JS are the files in ``templates/``."""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import urllib.parse
from pathlib import Path
from string import Template

from ._steps import Log, cached_dir
from .kiosk import site_datasets

TEMPLATES = Path(__file__).resolve().parent / "templates"
THUMBNAIL_SIZE = 256  # pixels along the longer side, as the viewer's "resolution"
THUMBNAIL_CMAP = "cmyt.arbre"  # the viewer's default colormap (ytlite.DEFAULT_COLORMAP)


def thumbnail(path: Path, field: str | None = None, cmap: str | None = None,
              scale: str | None = None) -> tuple[bytes, dict]:
    """(PNG bytes, what it shows) of a dataset as the viewer first shows it:
    ``field`` (default: its default field) with ``scale`` (default: that
    field's usual scale: SliceDataset.default_field, default_scale), ``cmap``
    (default: cmyt.arbre), the whole domain, automatic limits from the
    image (log: positive values only; symlog: linthresh 1/1000 of the largest
    magnitude: ytlite._conventions, the viewer's own rules); of a stack, its
    middle slice. Drawn by the viewer's own engine, the wasm pixelizer, on
    CPython (ytlite._native_engine.draw: no yt, no matplotlib; PNG by Pillow)."""
    import io

    from PIL import Image

    from .. import _conventions as conventions
    from .. import _native_engine
    from .._open import load
    from ..colormaps import check_colormap

    ds = load(path)
    meta = {}
    if ds.viewable_kind == "stack":
        depth = len(ds) // 2
        meta.update(depth=depth, count=len(ds), axis=ds.axis_name)
        ds = ds[depth]
    if field is None:
        field = ds.default_field()
    else:
        ds.check_field(field)  # KeyError naming the fields there are
    scale = scale or ds.default_scale(field)
    cmap = check_colormap(cmap or THUMBNAIL_CMAP)
    width, height = conventions.image_size(ds.domain_bounds, THUMBNAIL_SIZE)
    cells = (ds.px, ds.py, ds.pdx, ds.pdy, ds[field])  # array('d')
    rgba, limits = _native_engine.draw(cells, tuple(ds.domain_bounds), width, height, scale, cmap)
    vmin, vmax = limits or (None, None)
    png = io.BytesIO()
    Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).save(png, "PNG")  # (row 0: the top)
    kind = "slice" if ds.container_type == "slice" else "projection"
    meta.update(field=field, scale=scale, cmap=cmap, width=width, height=height, vmin=vmin, vmax=vmax,
                kind=kind, axis=meta.get("axis", "xyz"[ds.axis]), cells=ds.num_cells, fields=list(ds.field_list))
    return png.getvalue(), meta


def cached_thumbnail(content: Path, dataset: str, cache: Path, choices: dict | None = None) -> tuple[bytes, dict]:
    """:func:`thumbnail` of content/dataset with ``choices`` (field, cmap,
    scale), cached under ``cache`` keyed by them, the files' content (for a
    stack: its index and the slice drawn), the code that draws it, the engine
    (the wasm pixelizer and its host) and the colormap tables."""
    choices = {k: v for k, v in (choices or {}).items() if k in ("field", "cmap", "scale")}
    import inspect

    from .. import _native_engine
    from .._runtime import PIXELIZER_WASM, generated_file

    path = content / dataset
    h = hashlib.sha256(inspect.getsource(thumbnail).encode())
    h.update(f"{THUMBNAIL_SIZE}|{THUMBNAIL_CMAP}|{json.dumps(choices, sort_keys=True)}".encode())
    h.update(inspect.getsource(_native_engine).encode())
    for name in (PIXELIZER_WASM, "colormaps.json", "colormaps.bin"):
        h.update(hashlib.sha256(generated_file(name)).digest())
    files = [path]
    if path.name == "stack.json":
        names = json.loads(path.read_text()).get("files") or []
        files += [path.parent / names[len(names) // 2]] if names else []
    for f in files:
        h.update(hashlib.sha256(f.read_bytes()).digest())

    def draw(tmp: Path) -> None:
        png, meta = thumbnail(path, **choices)
        (tmp / "thumb.png").write_bytes(png)
        (tmp / "meta.json").write_text(json.dumps(meta))

    folder = cached_dir(cache / h.hexdigest()[:24], draw)
    return (folder / "thumb.png").read_bytes(), json.loads((folder / "meta.json").read_text())


def _card(dataset: str, thumb: str, meta: dict, notebooks: dict[str, str], about: dict) -> str:
    stacked = dataset.endswith("/stack.json")
    # what Python and the notebooks call it: a stack is its folder
    python_path = dataset.removesuffix("/stack.json") if stacked else dataset
    state = {"file": dataset, "field": meta["field"], **({"depth": meta["depth"]} if stacked else {}),
             **{k: about[k] for k in ("cmap", "scale") if k in about}}
    viewer = f"../view/?{urllib.parse.urlencode(state)}"
    field = meta["field"]
    plot = f'ds.plot("{field}", depth={meta["depth"]})' if stacked else f'ds.plot("{field}")'
    users = [name for name, text in notebooks.items() if f'"{python_path}' in text or f"'{python_path}" in text]
    if users:
        notebook = (f'<a class="open-notebook" href="../notebooks/index.html?path={urllib.parse.quote(users[0])}">'
                    f"open in a notebook ({html.escape(users[0])})</a>")
    else:  # no notebook uses it: a new one, with the lines below
        notebook = '<a class="open-notebook" href="../lab/index.html">open JupyterLab (paste the lines below into a new notebook)</a>'
    name = about.get("title") or python_path.split("/")[-1]
    what = (f"stack of {meta['count']} slices along {meta['axis']} (shown: slice {meta['depth'] + 1})" if stacked
            else f"{meta['kind']} along {meta['axis']}")
    e = html.escape
    return Template((TEMPLATES / "gallery-card.html").read_text()).substitute(
        dataset=e(dataset), name=e(name), caption=e(about.get("caption", "")), viewer=e(viewer), thumb=e(thumb), width=meta["width"],
        height=meta["height"], alt=e(f"{field} ({meta['scale']}) of {name}"), what=e(what), cells=f"{meta['cells']:,}",
        field=e(field), scale=meta["scale"], fields=e(", ".join(meta["fields"])), notebook=notebook,
        code=e(f'import ytlite\nds = ytlite.load("{python_path}")\n{plot}'),
    ).rstrip("\n")


def build_gallery(site: Path, content: Path, cache: Path, log: Log, start_notebook: str = "demo.ipynb",
                  manifest=None) -> int:
    """site/gallery/: index.html and thumbs/, for every dataset of ``content``
    (:func:`ytlite.site.kiosk.site_datasets`, the kiosk's list); thumbnails
    cached under ``cache``; titles, captions and first choices from
    ``manifest`` (:class:`ytlite.site.manifest.Manifest`). Returns the number
    of datasets."""
    from .manifest import Manifest, ManifestError

    manifest = manifest or Manifest(title="ytlite: the datasets of this site")
    out = site / "gallery"
    shutil.rmtree(out, ignore_errors=True)
    (out / "thumbs").mkdir(parents=True)
    notebooks = {nb.name: nb.read_text() for nb in sorted(content.glob("*.ipynb"))}
    cards = []
    for dataset in site_datasets(content):
        about = manifest.datasets.get(dataset, {})
        try:
            png, meta = cached_thumbnail(content, dataset, cache, about)
        except KeyError as exc:  # a field the manifest names is not in the file
            raise ManifestError(f"ytlite.toml: the dataset {dataset}: {exc.args[0]}") from None
        thumb = f"thumbs/{dataset.removesuffix('/stack.json').removesuffix('.h5').replace('/', '_')}.png"
        (out / thumb).write_bytes(png)
        cards.append(_card(dataset, thumb, meta, notebooks, about))
    page = Template((TEMPLATES / "gallery.html").read_text()).substitute(
        style=(TEMPLATES / "gallery.css").read_text(), script=(TEMPLATES / "gallery.js").read_text(),
        cmap=THUMBNAIL_CMAP, cards="\n".join(cards),
        notebooks=(f"../notebooks/index.html?path={urllib.parse.quote(start_notebook)}" if start_notebook
                   else "../tree/index.html"),
        title=html.escape(manifest.title),
    )
    (out / "index.html").write_text(page)
    log(f"{len(cards)} datasets")
    return len(cards)
