"""Shared fixtures: the demo data (as built by build.py); for the browser
tests, one headless Chromium (``browser``) and one quiet static server of the
built site (``site_url``) for the whole session, and ``run_notebook``, which
opens notebooks of the site (each in a context of its own: fresh storage) and
closes them after the test. Helpers live in tests/support/."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.paths import BUILT_DATA, SITE


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """Directory with amr_demo_slice.h5 and amr_demo_proj.h5."""
    if (BUILT_DATA / "amr_demo_slice.h5").exists():
        return BUILT_DATA
    from ytlite.demo import make_demo_data

    out = tmp_path_factory.mktemp("demo")
    make_demo_data(out)
    return out


@pytest.fixture(scope="session")
def demo_slice(demo_dir):
    import ytlite

    return ytlite.load(demo_dir / "amr_demo_slice.h5")


@pytest.fixture(scope="session")
def site_url():
    """The built site, served on 127.0.0.1."""
    from support.browser import StaticServer

    with StaticServer(SITE) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (support/browser.py's arguments); tests open their own contexts."""
    from playwright.sync_api import sync_playwright

    from support.browser import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def run_notebook(browser, site_url):
    """run_notebook(name, expected_canvases) -> a NotebookRun with every cell run."""
    from support.notebook import NotebookRun

    runs = []

    def _run(name, expected_canvases):
        run = NotebookRun(browser, site_url, name)
        runs.append(run)
        try:
            run.run_all(expected_canvases)
        except Exception:
            shot = run.screenshot("timeout")
            raise AssertionError(f"{name} did not finish (screenshot {shot}); errors: {run.error_outputs()}; "
                                 f"console tail: {run.console[-15:]}") from None
        return run

    yield _run
    for run in runs:
        run.close()
