#!/usr/bin/env python3
"""The pictures in README.md: the viewer page of the built site as a person
sees it, in headless Chromium, into docs/images/:

    kiosk-1280x800.png      the viewer page on a laptop
    kiosk-390x844.png       on a phone (touch), the figure first
    exhibit-1280x800.png    view/?exhibit, the exhibit on a touch screen

    .venv/bin/python docs/screenshots.py [--site _site]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.browser import CHROMIUM, CHROMIUM_ARGS, StaticServer  # noqa: E402

SHOTS = [
    ("kiosk-1280x800.png", "", (1280, 800), False),
    ("kiosk-390x844.png", "", (390, 844), True),
    ("exhibit-1280x800.png", "exhibit", (1280, 800), True),
]


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, default=ROOT / "_site")
    args = parser.parse_args()
    out = ROOT / "docs" / "images"
    out.mkdir(exist_ok=True)
    with StaticServer(args.site) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, query, (w, h), touch in SHOTS:
            context = browser.new_context(viewport={"width": w, "height": h}, has_touch=touch, is_mobile=touch and w < 600)
            page = context.new_page()
            page.goto(f"{server.url}/view/?{query}")
            page.wait_for_function("() => !!document.querySelector('canvas.ytlite-image')?.dataset.frame", timeout=60000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / name))
            print(f"docs/images/{name}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
