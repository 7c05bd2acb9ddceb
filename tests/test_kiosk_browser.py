"""The kiosk page (_site/view/): the viewer with no Python, in headless
Chromium. Pictures against yt's pixelizer and matplotlib, the view state in
the URL, files opened from disk, bad files; "Share as one file": the saved
file opened from disk with every network request refused."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import h5py
import numpy as np
import pytest

from support.browser import QuietHandler, StaticServer, read_canvases
from support.oracle import compare
from support.paths import ARTIFACTS, SITE, real_slice

pytestmark = pytest.mark.skipif(not (SITE / "view" / "index.html").exists(),
                                reason="site not built: run python3 build.py build")


class KioskRun:
    def __init__(self, browser, site_url):
        self.site_url = site_url
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.requests, self.errors = [], []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, query):
        t0 = time.perf_counter()
        self.page.goto(f"{self.site_url}/view/?{query}")
        self.wait_frame("f => true")
        return time.perf_counter() - t0

    def url(self):
        """The page's address once the state's last change is in it (written at most every 500 ms)."""
        self.page.wait_for_function("() => !window.ytliteKiosk?.urlWrites?.pending")
        return self.page.url

    def frame(self):
        return json.loads(self.page.locator("canvas.ytlite-image").get_attribute("data-frame"))

    def wait_frame(self, predicate, timeout=20000):
        self.page.wait_for_function(
            f"""() => {{ const c = document.querySelector('canvas.ytlite-image');
                 return !!(c && c.dataset.frame) && ({predicate})(JSON.parse(c.dataset.frame)); }}""", timeout=timeout)
        return self.frame()

    def pixels(self):
        return read_canvases(self.page)[0][1]  # (the page has one viewer)

    def status(self):
        return self.page.locator("#status").text_content()

    def screenshot(self, tag):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"kiosk-{tag}.png"
        self.page.screenshot(path=str(path))
        return path

    def foreign_requests(self):
        return sorted({u for u in self.requests if not u.startswith((self.site_url + "/", "blob:", "data:"))})


@pytest.fixture
def kiosk(browser, site_url):
    runs = []

    def _open():
        run = KioskRun(browser, site_url)
        runs.append(run)
        return run

    yield _open
    for run in runs:
        run.context.close()


def test_kiosk_draws_yts_picture_and_keeps_the_view_in_the_url(kiosk):
    path = real_slice("ramses_blast3d_z0.5_slice.h5")
    run = kiosk()
    seconds = run.open("file=data/real/ramses_blast3d_z0.5_slice.h5&cmap=viridis")
    print(f"\nkiosk: navigation to first image {seconds:.2f} s (warm browser, cold page)")
    f = run.frame()
    compare(run, "kiosk-first", f, run.pixels(), path, "density", "viridis")
    assert "12,289 cells" in run.status()

    # change the view in the page: drag, colormap, field, limits
    box = run.page.locator("canvas.ytlite-image").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    run.page.mouse.move(x, y)
    run.page.mouse.down()
    run.page.mouse.move(x - 90, y + 40, steps=4)
    run.page.mouse.up()
    run.wait_frame("f => f.view[0] !== 0")
    run.page.locator("select.ytlite-field").select_option("temperature")
    run.page.locator("input.ytlite-cmap").fill("magma")
    run.page.locator("input.ytlite-vmin").fill("1e-3")
    run.page.locator("input.ytlite-vmin").press("Enter")
    run.page.locator("input.ytlite-vmax").fill("20")
    run.page.locator("input.ytlite-vmax").press("Enter")
    f = run.wait_frame("f => f.cmap === 'magma' && f.field === 'temperature' && f.vmin === 1e-3 && f.vmax === 20")
    compare(run, "kiosk-changed", f, run.pixels(), path, "temperature", "magma", limits=[1e-3, 20])
    before = run.pixels()
    query = parse_qs(urlparse(run.url()).query)
    assert query["field"] == ["temperature"] and query["cmap"] == ["magma"] and query["vmin"] == ["0.001"]
    assert [float(v) for v in query["view"][0].split(",")] == f["view"]

    # the link reopens the exact view, in a fresh page
    other = kiosk()
    other.open(urlparse(run.url()).query)
    g = other.frame()
    for key in ("view", "field", "cmap", "scale", "vmin", "vmax", "width", "height"):
        assert g[key] == f[key], key
    np.testing.assert_array_equal(other.pixels(), before)
    assert run.foreign_requests() == [] and other.foreign_requests() == []
    assert run.errors == [] and other.errors == []


def test_kiosk_writes_a_pans_views_into_the_url_a_few_times_and_ends_on_the_last(kiosk):
    """A pan changes the view every frame; the address follows at most every 500 ms (each
    history.replaceState cost ~0.8 ms of the frame, and browsers refuse them when that frequent:
    the link then kept an older view), the first change at once and the last one always."""
    real_slice("ramses_blast3d_z0.5_slice.h5")
    run = kiosk()
    run.open("file=data/real/ramses_blast3d_z0.5_slice.h5")
    run.url()
    run.page.wait_for_timeout(600)  # (quiet: the next change is written at once)
    pan = run.page.evaluate("""async () => {
        const calls = window.urlCalls = [], replace = history.replaceState.bind(history);
        history.replaceState = (...a) => { calls.push(performance.now()); return replace(...a); };
        const v = window.ytliteKiosk.viewer, [x0, x1, y0, y1] = v.store.get("view"), w = x1 - x0;
        const t0 = performance.now();
        let last = null;
        await new Promise((done) => { let k = 0; const step = () => {
            if (++k > 90) return done();
            last = [x0 + 0.001 * k * w, x1 + 0.001 * k * w, y0, y1];
            v.store.set("view", last);
            requestAnimationFrame(step); }; requestAnimationFrame(step); });
        return { t0, ms: performance.now() - t0, last, first: calls[0] - t0 }; }""")
    query = parse_qs(urlparse(run.url()).query)
    assert [float(v) for v in query["view"][0].split(",")] == pan["last"]  # the last view, exactly
    assert run.wait_frame("f => true")["view"] == pan["last"]
    calls = run.page.evaluate("() => window.urlCalls")
    assert pan["first"] < 100, pan  # the pan's first view at once
    assert all(b - a >= 490 for a, b in zip(calls, calls[1:])), calls  # (timers may fire a little early)
    assert len(calls) <= 2 + pan["ms"] / 500, (len(calls), pan)  # (90 views set)
    assert run.errors == []


def _uniform_slice(path: Path, n: int) -> Path:
    """A slice file as yt writes one (contiguous float64 datasets, fields first, pz and pdz too) of
    an n x n mesh on [0, 1]² with an analytic density: ~7 arrays of n² values."""
    x = (np.arange(n) + 0.5) / n
    px, py = (a.ravel() for a in np.meshgrid(x, x))
    half = np.full(n * n, 0.5 / n)
    with h5py.File(path, "w") as f:
        f.attrs.update(container_type="slice", axis=2, coord=0.5, domain_left_edge=[0.0, 0.0, 0.0],
                       domain_right_edge=[1.0, 1.0, 1.0], length_unit=1.0, length_unit_units="cm")
        grid = f.create_group("grid")
        grid["density"] = 1.0 + np.exp(-((px - 0.4) ** 2 + (py - 0.6) ** 2) * 20) * (1 + np.sin(px * 40) ** 2)
        grid["density"].attrs["units"] = "g/cm**3"
        for key, values in (("px", px), ("py", py), ("pz", np.full(n * n, 0.5)), ("pdx", half), ("pdy", half),
                            ("pdz", half)):
            grid[key] = values
            grid[key].attrs["units"] = "code_length"
    return path


def test_kiosk_reads_a_big_file_by_ranges_where_it_can_and_whole_where_it_cannot(browser, tmp_path):
    """Where the server serves byte ranges (static hosts do) the page reads a file a piece at a
    time (lite/js/core/pagedfile.js): its metadata and the arrays it shows, never the datasets it
    does not (pz, pdz), never the whole file at once; where it does not, the whole file, streamed.
    yt's picture either way."""
    path = _uniform_slice(tmp_path / "paged.h5", 700)  # (27 MB)
    served = {}

    def handler(ranges):
        class Counting(QuietHandler):
            def translate_path(self, p):
                return str(path) if p.split("?", 1)[0] == "/files/data/paged.h5" else super().translate_path(p)

            def send_head(self):
                if self.path.endswith(path.name):
                    served.setdefault(ranges, []).append(self.headers.get("Range"))
                return super().send_head()
        Counting.ranges = ranges
        return Counting

    pictures = {}
    for ranges in (True, False):
        with StaticServer(SITE, handler(ranges)) as server:
            run = KioskRun(browser, server.url)
            try:
                run.open("file=data/paged.h5&cmap=viridis")
                pictures[ranges] = run.pixels()
                compare(run, f"kiosk-ranges-{ranges}", run.frame(), pictures[ranges], path, "density", "viridis")
                assert "490,000 cells" in run.status() and run.errors == []
            finally:
                run.context.close()
    np.testing.assert_array_equal(pictures[True], pictures[False])
    with h5py.File(path) as h5:
        pz = (h5["grid/pz"].id.get_offset(), h5["grid/pz"].id.get_storage_size())
        pdz = (h5["grid/pdz"].id.get_offset(), h5["grid/pdz"].id.get_storage_size())
    asked = [tuple(int(v) for v in r.removeprefix("bytes=").split("-")) for r in served[True]]
    # (the metadata, then each array's bytes: pieces, none of pz's or pdz's but for a block's end)
    assert len(asked) >= 5 and all(b - a < 8 << 20 for a, b in asked), asked
    got = sum(b - a + 1 for a, b in asked)
    assert got <= path.stat().st_size - pz[1] - pdz[1] + (2 << 20), (got, asked)
    for start, size in (pz, pdz):
        assert not any(a < start + size - (1 << 20) and b > start + (1 << 20) for a, b in asked), (start, asked)
    # (no ranges: the first request's whole answer is the file, streamed into h5wasm's FS)
    assert served[False] == ["bytes=0-1048575"], served[False]


def test_kiosk_opens_files_from_disk_and_says_what_is_wrong_with_bad_ones(kiosk, tmp_path):
    path = real_slice("amrex_adv3d_z_slice.h5")
    run = kiosk()
    run.page.goto(f"{run.site_url}/view/")
    run.wait_frame("f => true")  # (the site's start view: never an empty page)
    run.page.locator("#open").set_input_files(str(path))
    f = run.wait_frame("f => f.field === 'phi'")
    # phi is positive (log) in this file; the picture is yt's
    compare(run, "kiosk-disk", f, run.pixels(), path, "phi", "cmyt.arbre", scale=f["scale"])
    assert urlparse(run.url()).query == ""  # a file from disk cannot be named in a link

    good = run.pixels()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    run.page.locator("#open").set_input_files(str(truncated))
    run.page.wait_for_function("() => document.querySelector('#status').classList.contains('error')")
    size = path.stat().st_size
    assert run.status().startswith(f"truncated.h5: incomplete: it has {size // 3} of its {size} bytes"), run.status()
    np.testing.assert_array_equal(run.pixels(), good)  # the last good picture stays

    not_yt = tmp_path / "plain.h5"
    import h5py

    with h5py.File(not_yt, "w") as h:
        h["x"] = np.arange(3.0)
    run.page.locator("#open").set_input_files(str(not_yt))
    run.page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('plain.h5')")
    assert "no /grid group" in run.status()

    # 2e9 cells declared in ~10 KB (chunked, never written): refused at once, nothing allocated,
    # the last good picture kept, and the page goes on working
    huge = tmp_path / "huge.h5"
    with h5py.File(huge, "w") as h:
        h.attrs["axis"] = 2
        for key in ("px", "py", "pdx", "pdy", "density"):
            h.create_dataset(f"grid/{key}", shape=(2_000_000_000,), chunks=(1 << 16,), dtype="f8")
    run.page.locator("#open").set_input_files(str(huge))
    run.page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('huge.h5')",
                               timeout=5000)
    assert run.status().startswith("huge.h5: 2000000000 cells with 1 field(s) need 34 GB in the viewer, more than the "), \
        run.status()
    assert "--region" in run.status()
    np.testing.assert_array_equal(run.pixels(), good)
    # 200 M cells of 30 fields: the viewer could hold them (3.4 GB of wasm), the device cannot hold the arrays
    # (56 GB: more than the memory the browser says the device has, navigator.deviceMemory: 16 GiB here)
    wide = tmp_path / "wide.h5"
    with h5py.File(wide, "w") as h:
        h.attrs["axis"] = 2
        for key in ("px", "py", "pdx", "pdy", *(f"field_{i:02d}" for i in range(30))):
            h.create_dataset(f"grid/{key}", shape=(200_000_000,), chunks=(1 << 16,), dtype="f8")
    run.page.locator("#open").set_input_files(str(wide))
    run.page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('wide.h5')",
                               timeout=5000)
    assert re.match(r"wide.h5: 200000000 cells with 30 field\(s\) need 56 GB as float64 arrays, more than the "
                    r"\d+ [MG]B of memory available; make a smaller file .* or fewer --fields$", run.status()), run.status()
    np.testing.assert_array_equal(run.pixels(), good)
    run.page.locator("#open").set_input_files(str(path))
    # (the same file again: the same first picture, once its canvas is drawn)
    import time

    deadline = time.monotonic() + 20
    while True:
        try:
            same = np.array_equal(run.pixels(), good)
        except Exception:  # noqa: BLE001 -- the canvas being replaced meanwhile
            same = False
        if same or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert same, run.status()
    assert not run.page.locator("#status").get_attribute("class") or "error" not in run.page.locator("#status").get_attribute("class")
    assert run.errors == []


def test_kiosk_link_with_bad_parameters_names_them(kiosk):
    real_slice("ramses_blast3d_z0.5_slice.h5")
    run = kiosk()
    run.open("file=data/real/ramses_blast3d_z0.5_slice.h5&view=1,0,0,1&res=5")
    run.page.wait_for_function("() => document.querySelector('#status').classList.contains('error')")
    assert "view=1,0,0,1" in run.status() and "res=5" in run.status()
    assert run.frame()["view"] == [0.0, 1.0, 0.0, 1.0]  # the rest applies: the whole domain
    missing = kiosk()
    missing.page.goto(f"{missing.site_url}/view/?file=data/nothing.h5")
    missing.page.wait_for_function("() => document.querySelector('#status').classList.contains('error')")
    assert "data/nothing.h5: 404" in missing.status()


def test_kiosk_moves_through_a_stack_and_links_the_depth(kiosk):
    from support.paths import BUILT_DATA

    real_slice("ramses_blast3d_z0.5_slice.h5")
    stack_dir = BUILT_DATA / "real" / "ramses_blast3d_z_stack"
    if not (stack_dir / "stack.json").exists():
        pytest.skip("no demo stack in the built content")
    files = json.loads((stack_dir / "stack.json").read_text())["files"]
    run = kiosk()
    run.open("file=data/real/ramses_blast3d_z_stack/stack.json&depth=2&field=temperature")
    f = run.frame()
    assert f["depth"] == 2 and f["field"] == "temperature"
    compare(run, "kiosk-stack-2", f, run.pixels(), stack_dir / files[2], "temperature", "cmyt.arbre")
    assert "8 slices" in run.status()
    run.page.locator("canvas.ytlite-image").press("PageDown")
    f = run.wait_frame("f => f.depth === 1")
    compare(run, "kiosk-stack-1", f, run.pixels(), stack_dir / files[1], "temperature", "cmyt.arbre")
    assert parse_qs(urlparse(run.url()).query)["depth"] == ["1"]
    other = kiosk()
    other.open(urlparse(run.url()).query)
    assert other.frame()["depth"] == 1
    np.testing.assert_array_equal(other.pixels(), run.pixels())
    # every slice fetched from the site, each once
    fetched = [u for u in run.requests if u.endswith(".h5")]
    assert len(fetched) == len(set(fetched)) and {Path(urlparse(u).path).name for u in fetched} <= set(files)
    assert run.errors == [] and run.foreign_requests() == []


def drag(run, dx, dy):
    box = run.page.locator("canvas.ytlite-image").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    run.page.mouse.move(x, y)
    run.page.mouse.down()
    run.page.mouse.move(x + dx, y + dy, steps=4)
    run.page.mouse.up()


def share(run, tmp_path):
    """Click "Share as one file"; -> the saved file (the browser's download)."""
    with run.page.expect_download() as info:
        run.page.locator("#share").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    run.page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('saved ')")
    return saved


def open_offline(kiosk, saved):
    """The saved file from disk (file://) in a fresh context where every
    request but file:// ones is refused (and recorded)."""
    run = kiosk()
    refused = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    run.context.route("**", only_files)
    t0 = time.perf_counter()
    run.page.goto(saved.as_uri())
    run.wait_frame("f => true")
    return run, refused, time.perf_counter() - t0


def test_kiosk_shares_the_view_as_one_file_that_works_from_disk_offline(kiosk, tmp_path):
    path = real_slice("ramses_blast3d_z0.5_slice.h5")
    run = kiosk()
    # a view that is not the default one: zoomed in, off centre, magma, then linear from the toolbar
    run.open("file=data/real/ramses_blast3d_z0.5_slice.h5&cmap=magma&view=0.3,0.8,0.2,0.7")
    run.page.locator("select.ytlite-scale").select_option("linear")
    f = run.wait_frame("f => f.scale === 'linear'")
    compare(run, "share-kiosk", f, run.pixels(), path, "density", "magma", scale="linear",
            expected_view=[0.3, 0.8, 0.2, 0.7])
    shown = run.pixels()

    saved = share(run, tmp_path)
    size = saved.stat().st_size
    h5_size = path.stat().st_size
    print(f"\nshared file {saved.name}: {size / 1e6:.2f} MB ({h5_size / 1e6:.2f} MB yt file, "
          f"{f['width']}x{f['height']} view)")
    assert saved.name == "ramses_blast3d_z0.5_slice_density.html"
    assert f"({size / 1e6:.2f} MB)" in run.status(), run.status()
    text = saved.read_text()
    assert "h5wasm" not in text  # the HDF5 reader stays out: the cells are decoded
    assert size < h5_size + 0.3e6, size  # (gzip: about the yt file's size; not compressed, twice that)

    other, refused, seconds = open_offline(kiosk, saved)
    print(f"shared file: opened from disk to first image in {seconds:.2f} s")
    g = other.frame()
    for key in ("view", "field", "cmap", "scale", "vmin", "vmax", "width", "height"):
        assert g[key] == f[key], key
    got = other.pixels()
    np.testing.assert_array_equal(got, shown)
    compare(other, "share-file", g, got, path, "density", "magma", scale="linear", expected_view=f["view"])

    # the whole viewer is there and works: every field, the colormaps, pan
    fields = other.page.locator("select.ytlite-field option").all_text_contents()
    with h5py.File(path, "r") as h:
        in_file = sorted(k for k in h["grid"] if k not in ("px", "py", "pdx", "pdy", "pz", "pdz", "weight_field"))
    assert fields == [*in_file, "refinement_level"]
    assert other.page.locator("input.ytlite-cmap").input_value() == "magma"
    assert other.page.locator("select.ytlite-scale").input_value() == "linear"
    drag(other, -80, 50)
    moved = other.wait_frame(f"f => f.count > {g['count']} && f.view[0] !== {g['view'][0]}")
    compare(other, "share-file-panned", moved, other.pixels(), path, "density", "magma", scale="linear")
    other.page.locator("select.ytlite-scale").select_option("log")
    other.page.locator("input.ytlite-cmap").fill("viridis")
    other.page.locator("select.ytlite-field").select_option("temperature")
    h = other.wait_frame("f => f.cmap === 'viridis' && f.field === 'temperature'")
    compare(other, "share-file-temperature", h, other.pixels(), path, "temperature", "viridis", scale=h["scale"])

    assert refused == [], refused
    assert [u for u in other.requests if not u.startswith("file://")] == []
    assert run.errors == [] and other.errors == []


def test_kiosk_shares_the_slice_shown_of_a_stack(kiosk, tmp_path):
    from support.paths import BUILT_DATA

    real_slice("ramses_blast3d_z0.5_slice.h5")
    stack_dir = BUILT_DATA / "real" / "ramses_blast3d_z_stack"
    if not (stack_dir / "stack.json").exists():
        pytest.skip("no demo stack in the built content")
    meta = json.loads((stack_dir / "stack.json").read_text())
    run = kiosk()
    run.open("file=data/real/ramses_blast3d_z_stack/stack.json&depth=5&field=pressure")
    f = run.wait_frame("f => f.depth === 5")
    saved = share(run, tmp_path)
    assert saved.name == "ramses_blast3d_z_stack_slice5_pressure.html"
    assert "slice 6 of 8 of the stack" in run.status(), run.status()
    print(f"\nshared slice of a stack: {saved.stat().st_size / 1e6:.2f} MB")
    other, refused, _ = open_offline(kiosk, saved)
    g = other.frame()
    assert (g["field"], g["view"], g["depth"]) == ("pressure", f["view"], None)
    compare(other, "share-stack", g, other.pixels(), stack_dir / meta["files"][5], "pressure", "cmyt.arbre")
    np.testing.assert_array_equal(other.pixels(), run.pixels())
    title = other.page.locator(".ytlite-title").text_content()
    assert f"z = {meta['coords'][5]:g}" in title and "slice 6 of 8" in title, title
    assert other.page.locator("input.ytlite-depth").count() == 0  # one slice: no depth slider
    assert refused == [] and other.errors == [] and run.errors == []


def test_kiosk_share_with_nothing_loaded_says_so(kiosk):
    run = kiosk()
    downloads = []
    run.page.on("download", lambda d: downloads.append(d))
    run.page.goto(f"{run.site_url}/view/?file=data/no_such_file.h5")  # (else the site's start view is shown)
    run.page.wait_for_function("() => document.querySelector('#status').classList.contains('error')")
    assert "no_such_file.h5" in run.status(), run.status()
    run.page.locator("#share").click()
    run.page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('nothing')")
    run.page.wait_for_function("() => document.querySelector('#status').classList.contains('error')")
    assert run.status().startswith("nothing to share yet: open a dataset first"), run.status()
    run.page.wait_for_timeout(500)
    assert downloads == [] and run.errors == []


def test_kiosk_is_crisp_on_a_high_dpi_screen(browser, site_url):
    """At devicePixelRatio 2 the deposit is made at the screen's own pixels
    (twice the resolution along each side), shown at the figure's CSS size,
    and it is still yt's picture of that many pixels."""
    path = real_slice("ramses_blast3d_z0.5_slice.h5")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(f"{site_url}/view/?file=data/real/{path.name}&res=384")
        page.wait_for_function("() => !!document.querySelector('canvas.ytlite-image')?.dataset.frame", timeout=30000)
        frame = json.loads(page.locator("canvas.ytlite-image").get_attribute("data-frame"))
        size = page.evaluate("""() => { const c = document.querySelector('canvas.ytlite-image'), r = c.getBoundingClientRect();
            return [c.width, c.height, r.width, r.height]; }""")
        assert (frame["width"], frame["height"]) == (768, 768) == (size[0], size[1])
        assert (size[2], size[3]) == (384, 384)  # (CSS pixels: the figure keeps its size)
        run = type("Run", (), {"screenshot": staticmethod(lambda tag: page.screenshot(path=str(ARTIFACTS / f"{tag}.png")))})
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        compare(run, "kiosk-hidpi", frame, read_canvases(page)[0][1], path, "density", "cmyt.arbre", "log")
    finally:
        context.close()
