"""The viewer page of a site made from a folder with a ytlite.toml, in
Chromium: it opens on the site's start view (never an empty page) and lists
the datasets by title; ?exhibit is an exhibit: nothing to leave it by (no
file picker, no sharing, no links), the figure filling the window with no
horizontal scroll, title and caption in large type (captions are text, not
HTML), a tap's read-out equal to yt's deposit there, and after the idle time
(a fake clock) it returns to its start view and yt's picture of it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from support.browser import StaticServer, read_canvases
from support.oracle import compare, expected_values
from support.paths import ARTIFACTS, real_slice

CAPTION = 'A <b>blast wave</b> & a cloud: <img src=x onerror="window.hacked=1"> hot gas'
START_VIEW = [0.25, 0.625, 0.375, 0.75]
ZOOM_VIEW = [0.375, 0.5, 0.5, 0.625]
ZOOM_CAPTION = "Closer: <i>the shock</i> front"
IDLE_S = 30
# the attract tour (recorded below with viewer.tour()): rests on each stop for its dwell
#   stop 0 (blast, START_VIEW) [0, 6); move [6, 8); stop 1 (ZOOM_VIEW, viridis, linear) [8, 12);
#   cut to stop 2 (a_side.h5, its whole domain) [12, 13) then [13, 17); back to stop 0 [17, 19)


def kit():
    from ytlite.site import jupyterlite

    kits = sorted((jupyterlite.default_cache() / "kits").glob("*/kit.json"), key=lambda p: p.stat().st_mtime)
    if not kits:
        pytest.skip("no kernel kit in the build cache: run python3 build.py build")
    return kits[-1].parent


@pytest.fixture(scope="module")
def exhibit_site(tmp_path_factory):
    from ytlite.site import build

    z = real_slice("ramses_blast3d_z0.5_slice.h5")
    x = real_slice("ramses_blast3d_x0.5_slice.h5")
    folder = tmp_path_factory.mktemp("exhibit") / "course"
    (folder / "data").mkdir(parents=True)
    shutil.copyfile(x, folder / "data" / "a_side.h5")
    shutil.copyfile(z, folder / "data" / "blast.h5")
    (folder / "ytlite.toml").write_text(f"""
[site]
title = "Shocks, up close"

[datasets."data/blast.h5"]
title = "A blast wave meets a cloud"
caption = {json.dumps(CAPTION)}
view = {json.dumps(START_VIEW)}

[datasets."data/a_side.h5"]
title = "The same blast, from the side"

[exhibit]
start = "data/blast.h5"
idle = {IDLE_S}
home = true
tour = "tours/attract.json"
""")
    record_tour(folder)
    site = folder.parent / "site"
    build(folder, site, kit=kit(), cache=folder.parent / "cache", log=lambda m: None)
    with StaticServer(site) as server:
        yield server.url, folder


def record_tour(folder):
    """The attract tour, recorded as a teacher would (viewer.tour() in the site's folder)."""
    import os

    import ytlite

    here = os.getcwd()
    os.chdir(folder)
    try:
        viewer = ytlite.load("data/blast.h5").plot()
        tour = viewer.tour(title="Shocks")
        viewer.view = START_VIEW
        tour.add(caption="")
        viewer.view = ZOOM_VIEW
        viewer.cmap, viewer.scale = "viridis", "linear"
        tour.add(caption=ZOOM_CAPTION, dwell=4, transition=2)
        side = ytlite.load("data/a_side.h5").plot()
        side_tour = side.tour()
        side_tour.add(caption="From the side", dwell=4, transition=1)
        tour.stops += side_tour.stops
        tour.save("tours/attract.json")
    finally:
        os.chdir(here)


def open_paused(run, url):
    """Open ``url`` with the page's time paused: it moves only with run_for
    (a fake clock otherwise also follows real time); returns the first frame."""
    t0 = 1_800_000_000_000  # (ms: any fixed date)
    run.page.clock.install(time=t0)
    run.page.clock.pause_at(t0 + 1000)
    run.page.goto(url)
    run_until(run.page, "!!document.querySelector('canvas.ytlite-image')?.dataset.frame")
    return run.frame()


def idle_until_the_tour_plays(run, url):
    """The exhibit opened with time paused, then left alone until its attract tour starts."""
    open_paused(run, f"{url}/view/?exhibit")
    run.page.clock.run_for((IDLE_S - 8) * 1000)  # (the idle time counts from the page's start: a few seconds ago)
    run_until(run.page, "document.body.dataset.tour === 'playing'", step_ms=100, steps=200)


def run_to(page, t):
    """Advance the fake clock to time ``t`` (s) of the tour playing."""
    now = page.evaluate("ytliteKiosk.player.time()")
    assert now <= t, (now, t)
    page.clock.run_for(max(1, round((t - now) * 1000)))


def run_until(page, predicate, step_ms=100, steps=100):
    """Advance the page's fake clock until ``predicate`` (JS, no arguments) holds."""
    for _ in range(steps):
        if page.evaluate(predicate):
            return
        page.clock.run_for(step_ms)
    raise AssertionError(f"never: {predicate}")


class Page:
    def __init__(self, context, tag):
        self.page, self.tag = context.new_page(), tag

    def screenshot(self, tag):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"exhibit-{tag}.png"
        self.page.screenshot(path=str(path))
        return path

    def frame(self, predicate="f => true", timeout=20000):
        self.page.wait_for_function(
            f"""() => {{ const c = document.querySelector('canvas.ytlite-image');
                 return !!(c && c.dataset.frame) && ({predicate})(JSON.parse(c.dataset.frame)); }}""", timeout=timeout)
        return json.loads(self.page.locator("canvas.ytlite-image").get_attribute("data-frame"))


def test_the_page_opens_on_the_start_view_with_titles(browser, exhibit_site):
    url, folder = exhibit_site
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        run = Page(context, "start")
        run.page.goto(f"{url}/view/")
        frame = run.frame()
        compare(run, "start-view", frame, read_canvases(run.page)[0][1], folder / "data" / "blast.h5", "density",
                "cmyt.arbre", "log", expected_view=START_VIEW)
        options = run.page.locator("#datasets option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
        assert options == [["data/a_side.h5", "The same blast, from the side"], ["data/blast.h5", "A blast wave meets a cloud"]]
        assert run.page.locator("#datasets").input_value() == "data/blast.h5"
        assert run.page.locator("#site-title").text_content() == "Shocks, up close"
        assert run.page.locator("#caption").text_content() == CAPTION  # as text
        assert run.page.locator("#caption *").count() == 0 and not run.page.evaluate("window.hacked")
        label = run.page.locator("canvas.ytlite-image").get_attribute("aria-label")
        assert run.page.locator("canvas.ytlite-image").get_attribute("role") == "img"
        assert label.startswith("density (g/cm³)") and "blast.h5" in label and " from " in label, label
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_exhibit_is_chromeless_fills_the_window_and_reads_out_a_tap(browser, exhibit_site, size):
    url, folder = exhibit_site
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=True)
    try:
        run = Page(context, f"exhibit-{size[0]}")
        run.page.goto(f"{url}/")  # (home = true: the site's own address opens the exhibit)
        run.page.wait_for_url("**/view/?exhibit")
        frame = run.frame()
        page = run.page
        assert frame["view"] == START_VIEW
        # nothing to leave by, nothing to open files with
        assert page.locator("input[type=file], a[href], #share, header").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        assert page.evaluate("document.documentElement.scrollHeight") <= size[1]
        prevented = page.evaluate("""() => { const e = new MouseEvent('contextmenu', {bubbles: true, cancelable: true});
            document.querySelector('canvas.ytlite-image').dispatchEvent(e); return e.defaultPrevented; }""")
        assert prevented
        assert page.locator("#dataset-title").text_content() == "A blast wave meets a cloud"
        assert page.locator("#caption").text_content() == CAPTION and page.locator("#caption *").count() == 0
        # the figure fills the window (its whole figure, axes and colorbar, scaled to the room it has)
        box = page.locator(".ytlite-figure").bounding_box()
        assert box["width"] >= 0.85 * size[0] or box["height"] >= 0.5 * size[1], (box, size)
        # a tap shows yt's value at that pixel
        canvas = page.locator("canvas.ytlite-image")
        cbox = canvas.bounding_box()
        fx, fy = 0.3, 0.6
        page.touchscreen.tap(cbox["x"] + fx * cbox["width"], cbox["y"] + fy * cbox["height"])
        page.wait_for_function("() => document.querySelector('.ytlite-readout').dataset.value !== undefined")
        got = float(page.locator(".ytlite-readout").get_attribute("data-value"))
        col = int(fx * frame["width"])
        row = int(fy * frame["height"])
        want = expected_values(folder / "data" / "blast.h5", "density", frame["view"], frame["width"], frame["height"])
        value = want[frame["height"] - 1 - row, col]  # (yt's row 0 is y_min; the canvas's is the top)
        assert got == pytest.approx(value, rel=1e-9, abs=0), (got, value)  # (the deposit's contract with yt)
        assert page.locator(".ytlite-readout").get_attribute("aria-live") == "polite"
        assert "g/cm³" in page.locator(".ytlite-readout").text_content()
        # a double-tap zooms in about the point: twice closer, the point under the finger stays
        x, y = cbox["x"] + 0.25 * cbox["width"], cbox["y"] + 0.75 * cbox["height"]
        page.wait_for_timeout(400)  # (not a double-tap with the tap above)
        page.touchscreen.tap(x, y)
        page.touchscreen.tap(x, y)
        v0 = frame["view"]
        v1 = run.frame(f"f => f.view[1] - f.view[0] < {(v0[1] - v0[0]) * 0.75}")["view"]
        assert v1[1] - v1[0] == pytest.approx((v0[1] - v0[0]) / 2, rel=1e-12)
        point = lambda v: (v[0] + 0.25 * (v[1] - v[0]), v[3] - 0.75 * (v[3] - v[2]))  # noqa: E731
        assert point(v1) == pytest.approx(point(v0), abs=(v0[1] - v0[0]) / frame["width"])  # (within a pixel)
    finally:
        context.close()


def test_exhibit_returns_to_its_start_after_the_idle_time(browser, exhibit_site):
    url, folder = exhibit_site
    context = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True)
    try:
        run = Page(context, "idle")
        page = run.page
        page.clock.install()
        page.goto(f"{url}/view/?exhibit")
        run.frame()
        # a visitor opens the other dataset, then pans and leaves
        page.get_by_role("button", name="The same blast, from the side").click()
        other = run.frame("f => f.view[0] !== 0.25")
        canvas = page.locator("canvas.ytlite-image").bounding_box()
        page.mouse.move(canvas["x"] + 100, canvas["y"] + 100)
        page.mouse.down()
        page.mouse.move(canvas["x"] + 160, canvas["y"] + 140, steps=4)
        page.mouse.up()
        page.clock.run_for(500)  # (the fake clock runs the animation frames too: the last of the drag)
        moved = run.frame(f"f => f.view[0] !== {other['view'][0]}")
        assert page.locator("#dataset-title").text_content() == "The same blast, from the side"
        page.clock.run_for((IDLE_S - 5) * 1000)  # not yet
        assert run.frame()["view"] == moved["view"]
        page.clock.run_for(10 * 1000)
        back = run.frame(f"f => f.view[0] === {START_VIEW[0]} && f.view[3] === {START_VIEW[3]}")
        assert page.locator("#dataset-title").text_content() == "A blast wave meets a cloud"
        compare(run, "idle-back", back, read_canvases(page)[0][1], folder / "data" / "blast.h5", "density",
                "cmyt.arbre", "log", expected_view=START_VIEW)
    finally:
        context.close()


FRAME = "JSON.parse(document.querySelector('canvas.ytlite-image').dataset.frame || '{}')"


def test_idle_plays_the_attract_tour_exactly_and_a_touch_stops_it(browser, exhibit_site):
    url, folder = exhibit_site
    context = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True)
    try:
        run = Page(context, "tour")
        page = run.page
        idle_until_the_tour_plays(run, url)
        run_to(page, 3)
        assert run.frame()["view"] == START_VIEW
        run_to(page, 7.5)  # moving to the zoom, each frame between the two
        moving = run.frame()["view"]
        assert moving not in (START_VIEW, ZOOM_VIEW)
        assert START_VIEW[0] <= moving[0] <= ZOOM_VIEW[0] and ZOOM_VIEW[1] <= moving[1] <= START_VIEW[1]
        run_to(page, 9)  # at rest on stop 1, its exact view, yt's picture
        frame = run.frame()
        assert frame["view"] == ZOOM_VIEW
        compare(run, "tour-stop1", frame, read_canvases(page)[0][1], folder / "data" / "blast.h5", "density",
                "viridis", "linear", expected_view=ZOOM_VIEW)
        assert page.locator("#caption").text_content() == ZOOM_CAPTION and page.locator("#caption *").count() == 0
        run_to(page, 13)  # the cut to the other dataset, read while the clock waits
        run_until(page, f"document.querySelector('#dataset-title').textContent.includes('from the side') "
                        f"&& {FRAME}.view?.join() === '0,0,1,1'".replace("'0,0,1,1'", "'0,1,0,1'"))
        frame = run.frame()
        compare(run, "tour-stop2", frame, read_canvases(page)[0][1], folder / "data" / "a_side.h5", "density",
                "cmyt.arbre", "log", expected_view=[0, 1, 0, 1])
        assert page.locator("#caption").text_content() == "From the side"
        run_until(page, f"{FRAME}.view?.[0] === {START_VIEW[0]}", step_ms=500)  # looped back to stop 0
        assert page.locator("#dataset-title").text_content() == "A blast wave meets a cloud"
        # a touch stops it at once and hands over the controls
        canvas = page.locator("canvas.ytlite-image").bounding_box()
        page.touchscreen.tap(canvas["x"] + 50, canvas["y"] + 50)
        assert page.evaluate("document.body.dataset.tour") is None
        page.clock.run_for(500)
        still = run.frame()["view"]
        page.clock.run_for(10000)
        assert run.frame()["view"] == still
    finally:
        context.close()


def test_reduced_motion_cuts_instead_of_moving(browser, exhibit_site):
    url, _ = exhibit_site
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    try:
        run = Page(context, "reduced")
        page = run.page
        idle_until_the_tour_plays(run, url)
        run_to(page, 5.5)
        assert run.frame()["view"] == START_VIEW
        seen = set()
        for _ in range(30):  # t = 5.5 .. 8.5: only the two stops' own views, never one between
            page.clock.run_for(100)
            seen.add(tuple(run.frame()["view"]))
        page.clock.run_for(1000)
        assert seen <= {tuple(START_VIEW), tuple(ZOOM_VIEW)} and run.frame()["view"] == ZOOM_VIEW, seen
    finally:
        context.close()


def test_a_tour_in_a_link_plays_once_and_rests_on_its_last_view(browser, exhibit_site):
    url, folder = exhibit_site
    tour = json.loads((folder / "tours" / "attract.json").read_text())
    tour["stops"] = tour["stops"][:2]  # blast: start, then the zoom
    from urllib.parse import quote

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        run = Page(context, "link")
        page = run.page
        open_paused(run, f"{url}/view/?tour={quote(json.dumps(tour))}")
        assert page.locator("header").count() == 1  # (not an exhibit: the page as it is)
        page.clock.run_for(20000)  # past the end: it rests on the last stop, exactly
        assert run.frame()["view"] == ZOOM_VIEW and page.evaluate("document.body.dataset.tour") is None
        bad = dict(tour, stops=[{"file": "data/blast.h5", "view": [1, 0, 0, 1]}])
        page.goto(f"{url}/view/?tour={quote(json.dumps(bad))}")
        run_until(page, "document.querySelector('#status').classList.contains('error')")  # (time still paused)
        assert "the tour in the link, stop 1: view must be" in page.locator("#status").text_content()
    finally:
        context.close()


def test_an_hour_of_attract_tour_keeps_memory_flat(browser, exhibit_site):
    """An hour of tour time (the fake clock jumped ahead a few seconds at a
    time, a few frames drawn at each step; the two datasets opened again on
    every loop): the JS heap and the wasm memory after it are within 10 % of
    what they were after the first five loops."""
    url, folder = exhibit_site
    stops = json.loads((folder / "tours" / "attract.json").read_text())["stops"]
    for stop in stops:
        stop["dwell"] = 50
    stops[1]["transition"] = stops[0]["transition"] = 5
    tour = {"format": "ytlite-tour", "stops": stops}  # (a loop of 161 s: 22 loops, 44 datasets opened)
    from urllib.parse import quote

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        run = Page(context, "soak")
        page = run.page
        open_paused(run, f"{url}/view/?exhibit&tour={quote(json.dumps(tour))}")
        cdp = context.new_cdp_session(page)

        def memory():
            cdp.send("HeapProfiler.collectGarbage")
            heap = cdp.send("Runtime.getHeapUsage")["usedSize"]
            return heap, page.evaluate("ytliteKiosk.ready.then(a => a.runtime.memoryBytes())")

        def play_until(t_end):
            while True:
                run_until(page, "!!ytliteKiosk.player?.running", step_ms=50, steps=400)  # (a dataset opening)
                if page.evaluate("ytliteKiosk.player.time()") >= t_end:
                    return
                page.clock.fast_forward(4000)
                page.clock.run_for(48)  # a few frames at this time

        length = sum(s["dwell"] + s["transition"] for s in stops)
        # warm: five loops (everything opened and freed several times; the wasm
        # allocator's pages reach their working set by the fourth, then stay)
        play_until(5 * length + 1)
        heap0, wasm0 = memory()
        play_until(3600)
        heap1, wasm1 = memory()
        assert page.evaluate("document.body.dataset.tour") == "playing"
        print(f"soak: JS heap {heap0 / 1e6:.1f} -> {heap1 / 1e6:.1f} MB, wasm {wasm0 / 1e6:.1f} -> {wasm1 / 1e6:.1f} MB")
        assert heap1 <= 1.10 * heap0, (heap0, heap1)
        assert wasm1 <= 1.10 * wasm0, (wasm0, wasm1)
    finally:
        context.close()


def test_a_failing_file_in_a_tour_is_said_and_the_tour_moves_on(browser, exhibit_site):
    url, _ = exhibit_site
    from urllib.parse import quote

    tour = {"format": "ytlite-tour", "stops": [
        {"file": "data/blast.h5", "view": START_VIEW, "dwell": 2},
        {"file": "data/missing.h5", "dwell": 2, "transition": 1},
        {"file": "data/blast.h5", "view": ZOOM_VIEW, "dwell": 2, "transition": 1}]}
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        run = Page(context, "failing")
        page = run.page
        open_paused(run, f"{url}/view/?exhibit&tour={quote(json.dumps(tour))}")
        run_until(page, f"{FRAME}.view?.join() === '{','.join(map(repr, ZOOM_VIEW))}'", step_ms=200, steps=200)
        status = page.locator("#status")
        assert "error" in status.get_attribute("class") and "data/missing.h5" in status.text_content()
        assert status.is_visible() and page.evaluate("document.body.dataset.tour") == "playing"
        assert float(status.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 18  # (caption-sized)
    finally:
        context.close()
