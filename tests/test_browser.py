"""End to end in a real browser: the built site, served on 127.0.0.1, opened in
Debian's headless Chromium. Each notebook runs all its cells; every ytlite
canvas is read back pixel by pixel and compared with an image computed here,
natively, by yt's own ``pixelize_cartesian`` and matplotlib's colormaps.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time

import h5py
import numpy as np
import pytest
from yt.utilities.lib.pixelization_routines import pixelize_cartesian

from support.browser import CHROMIUM, CHROMIUM_ARGS, needs_site
from support.notebook import NOTEBOOK_TIMEOUT_S, NotebookRun
from support.oracle import compare, expected_values
from support.paths import ARTIFACTS, SITE

pytestmark = needs_site


def test_demo_notebook(run_notebook, demo_dir):
    run = run_notebook("demo.ipynb", expected_canvases=3)
    print(f"\ndemo.ipynb: page load to first image {run.first_image_s:.1f} s, all cells {run.all_done_s:.1f} s")
    # For people to look at (tests/artifacts/ is not committed).
    run.screenshot("final")
    run.page.locator(".ytlite-viewer").first.screenshot(path=str(ARTIFACTS / "demo-viewer.png"))
    assert run.error_outputs() == []
    (f_rho, rho), (f_temp, temp), (f_proj, proj) = run.canvases()
    slice_path, proj_path = demo_dir / "amr_demo_slice.h5", demo_dir / "amr_demo_proj.h5"
    assert (f_rho["width"], f_rho["height"]) == (512, 512)
    compare(run, "demo-density", f_rho, rho, slice_path, "density", "cmyt.arbre",
            expected_view=[-20, 20, -20, 20])
    compare(run, "demo-temperature", f_temp, temp, slice_path, "temperature", "inferno",
            expected_view=[-10, 10, -10, 10])
    compare(run, "demo-projection", f_proj, proj, proj_path, "density", "viridis",
            expected_view=[-20, 20, -20, 20])

    # Python called the wasm pixelizer through JS interop: its numbers are yt's.
    (line,) = [t for t in run.text_outputs() if "pixels, density from" in t]
    m = re.search(r"(\d+)x(\d+) pixels, density from (\S+) to (\S+)", line)
    finite = expected_values(slice_path, "density", [-20, 20, -20, 20], 256, 256)
    lo, hi = np.nanmin(finite), np.nanmax(finite)
    assert m.group(1, 2) == ("256", "256")
    assert (float(m.group(3)), float(m.group(4))) == (float(f"{lo:.3g}"), float(f"{hi:.3g}"))
    # ... bit for bit, on a non-square off-centre view partly outside the domain.
    digest = run.execute(
        "import hashlib\n"
        "img = ds.pixelize('temperature', bounds=(-7.5, 23.0, -2.0, 4.1), width=301, height=97)\n"
        "print(img.width, img.height, hashlib.sha256(img.values.tobytes()).hexdigest())")
    with h5py.File(slice_path, "r") as f:
        g = f["grid"]
        cells = [g[k][()] for k in ("px", "py", "pdx", "pdy", "temperature")]
    buff = np.full((97, 301), np.nan)
    pixelize_cartesian(buff, *cells, (-7.5, 23.0, -2.0, 4.1), antialias=1, period=None, check_period=0)
    assert np.isnan(buff).any() and np.isfinite(buff).any()
    assert digest.split() == ["301", "97", hashlib.sha256(buff.tobytes()).hexdigest()]
    assert run.foreign_requests() == []
    assert run.failed == []


def test_pan_and_zoom_redraw_exactly(run_notebook, demo_dir):
    """Wheel and drag on a viewer: redrawn in the browser, still yt's image, view synced to Python."""
    run = run_notebook("demo.ipynb", expected_canvases=3)
    canvas = run.page.locator("canvas.ytlite-image").nth(1)  # the demo's `temperature` viewer
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    count = json.loads(canvas.get_attribute("data-frame"))["count"]
    run.page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    run.page.mouse.wheel(0, -300)  # zoom in about the cursor
    run.page.wait_for_timeout(300)
    run.page.mouse.down()
    run.page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4, steps=5)
    run.page.mouse.up()
    run.page.wait_for_timeout(500)
    frame, pixels = run.canvases()[1]
    assert frame["count"] > count + 1
    x0, x1, y0, y1 = frame["view"]
    assert x1 - x0 < 20 / 1.5 and abs((x1 - x0) - (y1 - y0)) < 1e-9  # zoomed, still square pixels
    compare(run, "demo-temperature-zoomed", frame, pixels, demo_dir / "amr_demo_slice.h5", "temperature", "inferno")
    synced = run.execute("print(repr(temperature.view))")
    assert [float(v) for v in synced.strip()[1:-1].split(",")] == frame["view"]


def test_bad_input_in_the_browser(run_notebook, demo_dir):
    """In Pyodide (h5wasm, wasm pixelizer, widget): bad input gives clear errors, never a blank."""
    run = run_notebook("demo.ipynb", expected_canvases=3)
    out = run.execute(
        'data = open("data/amr_demo_slice.h5", "rb").read()\n'
        'open("/tmp/truncated.h5", "wb").write(data[: len(data) // 3])\n'
        'open("/tmp/text.h5", "w").write("hello")\n'
        'for name in ("/tmp/truncated.h5", "/tmp/text.h5"):\n'
        '    try:\n'
        '        ytlite.load(name)\n'
        '    except Exception as exc:\n'
        '        print(type(exc).__name__, exc)\n')
    lines = out.strip().splitlines()
    size = int(run.execute('import os\nprint(os.path.getsize("data/amr_demo_slice.h5"))'))  # (the site's copy)
    assert lines[0].startswith(f"SliceFileError truncated.h5: incomplete: it has {size // 3} of its {size} bytes"), lines
    assert lines[1].startswith("SliceFileError text.h5: not an HDF5 file"), lines
    # Errors from the wasm pixelizer cross Pyodide's JS interop as Python exceptions.
    out = run.execute(
        'for args in [([0.5], [0.5], [float("nan")], [0.5], [1.0]), ([0.5], [0.5], [-1.0], [0.5], [1.0])]:\n'
        '    try:\n'
        '        ytlite.pixelize(*args, (0, 1, 0, 1), width=4, height=4)\n'
        '    except ValueError as exc:\n'
        '        print("ValueError", exc)\n')
    lines = out.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("ValueError") and "pdx" in line for line in lines), lines
    # A log scale with vmin <= 0: the viewer says why and keeps its last image
    # (the demo's second viewer is the variable `temperature`).
    before = run.canvases()[1][1]
    run.execute("temperature.vmin = -1.0")
    run.page.wait_for_function(
        "() => [...document.querySelectorAll('.ytlite-error')].some(e => e.textContent.includes('vmin'))")
    message = run.page.evaluate(
        "() => [...document.querySelectorAll('.ytlite-error')].map(e => e.textContent).find(t => t.includes('vmin'))")
    assert "log" in message.lower(), message
    after = run.canvases()[1][1]
    np.testing.assert_array_equal(after, before)  # not blanked, not a wrong image
    # The Python side hears about it too; a valid setting recovers.
    assert "vmin" in run.execute("print(temperature.error)")
    run.execute("temperature.vmin = 1e4")
    run.page.wait_for_function(
        "() => JSON.parse(document.querySelectorAll('canvas.ytlite-image')[1].dataset.frame).vmin === 1e4")
    assert run.page.evaluate("() => document.querySelectorAll('canvas.ytlite-image')[1].dataset.error") == ""



def bad_cells_files(tmp_path):
    """{name: (bytes, the error after "<name>: ")}: small slices whose cells are bad (float64 and float32
    arrays, and one without domain edges, whose extent is read at load)."""
    arrays = {"px": [0.25, 0.75, 0.625, 0.875], "py": [0.5, 0.5, 0.125, 0.375],
              "pdx": [0.25, 0.25, 0.125, 0.125], "pdy": [0.5, 0.5, 0.125, 0.125], "density": [1.0, 2.0, 3.0, 4.0]}
    cases = {
        "nan_px.h5": ({"px": np.array([0.25, np.nan, 0.625, np.inf])}, True,
                      "grid/px has 2 value(s) that are not finite (first at cell 1: NaN)"),
        "inf_pdy_f32.h5": ({"pdy": np.array([0.5, np.inf, 0.5, -0.0], dtype="f4")}, True,
                           "grid/pdy has 2 value(s) that are not positive and finite (first at cell 1: Infinity)"),
        "no_domain_zero_pdx.h5": ({"pdx": np.array([0.25, 0.25, 0.0, 0.125])}, False,
                                  "grid/pdx has 1 value(s) that are not positive and finite (first at cell 2: 0)"),
    }
    files = {}
    for name, (over, domain, message) in cases.items():
        path = tmp_path / name
        with h5py.File(path, "w") as f:
            f.attrs.update({"axis": 2, "container_type": "slice"})
            if domain:
                f.attrs.update({"domain_left_edge": [0.0, 0.0, 0.0], "domain_right_edge": [1.0, 1.0, 1.0]})
            for key, values in {**arrays, **over}.items():
                f[f"grid/{key}"] = np.asarray(values)
        files[name] = (path.read_bytes(), message)
    return files


def test_the_kernel_checks_the_cells_as_python_first_reads_them(run_notebook, tmp_path):
    """In Pyodide, ``load`` reads no array of the cells (a plot the page draws from the file
    itself never needs them from the kernel: 1.6 GB of a 50 M-cell slice); the first read of
    each, by Python or by a plot the kernel sends, raises the message CPython's ``load`` gives
    (the kernel names the file without its folder), naming the array; the good arrays read as
    before. A file without domain edges has its extent read, and its cells checked, at ``load``."""
    import base64

    import ytlite
    from ytlite._hdf5 import SliceFileError

    files = bad_cells_files(tmp_path)
    for name, (_, message) in files.items():  # (CPython: at load, the same words)
        with pytest.raises(SliceFileError) as caught:
            ytlite.load(tmp_path / name)
        assert str(caught.value) == f"{tmp_path / name}: {message}"
    run = run_notebook("demo.ipynb", expected_canvases=3)
    run.execute("import base64, json\nfrom ytlite._hdf5 import SliceFileError\n" + "".join(
        f"open('/tmp/{name}', 'wb').write(base64.b64decode('{base64.b64encode(data).decode()}'))\n"
        for name, (data, _) in files.items()))
    out = run.execute("""
seen = {}
for name in %r:
    try:
        ds = ytlite.load('/tmp/' + name)
    except SliceFileError as exc:
        seen[name] = ['load', str(exc)]
        continue
    got = []
    for key in ('px', 'py', 'pdx', 'pdy'):
        try:
            got.append([key, len(getattr(ds, key))])
        except SliceFileError as exc:
            got.append([key, str(exc)])
    for what in ('pixelize', 'plot'):
        try:
            getattr(ds, what)()
            got.append([what, 'drawn'])
        except SliceFileError as exc:
            got.append([what, str(exc)])
    seen[name] = got
print(json.dumps(seen))""" % sorted(files))
    seen = json.loads(out)
    nan_px, inf_pdy = files["nan_px.h5"][1], files["inf_pdy_f32.h5"][1]
    assert seen["nan_px.h5"] == [["px", f"nan_px.h5: {nan_px}"], ["py", 4], ["pdx", 4], ["pdy", 4],
                                 ["pixelize", f"nan_px.h5: {nan_px}"], ["plot", f"nan_px.h5: {nan_px}"]], seen
    assert seen["inf_pdy_f32.h5"] == [["px", 4], ["py", 4], ["pdx", 4], ["pdy", f"inf_pdy_f32.h5: {inf_pdy}"],
                                      ["pixelize", f"inf_pdy_f32.h5: {inf_pdy}"],
                                      ["plot", f"inf_pdy_f32.h5: {inf_pdy}"]], seen
    assert seen["no_domain_zero_pdx.h5"] == ["load", f"no_domain_zero_pdx.h5: {files['no_domain_zero_pdx.h5'][1]}"]


def test_the_kernel_starts_from_bytecode_its_own_pyodide_compiled(run_notebook):
    """ytlite/site/kernel_wheels.py: the modules the kernel imports at start come as .pyc
    made by the site's own Pyodide (a pyc with another magic number would be
    recompiled and rewritten as a timestamp pyc: flags 0, not 1); prompt_toolkit
    (IPython.embed) and jedi are not imported at start, and Tab completion still
    works (jedi imported then)."""
    run = run_notebook("demo.ipynb", expected_canvases=3)
    out = run.execute(
        "import sys, importlib.util, IPython.core.interactiveshell as m\n"
        "head = open(m.__cached__, 'rb').read(8)\n"
        "print(head[:4] == importlib.util.MAGIC_NUMBER, int.from_bytes(head[4:8], 'little'))\n"
        "print(sys.modules['json'].__file__.endswith('.pyc'), sys.modules['ytlite.viewer'].__cached__ is not None)\n"
        "print('prompt_toolkit' in sys.modules, 'jedi' in sys.modules)\n")
    assert out.split() == ["True", "1", "True", "True", "False", "False"], out
    matches = run.page.evaluate(
        """async () => {
            const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const reply = await k.requestComplete({code: "import os\\nos.pa", cursor_pos: 15});
            return reply.content.matches;
        }""")
    assert any(m.endswith("path") for m in matches), matches
    assert run.execute("import sys; print('jedi' in sys.modules)").strip() == "True"
    assert run.error_outputs() == []


PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"


class _SilentServer:
    """Accepts TCP connections and never answers: a network that drops the CDN's packets."""

    def __init__(self):
        import socket

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.held, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.thread.join()
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize("network", ["unresolvable", "silent"])
def test_pyodide_packages_offline(browser, site_url, network):
    """yt, numpy, h5py ... are Pyodide's own packages. In the default site they
    come from Pyodide's CDN, which this browser cannot reach (its name does not
    resolve; or, "silent", it resolves to a server that never answers): a
    notebook (made here, through the page's contents API) that imports yt fails
    within seconds with the reason and how to build an offline site, nothing of
    the CDN is fetched at kernel start nor any wheel after, and the kernel goes
    on. In a site built with --pyodide-dist, yt is served by the site: it
    imports with no request leaving 127.0.0.1."""
    lock = json.loads((SITE / "static" / "pyodide" / "pyodide-lock.json").read_text())["packages"]
    from_cdn = lock["yt"]["file_name"].startswith(PYODIDE_CDN)
    assert lock["yt"]["version"] == "4.4.2" and {"numpy", "h5py", "unyt", "matplotlib"} <= set(lock)
    if network == "silent" and not from_cdn:
        pytest.skip("this site serves yt itself (--pyodide-dist): no CDN to be silent")
    name = "offline_import.ipynb"
    notebook = {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python", "display_name": "Python (Pyodide)"}},
        "cells": [{"cell_type": "code", "id": "import-yt", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": "import yt\nprint(yt.__version__)"}],
    }
    silent = own_browser = None
    if network == "silent":
        silent = _SilentServer()
        rules = f"--host-resolver-rules=MAP cdn.jsdelivr.net 127.0.0.1:{silent.port}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
        args = [a for a in CHROMIUM_ARGS if not a.startswith("--host-resolver-rules")] + [rules]
        own_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=args)
    run = NotebookRun(own_browser or browser, site_url, name)
    try:
        run.page.goto(f"{site_url}/tree/index.html")
        run.page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.serviceManager)",
                                   timeout=NOTEBOOK_TIMEOUT_S * 1000)
        run.page.evaluate("""async ([name, content]) => {
            await window.jupyterapp.serviceManager.contents.save(name, {type: 'notebook', format: 'json', content});
        }""", [name, notebook])
        run.page.goto(f"{site_url}/notebooks/index.html?path={name}")
        run.wait_for_kernel_idle()
        assert run.foreign_requests() == []  # the CDN's packages are not prefetched
        t0 = time.perf_counter()
        run.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        run.wait_until_cells_done()
        took = time.perf_counter() - t0
        errors, printed = run.error_outputs(), run.text_outputs()
        if not from_cdn:
            assert errors == [] and printed == ["4.4.2\n"], (errors, printed)
            assert run.foreign_requests() == []
            return
        assert len(errors) == 1 and "ModuleNotFoundError" in errors[0], errors
        assert ("yt is not part of this offline site: it comes from Pyodide's package CDN (cdn.jsdelivr.net), "
                "which this browser cannot reach") in errors[0], errors[0]
        if network == "silent":
            assert "(no answer within 4 s)" in errors[0], errors[0]
        assert "python3 build.py build --pyodide-dist PATH" in errors[0] and "pyodide-314.0.7.tar.bz2" in errors[0]
        assert "micropip" not in errors[0]  # (Pyodide's own note would say to pip install it)
        assert took < 10, f"import yt took {took:.1f} s to fail"
        print(f"{network} CDN: import yt failed after {took:.1f} s")
        # one HEAD of the CDN, answered by nothing; no wheel was asked for
        assert run.foreign_requests() == [PYODIDE_CDN + "pyodide-lock.json"], run.foreign_requests()
        # the kernel goes on, and a package of the site still loads at its import
        t0 = time.perf_counter()
        assert run.execute("import ipywidgets\nprint(ipywidgets.__version__, 6 * 7)").split() == ["8.1.9", "42"]
        assert time.perf_counter() - t0 < 10
        out = run.execute("import numpy")
        assert out.startswith("ERROR") and "numpy" in out, out
    except Exception:
        run.screenshot(f"offline-import-{network}")
        raise
    finally:
        run.close()
        if own_browser is not None:
            own_browser.close()
        if silent is not None:
            silent.close()


def test_the_kernel_reads_the_sites_files_over_http_not_through_the_drive(run_notebook):
    """A file shipped with the site reaches the kernel as the static file
    files/<path> (binary) instead of the drive's base64 text; a file written
    in the drive under a new name is read from the drive; same cells either way."""
    run = run_notebook("demo.ipynb", expected_canvases=3)
    out = run.execute(
        "import hashlib, ytlite\n"
        "a = ytlite.load('data/amr_demo_slice.h5')\n"
        "open('copy_of_demo.h5', 'wb').write(open('data/amr_demo_slice.h5', 'rb').read())\n"
        "b = ytlite.load('copy_of_demo.h5')\n"
        "digest = lambda d: hashlib.sha256(b''.join(getattr(d, k).tobytes() for k in ('px', 'py', 'pdx', 'pdy')) + d['density'].tobytes()).hexdigest()\n"
        "print(a._raw.read_from, b._raw.read_from, digest(a) == digest(b), a.num_cells)\n")
    assert out.split()[:3] == ["site", "drive", "True"], out
    assert int(out.split()[3]) > 1000
    assert any(u.endswith("/files/data/amr_demo_slice.h5") for u in run.requests), "no request for the static file"
    assert run.error_outputs() == []
