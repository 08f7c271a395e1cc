"""Stage 5, plan: decide every page of the site (route, template, view data) from the data.

Nothing here renders or writes. `plan_site` returns the complete list of pages and files;
two outputs claiming one path is an error, caught before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Callable, Mapping, Sequence, TypeVar
from urllib.parse import quote

from markupsafe import Markup

from sitegen import urls as routes
from sitegen.sources import identifiers
from sitegen.catalog.authors import AuthorIndex, author_label, author_slug_of, index_authors, name_key
from sitegen.catalog.records import Paper, legacy_paper_slug
from sitegen.citations import bibtex_entry, bibtex_file, csl_item, csl_json, unique_keys
from sitegen.diagnostics import Diagnostic, SitegenError, error
from sitegen.notes import Curation
from sitegen.memo import ByInputs
from sitegen.exports import csv_bytes, json_bytes, paper_record
from sitegen.feeds import atom_time, entry_date
from sitegen.related import Related
from sitegen.settings import Settings
from sitegen.taxonomy import CURATOR_FIELD, Tags, Taxonomy, ancestors
from sitegen.views import (Chip, Count, FeedCategory, FeedEntry, FeedView, HomeView, IndexView, Link, ListView,
                           MatrixCell, MatrixGroup, MatrixRow, MatrixView, Meta, NoteView, PaperCard, PaperView,
                           PathNav, PathStepView, PathView, ProseView, RedirectView, RelatedView,
                           SEARCH_FILTER_HEADINGS, SearchView,
                           SitemapView, SiteView, chunks, date_labels, json_ld, linkify, pager)

T = TypeVar("T")

CITE_SCRIPT = "static/cite.js"
STATUS_TITLES = {"to-read": "Queue", "reading": "Reading now", "read": "Read, with ratings"}
SORTS = (("date", "Newest"), ("upvotes", "Most upvoted"), ("title", "Title A–Z"))


# --- inputs and outputs of the stage ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SiteData:
    """Everything the plan needs, produced by the earlier stages."""

    settings: Settings
    papers: tuple[Paper, ...]
    taxonomy: Taxonomy
    tags: Mapping[str, Tags]  # paper slug -> tags after the curator's overrides
    curation: Curation
    related: Mapping[str, tuple[Related, ...]]
    search: bool  # whether a search index will exist


@dataclass(frozen=True)  # not slotted: see views.py
class PagePlan:
    """One page to render: its route, the template and the data the template shows."""

    route: str
    output: str
    template: str
    section: str  # which navigation entry is current
    meta: Meta
    view: object
    source: str | None = None  # the content file whose name chose this route, for messages


@dataclass(frozen=True, slots=True)
class FilePlan:
    """An output file whose bytes are already known (exports, robots.txt, .nojekyll)."""

    output: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SitePlan:
    pages: tuple[PagePlan, ...]
    files: tuple[FilePlan, ...]
    site: SiteView


@dataclass(frozen=True, slots=True)
class PaperChips:
    """A paper's chips, built once and shared by its card and its page."""

    topics: tuple[Chip, ...]
    hardware: tuple[Chip, ...]
    models: tuple[Chip, ...]
    tags: tuple[Chip, ...]
    specific_hardware: tuple[Chip, ...]  # without entries a more specific chip implies


# --- planning -----------------------------------------------------------------------------

@dataclass(slots=True)
class _Planner:
    """Builds the page list; holds derived indexes shared by every page builder.

    Page builders read the settings, the taxonomy and the search switch freely: a change to any
    of them drops everything `reuse` remembers (see `plan_site`). Everything else a builder
    reads must be among the inputs it hands to `reuse`, so a watch rebuild re-plans only the
    pages whose data changed and hands the renderer the very same objects for the rest.
    """

    data: SiteData
    reuse: ByInputs
    urls: routes.Urls = field(init=False)
    chips: dict[str, "PaperChips"] = field(init=False)
    cards: dict[str, PaperCard] = field(init=False)
    by_slug: dict[str, Paper] = field(init=False)
    members: dict[str, dict[str, set[str]]] = field(init=False)  # axis -> tag id -> paper slugs
    authors: AuthorIndex = field(init=False)
    cite_keys: dict[str, str] = field(init=False)  # paper slug -> its citation key
    bibtex: dict[str, str] = field(init=False)  # paper slug -> its BibTeX entry
    cells: dict[tuple[str, str], set[str]] = field(init=False)  # (topic, hardware id) -> slugs
    hardware_counts: dict[str, int] = field(init=False)  # hardware id or model slug -> papers
    orders: "PaperOrders" = field(init=False)
    updated: str = field(init=False)  # the feeds' <updated>
    pages: list[PagePlan] = field(default_factory=list)

    def __post_init__(self):
        settings, papers, tags, notes = self.data.settings, self.data.papers, self.data.tags, self.data.curation.notes
        self.urls = routes.Urls(settings.base_url, settings.base_path)
        self.by_slug = {p.slug: p for p in papers}
        self.members, self.cells, self.hardware_counts = self.reuse.get("tag-index", (tags,), self._tag_index)
        self.orders = self.reuse.get("orders", (papers,), lambda: paper_orders(papers))
        self.authors = self.reuse.get("authors", (papers,), lambda: index_authors(papers))
        self.updated = self.reuse.get("updated", (papers, settings.epoch), lambda: build_date(self.data).strftime(
            "%Y-%m-%dT%H:%M:%SZ"))
        note_tags = {slug: (note.tags, note.path) for slug, note in notes.items()}
        self.chips = per_paper(self, "chips", (tags, note_tags), self._chips)
        shown = {slug: (n.summary_html, n.status, n.rating, n.pick, n.links) for slug, n in notes.items()}
        self.cards = per_paper(self, "cards", (self.by_slug, self.chips, shown), self._card)
        keys = self.cite_keys = self.reuse.get("cite-keys", (papers,), lambda: unique_keys(papers))
        self.bibtex = per_paper(self, "bibtex", (self.by_slug, keys), lambda slug: bibtex_entry(
            self.by_slug[slug], keys[slug], self.urls.absolute(routes.paper(slug))))

    def _tag_index(self):
        members = {axis: _index_members(self.data.tags, axis) for axis in ("topics", "hardware", "models")}
        return members, _topic_hardware_cells(self.data.tags), _hardware_counts(self.data.taxonomy, members)

    # shared helpers
    def href(self, route: str) -> str:
        return self.urls.href(route)

    def meta(self, title: str, description: str, route: str, **extra) -> Meta:
        return Meta(title, description, self.urls.absolute(route), route, **extra)

    def add(self, route: str, template: str, section: str, meta: Meta, view, source: str | None = None) -> None:
        self.pages.append(page_plan(route, template, section, meta, view, source))

    def tags_of(self, slug: str):
        return self.data.tags[slug]

    def by_date(self, slugs) -> list[str]:
        """`slugs` newest first (the order of `newest_first`)."""
        return sorted(slugs, key=self.orders.rank.__getitem__)

    def _card(self, slug: str) -> PaperCard:
        paper, chips = self.by_slug[slug], self.chips[slug]
        note = self.data.curation.notes.get(slug)
        human, machine = date_labels(paper.date)
        return PaperCard(
            slug=paper.slug, href=self.href(routes.paper(paper.slug)), title=paper.title,
            date=human, date_iso=machine, upvotes=paper.upvotes, authors=author_label(paper),
            organization=paper.organization, chips=chips.topics + chips.models + chips.specific_hardware,
            summary=Markup(note.summary_html) if note else Markup(""),
            status=note.status or "" if note else "", rating=note.rating if note else None,
            pick=bool(note and note.pick), added_by_curator=paper.added_by is not None,
            has_code=any(link.kind == "code" for link in paper.links),
        )

    def _chips(self, slug: str) -> PaperChips:
        tags = self.tags_of(slug)
        taxonomy = self.data.taxonomy
        note = self.data.curation.notes.get(slug)

        def chip(tag, label: str, route: str, kind: str) -> Chip:
            return Chip(label, self.href(route), kind, evidence_text(tag))

        hardware = tuple(chip(t, hardware_title(taxonomy, t.id), routes.hardware(t.id), "hardware")
                         for t in tags.hardware)
        ids = [t.id for t in tags.hardware]
        # Lists show only the most specific hardware: "H100" rather than also "Hopper", "NVIDIA".
        specific = tuple(c for c, i in zip(hardware, ids)
                         if not any(i in ancestors(taxonomy, other) for other in ids if other != i))
        return PaperChips(
            topics=tuple(chip(t, topic_title(taxonomy, t.id), routes.topic(t.id), "topic") for t in tags.topics),
            hardware=hardware,
            models=tuple(chip(t, model_name(taxonomy, t.id), routes.hardware(t.id), "model") for t in tags.models),
            tags=tuple(Chip(tag.label, self.href(routes.tag(tag.slug)), "tag", f"tagged by the curator in {note.path}")
                       for tag in note.tags) if note else (),
            specific_hardware=specific,
        )

    def card_list(self, slugs) -> tuple[PaperCard, ...]:
        return tuple(self.cards[s] for s in slugs)


def page_plan(route: str, template: str, section: str, meta: Meta, view, source: str | None = None) -> PagePlan:
    return PagePlan(route, routes.output_path(route), template, section, meta, view, source)


@dataclass(frozen=True, slots=True)
class PaperOrders:
    """The catalog's three list orders (slugs), and each paper's place in the newest-first one."""

    newest: tuple[str, ...]
    upvotes: tuple[str, ...]
    title: tuple[str, ...]
    rank: Mapping[str, int]


def paper_orders(papers: Sequence[Paper]) -> PaperOrders:
    newest = tuple(p.slug for p in newest_first(papers))
    return PaperOrders(
        newest=newest,
        upvotes=tuple(x.slug for x in sorted(papers, key=lambda x: (-(x.upvotes or -1), x.title.casefold(), x.slug))),
        title=tuple(x.slug for x in sorted(papers, key=lambda x: (x.title.casefold(), x.slug))),
        rank={slug: index for index, slug in enumerate(newest)},
    )


@dataclass(frozen=True, slots=True)
class _PerPaper:
    """One value per paper and the slug-keyed mappings it was computed from."""

    sources: tuple[Mapping[str, object], ...]
    values: dict[str, object]


def per_paper(p: _Planner, key: str, sources: tuple[Mapping[str, object], ...], build: Callable[[str], T],
              also: Callable[[tuple[Mapping[str, object], ...]], set[str]] | None = None) -> dict[str, T]:
    """slug -> `build(slug)` for every paper, in catalog order.

    `build(slug)` may read only the `sources` entries of its own slug, plus whatever `also`
    accounts for: given last round's sources, it names the further slugs to redo. A rebuild
    then redoes only the slugs whose entry changed in some source: comparing two mappings
    whose values are mostly the very same objects is one fast C loop, not one Python call
    per paper.
    """
    def patch(last: _PerPaper | None) -> _PerPaper:
        if last is None:
            return _PerPaper(sources, {slug: build(slug) for slug in p.by_slug})
        changed = set().union(*(_changed_keys(old, new) for old, new in zip(last.sources, sources)))
        if also is not None:
            changed |= also(last.sources)
        if not changed:
            return _PerPaper(sources, last.values)
        old = last.values
        return _PerPaper(sources, {slug: build(slug) if slug in changed else old[slug] for slug in p.by_slug})

    return p.reuse.update(key, patch).values  # type: ignore[return-value]


def _changed_keys(old: Mapping[str, object], new: Mapping[str, object]) -> set[str]:
    if old is new or old == new:
        return set()
    missing = object()
    return {k for k in old.keys() | new.keys() if old.get(k, missing) != new.get(k, missing)}


def plan_site(data: SiteData, reuse: ByInputs | None = None) -> SitePlan:
    """Every page and file of the site.

    With `reuse` (the watch loop's, kept between rebuilds) pages and files whose inputs did not
    change are the previous plan's objects; without it everything is planned afresh.
    """
    reuse = reuse if reuse is not None else ByInputs()
    reuse.within((data.settings, data.taxonomy, data.search))
    planner = _Planner(data, reuse)
    for build in PAGE_BUILDERS:
        build(planner)
    _plan_feeds_and_sitemap(planner)
    files = _site_files(planner)
    _refuse_collisions(planner.pages, files)
    reuse.end_round()
    return SitePlan(tuple(sorted(planner.pages, key=attrgetter("output"))),
                    tuple(sorted(files, key=attrgetter("output"))), _site_view(planner))


def _refuse_collisions(pages: Sequence[PagePlan], files: Sequence[FilePlan]) -> None:
    if len({p.output for p in pages} | {f.output for f in files}) == len(pages) + len(files):
        return  # the usual case, checked in C
    seen: dict[str, PagePlan | FilePlan] = {}
    problems = []
    for item in [*pages, *files]:
        first = seen.setdefault(item.output, item)
        if first is not item:
            problems.append(_collision(first, item))
    if problems:
        raise SitegenError(problems)


def _collision(first: PagePlan | FilePlan, second: PagePlan | FilePlan) -> Diagnostic:
    """Two plans for one output path; blamed on the content file whose name chose the route, if any."""
    def owner(item: PagePlan | FilePlan) -> str:
        return f"{item.template} {item.route}" if isinstance(item, PagePlan) else "file"

    chosen = [item for item in (second, first) if isinstance(item, PagePlan) and item.source]
    if not chosen:
        return error(first.output, None, f"two outputs for one path: {owner(first)} and {owner(second)}")
    page, other = chosen[0], first if chosen[0] is second else second
    what = f"sitegen's own page from {other.template}" if isinstance(other, PagePlan) else "a file of the site"
    return error(page.source, 1, f"this file's name gives the page /{page.route}, which is already {what}"
                                 f" ({other.output}); rename the file")


# --- taxonomy lookups (the only place plan reads taxonomy records) ----------------------------

def topic_title(taxonomy: Taxonomy, topic_id: str) -> str:
    return taxonomy.topic(topic_id).title


def hardware_title(taxonomy: Taxonomy, hardware_id: str) -> str:
    return taxonomy.title_of(hardware_id)


def model_name(taxonomy: Taxonomy, model_slug: str) -> str:
    return taxonomy.model(model_slug).name


def evidence_text(tag) -> str:
    """One line saying why a tag is there, for the chip's tooltip."""
    parts = []
    for evidence in tag.evidence:
        if evidence.implied_by or evidence.field == CURATOR_FIELD:
            parts.append(evidence.rule)
        else:
            parts.append(f"{evidence.field}: “{evidence.text}” ({evidence.rule})")
    return "; ".join(dict.fromkeys(parts)) or "tagged"


def newest_first(papers: Sequence[Paper]) -> list[Paper]:
    """Dated papers newest first (full dates before year-less ones), then undated; ties by title."""
    def key(p: Paper):
        if p.date is None:
            return (2, 0, 0, 0, p.title.casefold(), p.slug)
        year, month, day = p.date.sort_key
        return (1 if p.date.year is None else 0, -year, -month, -day,
                p.title.casefold(), p.slug)
    return sorted(papers, key=key)


def build_date(data: SiteData) -> dt.datetime:
    """The feed 'updated' time: newest paper date, or SOURCE_DATE_EPOCH; never the clock."""
    epoch = data.settings.epoch
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    dated = [p.date for p in data.papers if p.date and p.date.year]
    newest = max(dated, key=lambda d: d.sort_key, default=None)
    if newest is None:
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    day = newest.first_day()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


# --- page builders: one function per page type ------------------------------------------------

def _home(p: _Planner) -> None:
    data, curation = p.data, p.data.curation
    picks = [s for s, note in sorted(curation.notes.items()) if note.pick]
    counts = (
        Count("papers", p.href(routes.papers_list("date")), len(data.papers)),
        Count("topics", p.href(routes.topics_index()), len(data.taxonomy.topics)),
        Count("hardware entries", p.href(routes.hardware_index()), sum(1 for n in p.hardware_counts.values() if n)),
        Count("curator notes", p.href(routes.picks()), len(curation.notes)),
    )
    view = HomeView(
        intro=_html(curation.home_intro.html) if curation.home_intro else None,
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
    p.add(routes.home(), "home.html", "home", meta, view)


def _all_papers(p: _Planner) -> None:
    orders = {"date": p.orders.newest, "upvotes": p.orders.upvotes, "title": p.orders.title}
    for sort, label in SORTS:
        sort_links = tuple(Link(name, p.href(routes.papers_list(key)), key == sort) for key, name in SORTS)
        _paged_list(
            p, lambda page, sort=sort: routes.papers_list(sort, page), orders[sort],
            section="papers", title=f"All papers ({label.lower()})" if sort != "date" else "All papers",
            kicker="Catalog", description=f"Every paper in the reading list, {label.lower()} first."
            if sort != "title" else "Every paper in the reading list, by title.",
            sort_links=sort_links, feed_route=routes.feed(), bib_route=routes.bibtex(),
        )


def _topics(p: _Planner) -> None:
    taxonomy = p.data.taxonomy
    p.add(routes.topics_index(), "index.html", "topics",
          p.meta("Topics", "Papers by what they are about.", routes.topics_index()),
          IndexView("Topics", "Papers by what they are about, with the number of papers on each.",
                    _topic_counts(p), (Link("Topic × hardware matrix", p.href(routes.matrix())),)))
    members = _members(p, "topics")
    intros = p.data.curation.topic_intros
    for topic in taxonomy.topics:
        slugs = p.by_date(members.get(topic.id, ()))
        breakdown = tuple(
            Count(entry.title, p.href(routes.intersection(topic.id, entry.id)), count, _depth(taxonomy, entry.id))
            for entry in taxonomy.hardware if (count := len(p.cells.get((topic.id, entry.id), ()))))
        intro = intros.get(topic.id)
        _paged_list(
            p, lambda page, t=topic.id: routes.topic(t, page), slugs, section="topics",
            title=intro.title if intro and intro.title else topic.title, kicker="Topic",
            description=topic.description, intro=_html(intro.html) if intro else None,
            crumbs=(Link("Topics", p.href(routes.topics_index())),),
            breakdown_title="By hardware", breakdown=breakdown,
            feed_route=routes.feed(f"topics/{topic.id}/"), search_filter=("topic", topic.id),
            bib_route=routes.bibtex(f"topics/{topic.id}/"),
        )
        _plan_feed(p, f"topics/{topic.id}/", f"{p.data.settings.title}: {topic.title}",
                   routes.topic(topic.id), slugs)


def _hardware(p: _Planner) -> None:
    taxonomy = p.data.taxonomy
    p.add(routes.hardware_index(), "index.html", "hardware",
          p.meta("Hardware", "Papers by the hardware they run on, target or study.", routes.hardware_index()),
          IndexView("Hardware", "Vendor, family and model, with the number of papers naming each.",
                    _hardware_tree(p)))
    members = _members(p, "hardware")
    models = _members(p, "models")
    intros = p.data.curation.hardware_intros
    entries = [(e.id, e.title, e.description, _kind_label(e.kind), members) for e in taxonomy.hardware]
    entries += [(m.slug, m.name, f"Papers naming the {m.name}.", "Model", models) for m in taxonomy.models]
    for entry_id, title, description, kind, index in entries:
        slugs = p.by_date(index.get(entry_id, ()))
        intro = intros.get(entry_id)
        breakdown = tuple(Count(t.title, p.href(routes.intersection(t.id, entry_id)), n)
                          for t in taxonomy.topics
                          if kind != "Model" and (n := len(p.cells.get((t.id, entry_id), ()))))
        _paged_list(
            p, lambda page, h=entry_id: routes.hardware(h, page), slugs, section="hardware",
            title=intro.title if intro and intro.title else title, kicker=kind, description=description,
            intro=_html(intro.html) if intro else None, crumbs=_hardware_crumbs(p, entry_id),
            breakdown_title="By topic", breakdown=breakdown,
            children=tuple(c for c in _hardware_tree(p, root=entry_id)),
            feed_route=routes.feed(f"hardware/{entry_id}/"), search_filter=("hardware", entry_id),
            bib_route=routes.bibtex(f"hardware/{entry_id}/"),
        )
        _plan_feed(p, f"hardware/{entry_id}/", f"{p.data.settings.title}: {title}",
                   routes.hardware(entry_id), slugs)


def _intersections_and_matrix(p: _Planner) -> None:
    taxonomy = p.data.taxonomy
    cells = {}
    for topic in taxonomy.topics:
        for entry in taxonomy.hardware:
            slugs = p.cells.get((topic.id, entry.id))
            if not slugs:
                continue
            cells[topic.id, entry.id] = len(slugs)
            _paged_list(
                p, lambda page, t=topic.id, h=entry.id: routes.intersection(t, h, page),
                p.by_date(slugs), section="topics", title=f"{topic.title} on {entry.title}",
                kicker="Topic × hardware", description=f"Papers about {topic.title} that name {entry.title}.",
                crumbs=(Link("Matrix", p.href(routes.matrix())), Link(topic.title, p.href(routes.topic(topic.id))),
                        Link(entry.title, p.href(routes.hardware(entry.id)))),
            )
    groups = _matrix_groups(taxonomy, {hardware_id for _, hardware_id in cells})
    columns = [entry_id for _, ids in groups for entry_id in ids]
    peak = max(cells.values(), default=0) or 1
    rows = tuple(MatrixRow(t.title, p.href(routes.topic(t.id)), tuple(
        MatrixCell(n, p.href(routes.intersection(t.id, h)) if n else None,
                   0 if not n else 1 + min(3, (4 * n - 1) // peak),
                   f"{n} paper{'s' if n != 1 else ''} on {t.title} with {hardware_title(taxonomy, h)}")
        for h in columns for n in [cells.get((t.id, h), 0)])) for t in taxonomy.topics)
    view = MatrixView(tuple(_matrix_group(p, head, ids) for head, ids in groups), rows)
    p.add(routes.matrix(), "matrix.html", "topics",
          p.meta("Topic × hardware", "How many papers cover each topic on each vendor, family and category.",
                 routes.matrix()), view)


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


def _matrix_group(p: _Planner, head: str | None, ids: Sequence[str]) -> MatrixGroup:
    taxonomy = p.data.taxonomy
    if head is None:
        return MatrixGroup("Categories", None, tuple(
            Link(hardware_title(taxonomy, i), p.href(routes.hardware(i))) for i in ids))
    title = hardware_title(taxonomy, head)
    # The vendor's own column says "all" when families follow it: it is not one more family.
    labels = [title] if len(ids) == 1 else [f"All {title}"] + [hardware_title(taxonomy, i) for i in ids[1:]]
    return MatrixGroup(title, p.href(routes.hardware(head)), tuple(
        Link(label, p.href(routes.hardware(i))) for label, i in zip(labels, ids)))


def _papers(p: _Planner) -> None:
    data, curation = p.data, p.data.curation
    sources = (p.by_slug, data.tags, p.cards, p.chips, curation.notes, data.related, curation.path_positions,
               curation.backlinks, p.bibtex)

    def shown_elsewhere(last: tuple[Mapping[str, object], ...]) -> set[str]:
        """A page also shows the cards of its related papers and the titles of its path neighbours."""
        cards, titles = _changed_keys(last[2], p.cards), _changed_keys(last[0], p.by_slug)
        return {slug for slug, related in data.related.items() if any(r.slug in cards for r in related)} | {
            slug for slug, positions in curation.path_positions.items()
            if any(n in titles for x in positions for n in (x.previous, x.next))} if cards or titles else set()

    p.pages.extend(per_paper(p, "paper-pages", sources, lambda slug: _paper_page(p, p.by_slug[slug]),
                             shown_elsewhere).values())


def _paper_page(p: _Planner, paper: Paper) -> PagePlan:
    data, curation = p.data, p.data.curation
    chips = p.chips[paper.slug]
    note = curation.notes.get(paper.slug)
    view = PaperView(
        card=p.cards[paper.slug], abstract=linkify(paper.abstract), authors=_author_links(p, paper),
        more_authors=paper.more_authors, venue=paper.venue or "", disagreements=_disagreements(paper), links=_paper_links(paper),
        topics=chips.topics, hardware=chips.hardware, models=chips.models, tags=chips.tags,
        occurrences=tuple(f"{o.file}:{o.line}" for o in paper.occurrences) or (f"added in {paper.added_by}",),
        variants=len(paper.abstract_variants),
        note=NoteView(note.status or "", note.rating, note.pick, Markup(note.summary_html), _html(note.body_html),
                      note.path)
        if note else None,
        related=tuple(RelatedView(p.cards[r.slug], r.shared_terms) for r in data.related.get(paper.slug, ())),
        path_nav=tuple(_path_nav(p, position) for position in curation.path_positions.get(paper.slug, ())),
        backlinks=tuple(Link(b.title, _backlink_href(p, b)) for b in curation.backlinks.get(paper.slug, ())),
        cite=p.bibtex[paper.slug], cite_href=p.href(routes.cite(paper.slug)), cite_script_href=p.href(CITE_SCRIPT),
    )
    route = routes.paper(paper.slug)
    # A paper known only from BibTeX may have no abstract; its description still says what it is.
    description = _clip(paper.abstract or " ".join(filter(None, (paper.title, author_label(paper), paper.venue))), 200)
    meta = p.meta(paper.title, description, route, og_type="article",
                  json_ld=json_ld(_paper_json_ld(p, paper, route)))
    return page_plan(route, "paper.html", "papers", meta, view)


def _redirects(p: _Planner) -> None:
    """The URL of every paper whose slug the first slug rule spelled otherwise sends to its page."""
    def plan() -> tuple[PagePlan, ...]:
        pages = []
        for paper in p.data.papers:
            old = legacy_paper_slug(paper.title)
            if old != paper.slug and old not in p.by_slug:
                target = routes.paper(paper.slug)
                pages.append(page_plan(routes.paper(old), "redirect.html", "",
                                       p.meta(paper.title, paper.title, target, noindex=True),
                                       RedirectView(paper.title, p.href(target))))
        return tuple(pages)

    p.pages.extend(p.reuse.get("redirects", (p.data.papers,), plan))


def _curation_pages(p: _Planner) -> None:
    curation = p.data.curation
    notes = curation.notes
    tag_members = _tag_members(notes)
    tag_labels = curation.tag_labels
    for tag_slug, slugs in sorted(tag_members.items()):
        newest = p.by_date(slugs)
        _paged_list(p, lambda page, t=tag_slug: routes.tag(t, page), newest, section="tags",
                    title=f"#{tag_labels[tag_slug]}", kicker="Tag",
                    description=f"Papers the curator tagged “{tag_labels[tag_slug]}”.",
                    crumbs=(Link("Tags", p.href(routes.tags_index())),), bib_route=routes.bibtex(f"tags/{tag_slug}/"),
                    feed_route=routes.feed(routes.tag(tag_slug)))
        _plan_feed(p, routes.tag(tag_slug), f"{p.data.settings.title}: #{tag_labels[tag_slug]}",
                   routes.tag(tag_slug), newest)
    p.add(routes.tags_index(), "index.html", "tags", p.meta("Tags", "The curator's free tags.", routes.tags_index()),
          IndexView("Tags", "The curator's own tags on papers.", tuple(
              Count(tag_labels[t], p.href(routes.tag(t)), len(s)) for t, s in sorted(tag_members.items()))))
    lists = [("picks", "Picks", routes.picks(), [s for s, n in notes.items() if n.pick])]
    lists += [(status, heading, routes.reading_list(status), [s for s, n in notes.items() if n.status == status])
              for status, heading in STATUS_TITLES.items()]
    for key, heading, route, slugs in lists:
        tabs = tuple(Link(label, p.href(r), k == key) for k, label, r, _ in lists)
        ordered = sorted(slugs, key=lambda s: (-(notes[s].rating or 0), p.by_slug[s].title.casefold())) \
            if key == "read" else p.by_date(slugs)
        _paged_list(p, lambda page, r=route: routes.paged(r, page), ordered, section="reading",
                    title="Curator's picks" if key == "picks" else heading, kicker="Reading list",
                    description="The papers the curator recommends first." if key == "picks"
                    else f"Papers the curator marked “{key}”.",
                    sort_links=tabs, tabs_label="Reading lists", show_rating=key == "read")
    for path in curation.paths:
        steps = tuple(PathStepView(_html(step.html_before), p.cards[step.paper_slug], number)
                      for number, step in enumerate(path.steps, 1))
        p.add(routes.reading_path(path.slug), "path.html", "paths",
              p.meta(path.title, path.summary or f"A reading path through {len(steps)} papers.",
                     routes.reading_path(path.slug)),
              PathView(path.title, _html(path.intro_html), steps, _html(path.closing_html)))
    p.add(routes.paths_index(), "index.html", "paths",
          p.meta("Reading paths", "Ordered routes through the papers.", routes.paths_index()),
          IndexView("Reading paths", "Ordered routes through the papers, with the curator's commentary.", tuple(
              Count(path.title, p.href(routes.reading_path(path.slug)), len(path.steps)) for path in curation.paths)))
    for page in curation.pages:
        p.add(routes.standalone(page.slug), "prose.html", page.slug,
              p.meta(page.title, _clip(page.summary or page.title, 200), routes.standalone(page.slug)),
              ProseView(page.title, _html(page.html)), source=page.path)


def _author_pages(p: _Planner) -> None:
    """/authors/ and a page (with a feed) per author of two or more papers."""
    authors = [a for a in p.authors.authors.values() if a.has_page]
    authors.sort(key=lambda a: (name_key(a.name), a.slug))
    for author in authors:
        slugs = p.by_date(author.papers)
        _paged_list(p, lambda page, a=author.slug: routes.author(a, page), slugs, section="authors",
                    title=author.name, kicker="Author", description=f"Papers by {author.name} in the reading list.",
                    crumbs=(Link("Authors", p.href(routes.authors_index())),),
                    feed_route=routes.feed(f"authors/{author.slug}/"), bib_route=routes.bibtex(f"authors/{author.slug}/"))
        _plan_feed(p, f"authors/{author.slug}/", f"{p.data.settings.title}: {author.name}",
                   routes.author(author.slug), slugs)
    others = len(p.authors.authors) - len(authors)
    p.add(routes.authors_index(), "index.html", "authors",
          p.meta("Authors", "The people who wrote the papers.", routes.authors_index()),
          IndexView("Authors", f"Authors of two or more papers in the reading list, by family name; {others} "
                    f"other{'s' if others != 1 else ''} appear{'s' if others == 1 else ''} on one paper each.",
                    tuple(Count(a.name, p.href(routes.author(a.slug)), len(a.papers)) for a in authors)))


def _tag_members(notes: Mapping[str, object]) -> dict[str, list[str]]:
    """Tag slug -> the slugs of the papers whose notes carry it."""
    members: dict[str, list[str]] = defaultdict(list)
    for slug, note in sorted(notes.items()):
        for tag in note.tags:
            members[tag.slug].append(slug)
    return members


def _utility_pages(p: _Planner) -> None:
    p.add("404.html", "404.html", "", p.meta("Page not found", "This page does not exist.", "404.html",
                                           noindex=True), ProseView("Page not found", None))
    if p.data.settings.search:
        p.add(routes.search(), "search.html", "search",
              p.meta("Search", "Search the reading list.", routes.search(), noindex=True),
              SearchView(p.data.search, p.href("pagefind/"), tuple(SEARCH_FILTER_HEADINGS), _search_ids(p)))


def _search_ids(p: _Planner) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Taxonomy id -> the label the search index files a topic or hardware entry under."""
    taxonomy = p.data.taxonomy
    hardware = [(e.id, hardware_title(taxonomy, e.id)) for e in taxonomy.hardware]
    hardware += [(m.slug, model_name(taxonomy, m.slug)) for m in taxonomy.models]
    return (("topic", tuple((t.id, topic_title(taxonomy, t.id)) for t in taxonomy.topics)),
            ("hardware", tuple(hardware)))


def _grouped(inputs_of: Callable[[_Planner], tuple], *builders: Callable[[_Planner], None]):
    """Builders whose pages are reused all together while `inputs_of(p)` compares equal: one
    comparison instead of one per list. When it differs, each list is still reused on its own."""
    def build(p: _Planner) -> None:
        def compute(parts: ByInputs) -> tuple[PagePlan, ...]:
            outer, p.reuse, start = p.reuse, parts, len(p.pages)
            try:
                for builder in builders:
                    builder(p)
            finally:
                p.reuse = outer
            made = tuple(p.pages[start:])
            del p.pages[start:]
            return made

        p.pages.extend(p.reuse.group(builders[0].__name__, inputs_of(p), compute))
    return build


def _listing_inputs(p: _Planner) -> tuple:
    """What the catalog-wide listings read besides settings and taxonomy: the papers (order,
    feed entries), their cards, their tags (membership, counts), the intros, the feed date."""
    curation = p.data.curation
    return p.data.papers, p.cards, p.data.tags, curation.topic_intros, curation.hardware_intros, p.updated


PAGE_BUILDERS = (_home, _grouped(_listing_inputs, _all_papers),
                 _grouped(_listing_inputs, _topics, _hardware, _intersections_and_matrix), _papers, _redirects,
                 _curation_pages, _author_pages, _utility_pages)


# --- helpers for the builders -----------------------------------------------------------------

def _paged_list(p: _Planner, route_for, slugs: Sequence[str], *, section: str, title: str, kicker: str,
                description: str, intro=None, crumbs=(), sort_links=(), breakdown_title="", breakdown=(),
                children=(), feed_route: str | None = None, search_filter=None, show_rating=False,
                tabs_label: str = "Sort order", bib_route: str | None = None) -> None:
    """A listing split into pages of `page_size` papers, each page a real URL."""
    slugs = tuple(slugs)
    inputs = (slugs, p.card_list(slugs), section, title, kicker, description, intro, crumbs, sort_links,
              breakdown_title, breakdown, children, feed_route, search_filter, show_rating, tabs_label, bib_route)
    p.pages.extend(p.reuse.get(("list", route_for(1)), inputs, lambda: tuple(_list_pages(p, route_for, *inputs))))


def _list_pages(p: _Planner, route_for, slugs: tuple[str, ...], cards: tuple[PaperCard, ...], section: str,
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
        meta = p.meta(heading, _clip(description, 200), route,
                      feed_href=view.feed_href, feed_title=f"{p.data.settings.title}: {title}")
        yield page_plan(route, "list.html", section, meta, view)


def _members(p: _Planner, axis: str) -> dict[str, set[str]]:
    """Tag id -> slugs of the papers carrying it, for one axis (topics, hardware, models)."""
    return p.members[axis]


def _topic_hardware_cells(tags: Mapping[str, Tags]) -> dict[tuple[str, str], set[str]]:
    """(topic id, hardware id) -> the papers carrying both: one pass over the papers, not one
    set intersection per pair of ids."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for slug, paper_tags in tags.items():
        for topic in paper_tags.topics:
            for hardware in paper_tags.hardware:
                found[topic.id, hardware.id].add(slug)
    return dict(found)


def _index_members(tags: Mapping[str, Tags], axis: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for slug, paper_tags in tags.items():
        for tag in getattr(paper_tags, axis):
            found[tag.id].add(slug)
    return dict(found)


def _topic_counts(p: _Planner) -> tuple[Count, ...]:
    members = _members(p, "topics")
    return tuple(Count(t.title, p.href(routes.topic(t.id)), len(members.get(t.id, ())), 0, t.description)
                 for t in p.data.taxonomy.topics)


def _hardware_counts(taxonomy: Taxonomy, members: dict[str, dict[str, set[str]]]) -> dict[str, int]:
    hardware, models = members["hardware"], members["models"]
    counts = {e.id: len(hardware.get(e.id, ())) for e in taxonomy.hardware}
    counts.update({m.slug: len(models.get(m.slug, ())) for m in taxonomy.models})
    return counts


def _hardware_tree(p: _Planner, root: str | None = None) -> tuple[Count, ...]:
    """Vendor > family > model in taxonomy order (below `root` when given), with counts."""
    counts = p.hardware_counts
    children = p.reuse.get("hardware-children", (), lambda: _hardware_children(p.data.taxonomy))
    result: list[Count] = []

    def walk(parent: str | None, depth: int) -> None:
        for node_id, title in children.get(parent, ()):
            result.append(Count(title, p.href(routes.hardware(node_id)), counts.get(node_id, 0), depth))
            walk(node_id, depth + 1)

    walk(root, 0)
    return tuple(result)


def _hardware_children(taxonomy: Taxonomy) -> dict[str | None, list[tuple[str, str]]]:
    """Hardware id (None: the top) -> (id or model slug, title) of each child, in taxonomy order."""
    children: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    for entry in taxonomy.hardware:
        children[entry.parent].append((entry.id, entry.title))
    for model in taxonomy.models:
        children[model.family].append((model.slug, model.name))
    return children


def _hardware_crumbs(p: _Planner, entry_id: str) -> tuple[Link, ...]:
    return p.reuse.get(("crumbs", entry_id), (), lambda: _crumbs_above(p, entry_id))


def _crumbs_above(p: _Planner, entry_id: str) -> tuple[Link, ...]:
    taxonomy = p.data.taxonomy
    chain = list(reversed(ancestors(taxonomy, entry_id)))
    return (Link("Hardware", p.href(routes.hardware_index())),) + tuple(
        Link(hardware_title(taxonomy, a), p.href(routes.hardware(a))) for a in chain)


def _depth(taxonomy, hardware_id: str) -> int:
    return len(ancestors(taxonomy, hardware_id))


def _kind_label(kind: str) -> str:
    return {"vendor": "Hardware vendor", "family": "Hardware family", "category": "Hardware"}.get(kind, "Hardware")


def _path_nav(p: _Planner, position) -> PathNav:
    def link(slug):
        return Link(p.by_slug[slug].title, p.href(routes.paper(slug))) if slug else None
    return PathNav(position.path_title, p.href(routes.reading_path(position.path_slug)),
                   f"{position.index + 1} of {position.length}", link(position.previous), link(position.next))


def _backlink_href(p: _Planner, backlink) -> str:
    route = {"note": lambda s: routes.paper(s), "path": routes.reading_path, "page": routes.standalone,
             "topic": routes.topic, "hardware": routes.hardware, "home": lambda s: routes.home()}[backlink.kind]
    return p.href(route(backlink.target_slug))


def _paper_links(paper: Paper) -> tuple[Link, ...]:
    """Every link of a paper, then its arXiv abstract and PDF and its DOI page if not among them."""
    links = [Link(_link_label(link.kind, link.url), link.url) for link in paper.links]
    if paper.arxiv:
        links += [Link(f"arXiv abstract ({paper.arxiv})", identifiers.arxiv_abs_url(paper.arxiv)),
                  Link(f"PDF (arXiv {paper.arxiv})", identifiers.arxiv_pdf_url(paper.arxiv))]
    if paper.doi:
        links.append(Link(f"DOI {paper.doi}", identifiers.doi_url(paper.doi)))
    distinct: dict[str, Link] = {}
    for link in links:
        distinct.setdefault(link.href, link)  # a listing's or note's own label wins
    return tuple(distinct.values())


def _author_links(p: _Planner, paper: Paper) -> tuple[Link, ...]:
    """The paper's names as written, each linking to its author's page when there is one."""
    index = p.authors
    with_pages = {slug for slug in index.of_paper.get(paper.slug, ()) if index.authors[slug].has_page}
    links = []
    for name in paper.author_names:
        slug = author_slug_of(index, paper.slug, name)
        links.append(Link(name, p.href(routes.author(slug)) if slug in with_pages else ""))
    return tuple(links)


def _disagreements(paper: Paper) -> tuple[str, ...]:
    """One line per field the sources disagree on: each value, where it came from, which is shown."""
    fields: dict[str, list[str]] = defaultdict(list)
    for source in paper.provenance:
        fields[source.field].append(f"{source.value} ({source.origin}{', shown' if source.chosen else ''})")
    return tuple(f"{name}: " + "; ".join(values) for name, values in fields.items())


def _link_label(kind: str, url: str) -> str:
    labels = {"code": "Code", "project": "Project page", "arxiv": "arXiv", "pdf": "PDF", "slides": "Slides",
              "video": "Video", "doi": "DOI"}
    host = url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    return f"{labels.get(kind, kind.title())} ({host})"


def _paper_json_ld(p: _Planner, paper: Paper, route: str) -> dict:
    """schema.org: the page is about the paper; it does not claim to be or author it."""
    article = {"@type": "ScholarlyArticle", "name": paper.title}
    if paper.abstract:
        article["abstract"] = paper.abstract
    if paper.author_names:
        article["author"] = [{"@type": "Person", "name": name} for name in paper.author_names]
    if paper.date and paper.date.year:
        article["datePublished"] = paper.date.iso()
    if paper.venue:
        article["isPartOf"] = {"@type": "Periodical" if paper.entry_type == "article" else "CreativeWork",
                               "name": paper.venue}
    if paper.doi:
        article["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": paper.doi}
    same_as = [link.href for link in _paper_links(paper)]
    if same_as:
        article["sameAs"] = same_as
    topics = p.tags_of(paper.slug).topics
    if topics:
        article["keywords"] = [topic_title(p.data.taxonomy, t.id) for t in topics]
    return {"@context": "https://schema.org", "@type": "WebPage", "url": p.urls.absolute(route),
            "name": paper.title, "about": article}


def _plan_feed(p: _Planner, scope: str, title: str, alternate_route: str, slugs: Sequence[str]) -> None:
    papers = tuple(p.by_slug[slug] for slug in slugs[: p.data.settings.feed_size])
    tags = tuple(p.tags_of(paper.slug) for paper in papers)
    inputs = (title, alternate_route, papers, tags, p.data.settings.capture_dates, p.updated)
    p.pages.append(p.reuse.get(("feed", scope), inputs, lambda: _feed_page(p, scope, *inputs)))


def _feed_page(p: _Planner, scope: str, title: str, alternate_route: str, papers: tuple[Paper, ...],
               tags: tuple[Tags, ...], capture_dates, updated: str) -> PagePlan:
    captures = dict(capture_dates)
    entries = tuple(
        FeedEntry(paper.title, p.urls.absolute(routes.paper(paper.slug)),
                  atom_time(entry_date(paper, captures)), _clip(paper.abstract, 500),
                  paper.author_names, _feed_categories(p, paper_tags))
        for paper, paper_tags in zip(papers, tags))
    # A capture date can be newer than every paper date; the feed is never older than an entry.
    updated = max([updated, *(entry.updated for entry in entries)])
    view = FeedView(title, p.urls.absolute(routes.feed(scope)), p.urls.absolute(routes.feed(scope)),
                    p.urls.absolute(alternate_route), updated, p.data.settings.author, entries)
    route = routes.feed(scope)
    return page_plan(route, "feed.xml", "", p.meta(title, title, route), view)


def _feed_categories(p: _Planner, tags: Tags) -> tuple[FeedCategory, ...]:
    """Atom categories: each topic and hardware entry, its id as the term, its page as the scheme."""
    taxonomy = p.data.taxonomy
    return tuple(
        [FeedCategory(t.id, topic_title(taxonomy, t.id), p.urls.absolute(routes.topics_index()))
         for t in tags.topics]
        + [FeedCategory(t.id, hardware_title(taxonomy, t.id), p.urls.absolute(routes.hardware_index()))
           for t in tags.hardware])


def _plan_feeds_and_sitemap(p: _Planner) -> None:
    _plan_feed(p, "", f"{p.data.settings.title}: all papers", routes.home(), p.orders.newest)
    indexed = tuple(page.route for page in p.pages if page.template.endswith(".html") and not page.meta.noindex)
    p.pages.append(p.reuse.get("sitemap", indexed, lambda: page_plan(
        "sitemap.xml", "sitemap.xml", "", p.meta("Sitemap", "", "sitemap.xml"),
        SitemapView(tuple(sorted(p.urls.absolute(route) for route in indexed))))))


def _site_files(p: _Planner) -> list[FilePlan]:
    records = per_paper(p, "records", (p.by_slug, p.data.tags, p.data.curation.notes),
                        lambda slug: _export_record(p, slug))
    robots = "User-agent: *\nAllow: /\n"
    if p.urls.has_host:
        robots += f"Sitemap: {p.urls.absolute('sitemap.xml')}\n"
    return [FilePlan(".nojekyll", b""), FilePlan("robots.txt", robots.encode()),
            *p.reuse.get("exports", (records,), lambda: (
                FilePlan("papers.json", json_bytes(list(records.values()))),
                FilePlan("papers.csv", csv_bytes(list(records.values()))))),
            *_citation_files(p)]


def _citation_files(p: _Planner) -> tuple[FilePlan, ...]:
    """cite.bib per paper, papers.bib for the site and for every listing page that links one,
    and papers.csl.json; all reused while the entries and the listings' members are."""
    note_tags = {slug: note.tags for slug, note in p.data.curation.notes.items()}
    inputs = (p.data.papers, p.bibtex, p.cite_keys, p.members, p.orders, p.authors, note_tags)
    return p.reuse.get("citation-files", inputs, lambda: (
        *(FilePlan(routes.cite(slug), bibtex_file([entry])) for slug, entry in p.bibtex.items()),
        *(FilePlan(route, bibtex_file(p.bibtex[s] for s in slugs)) for route, slugs in _bib_listings(p)),
        FilePlan(routes.csl_json(), csl_json([csl_item(paper, p.cite_keys[paper.slug],
                                                       p.urls.absolute(routes.paper(paper.slug)))
                                              for paper in p.data.papers]))))


def _bib_listings(p: _Planner) -> list[tuple[str, Sequence[str]]]:
    """(papers.bib route, paper slugs) of the site and of each listing that links its own."""
    members, taxonomy = p.members, p.data.taxonomy
    listings = [(routes.bibtex(), p.orders.newest)]
    listings += [(routes.bibtex(f"topics/{t.id}/"), p.by_date(members["topics"].get(t.id, ()))) for t in taxonomy.topics]
    listings += [(routes.bibtex(f"hardware/{e.id}/"), p.by_date(members["hardware"].get(e.id, ())))
                 for e in taxonomy.hardware]
    listings += [(routes.bibtex(f"hardware/{m.slug}/"), p.by_date(members["models"].get(m.slug, ())))
                 for m in taxonomy.models]
    listings += [(routes.bibtex(f"tags/{tag}/"), p.by_date(slugs))
                 for tag, slugs in sorted(_tag_members(p.data.curation.notes).items())]
    listings += [(routes.bibtex(f"authors/{a.slug}/"), p.by_date(a.papers))
                 for a in p.authors.authors.values() if a.has_page]
    return listings


def _export_record(p: _Planner, slug: str) -> dict:
    return paper_record(p.by_slug[slug], p.data.taxonomy, p.tags_of(slug), p.data.curation.notes.get(slug),
                        p.urls.absolute(routes.paper(slug)))


def _site_view(p: _Planner) -> SiteView:
    settings, curation = p.data.settings, p.data.curation
    nav = [("papers", Link("Papers", p.href(routes.papers_list("date")))),
           ("topics", Link("Topics", p.href(routes.topics_index()))),
           ("hardware", Link("Hardware", p.href(routes.hardware_index()))),
           ("reading", Link("Picks", p.href(routes.picks())))]
    if curation.paths:
        nav.append(("paths", Link("Paths", p.href(routes.paths_index()))))
    nav += [(page.slug, Link(page.nav_title, p.href(routes.standalone(page.slug)))) for page in curation.pages
            if page.in_nav]
    footer = (Link("Atom feed", p.href(routes.feed())), Link("papers.json", p.href("papers.json")),
              Link("papers.csv", p.href("papers.csv")), Link("Tags", p.href(routes.tags_index())),
              Link("Authors", p.href(routes.authors_index())),
              Link("Reading queue", p.href(routes.reading_list("to-read"))))
    return SiteView(settings.title, settings.description, settings.language, p.href(routes.home()),
                    p.href("static/style.css"), p.href(routes.feed()),
                    p.href(routes.search()) if settings.search else None, tuple(nav), footer)


def _html(text: str) -> Markup | None:
    """Curator Markdown, already rendered and sanitised by the notes stage."""
    return Markup(text) if text else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
