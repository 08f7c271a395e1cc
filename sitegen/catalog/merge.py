"""Stage 2, catalog: repair text and merge listing entries into one `Paper` per paper.

The same paper shows up in several listings (or twice in one) with small differences:
case, punctuation, accents, mojibake, a truncated abstract. Entries are grouped by a
folded match key; every choice made while merging is a total order on the candidates, so
the result does not depend on the order files are read in.

BibTeX entries (`seeds/*.bib`) join the group of the same key: the listing's text is kept
and the bibliographic fields (authors, date, venue, DOI, arXiv id) come from BibTeX. A
curator's note may correct those fields on any paper (`Correction`); the note wins. When
sources give different values for a field, every value and where it came from is kept in
`Paper.provenance`.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import difflib
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from sitegen.sources import identifiers
from sitegen.sources.bibtex import BibEntry, BibFile
from sitegen.diagnostics import Diagnostic, sorted_diagnostics, warning
from sitegen.sources.listing import MONTHS, ListingDate, SeedEntry, SeedFile
from sitegen.text.repair import (Link, extract_links, join_slug, link_kind, match_key, organization_name, repair_text,
                          slug_words, slugify)


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
    links: tuple[Link, ...]
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
    links: tuple[Link, ...] = ()
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


def build_catalog(seed_files: Iterable[SeedFile], capture_dates: Mapping[str, dt.date],
                  extra_papers: Iterable[Paper] = (), bib_files: Iterable[BibFile] = (),
                  corrections: Iterable[Correction] = ()) -> Catalog:
    """Merge every listing and BibTeX entry into papers and apply the curator's corrections.

    A curator paper (from a note with `title`) whose title is already in the seeds is not a
    second paper: its fields become a correction of the seed paper (the notes stage warns)."""
    seed_files = tuple(seed_files)
    groups: dict[str, list[tuple[SeedEntry, str]]] = defaultdict(list)
    bib_groups: dict[str, list[BibEntry]] = defaultdict(list)
    diagnostics: list[Diagnostic] = _unresolved_dates(seed_files, capture_dates)
    for seed_file in seed_files:
        diagnostics.extend(seed_file.diagnostics)
        diagnostics.extend(_missing_capture_date(seed_file, capture_dates))
        for entry in seed_file.entries:
            title = repair_text(entry.title)
            groups[match_key(title)].append((entry, title))
    for bib_file in bib_files:
        diagnostics.extend(bib_file.diagnostics)
        for bib in bib_file.entries:
            bib_groups[match_key(bib.title)].append(bib)
    papers = {key: merge_entries(group, capture_dates) for key, group in groups.items()}
    papers.update((key, bib_paper(bibs)) for key, bibs in bib_groups.items() if key not in papers)
    corrections = list(corrections)
    for paper in extra_papers:
        key = match_key(paper.title)
        if key in papers:
            corrections.append(_as_correction(paper, papers[key].slug))
        else:
            papers[key] = paper
    base = Catalog(tuple(sorted(_unique_slugs(list(papers.values())), key=lambda p: p.slug)),
                   tuple(sorted_diagnostics(diagnostics)))
    by_slug: dict[str, Correction] = {}
    for correction in sorted(corrections, key=lambda c: c.path):
        paper = base.find(correction.ref)  # an unknown paper is the notes stage's to report
        if paper is not None:
            by_slug.setdefault(paper.slug, correction)  # so is a second note on one paper
    if not bib_groups and not by_slug:
        return base
    return Catalog(tuple(
        with_sources(p, bib_groups.get(match_key(p.title), []), by_slug.get(p.slug)) for p in base.papers
    ), base.diagnostics)


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
    links = _identified_links(extract_links(abstracts[0]))
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
        links=links,
        occurrences=tuple(Occurrence(e.file, e.line) for e in entries),
        abstract_variants=tuple(abstracts[1:]),
        doi=first_identifier(identifiers.doi, links), arxiv=first_identifier(identifiers.arxiv_id, links),
    )


def bib_paper(bibs: list[BibEntry]) -> Paper:
    """A paper known only from BibTeX: its title and abstract are the first entry's."""
    first = min(bibs, key=lambda b: (b.file, b.line))
    return Paper(
        slug=paper_slug(first.title), title=first.title, abstract=first.abstract, raw_title=first.title,
        raw_abstract=first.abstract, date=None, authors=None, organization=None, upvotes=None,
        links=extract_links(first.abstract), occurrences=(),
    )


def with_sources(paper: Paper, bibs: list[BibEntry], correction: Correction | None) -> Paper:
    """`paper` with the bibliographic fields of its BibTeX entries and of a curator's
    correction. Precedence: the note, then BibTeX (the first entry by file and line), then
    the listing; values that disagree are all kept as provenance."""
    if not bibs and correction is None:
        return paper
    bibs = sorted(bibs, key=lambda b: (b.file, b.line))
    sources = [_Values(f"{b.file}:{b.line}", b.authors, b.more_authors,
                       PaperDate(b.year, b.month) if b.year else None, b.venue, b.doi, b.arxiv) for b in bibs]
    sources.append(_sources_of(paper))
    links = [*paper.links, *(Link(link_kind(b.url), b.url) for b in bibs if b.url)]
    if correction is not None:
        where = correction.path if correction.line is None else f"{correction.path}:{correction.line}"
        sources.insert(0, _Values(where, correction.authors, False,
                                  correction.date, correction.venue, correction.doi, correction.arxiv))
        links = [*correction.links, *links]  # the curator's kind for a URL wins
    chosen = _choose(paper, sources, links)
    return replace(
        chosen, occurrences=paper.occurrences + tuple(Occurrence(b.file, b.line) for b in bibs),
        abstract=paper.abstract or next((b.abstract for b in bibs if b.abstract), ""),
        entry_type=bibs[0].entry_type if bibs else paper.entry_type,
        keywords=tuple(dict.fromkeys(k for b in bibs for k in b.keywords)) or paper.keywords,
        organization=(correction.organization if correction else None) or paper.organization)


def _as_correction(paper: Paper, slug: str) -> Correction:
    """A curator paper that turned out to be in the seeds, as a correction of the seed paper."""
    return Correction(paper.added_by, None, slug, paper.author_names, paper.date, paper.venue, paper.doi,
                      paper.arxiv, paper.links, paper.organization)


@dataclass(frozen=True, slots=True)
class _Values:
    """What one source says about a paper's bibliographic fields."""

    origin: str
    authors: tuple[str, ...]
    more_authors: bool
    date: PaperDate | None
    venue: str | None
    doi: str | None
    arxiv: str | None


def _sources_of(paper: Paper) -> _Values:
    """What the listings (or the curator's own paper) said, named by where it was first seen."""
    first = paper.occurrences[0] if paper.occurrences else None
    origin = f"{first.file}:{first.line}" if first else paper.added_by or ""
    return _Values(origin, paper.author_names, paper.more_authors, paper.date, paper.venue, paper.doi, paper.arxiv)


_FIELDS = ("authors", "date", "venue", "doi", "arxiv")


def _choose(paper: Paper, sources: list[_Values], links: Iterable[Link]) -> Paper:
    """The paper with each field from the first source (highest precedence) that has it.

    Dates that agree are no disagreement: a more precise one that refines the chosen one
    (the listing's 2023-07-17 against BibTeX's 2023) is kept instead."""
    chosen, provenance = {}, []
    for name in _FIELDS:
        given = [(getattr(s, name), s.origin) for s in sources if getattr(s, name)]
        if not given:
            chosen[name] = None
            continue
        value = given[0][0]
        if name == "date":
            value = max((d for d, _ in given if d.refines(value)), key=lambda d: d.precision)
        chosen[name] = value
        agree = (lambda v: value.refines(v)) if name == "date" else (
            lambda v: _comparable(v) == _comparable(value))
        if not all(agree(v) for v, _ in given):
            shown = ", ".join if name == "authors" else PaperDate.iso if name == "date" else str
            provenance += [FieldSource(name, shown(v), origin, v == value) for v, origin in given]
    named = next((s for s in sources if s.authors), None)
    links = _identified_links(links)
    return replace(
        paper, author_names=chosen["authors"] or (), date=chosen["date"], venue=chosen["venue"],
        doi=chosen["doi"] or first_identifier(identifiers.doi, links),
        arxiv=chosen["arxiv"] or first_identifier(identifiers.arxiv_id, links),
        more_authors=bool(named and named.more_authors),
        authors=len(named.authors) if named and not named.more_authors else paper.authors,
        links=links, provenance=tuple(provenance))


def _comparable(value) -> object:
    """Values that differ only in letter case or spacing (DOIs, venues, names) agree."""
    if isinstance(value, tuple):
        return tuple(_comparable(v) for v in value)
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


def _identified_links(links: Iterable[Link]) -> tuple[Link, ...]:
    """Distinct links, the first kind given for a URL kept; arXiv and DOI pages named so
    where the kind was only guessed from the host."""
    by_url: dict[str, Link] = {}
    for link in links:
        kind = link.kind
        if kind in ("code", "project"):
            kind = "arxiv" if identifiers.arxiv_id(link.url) else "doi" if identifiers.doi(link.url) else kind
        by_url.setdefault(link.url, Link(kind, link.url))
    return tuple(by_url.values())


def first_identifier(recognise, links: tuple[Link, ...]) -> str | None:
    """The first identifier `recognise` finds among the links' URLs."""
    return next((found for link in links if (found := recognise(link.url))), None)


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
