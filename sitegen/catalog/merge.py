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

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

from sitegen.catalog.records import (Catalog, Correction, FieldSource, Occurrence, Paper, PaperDate, paper_slug,
                                     title_digest)
from sitegen.diagnostics import Diagnostic, sorted_diagnostics, warning
from sitegen.sources import identifiers
from sitegen.sources.bibtex import BibEntry, BibFile
from sitegen.sources.listing import ListingDate, MONTHS, SeedEntry, SeedFile
from sitegen.text.repair import match_key, organization_name, repair_text
from sitegen.text.weblinks import ExternalLink, extract_links, link_kind


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
    links = [*paper.links, *(ExternalLink(link_kind(b.url), b.url) for b in bibs if b.url)]
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


def _choose(paper: Paper, sources: list[_Values], links: Iterable[ExternalLink]) -> Paper:
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


def _identified_links(links: Iterable[ExternalLink]) -> tuple[ExternalLink, ...]:
    """Distinct links, the first kind given for a URL kept; arXiv and DOI pages named so
    where the kind was only guessed from the host."""
    by_url: dict[str, ExternalLink] = {}
    for link in links:
        kind = link.kind
        if kind in ("code", "project"):
            kind = "arxiv" if identifiers.arxiv_id(link.url) else "doi" if identifiers.doi(link.url) else kind
        by_url.setdefault(link.url, ExternalLink(kind, link.url))
    return tuple(by_url.values())


def first_identifier(recognise, links: tuple[ExternalLink, ...]) -> str | None:
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
