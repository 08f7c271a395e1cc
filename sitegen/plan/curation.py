"""Pages of the curator's content: tags, reading lists, reading paths, standalone pages, and the
utility pages (404, search).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

from sitegen import urls as routes
from sitegen.views import Count, IndexView, Link, PathStepView, PathView, ProseView, SEARCH_FILTER_HEADINGS, SearchView
from sitegen.plan.context import Planner, clip, hardware_title, html, model_name, topic_title
from sitegen.plan.feeds import plan_feed
from sitegen.plan.listings import paged_list
from sitegen.plan.records import PagePlan, page_plan


STATUS_TITLES = {"to-read": "Queue", "reading": "Reading now", "read": "Read, with ratings"}

def curation_pages(p: Planner) -> None:
    curation = p.data.curation
    members = p.reuse.publish("tag-members", p.reuse.get("tag-members", None, lambda: tag_members(
        p.data.curation.notes)))
    for tag_slug in sorted(members.keys()):
        p.emit("tag", tag_slug, lambda tag_slug=tag_slug: _tag(p, tag_slug))
    p.emit("tags-index", None, lambda: (_tags_index(p),))
    for key in ("picks", *STATUS_TITLES):
        p.emit("reading-list", key, lambda key=key: _reading_list(p, key))
    for path in curation.paths:
        p.emit("path", path.slug, lambda slug=path.slug: (_path(p, slug),))
    p.emit("paths-index", None, lambda: (_paths_index(p),))
    for page in curation.pages:
        p.emit("standalone", page.slug, lambda slug=page.slug: (_standalone(p, slug),))


def _tag(p: Planner, tag_slug: str) -> tuple[PagePlan, ...]:
    """A free tag's list pages and its feed."""
    label = p.data.curation.tag_labels[tag_slug]
    newest = p.by_date(p.reuse.root("tag-members")[tag_slug])
    return paged_list(p, lambda page: routes.tag(tag_slug, page), newest, section="tags",
                      title=f"#{label}", kicker="Tag", description=f"Papers the curator tagged “{label}”.",
                      crumbs=(Link("Tags", p.href(routes.tags_index())),), bib_route=routes.bibtex(f"tags/{tag_slug}/"),
                      feed_route=routes.feed(routes.tag(tag_slug))) + (
        plan_feed(p, routes.tag(tag_slug), f"{p.data.settings.title}: #{label}", routes.tag(tag_slug), newest),)


def _tags_index(p: Planner) -> PagePlan:
    labels = p.data.curation.tag_labels
    return page_plan(routes.tags_index(), "index.html", "tags",
                     p.meta("Tags", "The curator's free tags.", routes.tags_index()),
                     IndexView("Tags", "The curator's own tags on papers.", tuple(
                         Count(labels[t], p.href(routes.tag(t)), len(s))
                         for t, s in sorted(p.reuse.root("tag-members").items()))))


def _reading_list(p: Planner, key: str) -> tuple[PagePlan, ...]:
    """The curator's picks, or the papers of one reading status; the lists link each other."""
    notes = p.data.curation.notes
    lists = [("picks", "Picks", routes.picks())]
    lists += [(status, heading, routes.reading_list(status)) for status, heading in STATUS_TITLES.items()]
    tabs = tuple(Link(label, p.href(r), k == key) for k, label, r in lists)
    heading, route = next((heading, route) for k, heading, route in lists if k == key)
    slugs = [s for s, n in notes.items() if (n.pick if key == "picks" else n.status == key)]
    ordered = sorted(slugs, key=lambda s: (-(notes[s].rating or 0), p.by_slug[s].title.casefold())) \
        if key == "read" else p.by_date(slugs)
    return paged_list(p, lambda page: routes.paged(route, page), ordered, section="reading",
                      title="Curator's picks" if key == "picks" else heading, kicker="Reading list",
                      description="The papers the curator recommends first." if key == "picks"
                      else f"Papers the curator marked “{key}”.",
                      sort_links=tabs, tabs_label="Reading lists", show_rating=key == "read")


def _path(p: Planner, slug: str) -> PagePlan:
    path = next(path for path in p.data.curation.paths if path.slug == slug)
    steps = tuple(PathStepView(html(step.html_before), p.cards[step.paper_slug], number)
                  for number, step in enumerate(path.steps, 1))
    return page_plan(routes.reading_path(path.slug), "path.html", "paths",
                     p.meta(path.title, path.summary or f"A reading path through {len(steps)} papers.",
                            routes.reading_path(path.slug)),
                     PathView(path.title, html(path.intro_html), steps, html(path.closing_html)))


def _paths_index(p: Planner) -> PagePlan:
    paths = p.data.curation.paths
    return page_plan(routes.paths_index(), "index.html", "paths",
                     p.meta("Reading paths", "Ordered routes through the papers.", routes.paths_index()),
                     IndexView("Reading paths", "Ordered routes through the papers, with the curator's commentary.",
                               tuple(Count(path.title, p.href(routes.reading_path(path.slug)), len(path.steps))
                                     for path in paths)))


def _standalone(p: Planner, slug: str) -> PagePlan:
    page = next(page for page in p.data.curation.pages if page.slug == slug)
    return page_plan(routes.standalone(page.slug), "prose.html", page.slug,
                     p.meta(page.title, clip(page.summary or page.title, 200), routes.standalone(page.slug)),
                     ProseView(page.title, html(page.html)), source=page.path)


def tag_members(notes: Mapping[str, object]) -> dict[str, list[str]]:
    """Tag slug -> the slugs of the papers whose notes carry it."""
    members: dict[str, list[str]] = defaultdict(list)
    for slug, note in sorted(notes.items()):
        for tag in note.tags:
            members[tag.slug].append(slug)
    return dict(members)


def utility_pages(p: Planner) -> None:
    p.emit("utility", None, lambda: _utility_pages(p))


def _utility_pages(p: Planner) -> list[PagePlan]:
    pages = [page_plan("404.html", "404.html", "", p.meta("Page not found", "This page does not exist.", "404.html",
                                                          noindex=True), ProseView("Page not found", None))]
    if p.data.settings.search:
        pages.append(page_plan(routes.search(), "search.html", "search",
                               p.meta("Search", "Search the reading list.", routes.search(), noindex=True),
                               SearchView(p.data.search, p.href("pagefind/"), tuple(SEARCH_FILTER_HEADINGS),
                                          _search_ids(p))))
    return pages


def _search_ids(p: Planner) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Taxonomy id -> the label the search index files a topic or hardware entry under."""
    taxonomy = p.data.taxonomy
    hardware = [(e.id, hardware_title(taxonomy, e.id)) for e in taxonomy.hardware]
    hardware += [(m.slug, model_name(taxonomy, m.slug)) for m in taxonomy.models]
    return (("topic", tuple((t.id, topic_title(taxonomy, t.id)) for t in taxonomy.topics)),
            ("hardware", tuple(hardware)))
