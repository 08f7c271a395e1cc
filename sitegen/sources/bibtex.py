"""Stage 1, sources: BibTeX libraries (`seeds/*.bib`) into `BibEntry` records.

Researchers keep their libraries in Zotero, Mendeley or JabRef and export BibTeX; that is
the second source of papers after the scraped listings. Parsing is bibtexparser 2's: it
keeps each entry's line, and a malformed entry becomes a failed block while the rest of
the file is still read. LaTeX in text fields is decoded to Unicode with pylatexenc (the
decoder bibtexparser's own middleware uses), which also drops case-protecting braces;
identifiers and URLs are never decoded (`%` and `_` are literal there).

Only `read_bib_dir` touches the disk; `parse_bib` is a pure function of the text.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock

from sitegen.sources import identifiers
from sitegen.diagnostics import Diagnostic, error, warning
from sitegen.sources.inputfiles import read_folder
from sitegen.memo import ByContent
from sitegen.sources.listing_files import decode_listing
from sitegen.text.repair import repair_text

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Where each entry type keeps its venue, in order of preference.
VENUE_FIELDS = ("journal", "booktitle", "institution", "school", "publisher", "howpublished")
# The parser logs each failed block; sitegen reports them itself, located, once.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True)
class BibEntry:
    """One BibTeX entry, LaTeX decoded, identifiers recognised."""

    file: str  # "seeds/NAME.bib"
    line: int  # line of the `@type{key,`
    key: str
    entry_type: str  # lower case: "article", "inproceedings", "misc", ...
    title: str
    authors: tuple[str, ...]  # "First von Last, Jr", in the entry's order
    more_authors: bool  # the list ended with `and others`
    year: int | None
    month: int | None
    venue: str | None
    doi: str | None
    arxiv: str | None
    url: str | None
    abstract: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BibFile:
    """Everything read from one `.bib` file."""

    path: str
    entries: tuple[BibEntry, ...]
    diagnostics: tuple[Diagnostic, ...]


def read_bib_dir(seeds_dir: Path, label_root: Path, memo: ByContent | None = None) -> tuple[BibFile, ...]:
    """Parse every `*.bib` in `seeds_dir`, in name order (unchanged files from `memo`)."""
    return read_folder(seeds_dir, "*.bib", label_root, memo, parse_bib_bytes,
                       lambda label, problem: BibFile(label, (), (problem,)))


def parse_bib_bytes(data: bytes, label: str) -> BibFile:
    """Decode (UTF-8, else Windows-1252 with a warning, binary refused) and parse."""
    text, problem = decode_listing(data, label)
    if text is None:
        return BibFile(label, (), (problem,))
    parsed = parse_bib(text, label)
    if problem is None:
        return parsed
    return BibFile(label, parsed.entries, (problem,) + parsed.diagnostics)


def parse_bib(text: str, label: str) -> BibFile:
    """Every entry of a BibTeX text; each problem located at its entry's line."""
    try:
        library = bibtexparser.parse_string(text)
    except Exception as exc:  # noqa: BLE001 - the parser's own bugs must not become tracebacks
        return BibFile(label, (), (error(label, None, f"cannot parse BibTeX: {exc}"),))
    entries, problems = [], []
    for block in library.blocks:
        line = block.start_line + 1  # bibtexparser counts from 0
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(error(label, line, f"a second entry with the key {block.key!r}; keys must be unique"))
        elif isinstance(block, DuplicateFieldKeyBlock):
            key = block.ignore_error_block.key if block.ignore_error_block is not None else "?"
            problems.append(error(label, line, f"entry {key!r} sets a field twice: "
                                               + ", ".join(sorted(block.duplicate_keys))))
        elif isinstance(block, ParsingFailedBlock):
            problems.append(error(label, line, f"malformed entry skipped: {_first_line(block.error)}"))
        elif isinstance(block, Entry):
            entry = _entry(block, label, line, problems)
            if entry is not None:
                entries.append(entry)
    return BibFile(label, tuple(entries), tuple(problems))


def _first_line(exc: Exception) -> str:
    reason = getattr(exc, "abort_reason", None) or str(exc) or type(exc).__name__
    return " ".join(reason.split())


def _entry(block: Entry, label: str, line: int, problems: list[Diagnostic]) -> BibEntry | None:
    fields = {key.lower(): str(field.value) for key, field in block.fields_dict.items()}
    title = decode_latex(fields.get("title", ""))
    if not title:
        problems.append(error(label, line, f"entry {block.key!r} has no title; skipped"))
        return None
    authors, more = parse_names(fields.get("author", ""))
    year = fields.get("year", "").strip()
    if year and not (year.isdigit() and len(year) == 4):
        problems.append(warning(label, line, f"entry {block.key!r}: year {year!r} is not four digits; left out"))
    url = fields.get("url", "").strip() or None
    eprint = fields.get("eprint", "")
    is_arxiv = (fields.get("archiveprefix", "") + fields.get("eprinttype", "")).strip().lower() == "arxiv"
    return BibEntry(
        file=label, line=line, key=block.key, entry_type=block.entry_type.lower(), title=title,
        authors=authors, more_authors=more,
        year=int(year) if year.isdigit() and len(year) == 4 else None,
        month=_month(fields.get("month", "")),
        venue=next((decode_latex(fields[f]) for f in VENUE_FIELDS if fields.get(f, "").strip()), None),
        doi=identifiers.doi(fields.get("doi")),
        arxiv=(identifiers.arxiv_id(eprint) if is_arxiv or identifiers.arxiv_id(eprint) else None)
        or identifiers.arxiv_id(url) or identifiers.arxiv_in_text(fields.get("journal")),
        url=url, abstract=decode_latex(fields.get("abstract", "")),
        keywords=tuple(k for k in (decode_latex(w) for w in fields.get("keywords", "").replace(";", ",").split(","))
                       if k),
    )


@functools.lru_cache(maxsize=1)
def _decoder():
    # Math stays as written ($O(n^2)$); text commands, accents and dashes become Unicode.
    # pylatexenc turns \textasciicircum into a modifier letter (U+02C6); it is the ASCII caret.
    # Imported here: it costs about 70 ms, and most builds decode no LaTeX at all.
    from pylatexenc import latex2text

    context = latex2text.get_default_latex_context_db().filter_context()
    context.add_context_category("sitegen", prepend=True, macros=[latex2text.MacroTextSpec("textasciicircum", "^")])
    return latex2text.LatexNodes2Text(latex_context=context, math_mode="verbatim", strict_latex_spaces=True)


def decode_latex(text: str) -> str:
    """LaTeX to Unicode text: `{\\"o}` -> `ö`, `--` -> `–`, braces dropped, blanks collapsed."""
    if not text:
        return ""
    if "\\" in text or "{" in text or "-" in text or "~" in text:
        text = _decoder().latex_to_text(text)
    return repair_text(text)


def parse_names(field: str) -> tuple[tuple[str, ...], bool]:
    """Names of an `author` field as "First von Last, Jr"; whether it ended with `and others`."""
    names, more = [], False
    for raw in split_multiple_persons_names(field) if field.strip() else ():
        if raw.strip().lower() == "others":
            more = True
        elif name := display_name(raw):
            names.append(name)
    return tuple(names), more


NAME_SUFFIXES = ("jr", "sr", "ii", "iii", "iv")


def ends_with_suffix(name: str) -> bool:
    """"John Smith, Jr.": the one comma is followed by a suffix, not by given names."""
    return name.count(",") == 1 and name.rsplit(",", 1)[1].strip().rstrip(".").casefold() in NAME_SUFFIXES


def display_name(raw: str) -> str:
    """One name, written "Last, First", "Last, Jr, First", "First Last" or "First Last, Jr" (as
    shown, so a shown name reads back unchanged; LaTeX allowed), as "First von Last, Jr"."""
    if ends_with_suffix(raw):
        head, _, tail = raw.rpartition(",")
        return f"{display_name(head)}, {decode_latex(tail)}"
    parts = parse_single_name_into_parts(raw, strict=False)
    name = " ".join(decode_latex(p) for p in (*parts.first, *parts.von, *parts.last) if p)
    if parts.jr:
        name += ", " + " ".join(decode_latex(p) for p in parts.jr)
    return name


def _month(text: str) -> int | None:
    """`jul`, `July`, `7`, `{07}` -> 7; anything else unknown."""
    word = text.strip().strip("{}").lower()
    if word.isdigit():
        return int(word) if 1 <= int(word) <= 12 else None
    return MONTHS.index(word[:3]) + 1 if word[:3] in MONTHS else None
