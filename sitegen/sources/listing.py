"""Stage 1, sources: parse listing dumps in `seeds/` into `SeedEntry` records.

The listing pages come in three layouts (compact, blank-line spaced, spaced with a metadata
block of authors/organisation, date and upvotes). All three reduce to one grammar once blank
lines are set aside, so the parser classifies each line and runs a single state machine;
the layout is detected from the content and reported, never taken from the file name.
Pasted listings go wrong in a few ways (a lost line, a wrapped abstract, a second
paragraph); the parser looks one or two lines ahead to tell them apart, and when in doubt
reports and skips one entry rather than letting the rest of the file shift.

`parse_listing` is a pure function of the text; reading the files is `listing_files`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator

from sitegen.diagnostics import Diagnostic, error, warning
from sitegen.text.lines import split_lines

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Page chrome of the listing site: whole lines that are never papers.
CHROME_LINES = frozenset({
    "new",
    "subscribe",
    "daily papers",
    "byak and the research community",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
})
# Chrome that the scraper glued onto the first title ("SubscribeEfficient ...", and before a
# title that opens with a bracket or quote, "Subscribe<T>-Kernels", "Subscribe\"Quoted\"").
GLUED_CHROME = re.compile(r"^(?:Subscribe|Daily Papers|new)(?=[A-Z0-9<\"“'‘(\[])")

_DATE = re.compile(
    r"^(?P<month>" + "|".join(MONTHS) + r")\s+(?P<day>\d{1,2})"
    r"(?:,\s*(?P<year>\d{4}))?(?:\s+(?P<upvotes>\d{1,7}))?$"
)
_AUTHORS = re.compile(r"^•\s*(?P<count>\d{1,5})\s+authors?$")
# A title is a single short line; an abstract is prose. Used only to notice a missing abstract.
TITLE_MAX_CHARS = 300
ABSTRACT_MIN_CHARS = 200
# A real listing page holds a few hundred papers; a file of a million short lines once became
# 500,000 "papers" and minutes of build. Past this many entries the file is refused.
MAX_ENTRIES = 10_000


class Layout(str, Enum):
    COMPACT = "compact"
    SPACED = "spaced"
    SPACED_METADATA = "spaced-metadata"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True, order=True)
class ListingDate:
    """A date as the listing printed it; the year is missing on current-year entries."""

    month: int
    day: int
    year: int | None


@dataclass(frozen=True, slots=True)
class SeedEntry:
    """One paper as one listing file showed it, raw text untouched."""

    file: str  # "seeds/NAME.txt"
    line: int  # line of the title
    title: str
    abstract: str
    abstract_line: int | None
    authors: int | None
    organization: str | None
    date: ListingDate | None
    upvotes: int | None


@dataclass(frozen=True, slots=True)
class SeedFile:
    """Everything parsed from one listing file."""

    path: str
    layout: Layout
    heading_date: ListingDate | None  # the listing's own date heading, if any
    entries: tuple[SeedEntry, ...]
    diagnostics: tuple[Diagnostic, ...]


class _Kind(Enum):
    CHROME = "chrome"
    DATE = "date"
    AUTHORS = "authors"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str
    kind: _Kind
    blank_before: bool


# --- parsing (pure) --------------------------------------------------------------------

def parse_listing(text: str, label: str) -> SeedFile:
    """Parse the text of one listing file."""
    return _Parser(label, _classify_lines(text)).run()


def _classify_lines(text: str) -> Iterator[_Line]:
    """The non-blank lines, classified as the parser asks for them (it may stop early)."""
    raw_lines = split_lines(text)  # CRLF and lone CR parse exactly like LF
    blank_before = False
    for number, raw in enumerate(raw_lines, start=1):
        stripped = " ".join(raw.split())  # collapse runs of whitespace and NBSPs
        if not stripped:
            blank_before = True
            continue
        yield _Line(number, stripped, _kind_of(stripped), blank_before)
        blank_before = False


def _kind_of(text: str) -> _Kind:
    if text.casefold() in CHROME_LINES:
        return _Kind.CHROME
    if _AUTHORS.match(text):
        return _Kind.AUTHORS
    if _parse_date(text) is not None:
        return _Kind.DATE
    return _Kind.TEXT


def _parse_date(text: str) -> tuple[ListingDate, int | None] | None:
    match = _DATE.match(text)
    if not match:
        return None
    month = MONTHS.index(match["month"]) + 1
    day = int(match["day"])
    year = int(match["year"]) if match["year"] else None
    if not 1 <= day <= _days_in(month, year):
        return None
    upvotes = int(match["upvotes"]) if match["upvotes"] else None
    return ListingDate(month, day, year), upvotes


def _days_in(month: int, year: int | None) -> int:
    if month == 2:
        leap = year is None or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


# Two sentence breaks ("... GPUs. We ... kernels. It ...") are prose; one is a title's
# question or numbering ("Is One GPU Enough? Pushing ...", "... NBODY6++GPU: I. Free-floating").
_SENTENCE_BREAK = re.compile(r"[.!?] [A-Z]")
# An abstract that ends like this is complete; otherwise its line was cut mid-sentence.
_COMPLETE_END = re.compile(r"(?:[.!?)\]\"”’]|\S*/\S*)$")


def looks_like_title(text: str) -> bool:
    """One short line, not prose: what the parser accepts as a title."""
    return (len(text) <= TITLE_MAX_CHARS and not text.endswith(".")
            and len(_SENTENCE_BREAK.findall(text)) < 2)


def _looks_like_abstract(text: str) -> bool:
    return len(text) >= ABSTRACT_MIN_CHARS


def _reads_like_title(text: str) -> bool:
    """Short and title-shaped: not believable as an abstract."""
    return looks_like_title(text) and not _looks_like_abstract(text)


def _starts_sentence(text: str) -> bool:
    # Titles and abstracts start with a capital or a digit ("vAttention" is rare enough);
    # a lower-case start is the rest of a cut line.
    return not text[0].islower()


def _is_complete(abstract: str) -> bool:
    """Ends a sentence or a URL; anything else was cut (a wrapped line follows)."""
    return _COMPLETE_END.search(abstract) is not None


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


@dataclass(slots=True)
class _Draft:
    """The entry being assembled (mutable only inside the parser)."""

    line: int
    title: str
    abstract: str | None = None  # its first line; `more` holds the rest, joined once at the end
    abstract_line: int | None = None
    more: list[str] = field(default_factory=list)
    authors: int | None = None
    organization: str | None = None
    date: ListingDate | None = None
    upvotes: int | None = None


class _Parser:
    """State machine over classified lines: title, abstract, then optional metadata."""

    def __init__(self, label: str, lines: Iterator[_Line]):
        self.label = label
        self.lines = lines
        self.ahead: list[_Line] = []  # lines read from `lines` for lookahead, not yet stepped
        self.spaced_lines = 0  # lines after a blank one, for telling the layouts apart
        self.full = False  # MAX_ENTRIES reached: the rest of the file is not read
        self.entries: list[SeedEntry] = []
        self.diagnostics: list[Diagnostic] = []
        self.heading_date: ListingDate | None = None
        self.draft: _Draft | None = None
        self.saw_metadata = False
        self.text_lines = -1  # text lines stepped after the first (which follows no entry) ...
        self.spaced_text = 0  # ... and those of them after a blank line

    def _ahead(self, offset: int) -> _Line | None:
        """The line `offset` after the one being stepped (read lazily), or None at the end."""
        while len(self.ahead) < offset:
            line = next(self.lines, None)
            if line is None:
                return None
            self.ahead.append(line)
        return self.ahead[offset - 1]

    @property
    def spaced(self) -> bool:
        # Spaced listings put a blank line before every title and abstract; in them a line
        # straight after an abstract can only be that abstract wrapped. Judged on the lines so far.
        return self.text_lines > 0 and 2 * self.spaced_text >= self.text_lines

    def run(self) -> SeedFile:
        line = next(self.lines, None)
        while line is not None and not self.full:
            self.spaced_lines += line.blank_before
            self._step(line)
            if line.kind is _Kind.TEXT:
                self.spaced_text += self.text_lines >= 0 and line.blank_before
                self.text_lines += 1
            line = self.ahead.pop(0) if self.ahead else next(self.lines, None)
        if not self.full:
            self._finish()
        if not self.entries:  # an empty save or a page that failed to load; say so
            self.diagnostics.append(warning(self.label, None, "no papers found in this listing"))
        return SeedFile(self.label, self._layout(), self.heading_date, tuple(self.entries),
                        tuple(self.diagnostics))

    def _step(self, line: _Line) -> None:
        if line.kind is _Kind.CHROME:
            return
        if line.kind is _Kind.DATE:
            return self._date(line)
        if line.kind is _Kind.AUTHORS:
            return self._authors(line)
        draft = self.draft
        if draft is None or draft.abstract is not None and not self._is_organization(line):
            if self._continues_abstract(line):
                return self._continue_abstract(line)
            return self._start(line)
        if draft.abstract is None:
            return self._abstract(line)
        draft.organization = line.text
        self.saw_metadata = True

    def _continues_abstract(self, line: _Line) -> bool:
        """A second paragraph (after a blank line) or the rest of a wrapped line."""
        draft = self.draft
        if (draft is None or draft.abstract is None or draft.authors is not None
                or draft.organization is not None):
            return False
        if not looks_like_title(line.text):
            # Prose where a title belongs: a paragraph after a blank line, a wrapped line in a
            # spaced listing or after a cut; in a compact listing otherwise damage (a lost title).
            return line.blank_before or self.spaced or not _is_complete((draft.more or [draft.abstract])[-1])
        # A title-shaped line continues a cut abstract only when it starts lower-case and
        # is not itself followed by an abstract.
        return (not _is_complete((draft.more or [draft.abstract])[-1]) and not _starts_sentence(line.text)
                and not self._abstract_starts_at(1))

    def _abstract_starts_at(self, offset: int) -> bool:
        """The line `offset` ahead opens an abstract: prose, or a short line wrapped onto the next."""
        line = self._ahead(offset)
        return (line is not None and line.kind is _Kind.TEXT and _starts_sentence(line.text)
                and (not _reads_like_title(line.text) or self._is_cut_before(offset + 1)))

    def _is_cut_before(self, offset: int) -> bool:
        """The line `offset` ahead carries on mid-sentence: the one before it was wrapped."""
        line = self._ahead(offset)
        return (line is not None and line.kind is _Kind.TEXT
                and not line.blank_before and not _starts_sentence(line.text))

    def _continue_abstract(self, line: _Line) -> None:
        self.draft.more.append(("\n\n" if line.blank_before else " ") + line.text)

    def _is_organization(self, line: _Line) -> bool:
        # An organisation line sits between an abstract and a date line.
        following = self._ahead(1)
        return (following is not None and following.kind is _Kind.DATE
                and len(line.text) <= 120 and self.draft is not None
                and self.draft.date is None and self.draft.organization is None)

    def _start(self, line: _Line) -> None:
        self._finish()
        title = GLUED_CHROME.sub("", line.text) if not self.entries else line.text
        if not looks_like_title(title):
            # Never guess which paper this prose belongs to: report it and wait for a title,
            # so the papers after it keep their own titles and abstracts.
            self.diagnostics.append(warning(
                self.label, line.number,
                f"line {_quoted(title)} reads like an abstract where a title was expected "
                "(a title missing, or an abstract split over two lines?); skipped"))
            return
        self.draft = _Draft(line.number, title)

    def _abstract(self, line: _Line) -> None:
        draft = self.draft
        # A short title-like line followed by prose means the previous entry lost its abstract.
        if _reads_like_title(line.text) and self._abstract_starts_at(1):
            return self._start(line)
        if (_reads_like_title(line.text) and _starts_sentence(line.text)
                and not self._is_cut_before(1)):
            # Two titles in a row, or an abstract cut to a title-sized stub: either way
            # this entry cannot be trusted, and skipping both lines keeps the rhythm.
            self.draft = None
            self.diagnostics.append(warning(
                self.label, line.number,
                f"the abstract of {_quoted(draft.title)} (line {draft.line}) reads like a title: "
                f"{_quoted(line.text)}; entry skipped"))
            return
        draft.abstract = line.text
        draft.abstract_line = line.number

    def _date(self, line: _Line) -> None:
        date, upvotes = _parse_date(line.text)
        draft = self.draft
        if draft is None and not self.entries:
            self.heading_date = date  # the listing's date heading, before any paper
            return
        if draft is None or draft.date is not None or draft.abstract is None:
            self._unrecognised(line)
            return
        draft.date, draft.upvotes = date, upvotes
        self.saw_metadata = True
        self._finish()

    def _authors(self, line: _Line) -> None:
        draft = self.draft
        if draft is None or draft.abstract is None or draft.authors is not None:
            self._unrecognised(line)
            return
        draft.authors = int(_AUTHORS.match(line.text)["count"])
        self.saw_metadata = True

    def _unrecognised(self, line: _Line) -> None:
        self.diagnostics.append(warning(self.label, line.number, f"unrecognised line ignored: {_quoted(line.text)}"))

    def _finish(self) -> None:
        draft, self.draft = self.draft, None
        if draft is None:
            return
        if draft.abstract is None:
            self.diagnostics.append(warning(
                self.label, draft.line, f"entry {draft.title[:60]!r} has a title but no abstract; skipped"))
            return
        if len(self.entries) == MAX_ENTRIES:
            self.full = True
            self.diagnostics.append(error(
                self.label, draft.line, f"more than {MAX_ENTRIES:,} papers in one listing; split the file "
                                        "(a listing page holds a few hundred)"))
            return
        self.entries.append(SeedEntry(
            self.label, draft.line, draft.title, draft.abstract + "".join(draft.more), draft.abstract_line,
            draft.authors, draft.organization, draft.date, draft.upvotes))

    def _layout(self) -> Layout:
        if not self.entries:
            return Layout.EMPTY
        if self.saw_metadata:
            return Layout.SPACED_METADATA
        return Layout.SPACED if self.spaced_lines >= len(self.entries) else Layout.COMPACT
