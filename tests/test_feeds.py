"""Feed entries: dates that only their own paper decides, categories, one feed per tag."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, copy_project
from sitegen.catalog.merge import build_catalog
from sitegen.catalog.records import Occurrence, PaperDate
from sitegen.feeds import UNKNOWN_DATE, entry_date
from sitegen.pipeline import Overrides, build
from sitegen.sources.listing import parse_listing

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.org/list/"


def build_site(project: Path) -> Path:
    out = project / "_site"
    build(project, Overrides(output=str(out), base_url=BASE, search=False))
    return out


def entry_dates(site: Path) -> dict[tuple[str, str], str]:
    """(feed, entry id) -> <updated>, over every feed of the site."""
    dates = {}
    for feed in site.rglob("feed.xml"):
        for entry in ET.parse(feed).getroot().iter(ATOM + "entry"):
            dates[feed.relative_to(site).as_posix(), entry.findtext(ATOM + "id")] = entry.findtext(ATOM + "updated")
    return dates


@pytest.fixture(scope="module")
def seed_copy(tmp_path_factory) -> tuple[Path, Path]:
    project = copy_project(ROOT, tmp_path_factory.mktemp("feeds"))
    return project, build_site(project)


def test_adding_editing_and_removing_papers_never_redates_other_entries(seed_copy, tmp_path):
    project, site = seed_copy
    before = entry_dates(site)
    changed = copy_project(project, tmp_path / "changed")
    # A newer paper arrives in a new listing (with its capture date) ...
    (changed / "seeds" / "005_new.txt").write_text(
        "new\n\nDaily Papers\n\nDec 1\n\nKV Cache Paging for Tomorrow's GPUs\n\n"
        "We page the KV cache of large language model serving across GPUs and hosts. " * 4 + "\n\n"
        "  • 3 authors\nDec 1, 2026 9\n", encoding="utf-8")
    settings = changed / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "  005_new.txt: 2026-12-01\n", encoding="utf-8")
    # ... an undated paper is edited and another one removed (a compact listing: two lines each).
    listing = changed / "seeds" / "000_87e08c3f23ac0e87.txt"
    lines = listing.read_text(encoding="utf-8").split("\n")
    lines[3] += " We add one more sentence."
    del lines[4:6]
    listing.write_text("\n".join(lines), encoding="utf-8")

    after = entry_dates(build_site(changed))
    kept = before.keys() & after.keys()
    assert len(kept) > 1000  # the site and every topic, hardware and tag feed
    assert {key: after[key] for key in kept} == {key: before[key] for key in kept}
    assert after["feed.xml", f"{BASE}papers/kv-cache-paging-for-tomorrow-s-gpus/"] == "2026-12-01T00:00:00Z"


def test_entries_carry_their_topics_and_hardware_as_categories(seed_copy):
    _, site = seed_copy
    records = {r["url"]: r for r in json.loads((site / "papers.json").read_text(encoding="utf-8"))}
    entries = list(ET.parse(site / "topics/kv-cache/feed.xml").getroot().iter(ATOM + "entry"))
    assert entries
    for entry in entries:
        record = records[entry.findtext(ATOM + "id")]
        got = [(c.get("scheme"), c.get("term")) for c in entry.iter(ATOM + "category")]
        assert got == ([(f"{BASE}topics/", t) for t in record["topics"]]
                       + [(f"{BASE}hardware/", h) for h in record["hardware"]])
        assert ("%stopics/" % BASE, "kv-cache") in got
        assert all(c.get("label") for c in entry.iter(ATOM + "category"))


def test_every_tag_has_a_feed_linked_from_its_page(seed_copy):
    _, site = seed_copy
    tags = sorted(p.parent for p in (site / "tags").glob("*/index.html"))
    assert len(tags) >= 5
    for tag in tags:
        feed = ET.parse(tag / "feed.xml").getroot()
        href = f"{BASE}tags/{tag.name}/"
        assert feed.find(ATOM + "link[@rel='alternate']").get("href") == href
        page = (tag / "index.html").read_text(encoding="utf-8")
        assert f'href="/list/tags/{tag.name}/feed.xml"' in page
        listed = set(re.findall(r'href="/list/(papers/[^"]+/)"', page))
        entries = {e.findtext(ATOM + "id").removeprefix(BASE) for e in feed.iter(ATOM + "entry")}
        assert entries == listed and entries


def _paper(listing: str, capture: dict[str, dt.date]):
    seed = parse_listing(listing, "seeds/a.txt")
    return build_catalog([seed], capture).papers[0]


TITLE_AND_ABSTRACT = "A Paper on Kernels\n\n" + "We write fast kernels for many GPUs and measure them. " * 5 + "\n\n"


def test_entry_date_is_the_papers_own_then_the_listings_capture_then_unknown():
    dated = _paper(TITLE_AND_ABSTRACT + "  • 2 authors\nMar 3, 2024\n", {})
    assert entry_date(dated, {"seeds/a.txt": dt.date(2025, 1, 1)}) == dt.date(2024, 3, 3)
    undated = _paper(TITLE_AND_ABSTRACT, {})
    assert entry_date(undated, {"seeds/a.txt": dt.date(2025, 1, 1)}) == dt.date(2025, 1, 1)
    assert entry_date(undated, {}) == UNKNOWN_DATE
    # Listed in two files: the earlier capture is when it was first listed.
    twice = undated.__class__(**{**{f: getattr(undated, f) for f in undated.__slots__},
                                 "occurrences": (Occurrence("seeds/a.txt", 1), Occurrence("seeds/b.txt", 1))})
    assert entry_date(twice, {"seeds/a.txt": dt.date(2025, 6, 1), "seeds/b.txt": dt.date(2025, 2, 1)}) \
        == dt.date(2025, 2, 1)
    year_less = _paper(TITLE_AND_ABSTRACT + "  • 2 authors\nMar 3\n", {})
    assert year_less.date == PaperDate(None, 3, 3) and entry_date(year_less, {}) == UNKNOWN_DATE
