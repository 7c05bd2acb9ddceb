"""The widget reads the dataset's file itself (issue 9): for a file in
JupyterLite's drive, Python sends only where it is (``_source``) and the
page reads it with its own h5wasm into the wasm mesh. Checked in headless
Chromium on the built site: no cell array crosses the kernel's comm and the
picture is still yt's; when the page cannot read the file, Python sends the
arrays and the picture is still yt's; a big file shows its progress before
the first image.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from support.browser import QuietHandler, StaticServer, needs_site
from support.notebook import NotebookRun
from support.oracle import compare, level_values
from support.paths import SITE
from support.viewer import add_cell, frame, pixels, viewer, wait_frame

pytestmark = needs_site


def count_kernel_buffers(run):
    """From now on, count the bytes of binary buffers the kernel sends on its comms."""
    run.page.evaluate("""() => {
        const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        window.ytliteTestBuffers = {bytes: 0, messages: 0};
        k.anyMessage.connect((_, {msg, direction}) => {
            if (direction !== 'recv' || !String(msg.header.msg_type).startsWith('comm_')) return;
            window.ytliteTestBuffers.messages += 1;
            for (const b of msg.buffers || []) window.ytliteTestBuffers.bytes += b.byteLength;
        });
    }""")


def kernel_buffer_bytes(run):
    return run.page.evaluate("() => window.ytliteTestBuffers")


def test_the_widget_reads_a_file_itself_no_array_through_the_kernel(run_notebook, demo_dir):
    run = run_notebook("demo.ipynb", expected_canvases=3)
    path = demo_dir / "amr_demo_slice.h5"
    count_kernel_buffers(run)
    add_cell(run, "again = ytlite.load('data/amr_demo_slice.h5')\n"
                  "mine = again.plot('temperature', cmap='magma')\nmine")
    run.wait_for_canvases(4)
    f = frame(run, 3)
    compare(run, "source-temperature", f, pixels(run, 3), path, "temperature", "magma")
    sent = kernel_buffer_bytes(run)
    cells = 8 * 4 * json.loads(run.execute("print(again.num_cells)"))
    # the new viewer's model came with no cells (its px .. fields are empty);
    # what buffers there are: the browser's PNG snapshots do not count (sent, not received)
    assert sent["messages"] >= 1 and sent["bytes"] < 1000 < cells, sent
    out = run.execute("import json\nprint(json.dumps([mine._source['files'][0]['path'], len(mine.px), "
                      "sum(len(v) for v in mine.fields.values()), mine.source_error]))")
    assert json.loads(out) == ["data/amr_demo_slice.h5", 0, 0, ""], out
    # Python read no array to make the viewer (metadata and scales only)
    assert run.execute("print(sorted(again._arrays))").strip() == "[]"
    # every field the toolbar offers is there, the derived level identical to yt's grid levels
    viewer(run, 3).locator("select.ytlite-field").select_option("refinement_level")
    f = wait(run, 3, "f => f.field === 'refinement_level'")
    assert f["scale"] == "linear"
    compare(run, "source-levels", f, pixels(run, 3), path, "refinement_level", "magma", scale="linear",
            expected=level_values)
    viewer(run, 3).locator("select.ytlite-field").select_option("density")
    f = wait(run, 3, "f => f.field === 'density'")
    compare(run, "source-density", f, pixels(run, 3), path, "density", "magma")
    # the mesh overlay draws from the wasm mesh's geometry
    viewer(run, 3).locator("button.ytlite-mesh").click()
    run.page.wait_for_timeout(300)
    assert viewer(run, 3).locator("canvas.ytlite-mesh").is_visible()
    assert run.error_outputs() == []


def test_load_scans_the_shown_fields_sign_and_the_page_the_others(run_notebook):
    """In Pyodide, ``ytlite.load`` scans the sign of the field shown first only (its default scale, for
    ``ds.plot()``): the others' would read every field in the kernel before the page reads them again. The
    page adds their scales as it reads the file (the same rule): Python's ``field_scales`` ends as
    CPython's, and the toolbar's field switch picks a signed field's symlog."""
    import ytlite

    from support.paths import real_slice

    blast = real_slice("ramses_blast3d_z0.5_slice.h5")
    native = ytlite.load(blast)
    want = {n: native.default_scale(n) for n in [*native.field_list, "refinement_level"]}
    assert want["velocity_x"] == "symlog" and native.default_field() == "density"
    run = run_notebook("demo.ipynb", expected_canvases=3)
    add_cell(run, f"import json\nblast = ytlite.load('data/real/{blast.name}')\nscanned = sorted(blast._positive)\n"
                  "shown = blast.plot()\nsent = dict(shown.field_scales)\nshown")
    run.wait_for_canvases(4)
    out = json.loads(run.execute("print(json.dumps([scanned, sorted(blast._positive), sent]))"))
    assert out == [["density"], ["density"], {"density": "log", "refinement_level": "linear"}], out
    # (the page's scales reach Python in a message of their own, once it has read the file)
    deadline = time.monotonic() + 20
    while (got := json.loads(run.execute("print(json.dumps(shown.field_scales))"))) != want:
        assert time.monotonic() < deadline, (got, want)
        time.sleep(0.2)
    assert json.loads(run.execute("print(json.dumps(sorted(blast._positive)))")) == ["density"]
    viewer(run, 3).locator("select.ytlite-field").select_option("velocity_x")
    f = wait(run, 3, "f => f.field === 'velocity_x'")
    assert f["scale"] == "symlog" and run.execute("print(shown.scale)").strip() == "symlog"
    compare(run, "page-scanned-velocity", f, pixels(run, 3), blast, "velocity_x", f["cmap"], scale="symlog")
    assert run.error_outputs() == []


def wait(run, i, predicate, timeout=20000):
    return wait_frame(run, i, predicate, timeout=timeout)


def test_when_the_page_cannot_read_the_file_python_sends_the_arrays(run_notebook, demo_dir):
    run = run_notebook("demo.ipynb", expected_canvases=3)
    path = demo_dir / "amr_demo_proj.h5"
    add_cell(run, "again = ytlite.load('data/amr_demo_proj.h5')")  # (the kernel reads it while it can)
    # from now on the site's copy cannot be fetched by the page (JupyterLite's service worker
    # would keep playwright's routing out: the page's fetch itself answers 404)
    run.page.evaluate("""() => {
        const fetch0 = window.fetch;
        window.fetch = (input, init) => String(input?.url ?? input).endsWith('/files/data/amr_demo_proj.h5')
            ? Promise.resolve(new Response('gone', {status: 404, statusText: 'Not Found'})) : fetch0(input, init);
    }""")
    count_kernel_buffers(run)
    add_cell(run, "mine = again.plot('density', cmap='viridis')\nmine")
    run.wait_for_canvases(4, timeout_s=60)
    f = frame(run, 3)
    compare(run, "fallback-density", f, pixels(run, 3), path, "density", "viridis")
    cells = json.loads(run.execute("print(again.num_cells)"))
    assert kernel_buffer_bytes(run)["bytes"] >= 8 * 5 * cells  # geometry and the field, at least
    out = run.execute("print(repr(mine.source_error), mine._source, len(mine.px))")
    assert "404" in out and "amr_demo_proj.h5" in out and out.strip().endswith(f"{{}} {8 * cells}"), out
    # and the field switch works on the arrays sent
    viewer(run, 3).locator("select.ytlite-field").select_option("refinement_level")
    f = wait(run, 3, "f => f.field === 'refinement_level'")
    compare(run, "fallback-levels", f, pixels(run, 3), path, "refinement_level", "viridis", scale="linear",
            expected=level_values)
    # a dataset not backed by a file the page sees (the kernel's own /tmp): arrays from the start
    add_cell(run, "import shutil\nshutil.copyfile('data/amr_demo_slice.h5', '/tmp/elsewhere.h5')\n"
                  "other = ytlite.load('/tmp/elsewhere.h5').plot('temperature')\nother")
    run.wait_for_canvases(5, timeout_s=60)
    assert run.execute("print(other._source, other.source_error == '', len(other.px) > 0)").split() == ["{}", "True", "True"]
    compare(run, "elsewhere", frame(run, 4), pixels(run, 4), demo_dir / "amr_demo_slice.h5", "temperature", "cmyt.arbre")


# -- a big file, shipped with the site: its progress, then yt's picture ----------

BIG_NAME = "ytlite_test_big.h5"
BIG_CELLS = 900 * 900  # 5 arrays of 810k float64: 32 MB


def make_big_slice(path: Path):
    """A uniform 900 x 900 slice over [0, 1]^2 in yt's layout, density positive and varied."""
    n = 900
    iy, ix = np.divmod(np.arange(n * n), n)
    px, py = (ix + 0.5) / n, (iy + 0.5) / n
    density = 1.0 + np.exp(-((px - 0.3) ** 2 + (py - 0.6) ** 2) / 0.01) + 0.5 * np.sin(20 * px) ** 2
    with h5py.File(path, "w") as f:
        for k, v in {"axis": 2, "container_type": "slice", "coord": 0.5, "domain_left_edge": [0.0, 0.0, 0.0],
                     "domain_right_edge": [1.0, 1.0, 1.0], "length_unit": 1.0, "length_unit_units": "cm"}.items():
            f.attrs[k] = v
        for k, v in {"px": px, "py": py, "pdx": np.full(n * n, 0.5 / n), "pdy": np.full(n * n, 0.5 / n),
                     "density": density}.items():
            f[f"grid/{k}"] = v.astype("f8")
            f[f"grid/{k}"].attrs["units"] = "g/cm**3" if k == "density" else "code_length"
    return path


class _OverlayHandler(QuietHandler):
    """The site, plus one extra file in data/ (listed in JupyterLite's static
    listing), sent slowly: 1 MB every 40 ms, so its progress can be seen; its
    byte ranges at once (the kernel's reads: ``QuietHandler.ranges``)."""

    extra: dict = {}
    fail_from = None  # (ranges starting at or past this byte answered 503)

    def do_HEAD(self):  # noqa: N802 (http.server's name)
        if self.path.split("?", 1)[0] == f"/files/data/{BIG_NAME}":
            self._file_response = True
            self.send_response(200)
            self.send_header("Content-Type", "application/x-hdf5")
            self.send_header("Content-Length", str(len(self.extra["bytes"])))
            self.end_headers()
            return
        super().do_HEAD()

    def do_GET(self):  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range") or "")
        if path == f"/files/data/{BIG_NAME}" and match and self.fail_from is not None and int(match[1]) >= self.fail_from:
            self.send_error(503, "Unavailable")  # (a host failing while a file is read)
            return
        if path == f"/files/data/{BIG_NAME}" and self.ranges and match:
            data = self.extra["bytes"]
            start, end = int(match[1]), min(len(data) - 1, int(match[2]))
            self._file_response = True
            self.send_response(206)
            self.send_header("Content-Type", "application/x-hdf5")
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            self.send_header("Content-Length", str(end - start + 1))
            self.end_headers()
            self.wfile.write(data[start:end + 1])
            return
        if path == f"/files/data/{BIG_NAME}":
            data = self.extra["bytes"]
            self.send_response(200)
            self.send_header("Content-Type", "application/x-hdf5")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for start in range(0, len(data), 1 << 20):
                self.wfile.write(data[start:start + (1 << 20)])
                self.wfile.flush()
                time.sleep(0.04)
            return
        if path == "/api/contents/data/all.json":
            self.send_body(self.extra["listing"], "application/json")
            return
        super().do_GET()


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    big = make_big_slice(tmp_path_factory.mktemp("big") / BIG_NAME)
    listing = json.loads((SITE / "api" / "contents" / "data" / "all.json").read_text())
    listing["content"].append({
        "content": None, "created": "2026-01-01T00:00:00Z", "format": None, "hash": None, "hash_algorithm": None,
        "last_modified": "2026-01-01T00:00:00.000000Z", "mimetype": "application/x-hdf5", "name": BIG_NAME,
        "path": f"data/{BIG_NAME}", "size": big.stat().st_size, "type": "file", "writable": True})
    handler = type("Handler", (_OverlayHandler,), {"extra": {
        "bytes": big.read_bytes(), "listing": json.dumps(listing).encode()}})
    with StaticServer(SITE, handler) as server:
        yield server.url, big, handler


@pytest.mark.parametrize("ranges", [True, False], ids=["by-ranges", "streamed"])
def test_a_big_file_shows_its_progress_then_yts_picture(browser, big_site, ranges):
    """The page reads the site's copy a piece at a time where the server serves byte ranges (its
    bytes' progress, then the picture), else streamed whole into h5wasm's FS (its bytes' progress,
    then its arrays going into the viewer one at a time)."""
    url, big, handler = big_site
    handler.ranges = ranges
    run = NotebookRun(browser, url, "demo.ipynb")
    try:
        run.run_all(3)
        # every text the notes show from now on, and whether an image was drawn by then
        run.page.evaluate("""() => {
            window.ytliteNotes = [];
            new MutationObserver(() => {
                const v = document.querySelectorAll('.ytlite-viewer')[3];
                const note = v?.querySelector('.ytlite-note');
                if (!note) return;
                const text = note.style.display === 'none' ? '' : note.textContent;
                const drawn = !!v.querySelector('canvas.ytlite-image[data-frame]');
                const last = window.ytliteNotes[window.ytliteNotes.length - 1];
                if (!last || last.text !== text || last.drawn !== drawn) window.ytliteNotes.push({text, drawn});
            }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
        }""")
        add_cell(run, f"big = ytlite.load('data/{BIG_NAME}')\nprint(big.num_cells)\nbig.plot()")
        run.wait_for_canvases(4, timeout_s=120)
        notes = run.page.evaluate("() => window.ytliteNotes")
        reading = [n["text"] for n in notes if n["text"].startswith(f"Reading {BIG_NAME}: ") and not n["drawn"]]
        size_mb = round(big.stat().st_size / 1e6)
        partial = [t for t in reading if t.endswith(f" of {size_mb} MB") and not t.startswith(f"Reading {BIG_NAME}: {size_mb} of")]
        assert partial, notes  # e.g. "Reading ytlite_test_big.h5: 12 of 32 MB", while the bytes arrived
        # streamed: then into the viewer, a dataset at a time (by ranges: the arrays as their bytes come)
        assert any("arrays" in t for t in reading) == (not ranges), notes
        assert str(BIG_CELLS) in "".join(run.text_outputs())
        compare(run, "big", frame(run, 3), pixels(run, 3), big, "density", "cmyt.arbre")
        assert run.error_outputs() == []
    finally:
        handler.ranges = True
        run.close()


# -- the kernel holds no copy of the file once it is loaded (issue 17) -----------

# The files in the kernel worker's h5wasm FS (slicefile.js's fsFile names them /ytlite-N-NAME), by size.
# {name: bytes it holds}: a copied file holds its size, a file read by HTTP ranges nothing.
KERNEL_FS = """
import json
from ytlite import _runtime
def kernel_fs():
    FS = _runtime.runtime().h5wasm.FS
    nodes = {n: FS.lookupPath('/' + n).node for n in FS.readdir('/') if str(n).startswith('ytlite-')}
    return {n: (node.contents.length if node.contents else 0) for n, node in nodes.items()}
"""


def test_the_kernel_frees_its_copy_of_the_file_and_reads_it_again_when_asked(browser, big_site):
    """Issue 17: after load + plot the kernel's h5wasm holds no copy of the file
    (read a piece at a time by HTTP ranges where the site serves them, else
    copied in for the load and given back); a later array reads it again (by
    ranges, else a copy for that cell only) and gives the file's values."""
    url, big, handler = big_site
    size = big.stat().st_size
    with h5py.File(big, "r") as f:
        density = f["grid/density"][()].astype("<f8")
        pdx = f["grid/pdx"][()].astype("<f8")
    digest = lambda a: hashlib.sha256(a.tobytes()).hexdigest()  # noqa: E731
    run = NotebookRun(browser, url, "demo.ipynb")
    try:
        run.run_all(3)
        run.execute(KERNEL_FS + "import hashlib")
        canvases = 3
        for ranges in (True, False):
            handler.ranges = ranges
            name = f"big_{int(ranges)}"
            # load + plot in one cell: the file is in the kernel for the load only
            add_cell(run, f"{name} = ytlite.load('data/{BIG_NAME}')\nv = {name}.plot()\n"
                          f"state = json.dumps([kernel_fs(), {name}._raw.reader.in_kernel, {name}._raw.read_from, "
                          f"{name}._raw.reader.by_ranges, {name}._raw.reader.openings, sorted({name}._arrays), "
                          f"{name}._raw.reader.fetched])\nv")
            out = run.execute("print(state)")
            *state, at_load = json.loads(out)
            assert state == [{}, False, "site", ranges, 1, []], (out, run.error_outputs())
            # (by ranges the load fetched the field's values, for its sign (default scale), and the metadata:
            # no array of the cells, which the kernel checks as Python first reads one; the page reads the file)
            assert (8 * BIG_CELLS <= at_load < 2 * 8 * BIG_CELLS) if ranges else at_load == 0, out
            canvases += 1
            run.wait_for_canvases(canvases, timeout_s=120)
            compare(run, f"freed-big-{name}", frame(run, canvases - 1), pixels(run, canvases - 1), big, "density", "cmyt.arbre")
            # a later array: the file back for that cell (one opening for all its reads), the file's values
            out = run.execute(f"d = {name}['density']\nw = {name}.pdx\n"
                              f"print(json.dumps([list(kernel_fs().values()), {name}._raw.reader.openings, {name}._raw.reader.by_ranges, "
                              "hashlib.sha256(d.tobytes()).hexdigest(), hashlib.sha256(w.tobytes()).hexdigest()]))")
            held, openings, by_ranges, d_hash, w_hash = json.loads(out)
            # (by ranges: no bytes held, only what was asked fetched; a copy: the file, for this cell)
            assert held == [0 if ranges else size] and openings == 2 and by_ranges == ranges, out
            assert d_hash == digest(density) and w_hash == digest(pdx)
            # ... and freed once that cell has run
            out = run.execute(f"print(json.dumps([kernel_fs(), {name}._raw.reader.in_kernel, {name}._raw.reader.fetched]))")
            held, in_kernel, fetched = json.loads(out)
            assert held == {} and not in_kernel, out
            if ranges:  # two arrays of five, and the metadata: well under the file
                assert 2 * 8 * BIG_CELLS <= fetched - at_load < 0.6 * size, out
            # pixelize reads the other arrays the same way: one opening, freed after
            out = run.execute(f"img = {name}.pixelize(width=64)\nprint({name}._raw.reader.openings, len(img.values))")
            assert out.split() == ["3", str(64 * 64)], out
            assert run.execute("print(kernel_fs())").strip() == "{}"
        handler.ranges = True
        # HEAD's behaviour (bench/bigfile.py's "before"), which this test tells apart: the copy kept
        out = run.execute(f"ytlite._hdf5.KEEP_FILE = True\nkept = ytlite.load('data/{BIG_NAME}')\n"
                          "ytlite._hdf5.KEEP_FILE = False\nprint(json.dumps(list(kernel_fs().values())))")
        assert json.loads(out) == [size], out
        run.execute("del kept\nimport gc\ngc.collect()")
        assert run.execute("print(kernel_fs())").strip() == "{}"
        assert run.error_outputs() == []
    finally:
        handler.ranges = True
        run.close()


def test_the_kernel_reads_a_copy_when_the_sites_ranges_fail(browser, big_site):
    """A host that fails while the kernel reads the site's copy by ranges
    (requests answered 503): the values come from a copy of the file instead,
    the same values, no error. Whether the file was opened and its values'
    requests fail, or its metadata's do, or the first request."""
    url, big, handler = big_site
    with h5py.File(big, "r") as f:
        density, pdx, px = (f[f"grid/{k}"][()].astype("<f8") for k in ("density", "pdx", "px"))
        values_at = f["grid/density"].id.get_offset()
    digest = hashlib.sha256(density.tobytes()).hexdigest()
    run = NotebookRun(browser, url, "demo.ipynb")
    try:
        run.run_all(3)
        out = run.execute(f"import ytlite, hashlib\nfailing = ytlite.load('data/{BIG_NAME}')\n"
                          "print(failing._raw.reader.by_ranges)")
        assert out.strip() == "True", out
        read = ("d = failing{}\nprint(failing._raw.reader.by_ranges, failing._raw.reader.openings, "
                "hashlib.sha256(d.tobytes()).hexdigest())")
        # the values' requests fail: opened by ranges, then a copy (two openings)
        handler.fail_from = values_at
        assert run.execute(read.format("['density']")).split() == ["False", "3", digest]
        # the metadata's requests fail: the copy at once
        run.execute("failing._raw.reader._no_ranges = False")  # (ranges tried again)
        handler.fail_from = 1 << 20
        assert run.execute(read.format(".pdx")).split() == ["False", "4", hashlib.sha256(pdx.tobytes()).hexdigest()]
        handler.fail_from = 0  # (the first request too: the whole file, by a plain GET)
        run.execute("failing._raw.reader._no_ranges = False")
        assert run.execute(read.format(".px")).split() == ["False", "5", hashlib.sha256(px.tobytes()).hexdigest()]
        assert run.error_outputs() == []
    finally:
        handler.fail_from = None
        run.close()


def test_a_file_changed_since_load_is_an_error_not_other_data(run_notebook):
    run = run_notebook("demo.ipynb", expected_canvases=3)
    run.execute("import ytlite, time\ndata = open('data/amr_demo_slice.h5', 'rb').read()\n"
                "open('changing.h5', 'wb').write(data)\nc = ytlite.load('changing.h5')\n"
                "same = ytlite.load('changing.h5')")
    # another size
    out = run.execute("open('changing.h5', 'wb').write(data + bytes(64))\nc['density']")
    assert "SliceFileError'>: changing.h5: changed since ytlite.load read it" in out, out
    assert "load it again" in out, out
    # the same size, written again later: another modification time
    out = run.execute("time.sleep(0.05)\nopen('changing.h5', 'wb').write(data)\nsame.px")
    assert "SliceFileError'>: changing.h5: changed since ytlite.load read it" in out, out
    assert "another modification time" in out, out
    # gone
    out = run.execute("import os\nos.remove('changing.h5')\nytlite.load('data/amr_demo_slice.h5').pdx; c.px")
    assert "SliceFileError'>: changing.h5: cannot be read again" in out, out
