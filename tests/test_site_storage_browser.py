"""ytlite.toml's [site] storage, in Chromium with what the browser stored
(IndexedDB and local storage, as a profile keeps them) carried from one visit
to the next, the site rebuilt between them with the teacher's fix of
the lesson: "fresh" shows the fix (nothing the visitor saved is kept), "keep"
(JupyterLite's default) keeps what the visitor saved, and the notebook says
that the site's version is newer, with one click to get it (the visitor's
copy kept beside it as "lesson (mine).ipynb")."""

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
            page = open_in_notebook(context, server.url, "lesson.ipynb")
            notice = page.locator(".Toastify__toast", has_text="lesson.ipynb has changed on the site")
            if storage == "fresh":  # what the visitor sees is the site's: nothing to say
                assert notice.count() == 0
                return
            # "keep": the notebook says the site's version is newer; one click gets it, theirs kept beside it
            notice.wait_for(timeout=30000)
            assert "lesson (mine).ipynb" in notice.inner_text()
            with page.expect_navigation():
                notice.get_by_role("button", name="Get the site's version").click()
            page.wait_for_function("() => document.body.dataset.ytliteChecked === 'lesson.ipynb'", timeout=120000)
            page.locator(".jp-RenderedMarkdown", has_text="the teacher's fix").wait_for(timeout=30000)
            assert page.locator(".Toastify__toast", has_text="has changed on the site").count() == 0
            texts = page.evaluate("""async () => {
                const c = window.jupyterapp.serviceManager.contents, out = {};
                for (const p of ['lesson.ipynb', 'lesson (mine).ipynb'])
                    out[p] = [].concat((await c.get(p, {content: true})).content.cells[0].source).join('');
                return out; }""")
            assert texts == {"lesson.ipynb": "the teacher's fix", "lesson (mine).ipynb": "my answer"}
        finally:
            context.close()


def open_in_notebook(context, url, path):
    """The notebook app on ``path``, once ytlite's extension has looked at it."""
    page = context.new_page()
    page.goto(f"{url}/notebooks/index.html?path={path}")
    page.wait_for_function(f"() => document.body.dataset.ytliteChecked === {path!r}", timeout=120000)
    return page


def test_shipped_notebooks_carry_their_version(tmp_path):
    """The stamp is the version of the teacher's file: the same file gives the
    same stamp, a changed one another; the cells are shipped as they are."""
    from ytlite.site import SHIPPED_STAMP, stage_content

    source = tmp_path / "course"
    (source / "week 2").mkdir(parents=True)
    (source / "lesson.ipynb").write_text(lesson("v1"))
    (source / "week 2" / "lab.ipynb").write_text(lesson("lab"))
    (source / "notes.txt").write_text("not a notebook")
    first = stage_content(source, tmp_path / "a", log=lambda m: None)
    assert set(first) == {"lesson.ipynb", "week 2/lab.ipynb"}
    shipped = json.loads((tmp_path / "a" / "lesson.ipynb").read_text())
    assert shipped["metadata"]["ytlite"][SHIPPED_STAMP] == first["lesson.ipynb"]
    assert shipped["cells"] == json.loads(lesson("v1"))["cells"]
    assert stage_content(source, tmp_path / "b", log=lambda m: None) == first  # same files, same versions
    (source / "lesson.ipynb").write_text(lesson("v2"))
    second = stage_content(source, tmp_path / "c", log=lambda m: None)
    assert second["lesson.ipynb"] != first["lesson.ipynb"] and second["week 2/lab.ipynb"] == first["week 2/lab.ipynb"]
