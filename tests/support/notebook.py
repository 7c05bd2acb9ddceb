"""NotebookRun: a notebook of the built site opened in its own browser context,
every cell run, every request, failure and console line recorded; with ways
to read the page back (canvases as frame + RGBA pixels, text and error
outputs) and to run code in its kernel."""

from __future__ import annotations

import time
from pathlib import Path

from support.browser import read_canvases
from support.paths import ARTIFACTS

NOTEBOOK_TIMEOUT_S = 240

# (JS functions of the page, also used by bench/bigfile.py's notebook over the DevTools pipe)
# code -> the kernel's text output of running it (errors as 'ERROR name: value')
EXECUTE_JS = """async (code) => {
    const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const out = [];
    const future = k.requestExecute({code, store_history: false});
    future.onIOPub = (msg) => {
        const c = msg.content, t = msg.header.msg_type;
        if (t === 'stream') out.push(c.text);
        else if (t === 'error') out.push(`ERROR ${c.ename}: ${c.evalue}`);
        else if (t === 'execute_result') out.push(c.data['text/plain']);
    };
    await future.done;
    return out.join('');
}"""
# () -> the text of every error output and ytlite error shown
ERROR_OUTPUTS_JS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"], .ytlite-error')]
    .map(e => e.textContent).filter(t => t.trim())"""


class NotebookRun:
    """Opens a notebook, runs every cell, records every request."""

    def __init__(self, browser, site_url, notebook):
        self.site_url = site_url
        self.notebook = notebook
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.requests, self.failed, self.console = [], [], []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))

    def screenshot(self, tag):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{Path(self.notebook).stem}-{tag}.png"
        self.page.screenshot(path=str(path), full_page=True)
        (ARTIFACTS / f"{Path(self.notebook).stem}-{tag}-console.txt").write_text("\n".join(self.console))
        return path

    def run_all(self, expected_canvases):
        page = self.page
        t0 = time.perf_counter()
        page.goto(f"{self.site_url}/notebooks/index.html?path={self.notebook}")
        self.wait_for_kernel_idle()
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(
            "n => document.querySelectorAll('canvas.ytlite-image[data-frame]').length >= 1",
            arg=1, timeout=NOTEBOOK_TIMEOUT_S * 1000)
        self.first_image_s = time.perf_counter() - t0
        page.wait_for_function(
            "n => document.querySelectorAll('canvas.ytlite-image[data-frame]').length >= n",
            arg=expected_canvases, timeout=NOTEBOOK_TIMEOUT_S * 1000)
        self.wait_until_cells_done()
        self.all_done_s = time.perf_counter() - t0

    def wait_for_canvases(self, n, timeout_s=30):
        """Wait until the page shows n drawn image canvases; else fail saying
        what it shows instead (errors, outputs, the viewers' notes)."""
        try:
            self.page.wait_for_function(
                "n => document.querySelectorAll('canvas.ytlite-image[data-frame]').length >= n",
                arg=n, timeout=timeout_s * 1000)
        except Exception:
            shot = self.screenshot("canvases")
            status = self.page.evaluate(
                "() => [...document.querySelectorAll('.ytlite-note')].map(e => e.textContent)")
            raise AssertionError(
                f"{n} drawn canvases not shown in {timeout_s} s (screenshot {shot}); errors: {self.error_outputs()}; "
                f"text: {[t[-300:] for t in self.text_outputs()]}; status: {status}; "
                f"console tail: {self.console[-15:]}") from None

    def wait_for_kernel_idle(self):
        # The kernel reports "idle" before it has booted; cells sent then are
        # silently dropped. A kernel_info reply means it is really up.
        self.page.wait_for_function(
            "() => !!(window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext)",
            timeout=NOTEBOOK_TIMEOUT_S * 1000)
        self.page.evaluate(
            """async () => {
                const w = window.jupyterapp.shell.currentWidget;
                await w.sessionContext.ready;
                await w.sessionContext.session.kernel.info;
            }""")

    def wait_until_cells_done(self):
        # Every code cell has an execution count and the kernel is idle again.
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const k = w.sessionContext.session.kernel;
                const cells = w.content.widgets.filter(c => c.model.type === 'code');
                return k.status === 'idle' && cells.every(c => c.model.executionCount !== null);
            }""", timeout=NOTEBOOK_TIMEOUT_S * 1000)

    def error_outputs(self):
        return self.page.evaluate(ERROR_OUTPUTS_JS)

    def text_outputs(self):
        return self.page.evaluate(
            """() => [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]')]
                .map(e => e.textContent)""")

    def canvases(self):
        """[(frame dict, RGBA array HxWx4)] for every ytlite image canvas, in page order."""
        return read_canvases(self.page)

    def execute(self, code):
        """Run code in the notebook's kernel; returns its text output (errors as 'ERROR name: value')."""
        return self.page.evaluate(EXECUTE_JS, code)

    def foreign_requests(self):
        allowed = (self.site_url + "/", "blob:", "data:")
        return sorted({u for u in self.requests if not u.startswith(allowed)})

    def close(self):
        self.context.close()
