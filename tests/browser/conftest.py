"""Browser-test fixtures: one Chromium and one built seed site (served under /repo/) per session.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright without
`playwright install`. Without it these tests are skipped with the reason in the summary;
under `CI=true` a missing browser is a failure, so CI can never go green by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from seedsite import CHROMIUM_PATH, ServedSite, launch_chromium, served_seed_site  # noqa: E402

MARKERS = (
    "browser: runs in Debian's Chromium or checks the built seed site (deselect with -m 'not browser')",
    "lighthouse: runs Lighthouse from node_modules (slow; needs `npm ci`)",
)


def pytest_configure(config):
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def require(available: bool, reason: str) -> None:
    """Skip loudly when a tool is missing; fail instead under CI=true. Works in a test or a module."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(f"SKIPPED, NOT PASSED: {reason}", allow_module_level=True)


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def require_chromium() -> None:
    """Debian's Chromium and Playwright; call it before importing Playwright in a test module."""
    require(CHROMIUM_PATH.exists() and installed("playwright"),
            f"browser tests need Debian's Chromium at {CHROMIUM_PATH} (apt-get install chromium) "
            "and the Python package playwright (pip install -e '.[test]')")


@pytest.fixture(scope="session")
def served_site(tmp_path_factory) -> ServedSite:
    """The seed project built for http://127.0.0.1:PORT/repo/ and served there."""
    with served_seed_site(tmp_path_factory.mktemp("www")) as site:
        yield site


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (each test gets its own context)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by one browser context."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.seen.append(
            f"console error on {page.url}: {message.text}"))
        page.on("pageerror", lambda exc: self.seen.append(f"uncaught exception on {page.url}: {exc}"))
        page.on("response", lambda response: response.status >= 400 and self.seen.append(
            f"HTTP {response.status} for {response.url} (from {page.url})"))
        # Leaving a page aborts what it still had open (the live-reload stream): not a failure.
        page.on("requestfailed", lambda request: request.failure != "net::ERR_ABORTED" and self.seen.append(
            f"request failed: {request.url} ({request.failure}) from {page.url}"))


def open_page(browser, problems: PageProblems, **context_options):
    """A fresh context and page whose console errors and failed requests go to `problems`."""
    context = browser.new_context(**context_options)
    context.on("page", problems.watch)
    return context, context.new_page()


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser, page_problems):
    """A desktop page in light mode; the test fails if any page it opened logged an error."""
    context, tab = open_page(browser, page_problems, viewport={"width": 1280, "height": 800})
    yield tab
    context.close()
    assert page_problems.seen == [], "\n".join(page_problems.seen)
