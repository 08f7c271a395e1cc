"""Every reader names the line an editor shows: LF, CRLF and CR end a line; NEL, LS and PS
(which YAML counts) and VT, FF, FS, GS, RS (which Python's splitlines counts) do not.

Each case is a small file with a known problem on a known line; Hypothesis picks each line's
ending and puts unusual break characters into the text before the problem, where they
change no meaning (inside quoted YAML scalars, in Markdown and listing text)."""

from __future__ import annotations

import os

import pytest
from hypothesis import example, given, settings, strategies as st

from conftest import ROOT
from notes_helpers import FA2, curate, files_of

from sitegen.diagnostics import SitegenError
from sitegen.text.frontmatter import read_fields, split_front_matter
from sitegen.text.lines import YamlLines, split_lines
from sitegen.notefields import NOTE_SPECS
from sitegen.settings import parse_settings
from sitegen.sources.listing_files import parse_seed_bytes
from sitegen.taxonomy import parse_taxonomy

EXAMPLES = settings(max_examples=60, deadline=None, database=None, derandomize=bool(os.environ.get("CI")))
YAML_UNUSUAL = ["\x85", "\u2028", "\u2029"]  # inside a quoted YAML scalar they fold to a space
TEXT_UNUSUAL = [*YAML_UNUSUAL, "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]
ENDINGS = ["\n", "\r\n", "\r"]


def diagnostics_of(read) -> list:
    try:
        return list(read())
    except SitegenError as refused:
        return list(refused.diagnostics)


def read_settings(text: str) -> list:
    return diagnostics_of(lambda: parse_settings(text, ROOT / "tests" / "fixtures" / "site")[1])


def read_taxonomy(text: str) -> list:
    return diagnostics_of(lambda: parse_taxonomy(text, "content/taxonomy.yaml").warnings)


def read_note_fields(text: str) -> list:
    return diagnostics_of(lambda: read_fields(split_front_matter(text, "content/notes/x.md").data,
                                              "content/notes/x.md", NOTE_SPECS)[1])


def read_note(path: str):
    return lambda text: list(curate(files_of((path, text))).diagnostics)


TAXONOMY = (ROOT / "tests" / "fixtures" / "notes" / "taxonomy.yaml").read_text(encoding="utf-8").replace(
    "    title: Attention\n", '    title: "Atten{U}tion"\n').replace(
    "      - {weight: 2, phrases: [KV cache]}", "      - {weight: abc, phrases: [KV cache]}")

# (reader, template with {U} slots and one problem, the problem's editor line)
CASES = {
    "settings": (read_settings, 'title: "Reading{U} list"\nlatest_count: 5\n\npage_size: abc\n', 4, YAML_UNUSUAL),
    "taxonomy": (read_taxonomy, TAXONOMY, TAXONOMY.split("\n").index("      - {weight: abc, phrases: [KV cache]}") + 1,
                 YAML_UNUSUAL),
    "note fields": (read_note_fields, f'---\npaper: {FA2}\nsummary: "a{{U}}b"\nrating: 9\n---\nbody\n', 4,
                    YAML_UNUSUAL),
    "note body": (read_note("content/notes/x.md"),
                  f"---\npaper: {FA2}\n---\nline a{{U}}b\n\ntext{{U}} [[no-such-paper]]\n", 6, TEXT_UNUSUAL),
    "reading path": (read_note("content/paths/x.md"),
                     f'---\ntitle: "P{{U}}x"\n---\n1. [[{FA2}]] a{{U}}b\n2. [[no-such-paper]]\n', 5, YAML_UNUSUAL),
}


def render(template: str, endings: list[str], unusual: list[str]) -> str:
    """`template` with line `i` ended by `endings[i]` and the `{U}` slots filled in order."""
    pieces = template.split("{U}")
    filled = "".join(piece + (unusual[i % len(unusual)] if i < len(pieces) - 1 else "")
                     for i, piece in enumerate(pieces))
    out, previous = [], ""
    for i, line in enumerate(filled.split("\n")[:-1]):
        ending = endings[i % len(endings)]
        if previous == "\r" and not line and ending.startswith("\n"):
            ending = "\r"  # CR then LF would be one CRLF break, not two lines
        out.append(line + ending)
        previous = ending
    return "".join(out) + filled.split("\n")[-1]


@pytest.mark.parametrize("case", sorted(CASES))
@EXAMPLES
@given(data=st.data())
def test_problems_are_reported_on_the_editors_line(case, data):
    read, template, line, unusual_chars = CASES[case]
    endings = data.draw(st.lists(st.sampled_from(ENDINGS), min_size=1, max_size=12))
    unusual = data.draw(st.lists(st.sampled_from(unusual_chars), min_size=1, max_size=4))
    text = render(template, endings, unusual)
    located = [d for d in read(text) if d.line is not None]
    assert [d.line for d in located] == [line], [str(d) for d in located]
    assert line <= len(split_lines(text))


LISTING = "Nov 24\n\nTitle{U} One\n\nAbstract one{U} with a break.\n\nTitle Two\n\nAbstract{U} two.\n"


@EXAMPLES
@given(st.lists(st.sampled_from(ENDINGS), min_size=1, max_size=9),
       st.lists(st.sampled_from(TEXT_UNUSUAL), min_size=1, max_size=3))
@example(["\n"], ["\x85"])
def test_listing_entries_keep_the_editors_line(endings, unusual):
    parsed = parse_seed_bytes(render(LISTING, endings, unusual).encode(), "seeds/x.txt")
    assert [entry.line for entry in parsed.entries] == [3, 7]
    assert [" ".join(entry.title.split()) for entry in parsed.entries] == ["Title One", "Title Two"]


def test_split_lines_breaks_only_where_an_editor_does():
    assert split_lines("\ufeffa\r\nb\rc\nd\x85e\u2028f\u2029g\x0ch") == ["a", "b", "c", "d\x85e\u2028f\u2029g\x0ch"]
    assert split_lines("a\n") == ["a", ""]


def test_yaml_lines_map_yamls_count_to_the_editors():
    lines = YamlLines("a\x85b\r\nc\u2028d\re")  # YAML lines: a, b, c, d, e; editor lines: a<NEL>b, c<LS>d, e
    assert [lines.editor_line(n) for n in range(6)] == [1, 1, 2, 2, 3, 3]
    assert [YamlLines("a\nb").editor_line(n) for n in range(3)] == [1, 2, 2]  # never past the text
    assert YamlLines("{[?").editor_line(1) == 1
