"""The viewer's interactions in a real browser (the built site in headless
Chromium): every gesture and control changes the picture in the browser
alone (the kernel is kept busy meanwhile, so nothing could go through it),
the picture is still yt's for the new view, and Python hears the result.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from support.browser import needs_site
from support.oracle import compare, expected_values, level_values
from support.paths import ARTIFACTS
from support.viewer import (add_cell, canvas_point, frame, keep_kernel_busy, kernel_status, pixels, viewer,
                            wait_frame, wait_kernel_idle, zoom_about)

pytestmark = needs_site

def test_toolbar_keys_and_clicks_work_in_the_browser_alone(run_notebook, demo_dir):
    run = run_notebook("demo.ipynb", expected_canvases=3)
    path = demo_dir / "amr_demo_slice.h5"
    v = viewer(run, 1)  # the demo's `temperature` viewer: inferno, log, zoomed 2x
    start = frame(run, 1)
    domain = [-20.0, 20.0, -20.0, 20.0]
    keep_kernel_busy(run)

    # field switch: every field is already in the browser
    v.locator("select.ytlite-field").select_option("density")
    f = wait_frame(run, 1, "f => f.field === 'density'")
    compare(run, "switch-field", f, pixels(run, 1), path, "density", "inferno", expected_view=start["view"])
    # colormap: typed, then reversed; only shading reruns
    v.locator("input.ytlite-cmap").fill("viridis")
    f = wait_frame(run, 1, "f => f.cmap === 'viridis'")
    assert f["deposited"] is False
    compare(run, "cmap-typed", f, pixels(run, 1), path, "density", "viridis")
    v.locator("input.ytlite-reversed").check()
    f = wait_frame(run, 1, "f => f.cmap === 'viridis_r'")
    compare(run, "cmap-reversed", f, pixels(run, 1), path, "density", "viridis_r")
    # an unknown colormap typed: marked, nothing changes
    v.locator("input.ytlite-cmap").fill("viridisss")
    assert "ytlite-invalid" in v.locator("input.ytlite-cmap").get_attribute("class")
    # scales
    v.locator("select.ytlite-scale").select_option("linear")
    f = wait_frame(run, 1, "f => f.scale === 'linear'")
    compare(run, "scale-linear", f, pixels(run, 1), path, "density", "viridis_r", scale="linear")
    v.locator("select.ytlite-scale").select_option("symlog")
    f = wait_frame(run, 1, "f => f.scale === 'symlog'")
    assert f["linthresh"] == pytest.approx(max(abs(f["vmin"]), abs(f["vmax"])) / 1000, rel=1e-15)
    compare(run, "scale-symlog", f, pixels(run, 1), path, "density", "viridis_r", scale="symlog")
    v.locator("select.ytlite-scale").select_option("log")
    wait_frame(run, 1, "f => f.scale === 'log'")

    # keyboard, when the image has the focus
    canvas = v.locator("canvas.ytlite-image")
    canvas.focus()
    before = frame(run, 1)["view"]
    canvas.press("+")
    f = wait_frame(run, 1, f"f => f.view[0] !== {before[0]}")
    np.testing.assert_allclose(f["view"], zoom_about(before, 0.5, 0.5, 1.25), rtol=0, atol=1e-12)
    before = f["view"]
    canvas.press("ArrowLeft")  # shows what is to the left
    f = wait_frame(run, 1, f"f => f.view[0] !== {before[0]}")
    w = before[1] - before[0]
    np.testing.assert_allclose(f["view"], [before[0] - 0.1 * w, before[1] - 0.1 * w, *before[2:]], atol=1e-12)
    canvas.press("0")
    f = wait_frame(run, 1, "f => f.view[0] === -20")
    assert f["view"] == domain
    # double-click re-centres on the point clicked
    x, y = canvas_point(run, 1, 0.25, 0.75)
    run.page.mouse.dblclick(x, y)
    f = wait_frame(run, 1, "f => f.view[0] !== -20")
    np.testing.assert_allclose([(f["view"][0] + f["view"][1]) / 2, (f["view"][2] + f["view"][3]) / 2],
                               [-10.0, -10.0], atol=40 / 512)  # (the mouse lands on whole pixels)
    compare(run, "recentred", f, pixels(run, 1), path, "density", "viridis_r")
    # a view made by the deposit workers (core/parallel.js; every view, with the frame budget at 0) is yt's too
    budget = """(ms) => Promise.all([...globalThis[Symbol.for('ytlite.runtimes')].values()].map(
        async (r) => { (await r).workers.budgetMs = ms; }))"""
    run.page.evaluate(budget, 0)
    canvas.press("ArrowRight")
    f = wait_frame(run, 1, "f => f.made === 'workers' && !f.preview")
    compare(run, "made-in-workers", f, pixels(run, 1), path, "density", "viridis_r")
    run.page.evaluate(budget, None)
    # all of that happened while the kernel could not answer
    assert kernel_status(run) == "busy", "the kernel finished too soon for this test to prove anything"

    # ... and Python hears the final state once it can (nothing made while it
    # was busy is lost)
    wait_kernel_idle(run)
    run.page.wait_for_timeout(800)
    state = run.execute("print(temperature.field, temperature.cmap, temperature.scale, list(temperature.view))")
    field, cmap, scale, view = state.split(" ", 3)
    assert (field, cmap, scale) == ("density", "viridis_r", "log")
    assert json.loads(view) == f["view"]
    # and the browser follows Python
    run.execute("temperature.field = 'temperature'; temperature.cmap = 'magma'")
    f = wait_frame(run, 1, "f => f.field === 'temperature' && f.cmap === 'magma'")
    assert v.locator("select.ytlite-field").input_value() == "temperature"
    assert v.locator("input.ytlite-cmap").input_value() == "magma"


def test_empty_view_lock_mesh_readout_and_pictures(run_notebook, demo_dir):
    import matplotlib
    from PIL import Image

    run = run_notebook("demo.ipynb", expected_canvases=3)
    path = demo_dir / "amr_demo_slice.h5"
    v = viewer(run, 1)
    # panned off the data: the "bad" colour and a quiet note, not an error
    run.execute("temperature.view = [100.0, 120.0, 100.0, 120.0]")
    f = wait_frame(run, 1, "f => f.empty")
    assert v.locator(".ytlite-note").is_visible() and not v.locator(".ytlite-error").is_visible()
    bad = matplotlib.colormaps["inferno"](np.nan, bytes=True)
    assert (pixels(run, 1)[..., 3] == bad[3]).all()
    assert run.execute("print(repr(temperature.error))").strip() == "''"
    v.locator("button.ytlite-reset").click()
    f = wait_frame(run, 1, "f => !f.empty && f.view[0] === -20")
    assert not v.locator(".ytlite-note").is_visible()

    # lock: the limits in view now become explicit and stay while panning
    limits = [f["vmin"], f["vmax"]]
    v.locator("input.ytlite-lock").check()
    run.page.wait_for_timeout(400)
    assert run.execute("print(temperature.vmin, temperature.vmax)").split() == [repr(x) for x in limits]
    x, y = canvas_point(run, 1, 0.5, 0.5)
    run.page.mouse.move(x, y)
    run.page.mouse.down()
    run.page.mouse.move(x + 120, y + 60, steps=6)
    run.page.mouse.up()
    f = wait_frame(run, 1, "f => f.view[0] !== -20")
    assert [f["vmin"], f["vmax"]] == limits
    compare(run, "locked", f, pixels(run, 1), path, "temperature", "inferno", limits=limits)
    count = f["count"]
    v.locator("input.ytlite-lock").uncheck()
    f = wait_frame(run, 1, f"f => f.count > {count}")
    run.page.wait_for_timeout(400)
    assert run.execute("print(temperature.vmin, temperature.vmax)").split() == ["None", "None"]
    compare(run, "unlocked", f, pixels(run, 1), path, "temperature", "inferno")

    # the mesh: cell edges drawn over the image
    assert not v.locator("canvas.ytlite-mesh").is_visible()
    v.locator("button.ytlite-mesh").click()
    run.page.wait_for_timeout(300)
    drawn = run.page.evaluate("""() => {
        const c = document.querySelectorAll('.ytlite-viewer canvas.ytlite-mesh')[1];
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
        return n; }""")
    assert drawn > 2000, drawn
    assert run.execute("print(temperature.show_mesh)").strip() == "True"

    # read-out: the value under the cursor, as yt deposits it
    f = frame(run, 1)
    fx, fy = 0.37, 0.61
    run.page.mouse.move(*canvas_point(run, 1, fx, fy))
    text = v.locator(".ytlite-readout").text_content()
    buff = expected_values(path, "temperature", f["view"], f["width"], f["height"])
    want = buff[f["height"] - 1 - math.floor(fy * f["height"]), math.floor(fx * f["width"])]
    got = float(text.rsplit("= ", 1)[1].split()[0].replace("×10", "e").translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))
    assert got == pytest.approx(want, rel=1e-3), text
    assert text.startswith("x = ") and " pc, y = " in text and text.endswith(" K")

    # PNG: the button downloads the figure; its image part is the canvas
    with run.page.expect_download() as dl:
        v.locator("button.ytlite-png").click()
    png = Image.open(dl.value.path())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png.save(ARTIFACTS / "viewer-export.png")
    canvas = pixels(run, 1)
    geometry = run.page.evaluate("""() => {
        const v = document.querySelectorAll('.ytlite-viewer')[1];
        const a = v.querySelector('canvas.ytlite-axes'), c = v.querySelector('canvas.ytlite-image');
        return [a.width, a.height, parseFloat(c.style.left), parseFloat(c.style.top)]; }""")
    aw, ah, left, top = geometry
    title = 22
    assert png.size == (aw, ah + title)
    rgba = np.asarray(png.convert("RGBA"))
    # the export holds the mesh overlay too: compare where no edge is drawn
    edges = np.asarray(run.page.evaluate("""() => {
        const c = document.querySelectorAll('.ytlite-viewer canvas.ytlite-mesh')[1];
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 3)); }"""))
    mask = edges.reshape(canvas.shape[:2]) == 0
    region = rgba[int(top) + title: int(top) + title + canvas.shape[0], int(left): int(left) + canvas.shape[1]]
    opaque = mask & (canvas[..., 3] == 255)
    assert opaque.mean() > 0.5 and np.array_equal(region[opaque], canvas[opaque])
    clear = mask & (canvas[..., 3] == 0)  # no data there: the page's white in the file
    assert (region[clear] == 255).all()

    # the same picture reaches Python, for save_png and the saved notebook
    run.page.wait_for_timeout(2500)  # the view rests: the browser keeps a picture
    assert run.execute("print(len(temperature._snapshot) > 1000)").strip() == "True"
    out = run.execute(
        "import hashlib\n"
        "p = temperature.save_png('view.png')\n"
        "print(open(p, 'rb').read()[:8] == b'\\x89PNG\\r\\n\\x1a\\n', "
        "hashlib.sha256(open(p, 'rb').read()).hexdigest() == hashlib.sha256(temperature._snapshot).hexdigest())")
    assert out.split() == ["True", "True"], out
    run.execute("temperature.save_png('image.png', axes=False)")
    run.page.wait_for_timeout(800)
    size = run.execute(
        "import struct\nd = open('image.png', 'rb').read()\nprint(*struct.unpack('>II', d[16:24]))")
    assert [int(s) for s in size.split()] == [canvas.shape[1], canvas.shape[0]], size
    # a saved notebook keeps a picture of every viewer (shown where no widget runs)
    run.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    run.page.wait_for_timeout(1000)
    saved = run.page.evaluate("""async () => {
        const m = await window.jupyterapp.serviceManager.contents.get('demo.ipynb', {content: true});
        return m.content.cells.flatMap(c => (c.outputs || []).map(o => Object.keys(o.data || {}))); }""")
    with_widget = [keys for keys in saved if "application/vnd.jupyter.widget-view+json" in keys]
    assert len(with_widget) == 3 and all("image/png" in keys for keys in with_widget), saved


def test_linked_viewers_follow_each_other_in_the_browser(run_notebook, demo_dir):
    run = run_notebook("demo.ipynb", expected_canvases=3)
    path = demo_dir / "amr_demo_slice.h5"
    add_cell(run, "from IPython.display import display\n"
                  "a = ds.plot('density', resolution=256)\n"
                  "b = ds.plot('temperature', resolution=256, cmap='inferno')\n"
                  "linked = ytlite.link(a, b)\n"
                  "display(a, b)")
    run.wait_for_canvases(5)
    viewer(run, 4).scroll_into_view_if_needed()
    start_b = frame(run, 4)
    keep_kernel_busy(run)
    # drag a: b follows, frame by frame; time each frame
    viewer(run, 3).locator("canvas.ytlite-image").scroll_into_view_if_needed()
    x, y = canvas_point(run, 3, 0.5, 0.5)
    run.page.mouse.move(x, y)
    run.page.mouse.down()
    times = []
    for k in range(1, 21):
        run.page.mouse.move(x + 2 * k, y + k)
        run.page.wait_for_timeout(30)
        times.append(frame(run, 3)["frame_ms"])
    run.page.mouse.up()
    fa = wait_frame(run, 3, "f => f.view[0] !== -20")
    fb = wait_frame(run, 4, f"f => f.count > {start_b['count']} && f.view[0] === {fa['view'][0]}")
    assert fb["view"] == fa["view"]
    compare(run, "linked-follower", fb, pixels(run, 4), path, "temperature", "inferno")
    compare(run, "linked-leader", fa, pixels(run, 3), path, "density", "cmyt.arbre")
    # wheel on b (in lines, as a mouse wheel reports): a follows
    bx, by = (int(c) for c in canvas_point(run, 4, 0.3, 0.6))  # (event coordinates are whole pixels)
    box = viewer(run, 4).locator("canvas.ytlite-image").bounding_box()
    fx, fy = (bx - box["x"]) / box["width"], (by - box["y"]) / box["height"]
    view_b = fb["view"]
    run.page.evaluate(
        """([x, y]) => {
            const c = document.querySelectorAll('.ytlite-viewer canvas.ytlite-image')[4];
            c.dispatchEvent(new WheelEvent('wheel', {deltaY: -3, deltaMode: 1, clientX: x, clientY: y,
                                                     bubbles: true, cancelable: true}));
        }""", [bx, by])
    fa = wait_frame(run, 3, f"f => f.view[0] !== {view_b[0]}")
    expected = zoom_about(view_b, fx, fy, math.exp(48 * 0.002))
    np.testing.assert_allclose(fa["view"], expected, rtol=0, atol=1e-9)
    # the wheel toggle: off, the wheel scrolls the page and the view stays
    viewer(run, 4).locator("button.ytlite-wheel").click()
    prevented = run.page.evaluate(
        """([x, y]) => {
            const c = document.querySelectorAll('.ytlite-viewer canvas.ytlite-image')[4];
            const e = new WheelEvent('wheel', {deltaY: -100, clientX: x, clientY: y, bubbles: true, cancelable: true});
            c.dispatchEvent(e);
            return e.defaultPrevented;
        }""", [bx, by])
    run.page.wait_for_timeout(200)
    assert prevented is False and frame(run, 4)["view"] == fa["view"]
    assert kernel_status(run) == "busy", "the kernel finished too soon for this test to prove anything"
    wait_kernel_idle(run)
    run.page.wait_for_timeout(500)
    synced = run.execute("print(a.view == b.view, list(b.view))")
    assert synced.split(" ", 1)[0] == "True" and json.loads(synced.split(" ", 1)[1]) == fa["view"]
    print(f"\ndrag frame (deposit + shade + draw, 256² density, 27.7k cells): median {np.median(times):.2f} ms, "
          f"max {np.max(times):.2f} ms over {len(times)} frames")
    (ARTIFACTS / "drag-frame-ms.txt").write_text(" ".join(f"{t:.3f}" for t in times))


def test_tour_of_real_data(run_notebook):
    """content/real_data.ipynb on the real RAMSES and AMReX slices: every viewer
    is yt's picture of its settings; linked viewers pan together; the mesh is
    drawn; the refinement level is a field; numbers and a PNG reach Python."""
    from support.paths import real_slice

    blast = real_slice("ramses_blast3d_z0.5_slice.h5")
    real = blast.parent
    run = run_notebook("real_data.ipynb", expected_canvases=9)
    print(f"\nreal_data.ipynb: page load to first image {run.first_image_s:.1f} s, all cells {run.all_done_s:.1f} s")
    assert run.error_outputs() == []
    shown = [  # (file, field, cmap, scale) of each viewer, in page order
        (blast, "density", "cmyt.arbre", "log"),
        (blast, "temperature", "inferno", "log"),
        (blast, "velocity_x", "RdBu_r", "symlog"),
        (blast, "density", "viridis", "log"),
        (real / "ramses_blast3d_x0.5_slice.h5", "pressure", "magma", "log"),
        (real / "ramses_blast3d_z_proj.h5", "density", "viridis", "log"),
        (real / "amrex_adv3d_z_slice.h5", "phi", "cmyt.arbre", "linear"),
        (real / "amrex_adv3d_y_proj.h5", "phi", "cmyt.arbre", "linear"),
    ]
    canvases = run.canvases()[:len(shown)]  # (the 9th, a stack, is checked below)
    for i, ((path, field, cmap, scale), (f, px)) in enumerate(zip(shown, canvases)):
        viewer(run, i).screenshot(path=str(ARTIFACTS / f"tour-{i}-{path.stem}-{field}.png"))  # for people
        compare(run, f"tour-{i}", f, px, path, field, cmap, scale=scale)
    assert canvases[2][0]["linthresh"] == 0.1
    # the mesh viewer: zoomed 3x about (0.45, 0.55), cell edges drawn
    np.testing.assert_allclose(canvases[3][0]["view"], [0.45 - 1 / 6, 0.45 + 1 / 6, 0.55 - 1 / 6, 0.55 + 1 / 6],
                               rtol=0, atol=1e-12)
    for i in (3, 6):
        assert viewer(run, i).locator("canvas.ytlite-mesh").is_visible()
    # numbers back in Python
    text = "".join(run.text_outputs())
    assert "density view (code_length): [0.0, 1.0, 0.0, 1.0]" in text and "512x512 pixels, density from" in text

    # linked: drag the density viewer, temperature and velocity follow
    viewer(run, 0).locator("canvas.ytlite-image").scroll_into_view_if_needed()
    counts = [frame(run, i)["count"] for i in (1, 2)]
    x, y = canvas_point(run, 0, 0.5, 0.5)
    run.page.mouse.move(x, y)
    run.page.mouse.down()
    run.page.mouse.move(x + 100, y - 60, steps=5)
    run.page.mouse.up()
    lead = wait_frame(run, 0, "f => f.view[0] !== 0")
    for i, count in zip((1, 2), counts):
        f = wait_frame(run, i, f"f => f.count > {count} && f.view[0] === {lead['view'][0]}")
        assert f["view"] == lead["view"]
    compare(run, "tour-linked-velocity", frame(run, 2), pixels(run, 2), blast, "velocity_x", "RdBu_r", scale="symlog")

    # colour by refinement level: a field of its own, on its usual (linear) scale
    mesh = viewer(run, 3)
    mesh.scroll_into_view_if_needed()
    mesh.locator("select.ytlite-field").select_option("refinement_level")
    f = wait_frame(run, 3, "f => f.field === 'refinement_level'")
    assert f["scale"] == "linear" and f["vmax"] - f["vmin"] >= 1  # several levels in view
    compare(run, "tour-levels", f, pixels(run, 3), blast, "refinement_level", "viridis", scale="linear",
            expected=level_values)
    mesh.locator("select.ytlite-field").select_option("temperature")
    f = wait_frame(run, 3, "f => f.field === 'temperature'")
    assert f["scale"] == "log"

    # a stack: 8 slices along z, shown at depth 3; PageUp and the depth slider move
    # through it in the browser alone, keeping the view
    from support.paths import BUILT_DATA

    stack_dir = BUILT_DATA / "real" / "ramses_blast3d_z_stack"
    files = json.loads((stack_dir / "stack.json").read_text())["files"]
    st = viewer(run, 8)
    st.scroll_into_view_if_needed()
    f = frame(run, 8)
    assert f["depth"] == 3 and "(4/8)" in st.locator(".ytlite-title").text_content()
    compare(run, "stack-3", f, pixels(run, 8), stack_dir / files[3], "density", "cmyt.arbre")
    keep_kernel_busy(run, seconds=30)
    st.locator("canvas.ytlite-image").dblclick(position={"x": 100, "y": 300})  # re-centre: a view of its own
    moved = wait_frame(run, 8, "f => f.view[0] !== 0")
    st.locator("canvas.ytlite-image").press("PageUp")
    f = wait_frame(run, 8, "f => f.depth === 4")
    assert f["view"] == moved["view"]
    compare(run, "stack-4", f, pixels(run, 8), stack_dir / files[4], "density", "cmyt.arbre")
    st.locator("input.ytlite-depth").fill("6")
    f = wait_frame(run, 8, "f => f.depth === 6")
    assert f["view"] == moved["view"] and "(7/8)" in st.locator(".ytlite-title").text_content()
    compare(run, "stack-6", f, pixels(run, 8), stack_dir / files[6], "density", "cmyt.arbre")
    assert kernel_status(run) == "busy", "the kernel finished too soon for this test to prove anything"
    wait_kernel_idle(run)
    run.page.wait_for_timeout(500)
    assert run.execute("print(through.depth, through.frb().width)").split() == ["6", str(f["width"])]

    # the PNG written from Python: the density viewer's picture as the browser drew it
    run.page.wait_for_timeout(2500)
    out = run.execute("import os\nprint(open('blast_density.png', 'rb').read(8) == b'\\x89PNG\\r\\n\\x1a\\n', "
                      "os.path.getsize('blast_density.png') > 10000)")
    assert out.split() == ["True", "True"], out
    assert run.foreign_requests() == []


def test_pinch_resolution_units_limits_and_fullscreen(run_notebook, demo_dir):
    """The rest of the toolbar and a two-finger pinch, in the browser alone."""
    run = run_notebook("demo.ipynb", expected_canvases=3)
    path = demo_dir / "amr_demo_slice.h5"
    v = viewer(run, 1)
    v.scroll_into_view_if_needed()
    keep_kernel_busy(run, seconds=45)  # (many steps: room for a slow machine)

    # resolution: a new deposit at the new size
    v.locator("select.ytlite-resolution").select_option("256")
    f = wait_frame(run, 1, "f => f.width === 256")
    assert f["height"] == 256 and f["deposited"] is True
    compare(run, "resolution-256", f, pixels(run, 1), path, "temperature", "inferno")
    # length unit: axes and read-out in kpc, the view itself unchanged
    v.locator("select.ytlite-unit").select_option("kpc")
    run.page.mouse.move(*canvas_point(run, 1, 0.5, 0.5))
    run.page.wait_for_function(
        "() => document.querySelectorAll('.ytlite-readout')[1].textContent.includes(' kpc, ')")
    assert frame(run, 1)["view"] == f["view"]
    # limits typed: applied on Enter; nonsense is marked and changes nothing
    v.locator("input.ytlite-vmin").fill("2e3")
    v.locator("input.ytlite-vmin").press("Enter")
    v.locator("input.ytlite-vmax").fill("1e6")
    v.locator("input.ytlite-vmax").press("Enter")
    f = wait_frame(run, 1, "f => f.vmin === 2000 && f.vmax === 1e6")
    compare(run, "typed-limits", f, pixels(run, 1), path, "temperature", "inferno", limits=[2e3, 1e6])
    assert v.locator("input.ytlite-lock").is_checked()
    v.locator("input.ytlite-vmax").fill("lots")
    v.locator("input.ytlite-vmax").press("Enter")
    assert "ytlite-invalid" in v.locator("input.ytlite-vmax").get_attribute("class")
    run.page.wait_for_timeout(200)
    assert frame(run, 1)["vmax"] == 1e6
    v.locator("input.ytlite-vmin").fill("")
    v.locator("input.ytlite-vmin").press("Enter")
    v.locator("input.ytlite-vmax").fill("auto")
    v.locator("input.ytlite-vmax").press("Enter")
    f = wait_frame(run, 1, "f => f.vmax !== 1e6 && f.vmin !== 2000")
    compare(run, "limits-auto-again", f, pixels(run, 1), path, "temperature", "inferno")

    # pinch: two fingers moving apart zoom about their midpoint
    box = v.locator("canvas.ytlite-image").bounding_box()
    cx, cy = round(box["x"] + 0.4 * box["width"]), round(box["y"] + 0.6 * box["height"])
    before = frame(run, 1)
    cdp = run.context.new_cdp_session(run.page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 2})

    def touch(kind, spread):
        points = [] if kind == "touchEnd" else [
            {"x": cx - spread, "y": cy, "id": 0}, {"x": cx + spread, "y": cy, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 20)
    for spread in (25, 30, 35, 40):
        touch("touchMove", spread)
        run.page.wait_for_timeout(40)
    touch("touchEnd", 0)
    f = wait_frame(run, 1, f"f => f.view[0] !== {before['view'][0]}")
    fx, fy = (cx - box["x"]) / box["width"], (cy - box["y"]) / box["height"]
    np.testing.assert_allclose(f["view"], zoom_about(before["view"], fx, fy, 2.0), rtol=0, atol=1e-9)
    compare(run, "pinched", f, pixels(run, 1), path, "temperature", "inferno")

    # full screen, and back
    v.locator("button.ytlite-fullscreen").click()
    run.page.wait_for_function("() => document.fullscreenElement?.classList.contains('ytlite-viewer')")
    v.locator("button.ytlite-fullscreen").click()
    run.page.wait_for_function("() => document.fullscreenElement === null")

    # a narrow window: the figure shrinks to fit its cell; a double-click still
    # re-centres on the point under the mouse
    run.page.set_viewport_size({"width": 420, "height": 1000})
    run.page.wait_for_function("""() => {
        const v = document.querySelectorAll('.ytlite-viewer')[1], c = v.querySelector('canvas.ytlite-image');
        const r = c.getBoundingClientRect();
        return r.width < 0.9 * c.width && v.querySelector('.ytlite-stage').getBoundingClientRect().right
            <= v.parentElement.getBoundingClientRect().right + 1; }""")
    before = frame(run, 1)
    x, y = canvas_point(run, 1, 0.25, 0.75)
    box = v.locator("canvas.ytlite-image").bounding_box()
    fx, fy = (round(x) - box["x"]) / box["width"], (round(y) - box["y"]) / box["height"]
    run.page.mouse.dblclick(round(x), round(y))
    f = wait_frame(run, 1, f"f => f.view[0] !== {before['view'][0]}")
    bx0, bx1, by0, by1 = before["view"]
    np.testing.assert_allclose([(f["view"][0] + f["view"][1]) / 2, (f["view"][2] + f["view"][3]) / 2],
                               [bx0 + fx * (bx1 - bx0), by1 - fy * (by1 - by0)], rtol=0, atol=1e-9)
    run.page.set_viewport_size({"width": 1400, "height": 1000})

    assert kernel_status(run) == "busy", "the kernel finished too soon for this test to prove anything"
    wait_kernel_idle(run)
    run.page.wait_for_timeout(500)
    state = run.execute("print(temperature.resolution, temperature.length_unit, temperature.vmin, temperature.vmax)")
    assert state.split() == ["256", "kpc", "None", "None"], state
    assert json.loads(run.execute("import json; print(json.dumps(temperature.view))")) == f["view"]


def test_a_file_uploaded_in_the_file_browser_opens_in_the_notebook(run_notebook, browser, site_url):
    """Bring your own file: upload it with JupyterLite's file browser, then
    ytlite.load it in the notebook; the picture is yt's."""
    from support.paths import real_slice

    path = real_slice("amrex_adv3d_z_slice.h5")
    run = run_notebook("demo.ipynb", expected_canvases=3)
    tree = run.context.new_page()  # same browser storage as the notebook
    tree.goto(f"{site_url}/tree/index.html")
    tree.locator("[title='Upload Files']").first.wait_for(timeout=60000)
    with tree.expect_file_chooser() as chooser:
        tree.locator("[title='Upload Files']").first.click()
    chooser.value.set_files(str(path))
    # JupyterLab uploads a file over 1 MB a chunk at a time, and lists it after
    # the first: wait until the drive holds all of it (closing the page before
    # cancels the upload and leaves the file truncated)
    stored_size = """async (name) => {
        const model = await window.jupyterapp.serviceManager.contents.get(name, {content: false}).catch(() => null);
        return model?.size ?? null;
    }"""
    deadline = time.monotonic() + 60
    while tree.evaluate(stored_size, path.name) != path.stat().st_size:
        assert time.monotonic() < deadline, f"the upload of {path.name} did not finish in 60 s"
        tree.wait_for_timeout(250)
    tree.close()
    add_cell(run, f"mine = ytlite.load({path.name!r})\nprint(mine)\nshown = mine.plot('phi', scale='linear')\nshown")
    run.wait_for_canvases(4)
    assert any(f"77872 cells, fields phi ({path.name})" in t for t in run.text_outputs())
    f = frame(run, 3)
    compare(run, "uploaded", f, pixels(run, 3), path, "phi", "cmyt.arbre", scale="linear")
    # the page read it from the browser's storage itself: no array came from the kernel
    out = run.execute("print(shown._source['files'][0]['path'], len(shown.px), repr(shown.source_error))")
    assert out.split() == [path.name, "0", "''"], out
    assert run.error_outputs() == []


def drop_file(run, i, path, name=None):
    """Drop a file from disk on the i-th viewer, as a user dragging it from their desktop."""
    import base64

    run.page.evaluate(
        """([i, b64, name]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name));
            const target = document.querySelectorAll('.ytlite-viewer')[i];
            for (const type of ['dragenter', 'dragover', 'drop']) {
                target.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
            }
        }""", [i, base64.b64encode(Path(path).read_bytes()).decode(), name or Path(path).name])


def test_a_file_dropped_on_the_viewer_opens_in_it_and_is_kept(run_notebook, tmp_path):
    from support.paths import real_slice

    path = real_slice("ramses_blast3d_z0.5_slice.h5")
    run = run_notebook("demo.ipynb", expected_canvases=3)
    before = frame(run, 1)
    drop_file(run, 1, path)
    f = wait_frame(run, 1, "f => f.view[1] === 1", timeout=30000)  # the RAMSES domain is [0, 1]^2
    assert f["field"] == "density" and f["cmap"] == "inferno"  # its default field; the colormap stays
    compare(run, "dropped", f, pixels(run, 1), path, "density", "inferno")
    assert path.name in viewer(run, 1).locator(".ytlite-title").text_content()
    out = run.execute(f"import os\nprint(temperature.info['name'], os.path.getsize({path.name!r}))")
    assert out.split() == [path.name, str(path.stat().st_size)], out
    # a damaged file: said so, nothing else changes
    bad = tmp_path / "broken.h5"
    bad.write_bytes(path.read_bytes()[:5000])
    good = pixels(run, 1)
    drop_file(run, 1, bad)
    run.page.wait_for_function(
        "() => document.querySelectorAll('.ytlite-viewer .ytlite-error')[1].textContent.includes('broken.h5')")
    text = viewer(run, 1).locator(".ytlite-error").text_content()
    assert f"incomplete: it has 5000 of its {path.stat().st_size} bytes" in text, text
    np.testing.assert_array_equal(pixels(run, 1), good)
    assert before["view"] != f["view"]


def test_frb_has_the_shape_of_the_picture_on_screen(run_notebook, demo_dir):
    """A view whose shorter side is exactly 2.5 pixels: the browser draws 3 rows
    (halves up, ytlite._conventions.image_size / conventions.js imageSize), and
    Python's image_size and frb() say the same (Python's round once gave 2)."""
    run = run_notebook("demo.ipynb", expected_canvases=3)
    # 16 x 0.078125 code_length (exact binary fractions): 512 * 0.078125 / 16 = 2.5
    add_cell(run, "temperature.view = [-8.0, 8.0, 0.0, 0.078125]")
    f = wait_frame(run, 1, "f => f.view[3] === 0.078125 && f.view[0] === -8")
    assert (f["width"], f["height"]) == (512, 3)
    compare(run, "half-pixel-rows", f, pixels(run, 1), demo_dir / "amr_demo_slice.h5", "temperature", "inferno")
    out = run.execute("img = temperature.frb(); print(img.width, img.height, *temperature.image_size)")
    assert out.split() == ["512", "3", "512", "3"], out


def test_a_tour_recorded_in_a_notebook_plays_there_and_on_the_viewer_page(run_notebook, demo_dir, site_url, browser):
    """viewer.tour() in JupyterLite: two stops recorded, saved into the
    browser's drive; viewer.play() eases the notebook's viewer to the last
    stop's exact view with its caption; the saved tour, in a link, plays on
    the viewer page and rests on that exact view, yt's picture of it."""
    from urllib.parse import quote

    run = run_notebook("demo.ipynb", expected_canvases=3)
    add_cell(run, "v = ds.plot('density', resolution=256)\n"
                  "tour = v.tour(title='a lesson')\n"
                  "tour.add(caption='all of it', dwell=1, transition=0.5)\n"
                  "v.zoom(4); v.pan(2.5, -1.25); v.cmap = 'viridis'\n"
                  "tour.add(caption='closer', dwell=1, transition=1)\n"
                  "tour.save('tours/lesson.json')\n"
                  "v.view = list(v.domain); v.cmap = 'cmyt.arbre'\n"
                  "v")
    run.wait_for_canvases(4)
    recorded = json.loads(run.execute("import json; print(json.dumps(tour.to_dict()))"))
    last = recorded["stops"][1]["view"]
    assert recorded["stops"][0]["file"] == "data/amr_demo_slice.h5"
    run.execute("v.play(tour)")
    f = wait_frame(run, 3, f"f => f.view.join() === '{','.join(map(repr, last))}' && f.cmap === 'viridis'", timeout=20000)
    assert f["view"] == last
    assert viewer(run, 3).locator(".ytlite-caption").text_content() == "closer"
    for _ in range(40):  # (Python hears where it ended, once the last stop's dwell is over)
        if json.loads(run.execute("print(json.dumps(v.view))")) == last:
            break
        run.page.wait_for_timeout(250)
    assert json.loads(run.execute("print(json.dumps([v.view, v.cmap]))")) == [last, "viridis"]
    saved = run.page.evaluate("""async () => (await window.jupyterapp.serviceManager.contents.get(
        'tours/lesson.json', {content: true, format: 'text'})).content""")
    assert json.loads(saved) == recorded
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{site_url}/view/?tour={quote(saved)}")
        page.wait_for_function(f"""() => {{ const c = document.querySelector('canvas.ytlite-image');
            return c?.dataset.frame && JSON.parse(c.dataset.frame).view.join() === '{','.join(map(repr, last))}'
                && !document.body.dataset.tour; }}""", timeout=30000)
        from support.browser import read_canvases

        frame_, got = read_canvases(page)[0]
        compare(run, "tour-kiosk", frame_, got, demo_dir / "amr_demo_slice.h5", "density", "viridis", "log",
                expected_view=last)
    finally:
        page.close()
