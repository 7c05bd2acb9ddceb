"""``ytlite.toml``: what a site's folder cannot say by itself. Every key is
optional; the file too. Read with :func:`read_manifest`; a mistake is a
:class:`ManifestError` naming the file, the line and the key (with the
nearest valid key for a misspelt one).

```toml
[site]
title = "..."                 # the gallery's title
start = "lesson.ipynb"        # the notebook the site's links open first
storage = "keep"              # "keep": what a visitor saves stays in their browser; "fresh": nothing is kept

[datasets."data/x.h5"]        # a data file (or a stack's folder) of the folder
title = "..."                 # its name in the gallery
caption = "..."               # a sentence or two in plain language
field = "density"             # what the gallery, the viewer page and ds.plot() show first
cmap = "viridis"
scale = "log"                 # linear, log or symlog
view = [-0.25, 0.25, -0.25, 0.25]   # the view shown first: x_min, x_max, y_min, y_max (code_length)

[exhibit]                     # the viewer page as an exhibit: view/?exhibit (a museum, a lecture hall)
start = "data/x.h5"           # the dataset it opens on (default: the first one)
idle = 90                     # seconds with no touch before it returns to its start view
home = false                  # true: the site's own address opens the exhibit
tour = "tours/attract.json"   # a tour of the folder it plays when idle (viewer.tour() records one)

[make."data/blast_z.h5"]      # a dataset made at build time with yt (ytlite extract)
from = "raw/output_00030/info_00030.txt"   # anything yt.load opens (relative to the folder)
axis = "z"                    # and coord, fields, projection, weight, stack (N slices
fields = ["density"]          # into the folder "data/blast_z.h5"... name it without .h5), float32
```
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .._conventions import SCALES, view_or_none

FILE_NAME = "ytlite.toml"
SITE_KEYS = {"title": str, "start": str, "storage": str}
STORAGE = ("keep", "fresh")
DATASET_KEYS = {"title": str, "caption": str, "field": str, "cmap": str, "scale": str, "view": list}
EXHIBIT_KEYS = {"start": str, "idle": (int, float), "home": bool, "tour": str}
#: seconds with no input before an exhibit returns to its start view (ytlite.toml [exhibit] idle)
DEFAULT_IDLE_S = 90
MAKE_KEYS = {"from": str, "axis": str, "coord": (str, int, float), "fields": list, "projection": bool,
             "weight": str, "stack": int, "float32": bool}
TABLES = ("site", "datasets", "exhibit", "make")


class ManifestError(ValueError):
    pass


@dataclass
class Manifest:
    title: str = "ytlite: the datasets of this site"
    start: str | None = None
    storage: str = "keep"
    #: {dataset path in the folder (a stack: its folder's stack.json): {key: value}}
    datasets: dict[str, dict] = field(default_factory=dict)
    #: {path the made dataset gets in the site: {"from": Path, extract's options}}
    make: dict[str, dict] = field(default_factory=dict)
    #: the exhibit's settings ([exhibit]): start (a dataset key, as in ``datasets``), idle (s), home
    exhibit: dict = field(default_factory=lambda: {"start": None, "idle": DEFAULT_IDLE_S, "home": False, "tour": None})


def _line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The line (1-based) where ``key`` is set in ``[table]`` (or a table header ``key``)."""
    current = None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"\[\s*(.+?)\s*\]\s*(#.*)?$", stripped)
        if header:
            current = header.group(1)
            if table is None and (current == key or current.startswith(key + ".")):
                return n
            continue
        bare = re.match(r"""(["']?)([^"'=\s]+)\1\s*=""", stripped)
        if bare and bare.group(2) == key and (table is None or current == table):
            return n
    return None


def _where(path: Path, text: str, key: str, table: str | None) -> str:
    line = _line_of(text, key, table)
    return f"{path}, line {line}" if line else str(path)


def _check_keys(path, text, got: dict, allowed: dict, table: str, label: str) -> None:
    for key, value in got.items():
        if key not in allowed:
            near = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (the keys are {', '.join(allowed)})"
            raise ManifestError(f"{_where(path, text, key, table)}: unknown key {key!r} in {label}{hint}")
        kinds = allowed[key] if isinstance(allowed[key], tuple) else (allowed[key],)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ManifestError(f"{_where(path, text, key, table)}: {label} {key} must be a "
                                f"{names}, got {type(value).__name__} {value!r}")


def read_manifest(folder: Path) -> Manifest:
    """The manifest of ``folder`` (its ytlite.toml; none: the defaults),
    checked against the folder: the datasets and the start notebook exist,
    the colormaps and scales are ones the viewer has."""
    from ..colormaps import check_colormap

    path = Path(folder) / FILE_NAME
    if not path.is_file():
        return Manifest()
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from None
    for key in data:
        if key not in TABLES:
            near = difflib.get_close_matches(key, TABLES, n=1)
            hint = f" (did you mean [{near[0]}]?)" if near else " (the tables are [site], [datasets.\"PATH\"], [exhibit] and [make.\"PATH\"])"
            raise ManifestError(f"{_where(path, text, key, None)}: unknown table or key {key!r}{hint}")
        if not isinstance(data[key], dict):
            raise ManifestError(f"{_where(path, text, key, None)}: {key} must be a table ([{key}])")
    site = data.get("site", {})
    _check_keys(path, text, site, SITE_KEYS, "site", "[site]")
    manifest = Manifest(title=site.get("title", Manifest.title), start=site.get("start"),
                        storage=site.get("storage", "keep"))
    if manifest.storage not in STORAGE:
        raise ManifestError(f"{_where(path, text, 'storage', 'site')}: [site] storage must be one of "
                            f"{', '.join(STORAGE)}, got {manifest.storage!r}")
    if manifest.start is not None:
        start = Path(folder) / manifest.start
        if not start.is_file():
            raise ManifestError(f"{_where(path, text, 'start', 'site')}: start notebook {manifest.start!r} "
                                f"is not in {folder}")
    for name, entry in data.get("make", {}).items():
        table, label = f'make."{name}"', f'[make."{name}"]'
        if not isinstance(entry, dict):
            raise ManifestError(f"{_where(path, text, name, 'make')}: {label} must be a table of keys")
        _check_keys(path, text, entry, MAKE_KEYS, table, label)
        if "from" not in entry:
            raise ManifestError(f"{_where(path, text, table, None)}: {label} needs from = \"...\" (the output yt loads)")
        if "fields" in entry and not all(isinstance(f, str) for f in entry["fields"]):
            raise ManifestError(f"{_where(path, text, 'fields', table)}: {label} fields must be a list of names")
        source = (Path(folder) / entry["from"]).resolve()
        if not source.exists():
            raise ManifestError(f"{_where(path, text, 'from', table)}: {label} from: {entry['from']!r} "
                                f"does not exist (relative to {folder})")
        stacked = "stack" in entry
        if not stacked and not name.endswith(".h5"):
            raise ManifestError(f"{_where(path, text, table, None)}: {label}: a made file's name ends in .h5 "
                                "(a stack's is a folder: add stack = N)")
        if (Path(folder) / name).exists():
            raise ManifestError(f"{_where(path, text, table, None)}: {label}: {name!r} is already in the folder "
                                "(a made dataset would hide it)")
        manifest.make[name.rstrip("/")] = {**entry, "from": source}
    made = {f"{n}/stack.json" if "stack" in e else n for n, e in manifest.make.items()}
    for name, entry in data.get("datasets", {}).items():
        table = f'datasets."{name}"'
        label = f'[datasets."{name}"]'
        if not isinstance(entry, dict):
            raise ManifestError(f"{_where(path, text, name, 'datasets')}: {label} must be a table of keys")
        _check_keys(path, text, entry, DATASET_KEYS, table, label)
        key = _dataset_key(folder, name, made)
        if key is None:
            raise ManifestError(f"{_where(path, text, table, None)}: {label}: no data file or stack "
                                f"{name!r} in {folder}")
        if "cmap" in entry:
            try:
                check_colormap(entry["cmap"])
            except ValueError as exc:
                raise ManifestError(f"{_where(path, text, 'cmap', table)}: {label} cmap: {exc}") from None
        if "scale" in entry and entry["scale"] not in SCALES:
            raise ManifestError(f"{_where(path, text, 'scale', table)}: {label} scale must be one of "
                                f"{', '.join(SCALES)}, got {entry['scale']!r}")
        if "view" in entry and view_or_none(entry["view"]) is None:
            raise ManifestError(f"{_where(path, text, 'view', table)}: {label} view must be 4 numbers "
                                f"[x_min, x_max, y_min, y_max] with min < max, got {entry['view']!r}")
        manifest.datasets[key] = dict(entry)
    exhibit = data.get("exhibit", {})
    _check_keys(path, text, exhibit, EXHIBIT_KEYS, "exhibit", "[exhibit]")
    manifest.exhibit.update(exhibit)
    if not (0 < manifest.exhibit["idle"] <= 86400):
        raise ManifestError(f"{_where(path, text, 'idle', 'exhibit')}: [exhibit] idle must be a number of seconds "
                            f"from 1 to 86400, got {manifest.exhibit['idle']!r}")
    if "start" in exhibit:
        manifest.exhibit["start"] = _dataset_key(folder, exhibit["start"], made)
        if manifest.exhibit["start"] is None:
            raise ManifestError(f"{_where(path, text, 'start', 'exhibit')}: [exhibit] start: no data file or stack "
                                f"{exhibit['start']!r} in {folder}")
    if "tour" in exhibit:
        _check_tour(folder, exhibit["tour"], made, _where(path, text, "tour", "exhibit"))
    return manifest


def _check_tour(folder: Path, name: str, made: set[str], where: str) -> None:
    """A tour file of the folder (ytlite.tour.tour_dict's checks; lite/js/core/tour.js
    checks the rest when it plays) whose stops name datasets of the site."""
    from ..tour import stop_files, tour_dict

    path = Path(folder) / name
    if not path.is_file():
        raise ManifestError(f"{where}: [exhibit] tour: no file {name!r} in {folder}")
    try:
        tour = tour_dict(path.read_text(encoding="utf-8", errors="replace"), name)
    except ValueError as exc:
        raise ManifestError(f"{where}: [exhibit] tour: {exc}") from None
    for i, file in stop_files(tour):
        if file is not None and _dataset_key(folder, file, made) != file:
            raise ManifestError(f"{where}: [exhibit] tour: {name}, stop {i}: {file!r} is not a dataset of the site "
                                "(a file's path, or a stack's .../stack.json)")


def _dataset_key(folder: Path, name: str, made: set[str]) -> str | None:
    """How the site names the dataset ``name`` of the folder (or made at
    build time, ``made``): a file's path, a stack's stack.json; None: no such dataset."""
    target = Path(folder) / name
    if name in made or (target.is_file() and target.suffix == ".h5"):
        return name
    if f"{name.rstrip('/')}/stack.json" in made or (target.is_dir() and (target / "stack.json").is_file()):
        return f"{name.rstrip('/')}/stack.json"
    return None


def check_notebooks(folder: Path) -> None:
    """Every notebook of the folder is JSON with cells (a broken one would be
    a blank page in the site)."""
    for nb in sorted(Path(folder).rglob("*.ipynb")):
        rel = nb.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or ".ipynb_checkpoints" in rel.parts:
            continue
        try:
            doc = json.loads(nb.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ManifestError(f"{nb}: not a notebook (not valid JSON: {exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
            raise ManifestError(f"{nb}: not a notebook (no list of cells)")
