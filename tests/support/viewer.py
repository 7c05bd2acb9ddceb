"""Reading and driving the ytlite viewers of a NotebookRun's page: the i-th
viewer, its frame (the canvas's data-frame: view, field, limits, count...),
its pixels; waiting for a frame; keeping the kernel busy (so that what the
viewer does meanwhile is done in the browser alone); adding a cell; a point
on the image; and the front end's zoom maths, restated."""

from __future__ import annotations

import json

BUSY_S = 25  # how long the kernel is kept busy while the browser alone works


def viewer(run, i):
    return run.page.locator(".ytlite-viewer").nth(i)


def frame(run, i):
    return json.loads(viewer(run, i).locator("canvas.ytlite-image").get_attribute("data-frame"))


def wait_frame(run, i, predicate, timeout=10000):
    """Wait until the i-th viewer's frame satisfies the JS predicate `f => ...`."""
    run.page.wait_for_function(
        f"""() => {{
            const c = document.querySelectorAll('.ytlite-viewer canvas.ytlite-image')[{i}];
            if (!c || !c.dataset.frame) return false;
            const f = JSON.parse(c.dataset.frame);
            return ({predicate})(f);
        }}""", timeout=timeout)
    return frame(run, i)


def pixels(run, i):
    return run.canvases()[i][1]


def kernel_status(run):
    return run.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status")


def keep_kernel_busy(run, seconds=BUSY_S):
    """Start a cell that spins for `seconds` without waiting for it: while it
    runs the kernel handles no message, so whatever the viewer does then is
    done in the browser alone."""
    run.page.evaluate(
        """(s) => {
            const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            k.requestExecute({code: `import time\\nt0 = time.time()\\nwhile time.time() - t0 < ${s}: pass`,
                              store_history: false});
        }""", seconds)
    run.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'busy'")


def wait_kernel_idle(run, timeout=BUSY_S * 3000):
    run.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=timeout)


def add_cell(run, code):
    """Append a code cell to the open notebook and run it (its outputs are shown)."""
    run.page.evaluate(
        """async (code) => {
            const app = window.jupyterapp, nb = app.shell.currentWidget.content;
            nb.activeCellIndex = nb.widgets.length - 1;
            await app.commands.execute('notebook:insert-cell-below');
            nb.activeCell.model.sharedModel.setSource(code);
            await app.commands.execute('notebook:run-cell');
        }""", code)
    run.wait_until_cells_done()


def canvas_point(run, i, fx, fy):
    box = viewer(run, i).locator("canvas.ytlite-image").bounding_box()
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


# The front end's view maths, restated (lite/js/core/view.js)
def zoom_about(view, fx, fy, f):
    x0, x1, y0, y1 = view
    x, y = x0 + fx * (x1 - x0), y1 - fy * (y1 - y0)
    w, h = (x1 - x0) / f, (y1 - y0) / f
    return [x - fx * w, x - fx * w + w, y + fy * h - h, y + fy * h]
