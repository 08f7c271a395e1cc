"""Stage 2, catalog: repair text and merge listing entries into one `Paper` per paper.

The same paper shows up in several listings (or twice in one) with small differences:
case, punctuation, accents, mojibake, a truncated abstract. Entries are grouped by a
folded match key; every choice made while merging is a total order on the candidates, so
the result does not depend on the order files are read in.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import difflib
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from sitegen.diagnostics import Diagnostic, sorted_diagnostics, warning
from sitegen.sources import MONTHS, ListingDate, SeedEntry, SeedFile
from sitegen.text import (Link, extract_links, join_slug, match_key, organization_name, repair_text, slug_words,
                          slugify)


@dataclass(frozen=True, slots=True, order=True)
class PaperDate:
    """A publication date; `year` is None when the listing omitted it and no capture date
    was configured to resolve it (shown as month and day, never guessed)."""

    year: int | None
    month: int
    day: int

    def iso(self) -> str:
        """`YYYY-MM-DD`, or `--MM-DD` (ISO 8601 without year) when the year is unknown."""
        year = f"{self.year:04d}" if self.year is not None else "-"
        return f"{year}-{self.month:02d}-{self.day:02d}"

    def label(self) -> str:
        """For people: `2024-02-20`, or `Mar 26 (year unknown)` rather than a guessed year."""
        if self.year is not None:
            return self.iso()
        return f"{calendar.month_abbr[self.month]} {self.day} (year unknown)"

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year or 0, self.month, self.day)


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
    links: tuple[Link, ...]
    occurrences: tuple[Occurrence, ...]
    abstract_variants: tuple[str, ...] = ()  # other repaired abstracts seen, for provenance
    added_by: str | None = None  # a curator note's path when the paper is not from the seeds


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


def build_catalog(seed_files: Iterable[SeedFile], capture_dates: Mapping[str, dt.date],
                  extra_papers: Iterable[Paper] = ()) -> Catalog:
    """Merge every entry of every seed file into papers; add curator papers unmerged."""
    seed_files = tuple(seed_files)
    groups: dict[str, list[tuple[SeedEntry, str]]] = defaultdict(list)
    diagnostics: list[Diagnostic] = _unresolved_dates(seed_files, capture_dates)
    for seed_file in seed_files:
        diagnostics.extend(seed_file.diagnostics)
        diagnostics.extend(_missing_capture_date(seed_file, capture_dates))
        for entry in seed_file.entries:
            title = repair_text(entry.title)
            groups[match_key(title)].append((entry, title))
    papers = _unique_slugs([*(merge_entries(group, capture_dates) for group in groups.values()), *extra_papers])
    return Catalog(tuple(sorted(papers, key=lambda p: p.slug)), tuple(sorted_diagnostics(diagnostics)))


def _missing_capture_date(seed_file: SeedFile, capture_dates: Mapping[str, dt.date]) -> list[Diagnostic]:
    """A listing with year-less or missing dates needs the day it was saved: without it those
    dates stay partial and its papers' feed entries have no date of their own."""
    if seed_file.path in capture_dates:
        return []
    undated = [e for e in seed_file.entries if e.date is None or e.date.year is None]
    if not undated:
        return []
    name = seed_file.path.removeprefix("seeds/")
    return [warning(seed_file.path, undated[0].line,
                    f"{len(undated)} of {len(seed_file.entries)} entries have no date or no year, and "
                    f"content/site.yaml has no capture date for this listing; add "
                    f"`capture_dates: {{{name}: YYYY-MM-DD}}` (the day the page was saved) so their "
                    f"dates resolve and their feed dates never change")]


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


def _unique_slugs(papers: list[Paper]) -> list[Paper]:
    """Papers whose titles give one slug each get the title's hash appended: unique, and still
    independent of file order."""
    counts = Counter(paper.slug for paper in papers)
    return [dataclasses.replace(p, slug=f"{p.slug}-{title_digest(p.title)}") if counts[p.slug] > 1 else p
            for p in papers]


def merge_entries(group: list[tuple[SeedEntry, str]], capture_dates: Mapping[str, dt.date]) -> Paper:
    """One paper from all the entries sharing a match key (each with its repaired title)."""
    group = sorted(group, key=lambda pair: (pair[0].file, pair[0].line))
    entries = [entry for entry, _ in group]
    titles = Counter(title for _, title in group)
    # Most frequent spelling wins; ties go to the one with more non-ASCII (accents kept).
    title = min(titles, key=lambda t: (-titles[t], -sum(ord(c) > 127 for c in t), t))
    abstracts = sorted({repair_text(e.abstract) for e in entries}, key=lambda a: (-len(a), a))
    first = entries[0]
    return Paper(
        slug=paper_slug(title),
        title=title,
        abstract=abstracts[0],
        raw_title=first.title,
        raw_abstract=first.abstract,
        date=_merge_dates(entries, capture_dates),
        authors=max((e.authors for e in entries if e.authors is not None), default=None),
        organization=min((organization_name(e.organization) for e in entries if e.organization), default=None),
        upvotes=max((e.upvotes for e in entries if e.upvotes is not None), default=None),
        links=extract_links(abstracts[0]),
        occurrences=tuple(Occurrence(e.file, e.line) for e in entries),
        abstract_variants=tuple(abstracts[1:]),
    )


def _merge_dates(entries: list[SeedEntry], capture_dates: Mapping[str, dt.date]) -> PaperDate | None:
    """Exact dates beat partial ones; among equals the earliest wins (first appearance)."""
    resolved = [resolve_date(e.date, capture_dates.get(e.file)) for e in entries if e.date]
    return min(resolved, key=lambda d: (d.year is None, d.sort_key), default=None)


# Feb 29 recurs at most 8 years apart (1896 -> 1904); every other day recurs yearly.
_YEARS_TO_TRY = 9


def resolve_date(date: ListingDate, captured: dt.date | None) -> PaperDate:
    """A year-less listing date is the latest such day not after the capture date; it stays
    year-less when no such day exists from year 1 on (a capture date in year 1)."""
    if date.year is not None or captured is None:
        return PaperDate(date.year, date.month, date.day)
    for year in range(captured.year, max(captured.year - _YEARS_TO_TRY, 0), -1):
        try:
            candidate = dt.date(year, date.month, date.day)
        except ValueError:  # Feb 29 in a non-leap year
            continue
        if candidate <= captured:
            return PaperDate(candidate.year, candidate.month, candidate.day)
    return PaperDate(None, date.month, date.day)


def _unresolved_dates(seed_files: Iterable[SeedFile], capture_dates: Mapping[str, dt.date]) -> list[Diagnostic]:
    """A warning at each year-less date that its listing's capture date cannot resolve."""
    found = []
    for seed_file in seed_files:
        captured = capture_dates.get(seed_file.path)
        if captured is None:
            continue
        for entry in seed_file.entries:
            if entry.date is not None and resolve_date(entry.date, captured).year is None:
                found.append(warning(
                    seed_file.path, entry.line,
                    f"no {MONTHS[entry.date.month - 1]} {entry.date.day} falls on or before the capture date "
                    f"{captured.isoformat()} (content/site.yaml capture_dates); the year stays unknown"))
    return found
