"""Listing pages: home, all papers (three orders), topics, hardware, the topic x hardware matrix
and its cells, and the paged list every listing is cut into.
"""

from __future__ import annotations

from typing import Sequence
from urllib.parse import quote

from sitegen import urls as routes
from sitegen.taxonomy import Taxonomy, ancestors
from sitegen.views import (Count, HomeView, IndexView, Link, ListView, MatrixCell, MatrixGroup, MatrixRow, MatrixView,
                           PaperCard, chunks, pager)
from sitegen.plan.context import Planner, axis_members, clip, hardware_title, html
from sitegen.plan.feeds import plan_feed
from sitegen.plan.records import PagePlan, page_plan


SORTS = (("date", "Newest"), ("upvotes", "Most upvoted"), ("title", "Title A–Z"))

# --- page builders: one function per page type ------------------------------------------------

def home_page(p: Planner) -> None:
    p.emit("home", None, lambda: (_home(p),))


def _home(p: Planner) -> PagePlan:
    data, curation = p.data, p.data.curation
    picks = [s for s, note in sorted(curation.notes.items()) if note.pick]
    counts = (
        Count("papers", p.href(routes.papers_list("date")), len(data.papers)),
        Count("topics", p.href(routes.topics_index()), len(data.taxonomy.topics)),
        Count("hardware entries", p.href(routes.hardware_index()), sum(1 for n in p.hardware_counts.values() if n)),
        Count("curator notes", p.href(routes.picks()), len(curation.notes)),
    )
    view = HomeView(
        intro=html(curation.home_intro.html) if curation.home_intro else None,
        counts=counts,
        picks=p.card_list(p.by_date(picks)),
        latest=p.card_list(p.orders.newest[: data.settings.latest_count]),
        topics=_topic_counts(p),
        hardware=tuple(c for c in _hardware_tree(p) if c.depth <= 1 and c.count),
        paths=tuple(Link(path.title, p.href(routes.reading_path(path.slug))) for path in curation.paths),
        all_papers_href=p.href(routes.papers_list("date")),
    )
    meta = p.meta(data.settings.title, data.settings.description, routes.home(),
                  feed_href=p.href(routes.feed()), feed_title=f"{data.settings.title}: all papers")
    return page_plan(routes.home(), "home.html", "home", meta, view)


def all_papers(p: Planner) -> None:
    for sort, label in SORTS:
        p.emit("all-papers", (sort, label), lambda sort=sort, label=label: _all_papers(p, sort, label))


def _all_papers(p: Planner, sort: str, label: str) -> tuple[PagePlan, ...]:
    orders = {"date": p.orders.newest, "upvotes": p.orders.upvotes, "title": p.orders.title}
    sort_links = tuple(Link(name, p.href(routes.papers_list(key)), key == sort) for key, name in SORTS)
    return paged_list(
        p, lambda page: routes.papers_list(sort, page), orders[sort],
        section="papers", title=f"All papers ({label.lower()})" if sort != "date" else "All papers",
        kicker="Catalog", description=f"Every paper in the reading list, {label.lower()} first."
        if sort != "title" else "Every paper in the reading list, by title.",
        sort_links=sort_links, feed_route=routes.feed(), bib_route=routes.bibtex(),
    )


def topic_pages(p: Planner) -> None:
    p.emit("topics-index", None, lambda: (page_plan(
        routes.topics_index(), "index.html", "topics",
        p.meta("Topics", "Papers by what they are about.", routes.topics_index()),
        IndexView("Topics", "Papers by what they are about, with the number of papers on each.",
                  _topic_counts(p), (Link("Topic × hardware matrix", p.href(routes.matrix())),))),))
    for topic in p.data.taxonomy.topics:
        p.emit("topic", topic.id, lambda topic_id=topic.id: _topic(p, topic_id))


def _topic(p: Planner, topic_id: str) -> tuple[PagePlan, ...]:
    """A topic's list pages and its feed."""
    taxonomy = p.data.taxonomy
    topic = taxonomy.topic(topic_id)
    slugs = p.by_date(axis_members(p, "topics").get(topic.id, ()))
    breakdown = tuple(
        Count(entry.title, p.href(routes.intersection(topic.id, entry.id)), count, _depth(taxonomy, entry.id))
        for entry in taxonomy.hardware if (count := len(p.cells.get((topic.id, entry.id), ()))))
    intro = p.data.curation.topic_intros.get(topic.id)
    return paged_list(
        p, lambda page: routes.topic(topic.id, page), slugs, section="topics",
        title=intro.title if intro and intro.title else topic.title, kicker="Topic",
        description=topic.description, intro=html(intro.html) if intro else None,
        crumbs=(Link("Topics", p.href(routes.topics_index())),),
        breakdown_title="By hardware", breakdown=breakdown,
        feed_route=routes.feed(f"topics/{topic.id}/"), search_filter=("topic", topic.id),
        bib_route=routes.bibtex(f"topics/{topic.id}/"),
    ) + (plan_feed(p, f"topics/{topic.id}/", f"{p.data.settings.title}: {topic.title}", routes.topic(topic.id),
                   slugs),)


def hardware_pages(p: Planner) -> None:
    taxonomy = p.data.taxonomy
    p.emit("hardware-index", None, lambda: (page_plan(
        routes.hardware_index(), "index.html", "hardware",
        p.meta("Hardware", "Papers by the hardware they run on, target or study.", routes.hardware_index()),
        IndexView("Hardware", "Vendor, family and model, with the number of papers naming each.",
                  _hardware_tree(p))),))
    # The key carries what the taxonomy says of the entry: the page is made from its key.
    entries = [(e.id, e.title, e.description, _kind_label(e.kind), "hardware") for e in taxonomy.hardware]
    entries += [(m.slug, m.name, f"Papers naming the {m.name}.", "Model", "models") for m in taxonomy.models]
    for entry in entries:
        p.emit("hardware", entry, lambda entry=entry: _hardware_entry(p, *entry))


def _hardware_entry(p: Planner, entry_id: str, title: str, description: str, kind: str,
                    axis: str) -> tuple[PagePlan, ...]:
    """A hardware entry's or model's list pages and its feed."""
    slugs = p.by_date(axis_members(p, axis).get(entry_id, ()))
    intro = p.data.curation.hardware_intros.get(entry_id)
    breakdown = tuple(Count(t.title, p.href(routes.intersection(t.id, entry_id)), n)
                      for t in p.data.taxonomy.topics
                      if kind != "Model" and (n := len(p.cells.get((t.id, entry_id), ()))))
    return paged_list(
        p, lambda page: routes.hardware(entry_id, page), slugs, section="hardware",
        title=intro.title if intro and intro.title else title, kicker=kind, description=description,
        intro=html(intro.html) if intro else None, crumbs=_crumbs_above(p, entry_id),
        breakdown_title="By topic", breakdown=breakdown,
        children=tuple(c for c in _hardware_tree(p, root=entry_id)),
        feed_route=routes.feed(f"hardware/{entry_id}/"), search_filter=("hardware", entry_id),
        bib_route=routes.bibtex(f"hardware/{entry_id}/"),
    ) + (plan_feed(p, f"hardware/{entry_id}/", f"{p.data.settings.title}: {title}", routes.hardware(entry_id),
                   slugs),)


def intersections_and_matrix(p: Planner) -> None:
    taxonomy = p.data.taxonomy
    for topic in taxonomy.topics:
        for entry in taxonomy.hardware:
            if p.cells.get((topic.id, entry.id)):
                cell = (topic.id, topic.title, entry.id, entry.title)
                p.emit("intersection", cell, lambda cell=cell: _intersection(p, *cell))
    p.emit("matrix", None, lambda: (_matrix(p),))


def _intersection(p: Planner, topic_id: str, topic_title: str, entry_id: str, entry_title: str
                  ) -> tuple[PagePlan, ...]:
    return paged_list(
        p, lambda page: routes.intersection(topic_id, entry_id, page),
        p.by_date(p.cells[topic_id, entry_id]), section="topics", title=f"{topic_title} on {entry_title}",
        kicker="Topic × hardware", description=f"Papers about {topic_title} that name {entry_title}.",
        crumbs=(Link("Matrix", p.href(routes.matrix())), Link(topic_title, p.href(routes.topic(topic_id))),
                Link(entry_title, p.href(routes.hardware(entry_id)))),
    )


def _matrix(p: Planner) -> PagePlan:
    taxonomy = p.data.taxonomy
    cells = {(t.id, e.id): n for t in taxonomy.topics for e in taxonomy.hardware
             if (n := len(p.cells.get((t.id, e.id), ())))}
    groups = _matrix_groups(taxonomy, {hardware_id for _, hardware_id in cells})
    columns = [entry_id for _, ids in groups for entry_id in ids]
    peak = max(cells.values(), default=0) or 1
    rows = tuple(MatrixRow(t.title, p.href(routes.topic(t.id)), tuple(
        MatrixCell(n, p.href(routes.intersection(t.id, h)) if n else None,
                   0 if not n else 1 + min(3, (4 * n - 1) // peak),
                   f"{n} paper{'s' if n != 1 else ''} on {t.title} with {hardware_title(taxonomy, h)}")
        for h in columns for n in [cells.get((t.id, h), 0)])) for t in taxonomy.topics)
    view = MatrixView(tuple(_matrix_group(p, head, ids) for head, ids in groups), rows)
    description = "How many papers cover each topic on each vendor, family and category."
    meta = p.meta("Topic × hardware", description, routes.matrix())
    return page_plan(routes.matrix(), "matrix.html", "topics", meta, view)


def _matrix_groups(taxonomy: Taxonomy, with_papers: set[str]) -> list[tuple[str | None, list[str]]]:
    """(vendor id, or None for the categories; its column ids) in taxonomy order, papers only.

    A vendor with families gets a column for itself (papers naming the vendor, whatever the
    family) followed by one per family; a vendor without families is a column on its own."""
    groups: list[tuple[str | None, list[str]]] = []
    for vendor in taxonomy.hardware:
        if vendor.kind == "vendor" and vendor.id in with_papers:
            families = [e.id for e in taxonomy.hardware if e.parent == vendor.id and e.id in with_papers]
            groups.append((vendor.id, [vendor.id, *families]))
    categories = [e.id for e in taxonomy.hardware if e.kind == "category" and e.id in with_papers]
    return groups + [(None, categories)] if categories else groups


def _matrix_group(p: Planner, head: str | None, ids: Sequence[str]) -> MatrixGroup:
    taxonomy = p.data.taxonomy
    if head is None:
        return MatrixGroup("Categories", None, tuple(
            Link(hardware_title(taxonomy, i), p.href(routes.hardware(i))) for i in ids))
    title = hardware_title(taxonomy, head)
    # The vendor's own column says "all" when families follow it: it is not one more family.
    labels = [title] if len(ids) == 1 else [f"All {title}"] + [hardware_title(taxonomy, i) for i in ids[1:]]
    return MatrixGroup(title, p.href(routes.hardware(head)), tuple(
        Link(label, p.href(routes.hardware(i))) for label, i in zip(labels, ids)))


# --- helpers for the builders -----------------------------------------------------------------

def paged_list(p: Planner, route_for, slugs: Sequence[str], *, section: str, title: str, kicker: str,
               description: str, intro=None, crumbs=(), sort_links=(), breakdown_title="", breakdown=(),
               children=(), feed_route: str | None = None, search_filter=None, show_rating=False,
               tabs_label: str = "Sort order", bib_route: str | None = None) -> tuple[PagePlan, ...]:
    """A listing split into pages of `page_size` papers, each page a real URL."""
    slugs = tuple(slugs)
    return tuple(_list_pages(p, route_for, slugs, p.card_list(slugs), section, title, kicker, description, intro,
                             crumbs, sort_links, breakdown_title, breakdown, children, feed_route, search_filter,
                             show_rating, tabs_label, bib_route))


def _list_pages(p: Planner, route_for, slugs: tuple[str, ...], cards: tuple[PaperCard, ...], section: str,
                title: str, kicker: str, description: str, intro, crumbs, sort_links, breakdown_title: str,
                breakdown, children, feed_route: str | None, search_filter, show_rating: bool, tabs_label: str,
                bib_route: str | None):
    size = p.data.settings.page_size
    pages = chunks(slugs, size)
    search_href = None
    if search_filter and p.data.settings.search:
        name, value = search_filter
        search_href = p.href(routes.search()) + f"?{name}={quote(value, safe='')}"
    for number, page_slugs in enumerate(pages, 1):
        route = route_for(number)
        heading = title if number == 1 else f"{title} (page {number})"
        view = ListView(
            heading=heading, kicker=kicker, description=description, intro=intro if number == 1 else None,
            crumbs=tuple(crumbs), cards=cards[(number - 1) * size: number * size], total=len(slugs),
            pager=pager(lambda n: p.href(route_for(n)), number, len(pages)), sort_links=tuple(sort_links),
            breakdown_title=breakdown_title, breakdown=tuple(breakdown) if number == 1 else (),
            children=tuple(children) if number == 1 else (),
            feed_href=p.href(feed_route) if feed_route else None, search_href=search_href, show_rating=show_rating,
            tabs_label=tabs_label, bib_href=p.href(bib_route) if bib_route else None,
        )
        meta = p.meta(heading, clip(description, 200), route,
                      feed_href=view.feed_href, feed_title=f"{p.data.settings.title}: {title}")
        yield page_plan(route, "list.html", section, meta, view)


def _topic_counts(p: Planner) -> tuple[Count, ...]:
    members = axis_members(p, "topics")
    return tuple(Count(t.title, p.href(routes.topic(t.id)), len(members.get(t.id, ())), 0, t.description)
                 for t in p.data.taxonomy.topics)


def _hardware_tree(p: Planner, root: str | None = None) -> tuple[Count, ...]:
    """Vendor > family > model in taxonomy order (below `root` when given), with counts."""
    counts = p.hardware_counts
    children = p.hardware_children
    result: list[Count] = []

    def walk(parent: str | None, depth: int) -> None:
        for node_id, title in children.get(parent, ()):
            result.append(Count(title, p.href(routes.hardware(node_id)), counts.get(node_id, 0), depth))
            walk(node_id, depth + 1)

    walk(root, 0)
    return tuple(result)


def _crumbs_above(p: Planner, entry_id: str) -> tuple[Link, ...]:
    taxonomy = p.data.taxonomy
    chain = list(reversed(ancestors(taxonomy, entry_id)))
    return (Link("Hardware", p.href(routes.hardware_index())),) + tuple(
        Link(hardware_title(taxonomy, a), p.href(routes.hardware(a))) for a in chain)


def _depth(taxonomy, hardware_id: str) -> int:
    return len(ancestors(taxonomy, hardware_id))


def _kind_label(kind: str) -> str:
    return {"vendor": "Hardware vendor", "family": "Hardware family", "category": "Hardware"}.get(kind, "Hardware")
