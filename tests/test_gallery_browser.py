"""The gallery page (_site/gallery/, build.py: build_gallery) in headless
Chromium: an entry with a decodable thumbnail for every dataset of the kiosk's
list, each viewer link opening and drawing that dataset, the notebook links,
the copy buttons, and no request leaving 127.0.0.1."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from support.paths import SITE

pytestmark = pytest.mark.skipif(not (SITE / "gallery" / "index.html").exists(),
                                reason="site not built: run python3 build.py build")


@pytest.fixture
def page(browser, site_url):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    requests, errors = [], []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.requests, page.errors = requests, errors
    yield page
    context.close()


def test_every_dataset_has_a_thumbnail_and_opens_in_the_viewer(page, site_url):
    datasets = [d["path"] for d in json.loads((SITE / "view" / "site.json").read_text())["datasets"]]
    assert datasets, "the site lists no datasets"
    page.goto(f"{site_url}/gallery/")
    page.wait_for_load_state("load")
    entries = page.locator("article.dataset")
    assert sorted(entries.evaluate_all("els => els.map(e => e.dataset.file)")) == sorted(datasets)
    for file in datasets:
        entry = page.locator(f'article.dataset[data-file="{file}"]')
        image = entry.locator("img.thumb").evaluate(
            "img => ({w: img.naturalWidth, h: img.naturalHeight, aw: img.width, ah: img.height, done: img.complete})")
        assert image["done"] and image["w"] > 0 and image["h"] > 0, (file, image)
        assert max(image["w"], image["h"]) == 256, (file, image)
        # the notebook that opens it is in the site, and uses it
        href = entry.locator("a.open-notebook").get_attribute("href")
        if "?path=" in href:
            notebook = parse_qs(urlparse(href).query)["path"][0]
            assert file.removesuffix("/stack.json") in (SITE / "files" / notebook).read_text(), (file, notebook)
        code = entry.locator("code").text_content()
        assert f'ytlite.load("{file.removesuffix("/stack.json")}")' in code

    for file in datasets:
        page.goto(f"{site_url}/gallery/")
        link = page.locator(f'article.dataset[data-file="{file}"] a.open-viewer')
        state = parse_qs(urlparse(link.get_attribute("href")).query)
        link.click()
        page.wait_for_function("() => !!document.querySelector('canvas.ytlite-image')?.dataset.frame", timeout=30000)
        frame = json.loads(page.locator("canvas.ytlite-image").get_attribute("data-frame"))
        assert parse_qs(urlparse(page.url).query)["file"] == [file]
        assert frame["field"] == state["field"][0], file
        if file.endswith("stack.json"):
            assert frame["depth"] == int(state["depth"][0])
        assert "error" not in (page.locator("#status").get_attribute("class") or ""), page.locator("#status").text_content()

    foreign = sorted({u for u in page.requests if not u.startswith((site_url + "/", "blob:", "data:"))})
    assert foreign == [] and page.errors == []


def test_copy_buttons_and_the_way_back_from_the_viewer(page, site_url):
    page.goto(f"{site_url}/view/")
    page.locator('a[href="../gallery/"]').first.click()
    page.wait_for_url(f"{site_url}/gallery/")
    entry = page.locator("article.dataset").first
    entry.locator("button.copy").click()
    page.wait_for_function("() => document.querySelector('button.copy').textContent === 'copied'")
    assert page.evaluate("navigator.clipboard.readText()") == entry.locator("code").text_content()
    assert page.errors == []
