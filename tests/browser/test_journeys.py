"""Readers' journeys through the built seed site in Chromium, served under /repo/."""

from __future__ import annotations

import pytest

from seedsite import PAGE_TYPES, SUB_PATH

from .conftest import open_page, require_chromium

require_chromium()
from playwright.sync_api import expect  # noqa: E402 (only once Playwright is known to be there)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
FA2 = "flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning"
FA3 = "flashattention-3-fast-and-accurate-attention-with-asynchrony-and-low-precision"


def kicker(page):
    return page.locator(".page-head .kicker")


def test_home_to_topic_to_paper_to_related_and_back(page, served_site):
    page.goto(served_site.url())
    topic_link = page.locator("section[aria-labelledby=topics] a").first
    topic_href = topic_link.get_attribute("href")
    topic_link.click()
    expect(page).to_have_url(served_site.url(topic_href.removeprefix(SUB_PATH)))
    expect(kicker(page)).to_have_text("Topic")

    card = page.locator(".card-title a").first
    paper_title = card.inner_text()
    card.click()
    expect(page.locator("h1")).to_have_text(paper_title)
    expect(kicker(page)).to_contain_text("Paper")

    related = page.locator("ol.related a").first
    related_title = related.inner_text()
    related.click()
    expect(page.locator("h1")).to_have_text(related_title)
    assert related_title != paper_title

    page.go_back()
    expect(page.locator("h1")).to_have_text(paper_title)
    page.go_back()
    expect(kicker(page)).to_have_text("Topic")


def test_hardware_tree_down_to_a_model(page, served_site):
    page.goto(served_site.url())
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hardware").click()
    expect(page.locator("h1")).to_have_text("Hardware")
    page.locator("main .depth-0 a", has_text="NVIDIA").first.click()
    expect(kicker(page)).to_have_text("Hardware vendor")
    page.locator("aside .depth-0 a", has_text="NVIDIA Hopper").click()
    expect(kicker(page)).to_have_text("Hardware family")
    page.locator("aside a", has_text="H100").click()
    expect(kicker(page)).to_have_text("Model")
    expect(page.locator("h1")).to_have_text("H100")
    crumbs = page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")
    expect(crumbs).to_have_text(["Hardware", "NVIDIA", "NVIDIA Hopper"])
    assert page.locator(".card").count() > 0


def test_matrix_cell_opens_its_intersection(page, served_site):
    page.goto(served_site.url("topics/"))
    page.get_by_role("link", name="Topic × hardware matrix").click()
    for vendor in ("AMD", "Intel accelerators and GPUs", "Google TPU", "Huawei Ascend", "Apple silicon"):
        expect(page.get_by_role("columnheader", name=vendor)).to_be_visible()
    cell = page.locator('td a[aria-label$=" on LLM serving with NVIDIA Hopper"]')
    count = int(cell.inner_text())
    cell.click()
    expect(kicker(page)).to_have_text("Topic × hardware")
    expect(page.locator("h1")).to_have_text("LLM serving on NVIDIA Hopper")
    expect(page.locator(".page-actions")).to_contain_text(f"{count} paper")
    cards = page.locator(".card").count()
    assert 0 < cards <= count
    expect(page.locator(".pager")).to_have_count(0 if cards == count else 1)

def test_matrix_on_a_phone_keeps_topics_in_view_while_its_columns_scroll(browser, served_site, page_problems):
    context, tab = open_page(browser, page_problems, viewport=PHONE)
    tab.goto(served_site.url("matrix/"))
    region = tab.get_by_role("region", name="Topic by hardware matrix")
    topic = tab.get_by_role("rowheader", name="LLM serving")
    # The labels leave most of the screen to the numbers.
    assert topic.bounding_box()["width"] < PHONE["width"] / 3
    region.evaluate("scroller => { scroller.scrollLeft = scroller.scrollWidth; }")
    assert region.evaluate("scroller => scroller.scrollLeft") > 0
    assert topic.bounding_box()["x"] <= region.bounding_box()["x"] + 1, "the topic labels scrolled out of view"
    cell = tab.locator('td a[aria-label$=" on LLM serving with GPU clusters"]')
    cell.click()
    expect(tab.locator("h1")).to_have_text("LLM serving on GPU clusters")
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
    assert page_problems.seen == []


def test_navigation_stays_on_one_line_at_1280px_with_one_more_page(page, served_site):
    page.goto(served_site.url())
    # One more standalone page in the navigation, as a curator would add one.
    page.evaluate("""() => { const search = document.querySelector('.site-header nav li:last-child');
        const item = search.previousElementSibling.cloneNode(true);
        item.querySelector('a').textContent = 'Reading group';
        search.before(item); }""")
    tops = page.locator(".site-header .brand, .site-header nav li").evaluate_all(
        "items => items.map(item => Math.round(item.getBoundingClientRect().top))")
    assert max(tops) - min(tops) <= 6, f"the header wraps: tops {tops}"


def test_paper_page_uses_the_desktop_width(page, served_site):
    page.goto(served_site.url(PAGE_TYPES["paper"]))
    main = page.locator("main").bounding_box()
    side = page.locator(".paper-side").bounding_box()
    abstract = page.locator(".abstract").bounding_box()
    assert side["x"] > abstract["x"] + abstract["width"], "links and sources sit beside the abstract"
    assert side["x"] + side["width"] > main["x"] + 0.9 * main["width"], "the right of the page is empty"


KIVI = "kivi-a-tuning-free-asymmetric-2bit-quantization-for-kv-cache"
GPTQ = "gptq-accurate-post-training-quantization-for-generative-pre-trained-transformers"


def test_search_with_a_query_and_a_hardware_filter(page, served_site):
    assert (served_site.folder / "pagefind").is_dir(), "the build wrote no Pagefind index"
    page.goto(served_site.url("search/?q=flashattention&hardware=NVIDIA%20Hopper"))
    results = page.locator("#search")
    expect(results.locator(f'a[href$="/papers/{FA3}/"]').first).to_be_visible(timeout=10_000)
    expect(results.locator(f'a[href$="/papers/{FA2}/"]')).to_have_count(0)


def test_search_with_a_query_and_a_topic_filter(page, served_site):
    page.goto(served_site.url("search/?q=quantization&topic=KV%20cache"))
    results = page.locator("#search")
    expect(results.locator(f'a[href$="/papers/{KIVI}/"]').first).to_be_visible(timeout=10_000)
    expect(results.locator(f'a[href$="/papers/{GPTQ}/"]')).to_have_count(0)  # quantization, not KV cache


FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])"


def tab_through(page) -> list[dict]:
    """Press Tab until focus leaves the document; what had focus, and how it looked then."""
    page.evaluate("""() => {
        window.focusLog = [];
        document.addEventListener('focusin', (event) => {
            const el = event.target, style = getComputedStyle(el), tip = el.querySelector('.evidence');
            window.focusLog.push({key: el.dataset.tabKey, outline: style.outlineStyle,
                                  width: parseFloat(style.outlineWidth), tip: tip ? getComputedStyle(tip).display : null});
        });
    }""")
    for _ in range(page.locator(FOCUSABLE).count()):
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # one more: focus leaves the page, so nothing further was reachable
    return page.evaluate("window.focusLog")


@pytest.mark.parametrize("name", ["paper", "topic", "home", "search"])
def test_keyboard_reaches_every_link_and_chip_with_visible_focus(page, served_site, name):
    page.goto(served_site.url(PAGE_TYPES[name]), wait_until="networkidle")  # scripts' controls too
    expected = page.evaluate(f"""() => [...document.querySelectorAll("{FOCUSABLE}")]
        .filter((el) => el.checkVisibility({{visibilityProperty: true}}) && !el.disabled)
        .map((el, i) => (el.dataset.tabKey = String(i)))""")
    page.locator("body").focus()
    seen = tab_through(page)
    assert [s["key"] for s in seen] == expected  # every one, in document order
    assert page.locator(".chip").count() > 0
    hidden = [s for s in seen if s["outline"] == "none" or s["width"] < 2]
    assert hidden == []
    assert all(s["tip"] == "block" for s in seen if s["tip"] is not None), "chip evidence shows on focus"


def test_skip_link_is_first_and_visible_on_focus(page, served_site):
    page.goto(served_site.url(PAGE_TYPES["paper"]))
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    expect(page).to_have_url(served_site.url(PAGE_TYPES["paper"]) + "#main")


def test_phone_viewport_never_scrolls_sideways(browser, served_site, page_problems):
    context, tab = open_page(browser, page_problems, viewport=PHONE)
    wider = {}
    for name, route in PAGE_TYPES.items():
        tab.goto(served_site.url(route))
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wider[name] = width
    context.close()
    assert wider == {}
    assert page_problems.seen == []


def luminance(rgb: str) -> float:
    """Relative luminance (WCAG) of a computed CSS colour "rgb(r, g, b)"."""
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_dark_mode_is_dark_with_readable_text(browser, served_site, page_problems):
    context, tab = open_page(browser, page_problems, color_scheme="dark")
    tab.goto(served_site.url(PAGE_TYPES["paper"]))
    colours = tab.evaluate("""() => {
        const css = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
        return {bg: css('body', 'backgroundColor'), text: css('body', 'color'), link: css('main a', 'color'),
                muted: css('.kicker', 'color'), card: css('.site-header', 'backgroundColor')};
    }""")
    context.close()
    assert luminance(colours["bg"]) < 0.05
    for colour in ("text", "link", "muted"):
        assert contrast(colours[colour], colours["bg"]) >= 4.5, colour
        assert contrast(colours[colour], colours["card"]) >= 4.5, colour
    assert page_problems.seen == []


def test_no_console_errors_or_failed_requests_on_any_page_type(page, served_site, page_problems):
    for route in PAGE_TYPES.values():
        page.goto(served_site.url(route))
        if page.locator("script[src]").count():  # let scripts finish their requests and rendering
            page.wait_for_load_state("networkidle")
    assert page_problems.seen == []
