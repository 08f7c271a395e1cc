"""JSON and CSV views of papers: the same record, each format written the way its readers
expect; every JSON text (papers.json, `sitegen papers --json`, the JSON-LD) shares one escape."""

from __future__ import annotations

import contextlib
import csv
import io
import json

from conftest import ROOT

from sitegen.catalog import build_catalog
from sitegen.cli import main
from sitegen.exports import csv_bytes, json_bytes, markup_safe, paper_record, to_json
from sitegen.views import json_ld


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


HOSTILE = {"title": "</script><script>alert(1)</script> & <!-- x", "n": 1, "list": ["<b>", "a&b"]}


def test_every_json_text_escapes_markup_characters_and_means_the_same():
    for text in (json_bytes([HOSTILE]).decode("utf-8"), to_json([HOSTILE]), str(json_ld(HOSTILE))):
        assert not {"<", ">", "&"} & set(text)
        assert "\\u003c/script\\u003e" in text and "\\u0026" in text
        assert json.loads(text) in ([HOSTILE], HOSTILE)


def test_markup_safe_leaves_other_json_alone():
    text = json.dumps({"a": "é ü \"q\" \\ /", "b": [1, 2.5, None, True]}, ensure_ascii=False)
    assert markup_safe(text) == text


def test_papers_json_on_the_command_line_is_escaped(tmp_path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--root", str(ROOT / "tests" / "fixtures" / "site"), "papers", "--json"]) == 0
    titles = [record["title"] for record in json.loads(out.getvalue())]
    assert any("<script>" in title for title in titles)  # the fixture's hostile title, read back
    assert "<" not in out.getvalue() and "\\u003cscript\\u003e" in out.getvalue()
