"""Search records from the plan's data: the same records as the pages show (their content is
checked in test_search.py, with the bundle), and reuse between watch rebuilds."""

from __future__ import annotations

from dataclasses import replace

from conftest import ROOT, plan_project, planner_input
from record_edits import perturbations

from sitegen.memo import ByInput
from sitegen.pipeline import Overrides, classify_site, read_inputs
from sitegen.plan import SiteData
from sitegen.search_records import search_records


def seed_data() -> SiteData:
    inputs = read_inputs(ROOT, Overrides(search=True))
    found = classify_site(inputs)
    return SiteData(inputs.settings, found.catalog.papers, found.taxonomy, found.tags, found.curation, {}, True)


def test_only_papers_whose_note_changed_get_a_new_record():
    data = seed_data()
    reuse = ByInput()
    first = {record.url: record for record in search_records(data, reuse)}
    slug, note = next(iter(data.curation.notes.items()))
    notes = {**data.curation.notes, slug: replace(note, status="to-read" if note.status != "to-read" else "read")}
    edited = replace(data, curation=replace(data.curation, notes=notes))
    again = search_records(edited, reuse)
    assert again == search_records(edited)  # reusing gives what computing afresh gives
    changed = [record.url for record in again if record is not first[record.url]]
    assert changed == [f"/papers/{slug}/"]
    assert first[changed[0]].status != next(r.status for r in again if r.url == changed[0])


def outcome(compute):
    """The records, or the error computing them raised (an edit earlier stages would refuse)."""
    try:
        return compute()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def test_an_edit_of_any_one_field_gives_the_records_a_fresh_computation_gives(tmp_path):
    """Every field of every record the search records are made from, edited alone (see
    record_edits): the kept records after the edit equal records computed afresh."""
    data = planner_input(plan_project(tmp_path / "project"))
    stale, tried = [], 0
    for name, edits in perturbations(data, skip=(SiteData,)):
        for edited in edits[:1]:
            reuse = ByInput()
            search_records(data, reuse)
            tried += 1
            if outcome(lambda: search_records(edited, reuse)) != outcome(lambda: search_records(edited)):
                stale.append(name)
    assert tried > 80 and stale == []
