"""Save screenshots of each page type of the seed site, light and dark, desktop and phone.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds the seed site, serves it under /repo/ and photographs one page of each type with
Debian's Chromium: `NAME-{light,dark}-{desktop,phone}.png`, the visible viewport only (the
top of the page is what a reader sees first, and it keeps the pictures small).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from seedsite import PAGE_TYPES, ROOT, launch_chromium, served_seed_site

# (name, route): one page per page type; the search page with a query and a filter applied.
PAGES = tuple((name, PAGE_TYPES[name]) for name in ("home", "topic", "paper", "hardware", "matrix", "path")) + (
    ("search", PAGE_TYPES["search"] + "?q=attention&hardware=NVIDIA%20Hopper"),
)
VIEWPORTS = (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 360, "height": 740}))
SCHEMES = ("light", "dark")


def take_screenshots(base_url: str, out: Path) -> list[Path]:
    """Every page x scheme x viewport as a PNG in `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for device, viewport in VIEWPORTS:
            for scheme in SCHEMES:
                context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1)
                page = context.new_page()
                for name, route in PAGES:
                    page.goto(base_url + route, wait_until="networkidle")
                    path = out / f"{name}-{scheme}-{device}.png"
                    page.screenshot(path=str(path), animations="disabled", caret="hide")
                    written.append(path)
                context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="folder for the PNGs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sitegen-shots-") as workdir, served_seed_site(Path(workdir)) as site:
        written = take_screenshots(site.base_url, args.out)
    for path in written:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
