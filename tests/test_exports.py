"""JSON and CSV views of papers: the same record, each format written the way its readers expect."""

from __future__ import annotations

import csv
import io
import json

from sitegen.catalog import build_catalog
from sitegen.exports import csv_bytes, json_bytes, paper_record


def test_year_less_dates_are_iso_in_json_and_readable_in_csv(seed_files):
    # Without capture dates the seeds' "Oct 21"-style dates keep no year.
    papers = build_catalog(seed_files, {}).papers
    records = [paper_record(p) for p in papers]
    partial = next(p for p in papers if p.date and p.date.year is None)
    json_date = {r["slug"]: r["date"] for r in json.loads(json_bytes(records))}[partial.slug]
    csv_date = {r["slug"]: r["date"] for r in csv.DictReader(io.StringIO(csv_bytes(records).decode()))}[partial.slug]
    assert json_date == f"--{partial.date.month:02d}-{partial.date.day:02d}"
    assert csv_date == partial.date.label() and csv_date.endswith(" (year unknown)")
    assert not csv_date.startswith(("'", "-"))
