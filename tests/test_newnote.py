"""`sitegen new note`: the skeleton is a valid note about its paper, and nothing is overwritten."""

from __future__ import annotations

import dataclasses

import pytest

from notes_helpers import FA2, TAXONOMY, curate, files_of, make_catalog
from sitegen.catalog.records import PaperDate
from sitegen.diagnostics import SitegenError
from sitegen.notes import curator_papers
from sitegen.newnote import note_skeleton, write_new_note
from sitegen.taxonomy import classify
from sitegen.text.weblinks import ExternalLink


def flash(**changes):
    paper = make_catalog().get(FA2)
    return dataclasses.replace(paper, **changes)


def skeleton_of(paper) -> str:
    return note_skeleton(paper, classify(TAXONOMY, paper.title, paper.abstract))


def test_skeleton_is_a_valid_note_on_its_paper():
    paper = flash(links=(ExternalLink("project", "https://x.org/p"), ExternalLink("code", "https://github.com/a/b"),
                         ExternalLink("code", "https://github.com/a/c")))
    curation = curate(files_of(("content/notes/new.md", skeleton_of(paper))))
    assert curation.diagnostics == ()
    note = curation.notes[FA2]
    assert (note.status, note.rating, note.pick, note.summary, note.tags, note.body_html) == (
        "to-read", None, False, None, (), "")
    assert note.links == (ExternalLink("code", "https://github.com/a/b"), ExternalLink("project", "https://x.org/p"))


def test_skeleton_shows_the_classification_and_how_to_correct_it():
    text = skeleton_of(flash())
    assert "# Classified as topics: attention; hardware: none.\n" in text
    assert "# topics: {add: [topic-id], remove: [attention]}\n" in text
    assert "# hardware: {add: [hardware-id], remove: [hardware-id]}\n" in text
    assert "# links: {arxiv: https://arxiv.org/abs/..., code: https://github.com/...}\n" in text


def test_uncommented_examples_are_valid():
    text = skeleton_of(flash()).replace("# rating:", "rating:").replace("# summary:", "summary:")
    note = curate(files_of(("content/notes/new.md", text))).notes[FA2]
    assert (note.rating, note.summary) == (4, "One line on why this paper matters.")


def test_bibliographic_facts_are_shown_and_valid_when_uncommented():
    paper = flash(author_names=("Tri Dao", "John Smith, Jr."), date=PaperDate(2023, 7), venue="ICLR: 2024",
                  doi="10.1234/x.y", arxiv="2307.10000")
    text = skeleton_of(paper)
    assert '# authors: [Tri Dao, "John Smith, Jr."]\n' in text and "# arxiv: \"2307.10000\"" in text
    for key in ("authors", "date", "venue", "doi", "arxiv"):
        text = text.replace(f"# {key}:", f"{key}:")
    papers, (correction,), problems = curator_papers(files_of(("content/notes/new.md", text)))
    assert problems == () and curate(files_of(("content/notes/new.md", text))).diagnostics == ()
    assert (correction.authors, correction.date, correction.venue, correction.doi, correction.arxiv) == (
        ("Tri Dao", "John Smith, Jr."), PaperDate(2023, 7), "ICLR: 2024", "10.1234/x.y", "2307.10000")


def test_values_yaml_would_misread_are_quoted():
    paper = flash(slug="2024", links=(ExternalLink("code", "https://github.com/a/b#readme: x"),))
    text = skeleton_of(paper)
    assert 'paper: "2024"\n' in text and '  code: "https://github.com/a/b#readme: x"\n' in text


def test_write_new_note_creates_the_file_and_never_overwrites(tmp_path):
    paper = flash()
    written = write_new_note(tmp_path, paper, "first")
    assert written == tmp_path / "content" / "notes" / f"{FA2}.md"
    assert written.read_text(encoding="utf-8") == "first"
    with pytest.raises(SitegenError) as refusal:
        write_new_note(tmp_path, paper, "second")
    assert str(refusal.value) == (
        f"content/notes/{FA2}.md: error: a note already exists here; edit it instead "
        "(sitegen never overwrites a note)")
    assert written.read_text(encoding="utf-8") == "first"


def test_write_new_note_reports_a_folder_it_cannot_create(tmp_path):
    (tmp_path / "content").write_text("a file where the folder should be")
    with pytest.raises(SitegenError, match=r"^content/notes: error: cannot create the folder: "):
        write_new_note(tmp_path, flash(), "x")
