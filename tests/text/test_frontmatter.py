"""Front matter: splitting curator files, located YAML errors, typed field reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.diagnostics import Severity, SitegenError
from sitegen.text.frontmatter import (
    FLAG, TEXT, TEXT_LIST, TEXT_MAP, FieldSpec, did_you_mean, integer, one_of, read_fields,
    section, split_front_matter,
)
from sitegen.text.yamlsafe import load_yaml

FIXTURES = Path(__file__).parents[1] / "fixtures" / "frontmatter"
PATH = "content/notes/x.md"


def refusal(text: str) -> list[str]:
    with pytest.raises(SitegenError) as caught:
        split_front_matter(text, PATH)
    return [str(d) for d in caught.value.diagnostics]


# --- splitting -----------------------------------------------------------------------------


def test_note_fixture_splits_into_data_and_body():
    front = split_front_matter((FIXTURES / "note.md").read_text(encoding="utf-8"), PATH)
    assert front.data == {
        "paper": "flash-attention", "status": "read", "rating": 5, "pick": True,
        "summary": "IO-aware exact attention.", "tags": ["attention", "kernels"],
    }
    assert front.data.line_of("paper") == 2 and front.data.line_of("tags") == 7
    assert front.body.startswith("\nFlashAttention tiles")
    assert front.body_line == 9


def test_file_without_front_matter_is_all_body():
    front = split_front_matter("# Title\n\n---\nnot: front matter\n", PATH)
    assert front.data == {} and front.data.line == 1
    assert front.body == "# Title\n\n---\nnot: front matter\n"
    assert front.body_line == 1


@pytest.mark.parametrize("text", [
    "---\nkey: v\n---\nbody",
    "---\nkey: v\n...\nbody",
    "---  \nkey: v\n---\t\nbody",
])
def test_closing_line_may_be_dashes_or_dots_with_trailing_blanks(text: str):
    front = split_front_matter(text, PATH)
    assert (front.data, front.body, front.body_line) == ({"key": "v"}, "body", 4)


def test_empty_front_matter_and_empty_body():
    front = split_front_matter("---\n---", PATH)
    assert (front.data, front.data.line, front.body, front.body_line) == ({}, 2, "", 3)


def test_only_the_first_closing_line_ends_the_block():
    front = split_front_matter("---\na: 1\n---\n---\nb: 2\n", PATH)
    assert front.data == {"a": 1}
    assert front.body == "---\nb: 2\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_bom_and_any_line_ending_keep_line_numbers(newline: str, bom: str):
    text = bom + newline.join(["---", "a: 1", "", "b: 2", "---", "body", "more", ""])
    front = split_front_matter(text, PATH)
    assert front.data == {"a": 1, "b": 2}
    assert (front.data.line_of("a"), front.data.line_of("b")) == (2, 4)
    assert front.body == "body\nmore\n"
    assert front.body_line == 6


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_yaml_errors_carry_the_file_line(newline: str):
    text = newline.join(["---", "paper: x", "status: read", "tags: [a, b", "---", "body"])
    # The flow sequence is never closed: the text ends on line 4, and no PyYAML version may
    # put the message past it (some mark a text's end on the next line). Its own words follow
    # sitegen's prefix; they change between versions.
    [message] = refusal(text)
    assert message.startswith(f"{PATH}:4: error: invalid YAML: ")


def test_unclosed_front_matter_is_refused_at_line_1():
    assert refusal("---\npaper: x\n\nbody text\n") == [
        f"{PATH}:1: error: front matter opened with '---' is never closed (end it with a '---' line)"
    ]


@pytest.mark.parametrize("yaml_text, shown, line", [
    ("- a\n- b", "a list", 2),
    ("\n\n- a", "a list", 4),
    ("just text", "'just text'", 2),
    ("42", "42", 2),
])
def test_front_matter_must_be_a_mapping(yaml_text: str, shown: str, line: int):
    assert refusal(f"---\n{yaml_text}\n---\nbody") == [
        f"{PATH}:{line}: error: front matter must be a mapping of keys to values, got {shown}"
    ]


def test_alias_bomb_is_refused():
    bomb = "\n".join(
        ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
           f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
           f"*{chr(97 + i)}, *{chr(97 + i)}]" for i in range(6)]
    )
    (message,) = refusal(f"---\n{bomb}\n---\n")
    assert message.startswith(f"{PATH}:2: error: YAML expands to more than")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("-.:\n\r \t[]{}&*!|>#'\"ab1\ufeff")), max_size=80))
def test_splitting_fails_only_with_located_errors(text: str):
    try:
        front = split_front_matter(text, PATH)
    except SitegenError as refused:
        assert refused.diagnostics and all(d.path == PATH and d.line >= 1 for d in refused.diagnostics)
    else:
        assert front.body_line >= 1 and "\r" not in front.body


# --- typed fields --------------------------------------------------------------------------

NOTE_FIELDS = (
    FieldSpec("paper", TEXT, required=True),
    FieldSpec("status", one_of("to-read", "reading", "read"), default="to-read"),
    FieldSpec("rating", integer(1, 5)),
    FieldSpec("pick", FLAG, default=False),
    FieldSpec("tags", TEXT_LIST, default=()),
    FieldSpec("extra", TEXT_MAP, default={}),
    FieldSpec("links", section(FieldSpec("arxiv", TEXT), FieldSpec("code", TEXT))),
)


def read(yaml_text: str):
    """Read NOTE_FIELDS from front matter whose first key is on file line 2."""
    values, diagnostics = read_fields(load_yaml(yaml_text, PATH, first_line=2), PATH, NOTE_FIELDS)
    return values, [str(d) for d in diagnostics]


def test_valid_fields_are_converted():
    values, problems = read(
        "paper: ' flash-attention '\nstatus: read\nrating: 5\npick: true\n"
        "tags: [attention, ' kernels']\nextra: {slides: s.pdf}\nlinks: {arxiv: 'https://a'}\n"
    )
    assert problems == []
    assert values == {
        "paper": "flash-attention", "status": "read", "rating": 5, "pick": True,
        "tags": ("attention", "kernels"), "extra": {"slides": "s.pdf"},
        "links": {"arxiv": "https://a", "code": None},
    }


def test_absent_and_null_fields_take_their_defaults():
    values, problems = read("paper: p\nrating:\ntags: ~\n")
    assert problems == []
    assert values == {
        "paper": "p", "status": "to-read", "rating": None, "pick": False, "tags": (),
        "extra": {}, "links": {"arxiv": None, "code": None},
    }


@pytest.mark.parametrize("yaml_line, message", [
    ("rating: x", "'rating' must be an integer from 1 to 5, got 'x'"),
    ("rating: 6", "'rating' must be an integer from 1 to 5, got 6"),
    ("rating: 4.5", "'rating' must be an integer from 1 to 5, got 4.5"),
    ("rating: true", "'rating' must be an integer from 1 to 5, got True"),
    ("status: raed", "'status' must be one of 'to-read', 'reading', 'read', got 'raed' "
                     "(did you mean 'read'?)"),
    ("status: done", "'status' must be one of 'to-read', 'reading', 'read', got 'done'"),
    ("pick: yes please", "'pick' must be true or false, got 'yes please'"),
    ("tags: gpu", "'tags' must be a list of non-empty strings, got 'gpu'"),
    ("tags: [gpu, 3]", "'tags' must be a list of non-empty strings, got a list (item 2 is 3)"),
    ("tags: [gpu, '']", "'tags' must be a list of non-empty strings, got a list (item 2 is '')"),
    ("extra: [a]", "'extra' must be a mapping of names to non-empty strings, got a list"),
    ("extra: {1: a}", "'extra' must be a mapping of names to non-empty strings, got a mapping "
                      "(key 1 is not text)"),
    ("extra: {a: [b]}", "'extra' must be a mapping of names to non-empty strings, got a mapping "
                        "('a' is a list)"),
    ("links: https://a", "'links' must be a mapping, got 'https://a'"),
])
def test_wrong_types_are_located_errors_and_fall_back_to_defaults(yaml_line: str, message: str):
    values, problems = read(f"paper: p\n{yaml_line}\n")
    assert problems == [f"{PATH}:3: error: {message}"]
    key = yaml_line.split(":")[0]
    assert values[key] == next(spec.default for spec in NOTE_FIELDS if spec.key == key)


def test_section_fields_are_read_with_their_full_name():
    values, problems = read("paper: p\nlinks:\n  code: c\n  arxiv: 2205.14135\n")
    assert problems == [
        f"{PATH}:5: error: 'links.arxiv' must be a non-empty string, got 2205.14135 "
        "(put it in quotes to make it text)"
    ]
    assert values["links"] == {"arxiv": None, "code": "c"}


@pytest.mark.parametrize("yaml_text, message", [
    ("status: read\n", "'paper' is required: a non-empty string"),
    ("paper:\n", "'paper' is required: a non-empty string"),
    ("paper: '  '\n", "'paper' must be a non-empty string, got '  ' (it is empty)"),
    ("paper: 1984\n", "'paper' must be a non-empty string, got 1984 (put it in quotes to make it text)"),
])
def test_required_text_must_be_present_and_not_blank(yaml_text: str, message: str):
    values, problems = read(yaml_text)
    assert problems == [f"{PATH}:2: error: {message}"]
    assert values["paper"] is None


def test_unknown_keys_are_warnings_with_suggestions():
    data = load_yaml("paper: p\nratng: 3\nzzz: 1\nlinks:\n  arxv: a\n", PATH, first_line=2)
    _, diagnostics = read_fields(data, PATH, NOTE_FIELDS)
    assert [str(d) for d in diagnostics] == [
        f"{PATH}:3: warning: unknown key 'ratng' (did you mean 'rating'?)",
        f"{PATH}:4: warning: unknown key 'zzz'",
        f"{PATH}:6: warning: unknown key 'links.arxv' (did you mean 'arxiv'?)",
    ]
    assert {d.severity for d in diagnostics} == {Severity.WARNING}


def test_every_problem_is_reported_together_in_line_order():
    _, problems = read("tags: 1\nrating: 0\nstatus: x\nwho: me\n")
    assert [p.split(":")[1] for p in problems] == ["2", "2", "3", "4", "5"]
    assert problems[0] == f"{PATH}:2: error: 'paper' is required: a non-empty string"


def test_did_you_mean():
    assert did_you_mean("summry", ["summary", "status"]) == " (did you mean 'summary'?)"
    assert did_you_mean("qqq", ["summary", "status"]) == ""
