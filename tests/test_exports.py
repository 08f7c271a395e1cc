"""papers.json, papers.csv and `sitegen papers --json`: one record per paper, from one builder,
each format written the way its readers expect; every JSON text (papers.json, `sitegen papers
--json`, the JSON-LD) shares one escape."""

from __future__ import annotations

import contextlib
import csv
import io
import json

from conftest import FIXTURES, ROOT

from sitegen.catalog.merge import build_catalog
from sitegen.cli import main
from sitegen.exports import csv_bytes, csv_row, json_bytes, json_item, markup_safe, paper_record, to_json
from sitegen.taxonomy import Tags
from sitegen.urls import Urls
from sitegen.views import json_ld

PROJECT = FIXTURES / "bib" / "project"
HOPPER = "flashattention-on-hopper-fast-kv-cache-attention-with-h100s"


def test_records_carry_bibliography_classification_and_the_note(bib_site):
    records = {r["slug"]: r for r in json.loads(bib_site["papers.json"])}
    hopper = records[HOPPER]
    assert hopper["authors"] == ["Jörg Müller", "Tri Dao", "Seán O'Brien", "Jan Łukasiewicz", "Ann Smith"]
    assert (hopper["date"], hopper["year"], hopper["venue"], hopper["doi"], hopper["arxiv"]) == (
        "2024-02-21", 2024, "Journal of Imaginary Kernels", "10.1234/jik.2024.7", "2402.00001")
    assert (hopper["status"], hopper["rating"], hopper["summary"], hopper["tags"]) == (
        "read", 4, "The kernel paper of the fixture.", ["kernels"])
    assert hopper["url"] == f"https://example.org/list/papers/{HOPPER}/"
    assert {"kind": "slides", "url": "https://example.org/slides.pdf"} in hopper["links"]  # the note's link
    assert {"file": "seeds/refs.bib", "line": 3} in hopper["occurrences"]
    assert [(f["value"], f["origin"], f["chosen"]) for f in hopper["provenance"]] == [
        ("2024-02-21", "content/notes/hopper.md:2", True), ("2024-02", "seeds/refs.bib:3", False),
        ("2024-02-20", "seeds/listing.txt:7", False)]
    only = records["only-in-the-library-tiling-gpu-kernels"]
    assert (only["authors"], only["more_authors"], only["arxiv"]) == (["T. Dao", "Ann Smith"], True, "2301.00002")


def test_csv_has_the_same_fields(bib_site):
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(bib_site["papers.csv"].decode()))}
    hopper = rows[HOPPER]
    assert hopper["authors"] == "Jörg Müller | Tri Dao | Seán O'Brien | Jan Łukasiewicz | Ann Smith"
    assert (hopper["status"], hopper["rating"], hopper["doi"], hopper["arxiv"], hopper["year"]) == (
        "read", "4", "10.1234/jik.2024.7", "2402.00001", "2024")
    assert hopper["provenance"].startswith("date: 2024-02-21 (content/notes/hopper.md:2, shown) | ")
    assert set(json.loads(bib_site["papers.json"])[0]) == set(rows[HOPPER])


def test_the_command_line_gives_the_site_s_records(bib_site, capsys):
    assert main(["--root", str(PROJECT), "papers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(bib_site["papers.json"])


def test_year_less_dates_are_iso_in_json_and_readable_in_csv(seed_files):
    # Without capture dates the seeds' "Oct 21"-style dates keep no year.
    papers = build_catalog(seed_files, {}).papers
    untagged = Tags((), (), (), ())
    records = [paper_record(p, None, untagged, None, Urls("/", "/")) for p in papers]
    partial = next(p for p in papers if p.date and p.date.year is None)
    json_date = {r["slug"]: r["date"] for r in json.loads(json_bytes(map(json_item, records)))}[partial.slug]
    csv_date = {r["slug"]: r["date"] for r in csv.DictReader(io.StringIO(csv_bytes(map(csv_row, records)).decode()))}[partial.slug]
    assert json_date == f"--{partial.date.month:02d}-{partial.date.day:02d}"
    assert csv_date == partial.date.label() and csv_date.endswith(" (year unknown)")
    assert not csv_date.startswith(("'", "-"))


HOSTILE = {"title": "</script><script>alert(1)</script> & <!-- x", "n": 1, "list": ["<b>", "a&b"]}


def test_every_json_text_escapes_markup_characters_and_means_the_same():
    for text in (json_bytes([json_item(HOSTILE)]).decode("utf-8"), to_json([HOSTILE]), str(json_ld(HOSTILE))):
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
