"""Plain-data views of papers for JSON and CSV: `sitegen papers --json`, papers.json/.csv.

One function decides what a paper looks like outside Python, so the command line and the
site's exports can never drift apart.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from sitegen import urls as routes
from sitegen.catalog.records import Paper, PaperDate


def paper_record(paper: Paper, taxonomy, tags, note, urls: routes.Urls) -> dict:
    """Everything known about a paper, as exported by papers.json, papers.csv and
    `sitegen papers --json`: bibliographic fields, classification, the curator's note
    (`note` may be None) and the paper page's URL (absolute when `urls` names a host)."""
    return {
        "slug": paper.slug,
        "title": paper.title,
        "authors": list(paper.author_names),
        "author_count": paper.authors,
        "more_authors": paper.more_authors,
        "date": paper.date.iso() if paper.date else None,
        "year": paper.date.year if paper.date else None,
        "venue": paper.venue,
        "doi": paper.doi,
        "arxiv": paper.arxiv,
        "organization": paper.organization,
        "upvotes": paper.upvotes,
        "topics": [t.id for t in tags.topics],
        "hardware": [t.id for t in tags.hardware],
        "models": [taxonomy.model(t.id).name for t in tags.models],
        "tags": [t.slug for t in note.tags] if note else [],
        "status": note.status if note else None,
        "rating": note.rating if note else None,
        "pick": bool(note and note.pick),
        "summary": note.summary if note else None,
        "url": urls.absolute(routes.paper(paper.slug)),
        "links": [{"kind": link.kind, "url": link.url} for link in paper.links],
        "keywords": list(paper.keywords),
        "occurrences": [{"file": o.file, "line": o.line} for o in paper.occurrences],
        "added_by": paper.added_by,
        "provenance": [{"field": f.field, "value": f.value, "origin": f.origin, "chosen": f.chosen}
                       for f in paper.provenance],
        "abstract": paper.abstract,
    }


# `<`, `>` and `&` only ever occur inside JSON strings, where `\u003c` etc. mean the same: so
# escaped, no JSON text can close a <script> block or become markup when a page embeds it.
_MARKUP_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def markup_safe(json_text: str) -> str:
    """JSON text with `<`, `>` and `&` escaped (every JSON sitegen writes goes through here)."""
    for char, code in _MARKUP_ESCAPES:
        json_text = json_text.replace(char, code)
    return json_text


def to_json(records: list[dict]) -> str:
    """Stable JSON in field order, indented for people (`sitegen papers --json`)."""
    return markup_safe(json.dumps(records, ensure_ascii=False, indent=2)) + "\n"


# The site's exports are built as UTF-8 piece by piece: as one str, a single non-ASCII
# character would make Python store the whole text at 2-4 bytes per character (hundreds of
# megabytes at 50,000 papers), and encoding it would then need a second copy. Each paper's
# piece is made on its own (`json_item`, `csv_row`), so the watch loop re-encodes only the
# papers that changed and joins the rest.

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_item(record: dict) -> bytes:
    """One paper's element of the site's papers.json, UTF-8."""
    return markup_safe(_COMPACT.encode(record)).encode("utf-8")


def json_bytes(items: Iterable[bytes]) -> bytes:
    """Compact JSON (the site's papers.json) from its elements (`json_item`)."""
    return b"[" + b",".join(items) + b"]\n"


CSV_COLUMNS = ("slug", "title", "authors", "author_count", "more_authors", "date", "year", "venue", "doi", "arxiv", "organization",
               "upvotes", "topics", "hardware", "models", "tags", "status", "rating", "pick", "summary", "url",
               "links", "keywords", "occurrences", "added_by", "provenance", "abstract")


def csv_row(record: dict | None = None) -> bytes:
    """One paper's row of papers.csv, UTF-8; list fields joined with ' | ' (spreadsheet-friendly).
    Without a record: the header."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(
        CSV_COLUMNS if record is None else
        [_date_cell(record["date"]) if column == "date" else _cell(record.get(column)) for column in CSV_COLUMNS])
    return text.getvalue().encode("utf-8")


def csv_bytes(rows: Iterable[bytes]) -> bytes:
    """papers.csv from its rows (`csv_row`), the header first."""
    return csv_row() + b"".join(rows)


def _date_cell(iso: str | None) -> str:
    """A year-less `--11-28` (JSON's form) reads "Nov 28 (year unknown)": a spreadsheet would
    take `--11-28` for a formula, and the injection guard would make it `'--11-28`."""
    if iso and iso.startswith("--"):
        month, day = iso[2:].split("-")
        return PaperDate(None, int(month), int(day)).label()
    return _cell(iso)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(_cell(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, dict):
        if "url" in value:
            return value["url"]
        if "origin" in value:
            return f"{value['field']}: {value['value']} ({value['origin']}{', shown' if value['chosen'] else ''})"
        return f"{value['file']}:{value['line']}"
    # Spreadsheets execute cells starting with these; a title must stay text (CSV injection).
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
