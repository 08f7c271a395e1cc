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


STATUS_TITLES = {"to-read": "Queue", "reading": "Reading now", "read": "Read, with ratings"}
SORTS = (("date", "Newest"), ("upvotes", "Most upvoted"), ("title", "Title A–Z"))
def curation_pages(p: Planner) -> None:
    curation = p.data.curation
    notes = curation.notes
    members = tag_members(notes)
    tag_labels = curation.tag_labels
    for tag_slug, slugs in sorted(members.items()):
        newest = p.by_date(slugs)
        paged_list(p, lambda page, t=tag_slug: routes.tag(t, page), newest, section="tags",
                    title=f"#{tag_labels[tag_slug]}", kicker="Tag",
                    description=f"Papers the curator tagged “{tag_labels[tag_slug]}”.",
                    crumbs=(Link("Tags", p.href(routes.tags_index())),), bib_route=routes.bibtex(f"tags/{tag_slug}/"),
                    feed_route=routes.feed(routes.tag(tag_slug)))
        plan_feed(p, routes.tag(tag_slug), f"{p.data.settings.title}: #{tag_labels[tag_slug]}",
                   routes.tag(tag_slug), newest)
    p.add(routes.tags_index(), "index.html", "tags", p.meta("Tags", "The curator's free tags.", routes.tags_index()),
          IndexView("Tags", "The curator's own tags on papers.", tuple(
              Count(tag_labels[t], p.href(routes.tag(t)), len(s)) for t, s in sorted(members.items()))))
    lists = [("picks", "Picks", routes.picks(), [s for s, n in notes.items() if n.pick])]
    lists += [(status, heading, routes.reading_list(status), [s for s, n in notes.items() if n.status == status])
              for status, heading in STATUS_TITLES.items()]
    for key, heading, route, slugs in lists:
        tabs = tuple(Link(label, p.href(r), k == key) for k, label, r, _ in lists)
        ordered = sorted(slugs, key=lambda s: (-(notes[s].rating or 0), p.by_slug[s].title.casefold())) \
            if key == "read" else p.by_date(slugs)
        paged_list(p, lambda page, r=route: routes.paged(r, page), ordered, section="reading",
                    title="Curator's picks" if key == "picks" else heading, kicker="Reading list",
                    description="The papers the curator recommends first." if key == "picks"
                    else f"Papers the curator marked “{key}”.",
                    sort_links=tabs, tabs_label="Reading lists", show_rating=key == "read")
    for path in curation.paths:
        steps = tuple(PathStepView(html(step.html_before), p.cards[step.paper_slug], number)
                      for number, step in enumerate(path.steps, 1))
        p.add(routes.reading_path(path.slug), "path.html", "paths",
              p.meta(path.title, path.summary or f"A reading path through {len(steps)} papers.",
                     routes.reading_path(path.slug)),
              PathView(path.title, html(path.intro_html), steps, html(path.closing_html)))
    p.add(routes.paths_index(), "index.html", "paths",
          p.meta("Reading paths", "Ordered routes through the papers.", routes.paths_index()),
          IndexView("Reading paths", "Ordered routes through the papers, with the curator's commentary.", tuple(
              Count(path.title, p.href(routes.reading_path(path.slug)), len(path.steps)) for path in curation.paths)))
    for page in curation.pages:
        p.add(routes.standalone(page.slug), "prose.html", page.slug,
              p.meta(page.title, clip(page.summary or page.title, 200), routes.standalone(page.slug)),
              ProseView(page.title, html(page.html)), source=page.path)


def tag_members(notes: Mapping[str, object]) -> dict[str, list[str]]:
    """Tag slug -> the slugs of the papers whose notes carry it."""
    members: dict[str, list[str]] = defaultdict(list)
    for slug, note in sorted(notes.items()):
        for tag in note.tags:
            members[tag.slug].append(slug)
    return members


def utility_pages(p: Planner) -> None:
    p.add("404.html", "404.html", "", p.meta("Page not found", "This page does not exist.", "404.html",
                                           noindex=True), ProseView("Page not found", None))
    if p.data.settings.search:
        p.add(routes.search(), "search.html", "search",
              p.meta("Search", "Search the reading list.", routes.search(), noindex=True),
              SearchView(p.data.search, p.href("pagefind/"), tuple(SEARCH_FILTER_HEADINGS), _search_ids(p)))


def _search_ids(p: Planner) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Taxonomy id -> the label the search index files a topic or hardware entry under."""
    taxonomy = p.data.taxonomy
    hardware = [(e.id, hardware_title(taxonomy, e.id)) for e in taxonomy.hardware]
    hardware += [(m.slug, model_name(taxonomy, m.slug)) for m in taxonomy.models]
    return (("topic", tuple((t.id, topic_title(taxonomy, t.id)) for t in taxonomy.topics)),
            ("hardware", tuple(hardware)))
