"""View records: exactly what templates show, computed in Python before rendering.

Templates receive these frozen records and only lay them out; every URL, label, count and
piece of evidence is decided here (or in `plan`), never in a template. They are not slotted
on purpose: the watch loop fingerprints every page by pickling it, and pickling a slotted
dataclass goes through a Python-level `__getstate__`, several times slower.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

from sitegen.exports import markup_safe
from sitegen.text.weblinks import find_urls


@dataclass(frozen=True)
class Link:
    """A labelled link."""

    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Chip:
    """A topic, hardware, model or free-tag label on a paper, with the evidence for it."""

    label: str
    href: str
    kind: str  # "topic" | "hardware" | "model" | "tag"
    evidence: str  # why the paper carries it; shown on hover and focus


@dataclass(frozen=True)
class PaperCard:
    """A paper as it appears in a list."""

    slug: str
    href: str
    title: str
    date: str  # human form: "2024-02-20", "Mar 26 (year unknown)" or ""
    date_iso: str  # machine form for <time datetime>, "" when unknown
    upvotes: int | None
    authors: str  # "A, B, C et al.", "6 authors" or ""
    organization: str | None
    chips: tuple[Chip, ...]
    summary: Markup  # the curator's one-line summary (inline Markdown, rendered), or ""
    status: str  # "", "to-read", "reading", "read"
    rating: int | None
    pick: bool
    added_by_curator: bool
    has_code: bool


@dataclass(frozen=True)
class Count:
    """A labelled count linking somewhere (taxonomy overviews, breakdowns)."""

    label: str
    href: str
    count: int
    depth: int = 0  # nesting in a tree (vendor 0, family 1, model 2)
    description: str = ""


@dataclass(frozen=True)
class Pager:
    """Previous/next page links of a paginated listing."""

    page: int
    pages: int
    previous: str | None
    next: str | None


@dataclass(frozen=True)
class Meta:
    """Head data of a page: title, description, canonical URL, feed, structured data."""

    title: str
    description: str
    canonical: str
    route: str
    feed_href: str | None = None
    feed_title: str = ""
    json_ld: Markup | None = None
    og_type: str = "website"
    noindex: bool = False


@dataclass(frozen=True)
class SiteView:
    """What every page's layout shows: site title, navigation, asset links."""

    title: str
    description: str
    language: str
    home_href: str
    css_href: str
    feed_href: str
    search_href: str | None
    nav: tuple[tuple[str, Link], ...]  # (section, link)
    footer_links: tuple[Link, ...]


# --- page views ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HomeView:
    intro: object
    counts: tuple[Count, ...]
    picks: tuple[PaperCard, ...]
    latest: tuple[PaperCard, ...]
    topics: tuple[Count, ...]
    hardware: tuple[Count, ...]
    paths: tuple[Link, ...]
    all_papers_href: str


@dataclass(frozen=True)
class ListView:
    """Any paginated list of papers: all papers, a topic, a hardware entry, a tag..."""

    heading: str
    kicker: str  # small label above the heading ("Topic", "Hardware family", ...)
    description: str
    intro: object  # curator intro html or None
    crumbs: tuple[Link, ...]
    cards: tuple[PaperCard, ...]
    total: int
    pager: Pager | None
    sort_links: tuple[Link, ...]
    breakdown_title: str
    breakdown: tuple[Count, ...]
    children: tuple[Count, ...]
    feed_href: str | None
    search_href: str | None
    show_rating: bool = False
    bib_href: str | None = None  # the listing's papers.bib
    tabs_label: str = "Sort order"  # what the row of sibling links (sort_links) is


@dataclass(frozen=True)
class IndexView:
    heading: str
    description: str
    items: tuple[Count, ...]
    extra_links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class MatrixCell:
    count: int
    href: str | None
    shade: int  # 0 (empty) to 4 (most papers), for the background
    label: str  # accessible description: "12 papers on KV cache with NVIDIA Hopper"


@dataclass(frozen=True)
class MatrixRow:
    label: str
    href: str
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class MatrixGroup:
    """Adjacent matrix columns under one heading: a vendor and its families, or the categories."""

    label: str
    href: str | None
    columns: tuple[Link, ...]

    @property
    def is_one_column(self) -> bool:
        """A vendor without families: its heading is its only column (spans both header rows)."""
        return len(self.columns) == 1 and self.columns[0].label == self.label


@dataclass(frozen=True)
class MatrixView:
    groups: tuple[MatrixGroup, ...]
    rows: tuple[MatrixRow, ...]  # cells in the order of the groups' columns


@dataclass(frozen=True)
class RelatedView:
    card: PaperCard
    shared_terms: tuple[str, ...]


@dataclass(frozen=True)
class PathNav:
    path_title: str
    path_href: str
    position: str  # "3 of 7"
    previous: Link | None
    next: Link | None


@dataclass(frozen=True)
class NoteView:
    status: str
    rating: int | None
    pick: bool
    summary: Markup  # inline Markdown, rendered
    body: object  # Markup
    source: str


@dataclass(frozen=True)
class PaperView:
    card: PaperCard
    abstract: object  # Markup with linkified URLs
    authors: tuple[Link, ...]  # every name; href "" for an author without a page of their own
    more_authors: bool  # the names stop short of the full list
    venue: str
    disagreements: tuple[str, ...]  # "date: 2024-02-21 (content/notes/x.md:2, shown); 2023 (seeds/x.bib:4)"
    links: tuple[Link, ...]
    topics: tuple[Chip, ...]
    hardware: tuple[Chip, ...]
    models: tuple[Chip, ...]
    tags: tuple[Chip, ...]
    occurrences: tuple[str, ...]
    variants: int
    note: NoteView | None
    related: tuple[RelatedView, ...]
    path_nav: tuple[PathNav, ...]
    backlinks: tuple[Link, ...]
    cite: str  # the BibTeX entry, shown as text
    cite_href: str  # papers/SLUG/cite.bib
    cite_script_href: str  # the copy button's script


@dataclass(frozen=True)
class PathStepView:
    before: object
    card: PaperCard
    number: int


@dataclass(frozen=True)
class PathView:
    title: str
    intro: object
    steps: tuple[PathStepView, ...]
    closing: object


@dataclass(frozen=True)
class RedirectView:
    """A page that only sends the reader on: an old paper URL to the paper's page."""

    title: str
    href: str


@dataclass(frozen=True)
class ProseView:
    heading: str
    body: object


SEARCH_FILTER_HEADINGS = {"topic": "Topic", "hardware": "Hardware", "year": "Year",
                          "status": "Reading status", "code": "Code"}
SEARCH_SORTS = (("", "Relevance"), ("date", "Newest first"), ("upvotes", "Most upvoted"))


@dataclass(frozen=True)
class SearchView:
    """The search page: the Pagefind bundle to load, its filter groups and sort options."""

    available: bool  # False when the index could not be built: the page says so
    bundle_href: str  # the Pagefind bundle folder, base path included ("/repo/pagefind/")
    filters: tuple[str, ...]  # filter names in display order (keys of SEARCH_FILTER_HEADINGS)
    # filter name -> ((id, label), ...): the URL says `topic=kv-cache`, the index "KV cache"
    filter_ids: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def ids_json(self) -> Markup:
        """`filter_ids` as JSON for a <script type="application/json"> block."""
        return json_ld({name: dict(pairs) for name, pairs in self.filter_ids})

    @property
    def filter_groups(self) -> tuple[tuple[str, str], ...]:
        """(name, heading) of each filter group, in display order."""
        return tuple((name, SEARCH_FILTER_HEADINGS[name]) for name in self.filters)

    @property
    def sorts(self) -> tuple[tuple[str, str], ...]:
        """(value of the `sort` URL parameter, label); "" is relevance."""
        return SEARCH_SORTS

    @property
    def script_href(self) -> str:
        """static/search.js, which sits beside the bundle folder under the base path."""
        return self.bundle_href.removesuffix("pagefind/") + "static/search.js"


@dataclass(frozen=True)
class FeedCategory:
    term: str  # the taxonomy id
    label: str
    scheme: str  # absolute URL of the axis's index page


@dataclass(frozen=True)
class FeedEntry:
    title: str
    href: str
    updated: str
    summary: str
    authors: tuple[str, ...]
    categories: tuple[FeedCategory, ...]


@dataclass(frozen=True)
class FeedView:
    title: str
    feed_id: str
    self_href: str
    alternate_href: str
    updated: str
    author: str
    entries: tuple[FeedEntry, ...]


@dataclass(frozen=True)
class SitemapView:
    locations: tuple[str, ...]


def date_labels(date) -> tuple[str, str]:
    """(human, machine) forms of a PaperDate; partial dates say so rather than guess."""
    if date is None:
        return "", ""
    return date.label(), date.iso() if date.year is not None else ""


@functools.lru_cache(maxsize=1 << 16)
def linkify(text: str) -> Markup:
    """Escape text and turn the URLs in it into links (the abstract on a paper page).

    Memoised: a pure function of the text, and the watch loop plans every page again."""
    parts, position = [], 0
    for start, end, url in find_urls(text):
        parts.append(escape(text[position:start]))
        parts.append(Markup('<a href="{0}" rel="nofollow noopener">{1}</a>').format(url, text[start:end]))
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def json_ld(data: dict) -> Markup:
    """JSON for a <script type="application/ld+json"> block, safe against `</script>`."""
    return Markup(markup_safe(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))))


def pager(route_for, page: int, pages: int) -> Pager | None:
    """Pagination links; `route_for(n)` is the href of page n."""
    if pages <= 1:
        return None
    return Pager(page, pages, route_for(page - 1) if page > 1 else None,
                 route_for(page + 1) if page < pages else None)


def chunks(items: Sequence, size: int) -> list[Sequence]:
    """Items split into pages of `size`; an empty listing still has one (empty) page."""
    return [items[i:i + size] for i in range(0, len(items), size)] or [items[:0]]
