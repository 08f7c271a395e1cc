"""The catalog's records: one `Paper` per paper, where each value came from, curator
corrections, and the `Catalog` that finds a paper by slug, title or the start of a title.

A paper's slug is part of its identity: made from its title, readable, at most 80
characters, with a digest of the full title when it had to be cut (`paper_slug`).
"""


from __future__ import annotations

import calendar
import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass, field

from sitegen.diagnostics import Diagnostic
from sitegen.text.repair import join_slug, match_key, slug_words, slugify
from sitegen.text.weblinks import ExternalLink


@dataclass(frozen=True, slots=True)
class PaperDate:
    """A publication date. `year` is None when a listing omitted it and no capture date was
    configured to resolve it (shown as month and day, never guessed); BibTeX and notes may
    give only a year, or a year and a month (`day`, `month` None)."""

    year: int | None
    month: int | None
    day: int | None = None

    def iso(self) -> str:
        """`YYYY-MM-DD`, `YYYY-MM`, `YYYY`, or `--MM-DD` (ISO 8601 without year)."""
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        if self.month is None:
            return f"{self.year:04d}"
        return f"{self.year:04d}-{self.month:02d}" + (f"-{self.day:02d}" if self.day is not None else "")

    def label(self) -> str:
        """For people: `2024-02-20`, or `Mar 26 (year unknown)` rather than a guessed year."""
        if self.year is not None:
            return self.iso()
        return f"{calendar.month_abbr[self.month]} {self.day} (year unknown)"

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year or 0, self.month or 0, self.day or 0)

    def first_day(self) -> dt.date:
        """The first day the date may mean (2023 -> 2023-01-01), for feeds; needs the year."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def refines(self, other: "PaperDate") -> bool:
        """This date says everything `other` says, and maybe more (2023-07-17 refines 2023)."""
        return all(mine == theirs for mine, theirs in zip(
            (self.year, self.month, self.day), (other.year, other.month, other.day)) if theirs is not None)

    @property
    def precision(self) -> int:
        return sum(part is not None for part in (self.year, self.month, self.day))


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """Where a paper appeared: seed file and the line of its title."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper, merged from every listing that shows it."""

    slug: str
    title: str  # repaired
    abstract: str  # repaired; the most complete variant
    raw_title: str  # as first scraped (provenance)
    raw_abstract: str
    date: PaperDate | None
    authors: int | None
    organization: str | None
    upvotes: int | None
    links: tuple[ExternalLink, ...]
    occurrences: tuple[Occurrence, ...]
    abstract_variants: tuple[str, ...] = ()  # other repaired abstracts seen, for provenance
    added_by: str | None = None  # a curator note's path when the paper is not from the seeds
    author_names: tuple[str, ...] = ()  # "First Last", in order (BibTeX or a note)
    more_authors: bool = False  # the names stop short of the full list (`and others`)
    venue: str | None = None  # journal, proceedings or institution
    doi: str | None = None
    arxiv: str | None = None  # without version
    entry_type: str | None = None  # the BibTeX type it was read as ("article", "misc", ...)
    keywords: tuple[str, ...] = ()  # from BibTeX
    provenance: tuple["FieldSource", ...] = ()  # every value of a field sources disagree on


@dataclass(frozen=True, slots=True)
class FieldSource:
    """One source's value for a bibliographic field, kept when the sources disagree."""

    field: str  # "authors" | "date" | "venue" | "doi" | "arxiv"
    value: str  # as shown
    origin: str  # "seeds/x.txt:12", "seeds/library.bib:4", "content/notes/x.md:3"
    chosen: bool  # the value the paper shows


@dataclass(frozen=True, slots=True)
class Correction:
    """Bibliographic fields a curator's note sets on a paper; None or () where it sets none."""

    path: str
    line: int | None  # of the key naming the paper
    ref: str  # the paper: its slug or title
    authors: tuple[str, ...] = ()
    date: PaperDate | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    links: tuple[ExternalLink, ...] = ()
    organization: str | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every paper, ordered by slug, with lookups by slug and by match key."""

    papers: tuple[Paper, ...]
    diagnostics: tuple[Diagnostic, ...]
    _by_slug: dict[str, Paper] = field(init=False, repr=False, compare=False)
    _by_key: dict[str, Paper] = field(init=False, repr=False, compare=False)
    _seeds_by_key: dict[str, Paper] = field(init=False, repr=False, compare=False)
    _by_legacy_slug: dict[str, Paper] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_slug", {p.slug: p for p in self.papers})
        keys = [match_key(p.title) for p in self.papers]
        object.__setattr__(self, "_by_key", dict(zip(keys, self.papers)))
        object.__setattr__(self, "_seeds_by_key", {k: p for k, p in zip(keys, self.papers) if p.added_by is None})

    def get(self, slug: str) -> Paper | None:
        return self._by_slug.get(slug)

    def seed_paper(self, title: str) -> Paper | None:
        """The paper from the seeds with this title (case, punctuation and accents ignored)."""
        return self._seeds_by_key.get(match_key(title))

    def find(self, ref: str) -> Paper | None:
        """A paper by slug or by title (case, punctuation and accents ignored), or by the start
        of its title when no other title starts so (`HashEvict`, `flashattention-3`)."""
        exact = self._by_slug.get(ref.strip()) or self._by_key.get(match_key(ref)) or self.legacy(ref.strip())
        if exact is not None:
            return exact
        starting = self.starting_with(ref)
        return starting[0] if len(starting) == 1 else None

    def by_title(self, title: str) -> Paper | None:
        """The paper with this title (case, punctuation and accents ignored)."""
        return self._by_key.get(match_key(title))

    def legacy(self, slug: str) -> Paper | None:
        """The paper a slug of the first slug rule named (notes written before it changed)."""
        if self._by_legacy_slug is None:  # built on first use: most builds never need it
            object.__setattr__(self, "_by_legacy_slug", {legacy_paper_slug(p.title): p for p in self.papers})
        return self._by_legacy_slug.get(slug)

    def starting_with(self, ref: str) -> list[Paper]:
        """The papers whose title starts with `ref` (case, punctuation and accents ignored)."""
        key = match_key(ref)
        return [paper for title, paper in self._by_key.items() if title.startswith(key)] if key else []

    def suggest(self, ref: str, limit: int = 3) -> list[Paper]:
        """The papers whose titles are closest to `ref`, best first.

        A title is scored against the whole reference and against its own beginning cut to
        the reference's length, so short references ("SnapKV", "flashattention-2") find the
        long titles they abbreviate.
        """
        key = match_key(ref)
        if not key:
            return []
        scored = []
        for paper in self.papers:
            title = match_key(paper.title)
            score = max(difflib.SequenceMatcher(None, key, title).ratio(),
                        difflib.SequenceMatcher(None, key, title[: len(key)]).ratio())
            if score >= 0.6:
                scored.append((-score, paper.slug, paper))
        return [paper for _, _, paper in sorted(scored)[:limit]]


def paper_slug(title: str) -> str:
    """A URL-safe, readable slug that depends only on the title, so it never changes when files
    are added or reordered: its words transliterated (`Ł` -> `l`, `ß` -> `ss`) and cut at a word
    boundary. A title with no Latin letter or digit gets `paper-HASH`; `build_catalog` adds the
    hash to slugs two titles would share."""
    return slugify(title) or f"paper-{title_digest(title)}"


def title_digest(title: str) -> str:
    return hashlib.sha1(match_key(title).encode("utf-8")).hexdigest()[:8]


def legacy_paper_slug(title: str) -> str:
    """The slug rule of the first version, kept so its URLs redirect and notes naming its slugs
    still resolve: no transliteration, and a hash suffix whenever the slug lost a letter or was
    cut (`...-on-gpu-687d1950`)."""
    slug = join_slug(slug_words(title, transliterate=False))
    if slug and slug.replace("-", "") == match_key(title):
        return slug
    return f"{slug}-{title_digest(title)}" if slug else f"paper-{title_digest(title)}"
