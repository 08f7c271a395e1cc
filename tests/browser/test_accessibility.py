"""axe-core on one page of every page type: no serious or critical violations, light or dark."""

from __future__ import annotations

import pytest

from seedsite import PAGE_TYPES

from .conftest import installed, open_page, require, require_chromium

require_chromium()
require(installed("axe_playwright_python"), "accessibility tests need axe-playwright-python (pip install -e '.[test]')")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402 (only once Playwright is known to be there)

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
AXE = Axe()
# Every card is the same macro: checking a list's first 20 checks them all, in far less time
# than its 200 (contrast checks cost per element).
CONTEXT = {"exclude": [[".cards > .card:nth-child(n+21)"]]}


def blocking_violations(tab, rules: list[str] | None = None) -> list[str]:
    """One line per serious or critical axe violation on the open page, with where it is."""
    if tab.locator("script[src]").count():
        tab.wait_for_load_state("networkidle")  # check what scripts render too
    options = {"resultTypes": ["violations"], **({"runOnly": rules} if rules else {})}
    violations = AXE.run(tab, context=CONTEXT, options=options).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations if v["impact"] in BLOCKING]


@pytest.fixture(scope="module", params=["light", "dark"])
def scheme_tab(request, browser):
    """One tab per colour scheme, shared by the pages checked in it."""
    context, tab = open_page(browser, _Ignored(), color_scheme=request.param)
    yield tab
    context.close()


class _Ignored:
    """Console problems are another test's business (test_journeys)."""

    def watch(self, page) -> None:
        pass


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_no_serious_or_critical_violations(scheme_tab, served_site, name):
    scheme_tab.goto(served_site.url(PAGE_TYPES[name]))
    # Only colours change with the scheme: the dark pass checks contrast, the light one everything.
    dark = scheme_tab.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    assert blocking_violations(scheme_tab, ["color-contrast"] if dark else None) == []
