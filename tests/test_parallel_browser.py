"""Big meshes in the viewer (issue 17), in headless Chromium on the kiosk
page: exact images made by Web Workers in row bands (core/parallel.js),
previews while the view moves and yt's picture once it rests
(core/preview.js, core/pipeline.js), the page's thread never busy for long.

Oracles: the single-thread deposit of the same mesh in the same page (byte
for byte), and yt's ``pixelize_cartesian`` + matplotlib (support/oracle.py)."""

from __future__ import annotations

import json
import shutil
import sys
import time

import numpy as np
import pytest

from support.browser import QuietHandler, StaticServer, read_canvases
from support.oracle import compare, expected_values
from support.paths import ARTIFACTS, REAL_SLICES, ROOT, SITE
from support.viewer import frame, wait_frame

pytestmark = pytest.mark.skipif(not (SITE / "view" / "index.html").exists(),
                                reason="site not built: run python3 build.py build")

sys.path.insert(0, str(ROOT / "bench"))
import synthetic  # noqa: E402  (bench/synthetic.py: AMR-like synthetic slices, cached)

BIG_CELLS = 1_000_000


@pytest.fixture(scope="module")
def big_file():
    return synthetic.ensure(BIG_CELLS, verbose=False)


@pytest.fixture(scope="module")
def server(big_file, tmp_path_factory):
    """The site's kiosk page, the real slices at files/slices/ and the big one at files/big.h5."""
    root = tmp_path_factory.mktemp("parallel-site")
    shutil.copytree(SITE / "view", root / "view")
    (root / "files" / "slices").mkdir(parents=True)
    for path in REAL_SLICES:
        (root / "files" / "slices" / path.name).symlink_to(path)
    (root / "files" / "big.h5").symlink_to(big_file)
    with StaticServer(root, QuietHandler) as s:
        yield s.url


class Page:
    def __init__(self, browser, url, budget=None, workers=None, init_script=None):
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{url}/view/")
        self.page.wait_for_function("() => !!window.ytliteKiosk", timeout=60000)
        # the page-wide worker settings (core/runtime.js), before any viewer exists
        self.page.evaluate("""async ([budget, count]) => {
            const { runtime } = await window.ytliteKiosk.ready;
            if (runtime.workers && budget !== null) runtime.workers.budgetMs = budget;
            if (runtime.workers && count !== null) runtime.workers.count = count;
        }""", [budget, workers])

    def open(self, file):
        self.page.evaluate("(f) => window.ytliteKiosk.openUrl(f)", file)
        return self.wait_frame("f => !f.preview")

    def frame(self):
        return frame(self, 0)

    def wait_frame(self, predicate, timeout=60000):
        return wait_frame(self, 0, predicate, timeout)

    def set(self, **changes):
        """Store changes, then the exact image of the new state (made anywhere)."""
        count = self.frame()["count"]
        self.page.evaluate("""(changes) => { const s = window.ytliteKiosk.viewer.store;
            for (const [k, v] of Object.entries(changes)) s.set(k, v); }""", changes)
        return self.wait_frame(f"f => f.count > {count} && !f.preview")

    def same_as_single_thread(self):
        """The buffer's values (made in workers) against a deposit of the same
        state on the page's thread: True when byte for byte equal."""
        return self.page.evaluate("""() => {
            const p = window.ytliteKiosk.viewer.pipeline, st = window.ytliteKiosk.viewer.state;
            if (!p.hasDeposit(st)) return "the buffer does not hold the state's image";
            const frb = new p.px.FixedResolutionBuffer(st.width, st.height);
            const [x0, x1, y0, y1] = st.view;
            if (st.periodic) frb.depositPeriodic(p.mesh, x0, x1, y0, y1, !!st.antialias, st.period[0], st.period[1]);
            else frb.deposit(p.mesh, x0, x1, y0, y1, !!st.antialias);
            const a = new Uint8Array(frb.valuesCopy().buffer), b = new Uint8Array(p.frb.valuesCopy().buffer);
            frb.free();
            if (a.length !== b.length) return `sizes differ: ${a.length} vs ${b.length}`;
            for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i} differs`;
            return true;
        }""")

    def pixels(self):
        return read_canvases(self.page)[0][1]

    def screenshot(self, tag):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"parallel-{tag}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self):
        self.context.close()


@pytest.fixture
def page(browser, server):
    pages = []

    def _open(**kwargs):
        p = Page(browser, server, **kwargs)
        pages.append(p)
        return p

    yield _open
    for p in pages:
        p.close()


@pytest.mark.skipif(not REAL_SLICES, reason="real data not present")
def test_images_made_by_workers_are_the_single_thread_ones_byte_for_byte(page):
    """Every real slice, every view below made in workers (budget 0) with
    4 workers on whatever CPU this is: the same bytes as one deposit on the
    page's thread, and yt's picture; odd sizes, fewer rows than bands (one
    row each), more workers than rows, periodic, no antialiasing."""
    run = page(budget=0, workers=4)
    for path in REAL_SLICES:
        f = run.open(f"slices/{path.name}")
        # (a mesh's first image is the page's own: the workers get the mesh once it is shown)
        assert f["made"] == "main", (path.name, f)
        x0, x1, y0, y1 = f["view"]
        w, h = x1 - x0, y1 - y0
        g = run.set(view=[x0 + 0.01 * w, x1 + 0.01 * w, y0, y1])
        assert g["made"] == "workers", (path.name, g)
        assert run.same_as_single_thread() is True, path.name
        compare(run, f"workers-{path.stem}", g, run.pixels(), path, g["field"], g["cmap"], g["scale"])
        for changes in (
            {"view": [x0 + 0.31 * w, x0 + 0.52 * w, y0 + 0.4 * h, y0 + 0.55 * h], "resolution": 301},
            {"resolution": 7},  # a few rows: bands of one row, more workers than rows
            {"resolution": 2},
            {"view": [x0 - 0.3 * w, x1 - 0.3 * w, y0 + 0.2 * h, y1 + 0.2 * h], "resolution": 200,
             "periodic": True, "period": [w, h]},
            {"periodic": False, "antialias": False, "resolution": 333},
        ):
            g = run.set(**changes)
            assert g["made"] == "workers", (path.name, changes, g)
            assert run.same_as_single_thread() is True, (path.name, changes)
        # another field: its values go to the workers (in chunks), the mesh stays
        other = run.page.evaluate("""() => { const v = window.ytliteKiosk.viewer;
            return Object.keys(v.data.fields).find((k) => k !== v.store.get("field")) ?? null; }""")
        if other:
            g = run.set(field=other)
            assert g["made"] == "workers" and g["field"] == other, g
            assert run.same_as_single_thread() is True, (path.name, other)
            run.set(field=f["field"])  # (back to the first)
        # and yt's own picture of the zoomed, odd-sized view
        g = run.set(antialias=True, view=[x0 + 0.31 * w, x0 + 0.52 * w, y0 + 0.4 * h, y0 + 0.55 * h], resolution=301)
        compare(run, f"workers-zoom-{path.stem}", g, run.pixels(), path, g["field"], g["cmap"], g["scale"])
    stats = run.page.evaluate("() => window.ytliteKiosk.viewer.pipeline.pool.stats")
    assert stats["bands"] > 0
    assert run.errors == []


def test_a_big_mesh_pans_with_previews_and_rests_on_yts_picture(page, big_file):
    """1 M cells: the full view costs more than a frame, so while it is
    dragged the page shows previews and the workers make the exact image; at
    rest the canvas is yt's picture; a read-out taken on a preview is the
    exact value; a newer view cancels the image still being made."""
    run = page()
    f = run.open("big.h5")
    # (1 M cells at full view: over the frame budget on any machine, but a mesh's first image is the
    # page's own, as the workers do not hold the mesh yet; they get it once the image is shown)
    assert f["made"] == "main", f
    compare(run, "big-first", f, run.pixels(), big_file, "density", f["cmap"], f["scale"])

    frames_before = f["count"]
    box = run.page.locator("canvas.ytlite-image").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    run.page.evaluate("""() => { window.framesSeen = []; const c = document.querySelector('canvas.ytlite-image');
        new MutationObserver(() => window.framesSeen.push(JSON.parse(c.dataset.frame)))
            .observe(c, {attributes: true, attributeFilter: ['data-frame']}); }""")
    # (as if each exact image took the workers a second: none is begun while the view moves, viewer.js:
    # MOVING_EXACT_MS, not even the drag's first move's (a pointer is down: more moves follow); letting go
    # begins the last view's at once, not once the view has rested a while)
    images = run.page.evaluate("() => { const v = window.ytliteKiosk.viewer; v.exactMs = () => 1000;"
                               " return v.pipeline.pool.stats.images; }")
    run.page.mouse.move(x, y)
    run.page.mouse.down()
    for i in range(1, 61):
        run.page.mouse.move(x - 2 * i, y + i)
        time.sleep(0.016)
    begun, waiting = run.page.evaluate("() => { const v = window.ytliteKiosk.viewer;"
                                       " return [v.pipeline.pool.stats.images, !!v.restTimer]; }")
    run.page.mouse.up()
    let_go = run.page.evaluate("() => { const v = window.ytliteKiosk.viewer; delete v.exactMs;"
                               " return [!!v.restTimer, v.moving]; }")
    assert begun == images and waiting, (images, begun, waiting)
    assert let_go == [False, False], let_go
    rest = run.wait_frame(f"f => f.count > {frames_before} && !f.preview && f.made === 'workers'")
    time.sleep(0.3)
    seen = run.page.evaluate("() => window.framesSeen")
    previews = [s for s in seen if s["preview"]]
    assert len(previews) >= 10, [s["made"] for s in seen]
    # (how long the page's thread is kept by each task while dragging, "no task over 16 ms of CPU", is a speed
    # goal: measured by bench/parallel.py, not asserted by a timed test; CI's machine once saw 19.5 ms here)
    print(f"\n{len(seen)} frames while dragging ({len(previews)} previews); preview frame "
          f"{np.median([s['frame_ms'] for s in previews]):.1f} ms median")
    rest = run.frame()
    assert rest["view"] == seen[-1]["view"] and not rest["preview"]
    compare(run, "big-rest", rest, run.pixels(), big_file, "density", rest["cmap"], rest["scale"])

    # a read-out on a preview: the exact value (that pixel deposited on the spot, RowBand.valueAt)
    x0, x1, y0, y1 = rest["view"]
    moved = [x0 + 0.1 * (x1 - x0), x1 + 0.1 * (x1 - x0), y0, y1]
    got = run.page.evaluate("""(view) => { const v = window.ytliteKiosk.viewer;
        v.store.set("view", view); v.draw();
        const frame = JSON.parse(v.canvas.dataset.frame);
        v.showReadout(0.37, 0.61);
        return [frame.preview, Number(v.readout.dataset.value), v.canvas.width, v.canvas.height]; }""", moved)
    assert got[0] is True, "the exact image came before the read-out: no preview to read"
    w, h = got[2], got[3]
    want = expected_values(big_file, "density", moved, w, h)[h - 1 - int(0.61 * h), int(0.37 * w)]
    assert got[1] == want
    run.wait_frame("f => !f.preview")

    # a newer view cancels the image being made: only the last one is drawn exact
    stats0 = run.page.evaluate("() => ({...window.ytliteKiosk.viewer.pipeline.pool.stats})")
    views = [[x0 + k * 0.01 * (x1 - x0), x1 + k * 0.01 * (x1 - x0), y0, y1] for k in range(1, 6)]
    run.page.evaluate("""(views) => { const v = window.ytliteKiosk.viewer;
        for (const view of views) { v.store.set("view", view); v.draw(); } }""", views)
    last = run.wait_frame("f => !f.preview")
    stats1 = run.page.evaluate("() => window.ytliteKiosk.viewer.pipeline.pool.stats")
    assert last["view"] == views[-1]
    # (every image begun but the last cancelled: by the next view, or, where an image takes the workers more
    # than a couple of frames, by the view moving on, the next one begun once it rests (viewer.js:
    # MOVING_EXACT_MS); an overview for previews may follow the last: not here, the first view, the whole
    # domain, stays the widest image)
    images, cancelled = stats1["images"] - stats0["images"], stats1["cancelled"] - stats0["cancelled"]
    assert images - cancelled == 1 and images in (1, 2, 5), (stats0, stats1)
    compare(run, "big-after-cancel", last, run.pixels(), big_file, "density", last["cmap"], last["scale"])

    # while the view moves (a new view every frame), an image the workers take longer than a couple of frames
    # to make is not begun: the next move would cancel it, and they would take the page's cores; previews
    # meanwhile, and the exact image once the view rests. A quick one is begun at each move.
    for worker_ms, most, least in ((1000, 1, 0), (1, 8, 8)):
        views = [[x0 + k * 0.003 * (x1 - x0), x1 + k * 0.003 * (x1 - x0), y0 - 0.01 * worker_ms, y1] for k in range(1, 9)]
        # (not counted: the domain's overview for previews, begun whenever the workers are idle between two
        # moves while the previews keep no image of the whole domain, as once the view has moved off it)
        begun = run.page.evaluate("""async ([views, ms]) => { const v = window.ytliteKiosk.viewer, stats = v.pipeline.pool.stats;
            const images = stats.images, p = v.pipeline, overview = p.depositOverview;
            let overviews = 0;
            p.depositOverview = (...a) => { overviews += 1; return overview.apply(p, a); };
            try {
                for (const view of views) {
                    v.workerMs = ms; // (as if the workers' last image had taken this long)
                    v.store.set("view", view); v.draw();
                    await new Promise((resolve) => setTimeout(resolve, 16));
                }
            } finally {
                p.depositOverview = overview;
            }
            return stats.images - images - overviews; }""", [views, worker_ms])
        assert least <= begun <= most, (worker_ms, begun)
        last = run.wait_frame(f"f => !f.preview && f.view[2] === {views[-1][2]} && f.view[0] === {views[-1][0]}")
        assert last["made"] == "workers"
    compare(run, "big-after-moving", last, run.pixels(), big_file, "density", last["cmap"], last["scale"])

    # a big image's preview is made smaller (at most 1024² pixels) and drawn scaled; at rest, yt's picture
    got = run.page.evaluate("""() => { const v = window.ytliteKiosk.viewer;
        v.store.set("resolution", 2000); v.draw();
        const f = JSON.parse(v.canvas.dataset.frame), p = v.pipeline.previewFrb;
        return [f.preview, f.width, f.height, p.width, p.height]; }""")
    assert got[0] is True and max(got[1:3]) == 2000 and got[3] * got[4] <= 1 << 20, got
    big = run.wait_frame("f => !f.preview && f.width === 2000")
    compare(run, "big-2000", big, run.pixels(), big_file, "density", big["cmap"], big["scale"])
    assert run.errors == []


def test_a_page_that_cannot_start_workers_draws_big_meshes_itself(page, big_file):
    run = page(init_script="delete window.Worker;")
    memory = "() => window.ytliteKiosk.ready.then(({ runtime }) => runtime.memoryBytes())"
    before = run.page.evaluate(memory)
    f = run.open("big.h5")
    assert f["made"] == "main" and not f["preview"]
    # The cells went into the page's wasm memory compact as they were read (MeshBuilder): never as f64
    # arrays, which alone (px, py, pdx, pdy and the values) would take 40 bytes a cell of it, for good
    # (wasm memory is never given back); the images of the canvas take the rest.
    grew = run.page.evaluate(memory) - before
    kind = run.page.evaluate("() => window.ytliteKiosk.viewer.pipeline.mesh.geometryKind")
    print(f"\npage wasm memory grew {grew / BIG_CELLS:.1f} bytes a cell ({kind} geometry)")
    assert kind == "table" and grew < 32 * BIG_CELLS, (kind, grew / BIG_CELLS)
    compare(run, "no-workers", f, run.pixels(), big_file, "density", f["cmap"], f["scale"])
    assert run.errors == []


def test_a_link_to_a_zoomed_view_gets_an_overview_for_its_previews(page, big_file):
    """Opened on a zoomed view (a shared link), the workers make the whole
    domain's image once they are idle, so zooming out previews the data
    rather than nothing; at rest, yt's picture."""
    run = page(budget=0)  # (every view in workers: this zoomed one would be cheap enough for the page itself)
    zoom = [0.5, 1.5, 0.8, 1.3]  # (the synthetic slice's domain: x -3..5, y -1..3)
    run.page.evaluate("([f, v]) => window.ytliteKiosk.openUrl(f, { view: v })", ["big.h5", zoom])
    f = run.wait_frame("f => !f.preview")
    assert f["view"] == zoom and f["made"] == "main"  # (a mesh's first image: the page's own)
    run.page.wait_for_function("""() => { const v = window.ytliteKiosk.viewer;
        return v.pipeline.previews.covers(...v.store.get("domain")); }""", timeout=60000)
    got = run.page.evaluate("""() => { const v = window.ytliteKiosk.viewer;
        v.store.set("view", v.store.get("domain")); v.draw();
        // (the preview's values, as drawPreview makes them: shadePreview shades them from kept codes)
        const p = v.pipeline;
        p.previewFrb.drawPreview(p.previews, ...v.store.get("domain"));
        const values = p.previewFrb.valuesCopy();
        return [JSON.parse(v.canvas.dataset.frame).preview, values.filter((x) => Number.isNaN(x)).length / values.length]; }""")
    assert got[0] is True and got[1] == 0, got  # (the slice covers its domain: no pixel without data)
    rest = run.wait_frame("f => !f.preview")
    compare(run, "overview-rest", rest, run.pixels(), big_file, "density", rest["cmap"], rest["scale"])
    assert run.errors == []
