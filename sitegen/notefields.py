"""The front matter of a note: its keys, what type each takes, and how it is read.

The format itself is described in `sitegen.notes`. Keys split in two groups: `PAPER_SPECS`
describe a paper from elsewhere (read by `curator_papers`), `NOTE_SPECS` the note itself
(read by `attach_notes`), so each problem is reported by exactly one of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sitegen.catalog import PaperDate
from sitegen.frontmatter import (
    FLAG, TEXT, TEXT_LIST, TEXT_MAP, FieldSpec, FieldType, Rejected, closest, integer, one_of, section,
)
from sitegen.text import Link, repair_text, slugify
from sitegen.yamlsafe import YamlMap

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

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: object) -> PaperDate:
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise Rejected("no such day") from None
        return PaperDate(day.year, day.month, day.day)
    raise Rejected()


def _authors(value: object) -> int:
    if isinstance(value, list) and value:
        return len(TEXT_LIST.convert(value))
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise Rejected()


def _links(value: object) -> tuple[Link, ...]:
    urls = TEXT_MAP.convert(value)
    for kind, url in urls.items():
        if kind not in LINK_KINDS:
            match = closest(kind, LINK_KINDS)
            raise Rejected(f"unknown kind {kind!r}" + (f", did you mean {match!r}?" if match else ""))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
            raise Rejected(f"the {kind!r} link is not an http(s) URL")
    return tuple(Link(kind, urls[kind]) for kind in LINK_KINDS if kind in urls)


DATE = FieldType("a date written YYYY-MM-DD", _date)
AUTHORS = FieldType("a number of authors or a list of their names", _authors)
LINKS = FieldType("a mapping of link kinds (" + ", ".join(LINK_KINDS) + ") to http(s) URLs", _links)
_OVERRIDE = section(FieldSpec("add", TEXT_LIST, default=()), FieldSpec("remove", TEXT_LIST, default=()))

# --- the keys ------------------------------------------------------------------------------

PAPER_SPECS = (  # a paper from elsewhere: read by `curator_papers`
    FieldSpec("title", TEXT, required=True),
    FieldSpec("abstract", TEXT, required=True),
    FieldSpec("date", DATE),
    FieldSpec("authors", AUTHORS),
    FieldSpec("organization", TEXT),
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
PAPER_KEYS = frozenset(spec.key for spec in PAPER_SPECS)


def select_keys(data: YamlMap, keep: Callable[[object], bool]) -> YamlMap:
    """The entries of `data` whose key passes `keep`, lines kept."""
    chosen = YamlMap((key, value) for key, value in data.items() if keep(key))
    chosen.line, chosen.key_lines = data.line, {key: data.line_of(key) for key in chosen}
    return chosen


def paper_keys_in(data: YamlMap) -> list[str]:
    """The keys of `data` that describe a paper from elsewhere, in file order."""
    return [key for key in data if key in PAPER_KEYS]


def curator_title(data: YamlMap) -> str | None:
    """The repaired title of a paper from elsewhere, or None when it is unusable."""
    try:
        return repair_text(TEXT.convert(data.get("title")))
    except Rejected:
        return None
