"""Atom feeds (site-wide and per listing) and the sitemap."""

from __future__ import annotations

from typing import Sequence

from sitegen import urls as routes
from sitegen.feeds import atom_time, entry_date
from sitegen.taxonomy import Tags
from sitegen.views import FeedCategory, FeedEntry, FeedView, SitemapView
from sitegen.plan.context import Planner, clip, hardware_title, topic_title
from sitegen.plan.records import PagePlan, page_plan


def plan_feed(p: Planner, scope: str, title: str, alternate_route: str, slugs: Sequence[str]) -> PagePlan:
    papers = tuple(p.by_slug[slug] for slug in slugs[: p.data.settings.feed_size])
    captures = dict(p.data.settings.capture_dates)
    entries = tuple(
        FeedEntry(paper.title, p.urls.absolute(routes.paper(paper.slug)),
                  atom_time(entry_date(paper, captures)), clip(paper.abstract, 500),
                  paper.author_names, _feed_categories(p, p.tags_of(paper.slug)))
        for paper in papers)
    # A capture date can be newer than every paper date; the feed is never older than an entry.
    updated = max([p.updated, *(entry.updated for entry in entries)])
    view = FeedView(title, p.urls.absolute(routes.feed(scope)), p.urls.absolute(routes.feed(scope)),
                    p.urls.absolute(alternate_route), updated, p.data.settings.author, entries)
    route = routes.feed(scope)
    return page_plan(route, "feed.xml", "", p.meta(title, title, route), view)


def _feed_categories(p: Planner, tags: Tags) -> tuple[FeedCategory, ...]:
    """Atom categories: each topic and hardware entry, its id as the term, its page as the scheme."""
    taxonomy = p.data.taxonomy
    return tuple(
        [FeedCategory(t.id, topic_title(taxonomy, t.id), p.urls.absolute(routes.topics_index()))
         for t in tags.topics]
        + [FeedCategory(t.id, hardware_title(taxonomy, t.id), p.urls.absolute(routes.hardware_index()))
           for t in tags.hardware])


def plan_feeds_and_sitemap(p: Planner) -> None:
    p.emit("feed", "", lambda: (plan_feed(p, "", f"{p.data.settings.title}: all papers", routes.home(),
                                          p.orders.newest),))
    p.reuse.publish("indexed", tuple(page.route for page in p.pages
                                     if page.template.endswith(".html") and not page.meta.noindex))
    p.emit("sitemap", None, lambda: (page_plan(
        "sitemap.xml", "sitemap.xml", "", p.meta("Sitemap", "", "sitemap.xml"),
        SitemapView(tuple(sorted(p.urls.absolute(route) for route in p.reuse.root("indexed"))))),))
