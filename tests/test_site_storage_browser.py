"""ytlite.toml's [site] storage, in Chromium with what the browser stored
(IndexedDB and local storage, as a profile keeps them) carried from one visit
to the next, the site rebuilt between them with the teacher's fix of
the lesson: "fresh" shows the fix (nothing the visitor saved is kept), "keep"
(JupyterLite's default) keeps what the visitor saved."""

from __future__ import annotations

import json

import pytest

from support.browser import StaticServer

LESSON = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["VERSION"]}], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}


def lesson(text):
    return json.dumps({**LESSON, "cells": [{**LESSON["cells"][0], "source": [text]}]})


def kit():
    from ytlite.site import jupyterlite

    kits = sorted((jupyterlite.default_cache() / "kits").glob("*/kit.json"), key=lambda p: p.stat().st_mtime)
    if not kits:
        pytest.skip("no kernel kit in the build cache: run python3 build.py build")
    return kits[-1].parent


def open_lesson(context, url):
    """The lesson's first cell as the site's contents give it, in this profile."""
    page = context.new_page()
    page.goto(f"{url}/tree/index.html")
    page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.serviceManager)", timeout=120000)
    text = page.evaluate("""async () => {
        const m = await window.jupyterapp.serviceManager.contents.get('lesson.ipynb', {content: true});
        return [].concat(m.content.cells[0].source).join(''); }""")
    return page, text


@pytest.mark.parametrize("storage, second_visit_sees", [("fresh", "the teacher's fix"), ("keep", "my answer")])
def test_storage(browser, tmp_path, storage, second_visit_sees):
    from ytlite.site import build

    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "ytlite.toml").write_text(f'[site]\nstorage = "{storage}"\n')
    (folder / "lesson.ipynb").write_text(lesson("the first version"))
    site = tmp_path / "site"
    build(folder, site, kit=kit(), cache=tmp_path / "cache", log=lambda m: None)
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert config.get("enableMemoryStorage", False) is (storage == "fresh")
    with StaticServer(site) as server:
        context = browser.new_context()
        try:
            page, text = open_lesson(context, server.url)
            assert text == "the first version"
            page.evaluate("""async () => {  // the visitor saves their own version
                const c = window.jupyterapp.serviceManager.contents;
                const m = await c.get('lesson.ipynb', {content: true});
                m.content.cells[0].source = 'my answer';
                await c.save('lesson.ipynb', {type: 'notebook', format: 'json', content: m.content}); }""")
            stored = context.storage_state(indexed_db=True)  # what the browser keeps for the next visit
        finally:
            context.close()
        # the teacher fixes the lesson and rebuilds the site; the visitor comes back
        (folder / "lesson.ipynb").write_text(lesson("the teacher's fix"))
        build(folder, site, kit=kit(), cache=tmp_path / "cache", log=lambda m: None)
        context = browser.new_context(storage_state=stored)
        try:
            page, text = open_lesson(context, server.url)
            assert text == second_visit_sees
        finally:
            context.close()
