"""Tours recorded from a viewer (ytlite/tour.py) on CPython: each stop is the
viewer's state when it was added, the file is the front end's format (checked
by lite/js/core/tour.js in node, the reader that plays it), and what cannot be
played says why."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import ytlite
from ytlite.tour import tour_dict

ROOT = Path(__file__).resolve().parents[1]


def js_parse(tour: dict) -> dict:
    """The front end's reading of the tour (core/tour.js: parseTour)."""
    code = ("import { parseTour } from './lite/js/core/tour.js';"
            "let s = ''; process.stdin.on('data', d => s += d).on('end', () => "
            "process.stdout.write(JSON.stringify(parseTour(s, 't.json'))));")
    out = subprocess.run(["node", "--input-type=module", "-e", code], input=json.dumps(tour), capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_recorded_tour_is_the_viewers_states_in_the_front_ends_format(demo_dir, tmp_path, monkeypatch):
    demo_slice = demo_dir / "amr_demo_slice.h5"
    monkeypatch.chdir(demo_slice.parent.parent)
    viewer = ytlite.load(demo_slice).plot()
    tour = viewer.tour(title="A walk")
    tour.add(caption="The whole <b>box</b>", dwell=5)
    viewer.zoom(4).pan(1.5, -2.0)
    viewer.cmap, viewer.scale = "viridis", "linear"
    tour.add(caption="Closer", dwell=3, transition=1.5)
    saved = json.loads(tour.save(tmp_path / "tours" / "walk.json").read_text())
    file = demo_slice.relative_to(demo_slice.parent.parent).as_posix()
    assert saved["format"] == "ytlite-tour" and saved["title"] == "A walk"
    first, second = saved["stops"]
    assert first["file"] == second["file"] == file
    assert first["view"] == list(viewer.domain) and first["caption"] == "The whole <b>box</b>"
    assert second["view"] == viewer.view and (second["cmap"], second["scale"]) == ("viridis", "linear")
    assert (second["dwell"], second["transition"]) == (3, 1.5)
    parsed = js_parse(saved)  # the front end plays it as recorded
    assert [s["view"] for s in parsed["stops"]] == [first["view"], second["view"]]
    assert parsed["stops"][1]["cmap"] == "viridis" and parsed["stops"][0]["caption"] == first["caption"]
    link = tour.url()
    assert link.startswith("view/?exhibit=&tour=%7B")


def test_what_cannot_be_played_says_why(demo_dir, tmp_path):
    viewer = ytlite.load(demo_dir / "amr_demo_slice.h5").plot()
    tour = viewer.tour()
    with pytest.raises(ValueError, match="no stops yet"):
        tour.save(tmp_path / "t.json")
    with pytest.raises(ValueError, match="dwell must be a number of seconds from 0.1"):
        tour.add(dwell=0)
    with pytest.raises(ValueError, match="transition must be"):
        tour.add(transition=float("nan"))
    other = {"format": "ytlite-tour", "stops": [{"file": "data/other.h5"}]}
    with pytest.raises(ValueError, match="stop 1 of the tour is of data/other.h5; this viewer shows"):
        viewer.play(other)
    with pytest.raises(ValueError, match="not a tour"):
        tour_dict('{"stops": []}')
    with pytest.raises(ValueError, match="cannot read the tour"):
        tour_dict(tmp_path / "missing.json")
