"""Datasets made at build time from raw simulation outputs (ytlite.toml's
``[make."PATH"]``), with yt, by ``ytlite.extract`` (the same code and options
as ``ytlite extract``). Each is cached by what decides it: the options, the
inputs' content (every file of the output: the folder of the file yt loads,
or the folder itself), the extraction code and yt's version, so a rebuild
does not extract again."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
from pathlib import Path

from ._steps import Log, cached_dir

#: the manifest keys that are extract()'s own options
OPTIONS = ("axis", "coord", "fields", "projection", "weight", "stack", "float32")


def input_root(source: Path) -> Path:
    """The folder of files one output is made of (RAMSES: the output_NNNNN
    folder of its info file; AMReX: the plotfile folder)."""
    return source if source.is_dir() else source.parent


def _key(source: Path, options: dict) -> str:
    here = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(json.dumps({k: options[k] for k in sorted(options)}, default=str).encode())
    h.update(str(source.relative_to(input_root(source))).encode())
    h.update(importlib.metadata.version("yt").encode())
    for code in ("extract.py", "stack.py"):
        h.update((here / code).read_bytes())
    root = input_root(source)
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(root)}\0{f.stat().st_size}\0".encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:32]


def check_yt(name: str) -> None:
    """A ManifestError naming ``[make."name"]`` when yt is missing: making
    datasets needs it (the extra ``ytlite[extract]``), the rest of a site does not."""
    from ..extract import ExtractError, import_yt
    from .manifest import ManifestError

    try:
        import_yt()
    except ExtractError as exc:
        raise ManifestError(f'ytlite.toml: [make."{name}"]: {exc}') from None


def make_dataset(name: str, entry: dict, dest: Path, cache: Path, log: Log) -> Path:
    """Make ``name`` (a .h5 file, or a stack's folder with ``stack``) into
    ``dest / name`` from ``entry["from"]``; returns the path. Errors name the
    manifest table."""
    from ..extract import ExtractError, extract
    from .manifest import ManifestError

    check_yt(name)  # (before the cache key, which holds yt's version)
    source = Path(entry["from"])
    options = {k: entry[k] for k in OPTIONS if k in entry}
    if "coord" in options and not isinstance(options["coord"], str):
        options["coord"] = repr(float(options["coord"]))  # (extract takes "VALUE [UNIT]")
    stacked = "stack" in options
    out_name = name.rsplit("/", 1)[-1]

    def run(tmp: Path) -> None:
        out = tmp / out_name
        try:
            extract(str(source), out=str(out), log=lambda m: log(f"[make {name}] {m}"), yt_log_level=40,
                    force=stacked, **options)
        except ExtractError as exc:
            raise ManifestError(f'ytlite.toml: [make."{name}"]: {exc}') from None

    folder = cached_dir(cache / _key(source, options), run, keep=None)
    target = dest / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if stacked:
        shutil.copytree(folder / out_name, target)
    else:
        shutil.copyfile(folder / out_name, target)
    return target
