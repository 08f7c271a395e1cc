"""Plain-data views of papers for JSON and CSV: `sitegen papers --json`, papers.json/.csv.

One function decides what a paper looks like outside Python, so the command line and the
site's exports can never drift apart.
"""

from __future__ import annotations

import csv
import io
import json

from sitegen.catalog import Paper


def paper_record(paper: Paper, **extra) -> dict:
    """The exported fields of a paper (later stages pass tags etc. as `extra`)."""
    record = {
        "slug": paper.slug,
        "title": paper.title,
        "abstract": paper.abstract,
        "date": paper.date.iso() if paper.date else None,
        "authors": paper.authors,
        "organization": paper.organization,
        "upvotes": paper.upvotes,
        "links": [{"kind": link.kind, "url": link.url} for link in paper.links],
        "occurrences": [{"file": o.file, "line": o.line} for o in paper.occurrences],
        "added_by": paper.added_by,
    }
    record.update(extra)
    return record


def tag_fields(taxonomy, tags) -> dict:
    """The classification part of a record: taxonomy ids, and models as the taxonomy spells them."""
    return {"topics": [t.id for t in tags.topics], "hardware": [t.id for t in tags.hardware],
            "models": [taxonomy.model(t.id).name for t in tags.models]}


def to_json(records: list[dict], compact: bool = False) -> str:
    """Stable JSON in field order: indented for people, compact (C encoder, smaller) for the site."""
    if compact:
        return json.dumps(records, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ("slug", "title", "date", "authors", "organization", "upvotes", "topics", "hardware",
               "models", "links", "occurrences", "abstract")


def to_csv(records: list[dict]) -> str:
    """One row per paper; list fields joined with ' | ' (spreadsheet-friendly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([_cell(record.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(_cell(item) for item in value)
    if isinstance(value, dict):
        if "url" in value:
            return value["url"]
        return f"{value['file']}:{value['line']}"
    # Spreadsheets execute cells starting with these; a title must stay text (CSV injection).
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
