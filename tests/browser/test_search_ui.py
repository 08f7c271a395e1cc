"""Search in a real browser: the fixture site built with its index, served under /list/.

Uses the session's one Chromium (tests/browser/conftest.py): two Playwright instances in
one process collide.

Chromium (system package, e.g. /usr/bin/chromium) driven by Python Playwright; no browser
download. Without them these tests skip loudly, except in CI (CI=true), where they fail.
Select them with `pytest -m browser`.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sitegen.pipeline import Overrides, build
from test_search import FLASH, SERVING, UNTAGGED, search_project

pytestmark = pytest.mark.browser

WAIT_MS = 15_000  # an upper bound for the page to settle, not a speed requirement


def build_with_search(project: Path, output: Path) -> None:
    """`sitegen build` itself, which indexes search by default."""
    result = build(project, Overrides(output=str(output)))
    assert not [d for d in result.site.diagnostics if d.path == "search"], result.site.diagnostics


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """A plain static server whose /list/ is the site built for https://example.org/list/."""
    work = tmp_path_factory.mktemp("browser")
    served = work / "served"
    served.mkdir()
    (served / "favicon.ico").write_bytes(b"")  # the browser asks for it at the server root
    build_with_search(search_project(work / "project"), served / "list")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/list/"
    server.shutdown()
    server.server_close()


def wait_for_results(page, urls: list[str], ordered: bool = False) -> None:
    """Wait until the result links are exactly `urls` (in this order when `ordered`)."""
    page.wait_for_function(
        """([urls, ordered]) => {
             const links = document.querySelectorAll('#search-results .card-title a');
             const found = [...links].map((a) => a.getAttribute('href'));
             const key = (list) => JSON.stringify(ordered ? list : [...list].sort());
             const settled = !document.getElementById('search-status').textContent.startsWith('Loading');
             return settled && key(found) === key(urls);
           }""", arg=[urls, ordered], timeout=WAIT_MS)


def status(page) -> str:
    return page.locator("#search-status").text_content()


def test_query_finds_papers_and_links_work_under_the_sub_path(page, site_url):
    page.goto(site_url + "search/?q=attention")
    wait_for_results(page, [FLASH, SERVING])
    assert status(page) == "2 papers matching “attention”."
    assert page.input_value("#search-q") == "attention"
    page.click(f'#search-results a[href="{FLASH}"]')
    page.wait_for_url(site_url + FLASH.removeprefix("/list/"))
    assert page.locator("h1").text_content() == "FlashAttention on Hopper: Fast KV Cache Attention with H100s"


def test_topic_page_opens_the_search_filtered_and_words_narrow_it(page, site_url):
    page.goto(site_url + "topics/kv-cache/")
    page.click("text=Search within this topic")
    wait_for_results(page, [FLASH, SERVING])
    assert page.is_checked('input[name="topic"][value="KV cache"]')
    page.fill("#search-q", "hopper")
    wait_for_results(page, [FLASH])
    assert status(page) == "1 paper matching “hopper” with the chosen filters."
    assert page.url == site_url + "search/?q=hopper&topic=kv-cache"  # filters are written as ids


def test_filters_in_the_url_may_be_ids_or_titles_and_show_as_removable_chips(page, site_url):
    page.goto(site_url + "search/?topic=KV%20CACHE&hardware=nvidia")  # a title in any case, an id
    wait_for_results(page, [FLASH])
    assert page.is_checked('input[name="topic"][value="KV cache"]')
    assert page.is_checked('input[name="hardware"][value="NVIDIA"]')
    assert page.url == site_url + "search/?topic=kv-cache&hardware=nvidia"  # filter groups in page order
    chips = page.get_by_role("list", name="Active filters").get_by_role("button")
    assert [" ".join(text.split()) for text in chips.all_inner_texts()] == [
        "Remove filter Topic: KV cache ×", "Remove filter Hardware: NVIDIA ×"]  # "Remove filter" is not shown
    page.get_by_role("button", name="Remove filter Hardware: NVIDIA").click()
    wait_for_results(page, [FLASH, SERVING])
    assert page.url == site_url + "search/?topic=kv-cache"
    assert not page.is_checked('input[name="hardware"][value="NVIDIA"]')
    assert page.evaluate("document.activeElement.textContent") == "Remove filter Topic: KV cache ×"
    page.keyboard.press("Enter")
    wait_for_results(page, [SERVING, FLASH, UNTAGGED])
    assert page.get_by_role("list", name="Active filters").is_hidden()
    assert page.evaluate("document.activeElement.id") == "search-q"


def test_on_a_phone_the_filters_come_first_and_fold(browser, site_url):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    phone = context.new_page()
    phone.goto(site_url + "search/?topic=kv-cache")
    wait_for_results(phone, [FLASH, SERVING])
    fold, results = phone.locator("#search-fold summary"), phone.locator("#search-results")
    assert fold.bounding_box()["y"] < results.bounding_box()["y"]
    assert " ".join(fold.inner_text().split()) == "Filters (1 active)"
    assert phone.locator('fieldset[data-filter="topic"]').is_hidden()  # folded
    fold.click()
    assert phone.locator('fieldset[data-filter="topic"]').is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_hardware_vendor_page_opens_the_search_filtered_by_vendor(page, site_url):
    page.goto(site_url + "hardware/nvidia/")
    page.click("text=Search within this hardware vendor")
    wait_for_results(page, [FLASH])
    assert page.is_checked('input[name="hardware"][value="NVIDIA"]')


def test_filters_work_from_the_keyboard_and_land_in_the_url(page, site_url):
    page.goto(site_url + "search/")
    wait_for_results(page, [SERVING, FLASH, UNTAGGED], ordered=True)  # no words: newest first
    year = page.locator('input[name="year"][value="2024"]')
    year.focus()
    page.keyboard.press("Space")
    wait_for_results(page, [FLASH])
    assert page.evaluate("document.activeElement.name + '=' + document.activeElement.value") == "year=2024"
    assert page.url == site_url + "search/?year=2024"
    counts = page.locator('fieldset[data-filter="year"] li').all_inner_texts()
    assert [" ".join(text.split()) for text in counts] == ["2025 1", "2024 1"]  # ignoring the year's own choice


def test_sort_status_and_summary_words(page, site_url):
    page.goto(site_url + "search/?sort=upvotes")
    wait_for_results(page, [FLASH, SERVING, UNTAGGED])
    first = page.locator("#search-results .card-title a").first.get_attribute("href")
    assert first == FLASH and page.input_value("#search-sort") == "upvotes"
    page.goto(site_url + "search/?status=reading")
    wait_for_results(page, [SERVING])
    page.goto(site_url + "search/?q=zebra")  # a word only the curator's summary has
    wait_for_results(page, [SERVING])


def test_titles_and_excerpts_are_text_not_markup(page, site_url):
    page.goto(site_url + "search/?q=alert")
    wait_for_results(page, [SERVING])
    title = page.locator("#search-results .card-title a").text_content()
    assert title == "Serving <script>alert(1)</script> Models on a Single GPU"
    assert page.locator("#search-results script").count() == 0
    assert page.locator("#search-results .search-excerpt mark").count() >= 1
    assert page.locator("#search-results .chip").all_text_contents() == ["KV cache", "Attention", "Single GPU"]
