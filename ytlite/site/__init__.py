"""The site kit: everything that turns a folder of notebooks and data into a
static ytlite site (JupyterLite with the offline Pyodide kernel, the kiosk
viewer page, the gallery).

``jupyterlite``  the JupyterLite site: apps, self-hosted Pyodide core, kernel
                 wheels and their lock, contents, the checks of the result
``kernel_wheels`` the kernel's wheels rewritten for a faster start (.pyc
                 compiled inside Pyodide: ``precompile.mjs``; lazy imports)
``cdn_hint``     the kernel-side module saying why a package of Pyodide's CDN
                 cannot be had (shipped in the site as a small boot wheel)
``kiosk``        the viewer page with no Python (``view/``) and the site's datasets
``gallery``      the gallery page (``gallery/``): thumbnails drawn at build time
                 by ytlite's own pixelizer; its HTML, CSS and JS in ``templates/``
``_steps``       the logger, command runner and cached folder every step uses

Native CPython only (the build runs jupyterlite-core, and ytlite's wasm
pixelizer through wasmtime; yt only for ytlite.toml's ``[make]`` tables, the
extra ``ytlite[extract]``); none of it is imported by ``import ytlite`` nor
shipped to the kernel.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from ._steps import Log, printer, step

#: the site's list of {notebook: version} at its root, and the key of a
#: notebook's version in its metadata.ytlite (lite/js/core/freshness.js reads both)
SHIPPED_LIST = "ytlite-notebooks.json"
SHIPPED_STAMP = "shipped"
#: the kernel kit an installed ytlite ships (made by the developers' build:
#: ``python3 build.py wheel``); a checkout passes its own to :func:`build`
INSTALLED_KIT = Path(__file__).resolve().parents[1] / "_generated" / "kit"


def default_start(content: Path) -> str:
    """The notebook the site's links open first: index.ipynb, demo.ipynb, else
    the first notebook at the top of the folder (else none: "")."""
    notebooks = sorted(p.name for p in content.glob("*.ipynb"))
    for name in ("index.ipynb", "demo.ipynb"):
        if name in notebooks:
            return name
    return notebooks[0] if notebooks else ""


def start_notebook(content: Path) -> str:
    """The notebook the site's links open first: ytlite.toml's [site] start, else :func:`default_start`."""
    from .manifest import read_manifest

    return read_manifest(content).start or default_start(content)


STARTER = Path(__file__).resolve().parent / "templates" / "starter"
#: the starter's files: {where in the new folder: template}
STARTER_FILES = {"lesson.ipynb": "lesson.ipynb", "ytlite.toml": "ytlite.toml",
                 ".github/workflows/site.yml": "site.yml"}


def init(folder: Path) -> list[Path]:
    """Write a starter into ``folder`` (made if missing; nothing in it is
    replaced): a lesson notebook that uses the viewer, one dataset (the demo
    slice, made with yt by the developers' build and shipped in the package:
    ``build.py: generate_starter_data``), a commented ytlite.toml and a GitHub
    Pages workflow that builds and publishes the site. Returns the files written."""
    from .. import __version__
    from .._runtime import generated_file

    folder = Path(folder)
    taken = [name for name in [*STARTER_FILES, "data/amr_demo_slice.h5"] if (folder / name).exists()]
    if taken:
        raise FileExistsError(f"{folder} already has {', '.join(taken)}: init writes a new folder (nothing is replaced)")
    data = generated_file("starter/amr_demo_slice.h5")  # (missing: say so before writing anything)
    written = []
    for name, template in STARTER_FILES.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (STARTER / template).read_text()
        target.write_text(text.replace("$YTLITE_VERSION", __version__) if template == "site.yml" else text)
        written.append(target)
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "amr_demo_slice.h5").write_bytes(data)
    written.append(folder / "data" / "amr_demo_slice.h5")
    return written


def stage_content(source: Path, dest: Path, log: Log, skip: tuple[Path, ...] = (),
                  choices: dict | None = None) -> dict[str, str]:
    """Copy what a site shows (every file of ``source`` but hidden ones and
    Python caches) into ``dest``, every .h5 rewritten with gzip + shuffle on
    the way (lossless; still yt's own file, read by yt, h5py and h5wasm): the
    site and what the kernel pulls through its drive shrink about 4x
    (docs/coldstart.md). ``skip``: folders left out (a site built inside it).
    ``choices``: {dataset path (a stack: its stack.json): {field, cmap, scale}},
    written into each file's attributes (``_conventions.SITE_CHOICE_ATTRS``),
    so that the viewer shows them first in a notebook and on the kiosk.
    Each notebook is stamped with its version (``stamp_notebook``); returns
    {notebook path: version}, what ``SHIPPED_LIST`` lists."""
    from .._conventions import SITE_CHOICE_ATTRS
    from ..extract import rewrite

    before = after = 0
    shipped = {}
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts) or path.suffix == ".pyc":
            continue
        if any(path == s or s in path.parents for s in skip):
            continue
        target = dest / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.suffix == ".h5":
            target.parent.mkdir(parents=True, exist_ok=True)
            chosen = (choices or {}).get(rel.as_posix()) or (choices or {}).get((rel.parent / "stack.json").as_posix())
            attrs = {SITE_CHOICE_ATTRS[k]: v for k, v in (chosen or {}).items() if k in SITE_CHOICE_ATTRS}
            try:
                rewrite(path, target, set(), float32=False, compress=True, attrs=attrs)
            except Exception as exc:  # noqa: BLE001 -- h5py's errors do not name the file
                raise ValueError(f"{path}: cannot read it as HDF5 ({exc})") from None
            before, after = before + path.stat().st_size, after + target.stat().st_size
        elif path.suffix == ".ipynb":
            target.parent.mkdir(parents=True, exist_ok=True)
            shipped[rel.as_posix()] = stamp_notebook(path, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    if before:
        log(f"data compressed (gzip + shuffle): {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return shipped


def stamp_notebook(source: Path, target: Path) -> str:
    """Copy the notebook ``source`` to ``target`` with the version it is
    (a hash of the teacher's file) in its metadata (``SHIPPED_STAMP``), so that
    a visitor's saved copy says which version it was made from. Returns it."""
    data = source.read_bytes()
    stamp = hashlib.sha256(data).hexdigest()[:16]
    notebook = json.loads(data)
    notebook.setdefault("metadata", {}).setdefault("ytlite", {})[SHIPPED_STAMP] = stamp
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return stamp


def build(content: Path, output: Path, *, kit: Path | None = None, cache: Path | None = None, log: Log | None = None,
          pyodide_dist: Path | None = None, apps=None) -> Path:
    """The whole site of the folder ``content`` (notebooks and data files,
    any tree) into ``output``: JupyterLite with the offline kernel, the kiosk
    viewer page (``view/``), the gallery (``gallery/``). Built beside
    ``output`` and renamed into place at the end, so a failure leaves an
    existing site as it was. ``kit``: the kernel kit (default: the one this
    ytlite ships). Returns ``output``."""
    from . import gallery, jupyterlite, kiosk
    from .make import check_yt, input_root, make_dataset
    from .manifest import FILE_NAME as MANIFEST_NAME, check_notebooks, read_manifest

    log = log or printer("ytlite site")
    t0 = time.perf_counter()
    content, output = Path(content).resolve(), Path(output).resolve()
    kit = Path(kit) if kit is not None else INSTALLED_KIT
    cache = Path(cache) if cache is not None else jupyterlite.default_cache().parent
    if not content.is_dir():
        raise FileNotFoundError(f"{content}: no such folder (the notebooks and data of the site)")
    if output == content or output in content.parents:
        raise ValueError(f"the site {output} cannot hold the folder it is made of ({content})")
    if not (kit / jupyterlite.KIT_INFO).is_file():
        raise FileNotFoundError(f"no kernel kit at {kit}: this ytlite was not built with one "
                                "(install the ytlite wheel, or run python3 build.py wheel in a checkout)")
    if output.exists() and any(output.iterdir()) and not (output / "jupyter-lite.json").is_file():
        raise ValueError(f"{output} is a folder with other things in it, not a site: choose another output folder")
    manifest = read_manifest(content)  # (its mistakes and broken notebooks: before any work)
    check_notebooks(content)
    if manifest.make:
        check_yt(next(iter(manifest.make)))  # (and yt, when the manifest makes datasets)
    work = output.parent / f".{output.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        staged, site = work / "content", work / "site"
        with step(f"staging {content}", log):
            staged.mkdir(parents=True)
            # (a site built inside the folder is not content, nor are the raw outputs datasets are made of)
            raw = tuple(input_root(e["from"]) for e in manifest.make.values())
            shipped = stage_content(content, staged, log, skip=(output, work, content / MANIFEST_NAME, *raw),
                                    choices=manifest.datasets)
        if manifest.make:
            with step(f"making {len(manifest.make)} datasets from raw outputs with yt (ytlite.toml [make])", log):
                made = work / "made"
                for name, entry in manifest.make.items():
                    make_dataset(name, entry, made, cache / "made", log)
                stage_content(made, staged, log, choices=manifest.datasets)
        with step("building the JupyterLite site", log):
            jupyterlite.build_site(site, staged, kit=kit, cache_dir=cache / "site", log=log, apps=apps,
                                   pyodide_dist=pyodide_dist, storage=manifest.storage)
        # the versions of the notebooks the site ships (lite/js/core/freshness.js:
        # a visitor's copy of an older one is told so)
        (site / SHIPPED_LIST).write_text(json.dumps({"notebooks": shipped}, indent=1))
        with step("the kiosk page: view/", log):
            kiosk.build_kiosk(site, staged, manifest)
            if manifest.exhibit["home"]:  # the site's own address opens the exhibit
                (site / "index.html").write_text(kiosk.EXHIBIT_HOME)
        with step("the gallery: thumbnails by ytlite's pixelizer -> gallery/", log):
            gallery.build_gallery(site, staged, cache / "gallery", log, manifest=manifest,
                                  start_notebook=manifest.start or default_start(staged))
        if output.exists():
            old = output.parent / f".{output.name}.old-{os.getpid()}"
            output.rename(old)
            site.rename(output)
            shutil.rmtree(old, ignore_errors=True)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            site.rename(output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = sum(f.stat().st_size for f in output.rglob("*") if f.is_file())
    log(f"site built in {time.perf_counter() - t0:.1f} s: {output} ({size / 1e6:.1f} MB: put this folder on any static host)")
    return output
