"""The state every page builder shares: the `Planner` (site data, reuse memo, indexes and the
per-paper chips, cards and BibTeX entries), and the small lookups and text helpers builders use.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence, TypeVar

from markupsafe import Markup

from sitegen import urls as routes
from sitegen.authors import AuthorIndex, author_label, index_authors
from sitegen.catalog import Paper
from sitegen.citations import bibtex_entry, unique_keys
from sitegen.memo import ByInputs
from sitegen.taxonomy import CURATOR_FIELD, Tags, Taxonomy, ancestors
from sitegen.views import Chip, Meta, PaperCard, date_labels
from sitegen.plan.records import PagePlan, PaperChips, PaperOrders, SiteData, page_plan


T = TypeVar("T")


# --- planning -----------------------------------------------------------------------------

@dataclass(slots=True)
class Planner:
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
        members = {axis: index_members(self.data.tags, axis) for axis in ("topics", "hardware", "models")}
        return members, topic_hardware_cells(self.data.tags), hardware_counts_of(self.data.taxonomy, members)

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


def per_paper(p: Planner, key: str, sources: tuple[Mapping[str, object], ...], build: Callable[[str], T],
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
        changed = set().union(*(changed_keys(old, new) for old, new in zip(last.sources, sources)))
        if also is not None:
            changed |= also(last.sources)
        if not changed:
            return _PerPaper(sources, last.values)
        old = last.values
        return _PerPaper(sources, {slug: build(slug) if slug in changed else old[slug] for slug in p.by_slug})

    return p.reuse.update(key, patch).values  # type: ignore[return-value]


def changed_keys(old: Mapping[str, object], new: Mapping[str, object]) -> set[str]:
    if old is new or old == new:
        return set()
    missing = object()
    return {k for k in old.keys() | new.keys() if old.get(k, missing) != new.get(k, missing)}


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


def axis_members(p: Planner, axis: str) -> dict[str, set[str]]:
    """Tag id -> slugs of the papers carrying it, for one axis (topics, hardware, models)."""
    return p.members[axis]


def topic_hardware_cells(tags: Mapping[str, Tags]) -> dict[tuple[str, str], set[str]]:
    """(topic id, hardware id) -> the papers carrying both: one pass over the papers, not one
    set intersection per pair of ids."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for slug, paper_tags in tags.items():
        for topic in paper_tags.topics:
            for hardware in paper_tags.hardware:
                found[topic.id, hardware.id].add(slug)
    return dict(found)


def index_members(tags: Mapping[str, Tags], axis: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for slug, paper_tags in tags.items():
        for tag in getattr(paper_tags, axis):
            found[tag.id].add(slug)
    return dict(found)


def hardware_counts_of(taxonomy: Taxonomy, members: dict[str, dict[str, set[str]]]) -> dict[str, int]:
    hardware, models = members["hardware"], members["models"]
    counts = {e.id: len(hardware.get(e.id, ())) for e in taxonomy.hardware}
    counts.update({m.slug: len(models.get(m.slug, ())) for m in taxonomy.models})
    return counts


def html(text: str) -> Markup | None:
    """Curator Markdown, already rendered and sanitised by the notes stage."""
    return Markup(text) if text else None


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
