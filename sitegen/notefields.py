"""The front matter of a note: its keys, what type each takes, and how it is read.

The format itself is described in `sitegen.notes`. Keys split in two groups: `PAPER_SPECS`
describe a paper, from elsewhere (`title`, `abstract`) or any paper (`METADATA_SPECS`:
authors, date, venue, DOI, arXiv id), and are read by `curator_papers`; `NOTE_SPECS` the
note itself (read by `attach_notes`), so each problem is reported by exactly one of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sitegen.sources import identifiers
from sitegen.sources.bibtex import display_name
from sitegen.catalog.records import PaperDate
from sitegen.text.frontmatter import (
    FLAG, TEXT, TEXT_LIST, TEXT_MAP, FieldSpec, FieldType, Rejected, closest, integer, one_of, section,
)
from sitegen.text.repair import repair_text, slugify
from sitegen.text.weblinks import ExternalLink
from sitegen.text.yamlsafe import YamlMap

STATUSES = ("to-read", "reading", "read")
LINK_KINDS = ("arxiv", "pdf", "code", "slides", "video", "project")


@dataclass(frozen=True, slots=True)
class Tag:
    """A free tag as the curator wrote it, and the slug its page is named by."""

    slug: str
    label: str


def make_tags(labels: tuple[str, ...]) -> tuple[Tag, ...]:
    """`Must read!` -> Tag("must-read", "Must read!"), the first spelling of a slug kept. A
    label with no Latin letters or digits gets a stable hashed slug."""
    tags: dict[str, Tag] = {}
    for label in labels:
        digest = hashlib.sha1(label.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = slugify(label) or f"tag-{digest}"
        tags.setdefault(slug, Tag(slug, label))
    return tuple(tags.values())


# --- field types ---------------------------------------------------------------------------

_DATE = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?")


def _date(value: object) -> PaperDate:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    match = _DATE.fullmatch(text)
    if not match:
        raise Rejected()
    year, month, day = (int(part) if part else None for part in match.group("year", "month", "day"))
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise Rejected("no such day" if day else "no such month") from None
    return PaperDate(year, month, day)


def _authors(value: object) -> tuple[str, ...] | int:
    if isinstance(value, list) and value:
        return _author_names(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise Rejected()


def _author_names(value: object) -> tuple[str, ...]:
    """Names written "First Last" or "Last, First", shown as "First Last"."""
    if isinstance(value, list) and value:
        names = tuple(display_name(repair_text(name)) for name in TEXT_LIST.convert(value))
        if not all(names):
            raise Rejected("a name is empty")
        return names
    raise Rejected("a count belongs to papers from elsewhere; name the authors" if isinstance(value, int) else None)


def _identifier(recognise: Callable[[str], str | None]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        found = recognise(TEXT.convert(value))
        if found is None:
            raise Rejected()
        return found
    return convert


def _links(value: object) -> tuple[ExternalLink, ...]:
    urls = TEXT_MAP.convert(value)
    for kind, url in urls.items():
        if kind not in LINK_KINDS:
            match = closest(kind, LINK_KINDS)
            raise Rejected(f"unknown kind {kind!r}" + (f", did you mean {match!r}?" if match else ""))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
            raise Rejected(f"the {kind!r} link is not an http(s) URL")
    return tuple(ExternalLink(kind, urls[kind]) for kind in LINK_KINDS if kind in urls)


DATE = FieldType("a date written YYYY-MM-DD, YYYY-MM or YYYY", _date)
AUTHORS = FieldType("a number of authors or a list of their names", _authors)
AUTHOR_NAMES = FieldType("a list of author names", _author_names)
DOI = FieldType("a DOI (10.NNNN/...) or a doi.org URL", _identifier(identifiers.doi))
ARXIV = FieldType("an arXiv id (2307.08691) or an arXiv or Hugging Face paper URL", _identifier(identifiers.arxiv_id))
LINKS = FieldType("a mapping of link kinds (" + ", ".join(LINK_KINDS) + ") to http(s) URLs", _links)
_OVERRIDE = section(FieldSpec("add", TEXT_LIST, default=()), FieldSpec("remove", TEXT_LIST, default=()))

# --- the keys ------------------------------------------------------------------------------

METADATA_SPECS = (  # bibliographic facts on any paper (the note wins over other sources)
    FieldSpec("authors", AUTHOR_NAMES),
    FieldSpec("date", DATE),
    FieldSpec("venue", TEXT),
    FieldSpec("doi", DOI),
    FieldSpec("arxiv", ARXIV),
    FieldSpec("organization", TEXT),
)
PAPER_SPECS = (  # a paper from elsewhere: read by `curator_papers`
    FieldSpec("title", TEXT, required=True),
    FieldSpec("abstract", TEXT, required=True),
    FieldSpec("authors", AUTHORS),  # a count is allowed here: all some listings give
    *(spec for spec in METADATA_SPECS if spec.key != "authors"),
)
LINKS_SPEC = FieldSpec("links", LINKS, default=())  # read for the note, and to feed a paper from elsewhere
NOTE_SPECS = (  # the note itself: read by `attach_notes`
    FieldSpec("paper", TEXT),
    FieldSpec("status", one_of(*STATUSES)),
    FieldSpec("rating", integer(1, 5)),
    FieldSpec("pick", FLAG, default=False),
    FieldSpec("summary", TEXT),
    FieldSpec("tags", TEXT_LIST, default=()),
    FieldSpec("topics", _OVERRIDE, default={"add": (), "remove": ()}),  # the default when refused
    FieldSpec("hardware", _OVERRIDE, default={"add": (), "remove": ()}),
    LINKS_SPEC,
)
PAPER_KEYS = frozenset(spec.key for spec in PAPER_SPECS)  # read by `curator_papers`, never by `attach_notes`
METADATA_KEYS = frozenset(spec.key for spec in METADATA_SPECS)
ELSEWHERE_KEYS = ("title", "abstract")  # a note with these adds a paper rather than naming one


def select_keys(data: YamlMap, keep: Callable[[object], bool]) -> YamlMap:
    """The entries of `data` whose key passes `keep`, lines kept."""
    chosen = YamlMap((key, value) for key, value in data.items() if keep(key))
    chosen.line, chosen.key_lines = data.line, {key: data.line_of(key) for key in chosen}
    return chosen


def paper_keys_in(data: YamlMap) -> list[str]:
    """The keys of `data` that describe a paper from elsewhere, in file order."""
    return [key for key in data if key in ELSEWHERE_KEYS]


def curator_title(data: YamlMap) -> str | None:
    """The repaired title of a paper from elsewhere, or None when it is unusable."""
    try:
        return repair_text(TEXT.convert(data.get("title")))
    except Rejected:
        return None
