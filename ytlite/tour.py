"""Tours recorded from a viewer: ``tour = viewer.tour()``, then
``tour.add(caption=..., dwell=...)`` at each view worth a stop, then
``tour.save("tours/attract.json")`` (a file a site ships: ytlite.toml's
``[exhibit] tour`` plays it when the exhibit is idle), ``tour.url()`` (a
link to the viewer page that plays it) or ``viewer.play(tour)`` (in the
notebook, for a lecturer projecting).

The file format is the front end's (``lite/js/core/tour.js``, which checks
every stop when it plays)::

    {"format": "ytlite-tour", "title": "...", "stops": [
      {"file": "data/x.h5", "field": "density", "cmap": "cmyt.arbre", "scale": "log",
       "view": [x_min, x_max, y_min, y_max], "depth": 0, "caption": "...", "dwell": 6, "transition": 2}]}

``file`` is the dataset's path in the site (its path in JupyterLite's drive,
or on CPython its path relative to the folder the notebook runs in: the
site's folder); a stack's is its ``stack.json``.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import urllib.parse

TOUR_FORMAT = "ytlite-tour"


def dataset_site_path(viewer) -> str:
    """Where the viewer's dataset is in the site: its drive path in
    JupyterLite, else its path relative to the current folder; a stack's
    stack.json."""
    source = viewer._source.get("files") if isinstance(viewer._source, dict) else None
    stack = viewer._stack
    if source and stack is None:
        return source[0]["path"]
    if stack is not None and source:  # the drive path of the stack's folder
        return str(pathlib.PurePosixPath(source[0]["path"]).parent / "stack.json")
    path = pathlib.Path(stack.filename if stack is not None else viewer._ds.filename)
    if stack is not None:
        path = path / "stack.json"
    try:
        path = path.resolve().relative_to(pathlib.Path(os.getcwd()).resolve())
    except ValueError:
        pass  # (outside the folder: its path as it is)
    return path.as_posix()


def _seconds(name: str, value, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not minimum <= value <= 86400:
        raise ValueError(f"{name} must be a number of seconds from {minimum} to 86400, got {value!r}")
    return float(value)


class TourRecorder:
    """The stops of a tour, each the viewer's state when :meth:`add` was called."""

    def __init__(self, viewer, title: str = "", file: str | None = None):
        self.viewer = viewer
        self.title = str(title)
        self.file = file  # the dataset's site path (default: dataset_site_path)
        self.stops: list[dict] = []

    def add(self, caption: str = "", dwell: float = 6.0, transition: float = 2.0) -> dict:
        """A stop at the viewer's current view, field, colormap, scale (and a
        stack's depth), shown for ``dwell`` seconds after a ``transition``
        of that many seconds from the stop before. Returns it."""
        v = self.viewer
        stop = {
            "file": self.file or dataset_site_path(v), "field": v.field, "cmap": v.cmap, "scale": v.scale,
            "view": [float(x) for x in v.view], "depth": int(v.depth) if v._stack is not None else 0,
            "caption": str(caption), "dwell": _seconds("dwell", dwell, 0.1),
            "transition": _seconds("transition", transition, 0),
        }
        self.stops.append(stop)
        return stop

    def to_dict(self) -> dict:
        if not self.stops:
            raise ValueError("the tour has no stops yet: add one with tour.add(caption=...)")
        return {"format": TOUR_FORMAT, "title": self.title, "stops": [dict(s) for s in self.stops]}

    def save(self, path) -> pathlib.Path:
        """Write the tour as JSON to ``path`` (folders made as needed)."""
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def url(self, viewer_page: str = "view/", exhibit: bool = True) -> str:
        """A link (relative to the site's root) to the viewer page playing this tour."""
        query = urllib.parse.urlencode({**({"exhibit": ""} if exhibit else {}),
                                        "tour": json.dumps(self.to_dict(), separators=(",", ":"))})
        return f"{viewer_page}?{query}"

    def __len__(self) -> int:
        return len(self.stops)

    def __repr__(self) -> str:
        return f"<ytlite tour {self.title!r}: {len(self.stops)} stops>"


def tour_dict(tour, name: str | None = None) -> dict:
    """A tour given as a recorder, a dict, JSON text or a path -> its dict
    (the format checked as far as Python can; the front end checks the rest).
    ``name`` names it in the errors."""
    label = f"{name} is " if name else ""
    if isinstance(tour, TourRecorder):
        return tour.to_dict()
    if isinstance(tour, (str, os.PathLike)) and not str(tour).lstrip().startswith("{"):
        path = pathlib.Path(tour)
        try:
            tour = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{path}: cannot read the tour ({exc.strerror or exc})") from None
    if isinstance(tour, str):
        try:
            tour = json.loads(tour)
        except ValueError as exc:
            raise ValueError(f"{label}not valid JSON ({exc})" if name else f"not a tour (not valid JSON: {exc})") from None
    if not isinstance(tour, dict) or tour.get("format") != TOUR_FORMAT or not isinstance(tour.get("stops"), list) \
            or not tour["stops"]:
        raise ValueError(f"{label}not a tour (format {TOUR_FORMAT!r} and a list of stops)")
    return tour


def stop_files(tour: dict):
    """(stop number from 1, its dataset) of each stop: a stop without "file"
    shows the dataset of the stop before (None before any)."""
    file = None
    for i, stop in enumerate(tour["stops"], 1):
        file = stop.get("file", file) if isinstance(stop, dict) else file
        yield i, file
