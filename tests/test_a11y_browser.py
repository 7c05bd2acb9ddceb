"""Accessibility of the viewer page, in Chromium: axe-core (npm, pinned in
lite/package.json) finds no serious or critical violation (WCAG 2.2 AA rules,
contrast included) on the page in its light theme and on the exhibit in its
dark one; every control is reached by the keyboard in the page's order, with
a visible focus."""

from __future__ import annotations

import pytest

from support.paths import SITE

pytestmark = pytest.mark.skipif(not (SITE / "view" / "index.html").exists(),
                                reason="site not built: run python3 build.py build")


def axe_source():
    import importlib.util

    from support.paths import ROOT

    spec = importlib.util.spec_from_file_location("ytlite_build", ROOT / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    path = build.npm_modules() / "axe-core" / "axe.min.js"
    if not path.exists():
        pytest.skip(f"axe-core not installed: {path}")
    return path.read_text()


@pytest.fixture(scope="module")
def axe():
    return axe_source()


def violations(page, axe):
    page.add_script_tag(content=axe)
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
        resultTypes: ['violations']})""")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5], v["help"])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("query, size", [("", (1280, 800)), ("exhibit", (1280, 800)), ("", (390, 844)),
                                         ("exhibit", (390, 844))])
def test_axe_finds_nothing_serious(browser, site_url, axe, query, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        page.goto(f"{site_url}/view/?{query}")
        page.wait_for_function("() => !!document.querySelector('canvas.ytlite-image')?.dataset.frame", timeout=30000)
        found = violations(page, axe)
        assert not found, found
        # the page fits the window's width: nothing to scroll sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    finally:
        context.close()


def test_every_control_is_reached_by_the_keyboard_with_a_visible_focus(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{site_url}/view/")
        page.wait_for_function("() => !!document.querySelector('canvas.ytlite-image')?.dataset.frame", timeout=30000)
        controls = page.evaluate("""() => [...document.querySelectorAll('select, input, button, a[href], [tabindex="0"]')]
            .filter(e => !e.disabled && e.getClientRects().length).length""")
        seen = []
        for _ in range(controls + 2):
            page.keyboard.press("Tab")
            seen.append(page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
                const visible = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 || s.boxShadow !== 'none'
                    || (e.closest('label') && getComputedStyle(e.closest('label')).outlineStyle !== 'none');
                return [e.tagName + (e.className ? '.' + e.className : '') + (e.id ? '#' + e.id : ''), visible]; }"""))
        names = [n for n, _ in seen]
        assert len(set(names)) >= controls, names  # every control in the tab order
        assert "CANVAS.ytlite-image" in names  # (the image itself: arrows pan, + and - zoom)
        hidden = [n for n, visible in seen if not visible and n != "BODY"]
        assert not hidden, f"focus not visible on {hidden}"
    finally:
        context.close()


def test_the_checker_finds_a_planted_violation(browser, site_url, axe):
    """(The checks above can fail: faint text and an unlabeled control on the same page are found.)"""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{site_url}/view/")
        page.wait_for_function("() => !!document.querySelector('canvas.ytlite-image')?.dataset.frame", timeout=30000)
        page.evaluate("""() => { const p = document.createElement('p'); p.textContent = 'faint words';
            p.style.cssText = 'color: #c8c8c8; background: #fff'; document.querySelector('main').append(p);
            document.querySelector('main').append(document.createElement('select')); }""")
        found = {v[0] for v in violations(page, axe)}
        assert {"color-contrast", "select-name"} <= found, found
    finally:
        context.close()
