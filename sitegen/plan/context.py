"""The state every page builder shares: the `Planner` (the site data and the indexes derived
from it: papers by slug, tag members, orders, authors, per-paper chips, cards and BibTeX
entries, each a root of the reuse memo), and the small lookups and text helpers builders use.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Callable, Hashable, Mapping, Sequence

from markupsafe import Markup

from sitegen import urls as routes
from sitegen.catalog.authors import AuthorIndex, author_label, index_authors
from sitegen.catalog.records import Paper
from sitegen.citations import bibtex_entry, cite_key, disambiguated
from sitegen.curation.notes import Curation, Note
from sitegen.settings import Settings
from sitegen.tracking import Recorded, Unrecorded
from sitegen.taxonomy import CURATOR_FIELD, Tag, Tags, Taxonomy, ancestors
from sitegen.views import Chip, Meta, PaperCard, date_labels
from sitegen.plan.records import PagePlan, PaperChips, PaperOrders, SiteData


# --- planning -----------------------------------------------------------------------------

# Records read field by field (a card depends on a note's rating, not on its body); every
# other value is read whole, which can only cost a recomputation, never a stale page.
NAVIGABLE = (SiteData, Settings, Curation, Note)


class Planner:
    """The state every page builder shares, all of it read through `reuse`'s roots.

    The site data and every index derived from it (papers by slug, tag members, orders,
    authors, chips, cards, BibTeX entries...) are roots of `reuse` (see `sitegen.tracking`):
    a page, card, feed or file made by `reuse.get`/`reuse.family`, or `emit`, records what
    it reads through them and is reused while none of that changed. So a compute function
    uses nothing but its key and the planner: a value captured from outside would be read
    unrecorded.
    """

    def __init__(self, data: SiteData, reuse: Recorded | Unrecorded):
        self.reuse = reuse
        self.pages: list[PagePlan] = []
        self.data = reuse.publish("data", data)
        reuse.publish("urls", routes.Urls(data.settings.base_url, data.settings.base_path))
        by_slug = reuse.get("by-slug", None, lambda: {paper.slug: paper for paper in self.data.papers})
        self.by_slug = reuse.publish("by-slug", by_slug)
        members, cells, counts = reuse.get("tag-index", None, self._tag_index)
        self.members, self.cells = reuse.publish("members", members), reuse.publish("cells", cells)
        self.hardware_counts = reuse.publish("hardware-counts", counts)
        self.hardware_children = reuse.publish("hardware-children", reuse.get(
            "hardware-children", None, lambda: hardware_children(self.data.taxonomy)))
        reuse.publish("orders", reuse.get("orders", None, lambda: paper_orders(self.data.papers)))
        reuse.publish("authors", reuse.get("authors", None, lambda: index_authors(self.data.papers)))
        reuse.publish("updated", reuse.get("updated", None, lambda: build_date(self.data).strftime(
            "%Y-%m-%dT%H:%M:%SZ")))
        self.slugs = tuple(by_slug)
        self.chips = reuse.publish("chips", reuse.family("chips", self.slugs, self._chips))
        self.cards = reuse.publish("cards", reuse.family("cards", self.slugs, self._card))
        # Each paper's own key is kept per paper; making them unique reads only the keys.
        own_keys = reuse.publish("own-cite-keys", reuse.family("own-cite-keys", self.slugs, lambda slug: cite_key(
            self.by_slug[slug])))
        self.cite_keys = reuse.publish("cite-keys", reuse.get("cite-keys", None, lambda: disambiguated(own_keys)))
        self.bibtex = reuse.publish("bibtex", reuse.family("bibtex", self.slugs, lambda slug: bibtex_entry(
            self.by_slug[slug], self.cite_keys[slug], self.urls.absolute(routes.paper(slug)))))

    @property
    def urls(self) -> routes.Urls:
        return self.reuse.root("urls")

    @property
    def orders(self) -> PaperOrders:
        return self.reuse.root("orders")

    @property
    def authors(self) -> AuthorIndex:
        return self.reuse.root("authors")

    @property
    def updated(self) -> str:
        """The feeds' <updated>."""
        return self.reuse.root("updated")

    def _tag_index(self):
        tags = self.data.tags
        members = {axis: index_members(tags, axis) for axis in ("topics", "hardware", "models")}
        return members, topic_hardware_cells(tags), hardware_counts_of(self.data.taxonomy, members)

    def emit(self, name: str, item: Hashable, plan: Callable[[], Sequence[PagePlan]]) -> None:
        """Add the pages `plan()` makes, reused while what it reads is unchanged."""
        self.pages.extend(self.reuse.get(name, item, lambda: tuple(plan())))

    # shared helpers
    def href(self, route: str) -> str:
        return self.urls.href(route)

    def meta(self, title: str, description: str, route: str, **extra) -> Meta:
        return Meta(title, description, self.urls.absolute(route), route, **extra)

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
            has_code=has_code(paper),
        )

    def _chips(self, slug: str) -> PaperChips:
        tags = self.tags_of(slug)
        taxonomy = self.data.taxonomy
        note = self.data.curation.notes.get(slug)

        def chip(tag, label: str, route: str, kind: str) -> Chip:
            return Chip(label, self.href(route), kind, evidence_text(tag))

        hardware = tuple(chip(t, hardware_title(taxonomy, t.id), routes.hardware(t.id), "hardware")
                         for t in tags.hardware)
        specific = set(most_specific(taxonomy, tags.hardware))
        return PaperChips(
            topics=tuple(chip(t, topic_title(taxonomy, t.id), routes.topic(t.id), "topic") for t in tags.topics),
            hardware=hardware,
            models=tuple(chip(t, model_name(taxonomy, t.id), routes.hardware(t.id), "model") for t in tags.models),
            tags=tuple(Chip(tag.label, self.href(routes.tag(tag.slug)), "tag", f"tagged by the curator in {note.path}")
                       for tag in note.tags) if note else (),
            specific_hardware=tuple(c for c, t in zip(hardware, tags.hardware) if t.id in specific),
        )

    def card_list(self, slugs) -> tuple[PaperCard, ...]:
        return tuple(self.cards[s] for s in slugs)


def most_specific(taxonomy: Taxonomy, hardware: Sequence[Tag]) -> tuple[str, ...]:
    """The ids of the hardware tags no other tag is more specific than: lists show only those
    ("H100" rather than also "Hopper", "NVIDIA"), and so does a search result."""
    ids = [t.id for t in hardware]
    return tuple(i for i in ids if not any(i in ancestors(taxonomy, other) for other in ids if other != i))


def has_code(paper: Paper) -> bool:
    """Whether the paper links its code (a card's and a search result's "code" mark)."""
    return any(link.kind == "code" for link in paper.links)


def paper_orders(papers: Sequence[Paper]) -> PaperOrders:
    newest = tuple(p.slug for p in newest_first(papers))
    return PaperOrders(
        newest=newest,
        upvotes=tuple(x.slug for x in sorted(papers, key=lambda x: (-(x.upvotes or -1), x.title.casefold(), x.slug))),
        title=tuple(x.slug for x in sorted(papers, key=lambda x: (x.title.casefold(), x.slug))),
        rank={slug: index for index, slug in enumerate(newest)},
    )


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


def hardware_children(taxonomy: Taxonomy) -> dict[str | None, list[tuple[str, str]]]:
    """Hardware id (None: the top) -> (id or model slug, title) of each child, in taxonomy order."""
    children: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    for entry in taxonomy.hardware:
        children[entry.parent].append((entry.id, entry.title))
    for model in taxonomy.models:
        children[model.family].append((model.slug, model.name))
    return children


def html(text: str) -> Markup | None:
    """Curator Markdown, already rendered and sanitised by the notes stage."""
    return Markup(text) if text else None


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
