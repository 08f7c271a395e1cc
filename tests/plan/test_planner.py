"""Page planning without building a site: routes, page families, paging, feeds, collisions,
and what the watch loop's memo hands back."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from sitegen.diagnostics import SitegenError
from sitegen.render import refuse_overlaps
from sitegen.plan import SiteData, plan_site
from sitegen.tracking import Recorded

from conftest import plan_project, planner_input

FA = "flashattention-on-hopper-fast-kv-cache-attention-with-h100s"
UNTAGGED = "a-paper-with-nothing-to-tag"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> SiteData:
    return planner_input(plan_project(tmp_path_factory.mktemp("plan") / "project"), page_size=2, feed_size=2,
                         epoch=1764547200)


@pytest.fixture(scope="module")
def plan(data):
    return plan_site(data)


def outputs(plan) -> set[str]:
    return {page.output for page in plan.pages}


def test_every_paper_has_its_page_and_citation_file(plan, data):
    papers = {page.route for page in plan.pages if page.template == "paper.html"}
    assert papers == {f"papers/{paper.slug}/" for paper in data.papers}
    files = {f.output for f in plan.files}
    assert {f"papers/{paper.slug}/cite.bib" for paper in data.papers} <= files


def test_each_family_plans_its_pages(plan, data):
    taxonomy, curation = data.taxonomy, data.curation
    kinds = Counter(page.template for page in plan.pages)
    assert kinds["home.html"] == kinds["matrix.html"] == kinds["404.html"] == kinds["sitemap.xml"] == 1
    assert kinds["path.html"] == len(curation.paths) == 1
    assert kinds["prose.html"] == len(curation.pages) == 2
    tags = {tag.slug for note in curation.notes.values() for tag in note.tags}
    # One feed for the site, each topic, hardware entry, model, free tag and author with a page.
    assert kinds["feed.xml"] == 1 + len(taxonomy.topics) + len(taxonomy.hardware) + len(taxonomy.models) \
        + len(tags) + 1
    assert {"tags/kernels/index.html", "tags/must-read/index.html", "authors/tri-dao/index.html",
            "topics/kv-cache/index.html", "hardware/h100/index.html", "reading/read/index.html",
            "about/index.html", "colophon/index.html", "search/index.html"} <= outputs(plan)


def test_no_search_page_without_search(data):
    plan = plan_site(dataclasses.replace(data, settings=dataclasses.replace(data.settings, search=False)))
    assert "search/index.html" not in outputs(plan)


def test_long_listings_are_paged(plan):
    pages = {page.output: page for page in plan.pages}
    assert [len(pages[output].view.cards) for output in ("papers/index.html", "papers/page/2/index.html")] == [2, 1]
    second = pages["papers/page/2/index.html"].view
    assert second.heading == "All papers (page 2)" and second.pager.previous and not second.pager.next
    assert "papers/page/3/index.html" not in pages


def test_feeds_hold_the_newest_papers_up_to_the_feed_size(plan, data):
    feed = next(page for page in plan.pages if page.output == "feed.xml").view
    assert len(feed.entries) == data.settings.feed_size == 2
    newest = [paper.title for paper in sorted((p for p in data.papers if p.date), key=lambda p: p.date.sort_key,
                                              reverse=True)][:2]
    assert [entry.title for entry in feed.entries] == newest


def test_a_curator_page_named_like_a_site_page_is_refused_at_its_file(data):
    page = dataclasses.replace(data.curation.pages[0], slug="tags", path="content/pages/tags.md")
    clash = dataclasses.replace(data, curation=dataclasses.replace(data.curation, pages=(page,)))
    with pytest.raises(SitegenError) as refused:  # by the one check of every output's owner
        refuse_overlaps(plan_site(clash), (), {})
    [problem] = refused.value.diagnostics
    assert str(problem).startswith("content/pages/tags.md:1:") and "/tags/" in str(problem)


def test_replanning_unchanged_data_hands_back_the_same_objects(data):
    reuse = Recorded()
    first = plan_site(data, reuse)
    again = plan_site(dataclasses.replace(data), reuse)  # an equal, new SiteData as every rebuild makes
    assert all(a is b for a, b in zip(first.pages, again.pages)) and len(first.pages) == len(again.pages)
    reused = [b for a, b in zip(first.files, again.files) if a is b]
    assert first.files == again.files and {f.output for f in again.files} - {f.output for f in reused} \
        == {".nojekyll", "robots.txt"}  # made afresh: a constant and one line


def test_a_rating_edit_replans_only_what_shows_the_rating(data):
    reuse = Recorded()
    first = {page.output: page for page in plan_site(data, reuse).pages}
    note = data.curation.notes[FA]
    notes = {**data.curation.notes, FA: dataclasses.replace(note, rating=1)}
    edited = dataclasses.replace(data, curation=dataclasses.replace(data.curation, notes=notes))
    second = {page.output: page for page in plan_site(edited, reuse).pages}
    replanned = {output for output, page in second.items() if page is not first[output]}
    assert f"papers/{FA}/index.html" in replanned and "reading/read/index.html" in replanned
    assert f"papers/{UNTAGGED}/index.html" not in replanned and "topics/index.html" not in replanned
    assert second == {page.output: page for page in plan_site(edited).pages}  # what a clean plan gives
