"""Each note read once (front matter split, every field typed) into a `NoteFile`, and what
notes contribute before the catalog exists: papers of their own (`title` and `abstract`) and
bibliographic corrections of seed papers. `notes.attach_notes` uses the same records after
the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sitegen.sources import identifiers
from sitegen.catalog.merge import first_identifier
from sitegen.catalog.records import Correction, Paper, paper_slug
from sitegen.curation.content import (
    NOTES_DIR, ContentFiles, SourceText, split_source,
)
from sitegen.memo import ByInput
from sitegen.diagnostics import Diagnostic, sorted_diagnostics
from sitegen.text.frontmatter import FrontMatter, read_fields
from sitegen.curation.note_fields import (
    LINKS_SPEC, METADATA_KEYS, METADATA_SPECS, NOTE_SPECS, PAPER_KEYS, PAPER_SPECS, paper_keys_in, select_keys,
)
from sitegen.text.repair import repair_text
from sitegen.text.weblinks import ExternalLink, extract_links
from sitegen.text.yamlsafe import YamlMap



# --- each note read once ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteFile:
    """One note file, read once before the catalog is built: what it gives the catalog (a
    paper from elsewhere or a correction, for `curator_papers`) and its own typed fields (for
    `attach_notes`), each with the problems its reader reports."""

    source: SourceText
    front: FrontMatter | None  # None: the front matter cannot be read (the reason is in `problems`)
    fields: Mapping[str, object]  # the values of NOTE_SPECS; empty when `front` is None
    paper: Paper | None  # a paper from elsewhere
    correction: Correction | None  # bibliographic facts for a catalog paper
    paper_problems: tuple[Diagnostic, ...]  # with the keys of PAPER_SPECS: reported by `curator_papers`
    problems: tuple[Diagnostic, ...]  # every other reading problem: reported by `attach_notes`


def read_notes(files: ContentFiles, reuse: ByInput | None = None) -> tuple[NoteFile, ...]:
    """Every note under content/notes, in path order, each split and typed once.

    `reuse` (the watch loop's, kept between rebuilds) keeps each note's record by its source
    (path and text), so only edited notes are read again."""
    sources = files.under(NOTES_DIR)
    if reuse is None:
        return tuple(map(_read_note, sources))
    notes = tuple(reuse.get(source.path, source, lambda: _read_note(source)) for source in sources)
    reuse.end_round()
    return notes


def _read_note(source: SourceText) -> NoteFile:
    front, split_problems = split_source(source)
    if front is None:
        return NoteFile(source, None, {}, None, None, (), split_problems)
    values, problems = read_fields(select_keys(front.data, lambda key: key not in PAPER_KEYS), source.path,
                                   NOTE_SPECS)
    paper, correction, paper_problems = _curator_fields(source.path, front.data)
    return NoteFile(source, front, values, paper, correction, paper_problems, problems)


# --- papers from elsewhere -----------------------------------------------------------------


def curator_papers(notes: tuple[NoteFile, ...]
                   ) -> tuple[tuple[Paper, ...], tuple[Correction, ...], tuple[Diagnostic, ...]]:
    """Papers from notes with `title` and `abstract`, the bibliographic corrections of notes
    with `paper`, and the problems with those fields (every key of `PAPER_SPECS`)."""
    return (tuple(note.paper for note in notes if note.paper is not None),
            tuple(note.correction for note in notes if note.correction is not None),
            tuple(sorted_diagnostics(problem for note in notes for problem in note.paper_problems)))


def _curator_fields(path: str, data: YamlMap
                    ) -> tuple[Paper | None, Correction | None, tuple[Diagnostic, ...]]:
    """What one note says about its paper: a paper from elsewhere, or a correction."""
    if data.get("paper") is None and paper_keys_in(data):
        values, problems = read_fields(select_keys(data, PAPER_KEYS.__contains__), path, PAPER_SPECS)
        complete = values["title"] is not None and values["abstract"] is not None
        return _curator_paper(path, data, values) if complete else None, None, problems
    if isinstance(data.get("paper"), str) and not paper_keys_in(data):
        values, problems = read_fields(select_keys(data, METADATA_KEYS.__contains__), path, METADATA_SPECS)
        links = _given_links(path, data)
        if links or any(values.values()):
            return None, Correction(
                path, data.line_of("paper"), data["paper"], values["authors"] or (), values["date"],
                values["venue"], values["doi"], values["arxiv"], links, values["organization"]), problems
        return None, None, problems
    return None, None, ()


def _given_links(path: str, data: YamlMap) -> tuple[ExternalLink, ...]:
    # `links` belongs to the note (attach_notes reports its problems); here it only feeds the paper.
    given, _ = read_fields(select_keys(data, {"links"}.__contains__), path, (LINKS_SPEC,))
    return given["links"]


def _curator_paper(path: str, data: YamlMap, values: dict[str, object]) -> Paper:
    title, abstract = repair_text(values["title"]), repair_text(values["abstract"])
    by_url: dict[str, ExternalLink] = {}
    for link in (*_given_links(path, data), *extract_links(abstract)):  # the curator's kind wins
        by_url.setdefault(link.url, link)
    authors = values["authors"]
    names = authors if isinstance(authors, tuple) else ()
    links = tuple(by_url.values())
    return Paper(
        slug=paper_slug(title), title=title, abstract=abstract,
        raw_title=values["title"], raw_abstract=values["abstract"], date=values["date"],
        authors=len(names) if names else authors, organization=values["organization"], upvotes=None,
        links=links, occurrences=(), added_by=path, author_names=names, venue=values["venue"],
        doi=values["doi"] or first_identifier(identifiers.doi, links),
        arxiv=values["arxiv"] or first_identifier(identifiers.arxiv_id, links),
    )
