"""Safe YAML loading: line numbers, size, nesting and alias caps checked before PyYAML parses,
explicit tags, located errors. Messages from PyYAML itself are asserted only by their location
and sitegen's "invalid YAML:" prefix: their wording changes between versions."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import example, given, settings, strategies as st

from sitegen.text import yamlsafe
from sitegen.diagnostics import SitegenError
from sitegen.text.yamlsafe import MAX_YAML_ALIASES, MAX_YAML_BYTES, load_yaml
from sitegen.text.yamlscan import first_excess

DERANDOMIZE = settings(deadline=None, derandomize=bool(__import__("os").environ.get("CI")), database=None)


def messages(text: str, first_line: int = 1) -> list[str]:
    with pytest.raises(SitegenError) as caught:
        load_yaml(text, "content/x.yaml", first_line)
    return [str(d) for d in caught.value.diagnostics]


def test_lines_are_kept_and_offset():
    data = load_yaml("a: 1\nb:\n  - x\n  - y\nc: {d: 2}\n", "f.yaml", first_line=3)
    assert (data.line, data.line_of("b"), data["b"].line_of(1), data["c"].line) == (3, 4, 6, 7)


def test_dates_stay_text_for_later_validation():
    assert load_yaml("day: 2025-11-24\n", "f")["day"] == "2025-11-24"


def test_empty_document_is_an_empty_mapping():
    assert load_yaml("", "f") == {}


def test_syntax_error_and_duplicate_key_are_located():
    [message] = messages("a: 1\nb: [1, 2\n", 5)
    assert re.fullmatch(r"content/x\.yaml:(6|7): error: invalid YAML: .+", message)
    assert messages("a: 1\na: 2\n") == ["content/x.yaml:2: error: invalid YAML: duplicate key 'a'"]


def test_alias_bomb_is_refused():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for name, prev in zip("bcdefg", "abcdef"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    assert messages("\n".join(lines)) == [
        "content/x.yaml:1: error: YAML expands to more than 100,000 nodes (alias bomb?); refused"]


def test_oversized_and_deeply_nested_documents_are_refused():
    assert messages("a: '" + "x" * MAX_YAML_BYTES + "'\n") == [
        "content/x.yaml:1: error: YAML larger than 1,000,000 bytes refused"]
    assert messages("a: 1\nb: " + "[" * 50_000 + "]" * 50_000) == [
        "content/x.yaml:2: error: YAML nested more than 64 levels deep; refused"]
    nested = load_yaml("a: " + "[" * 63 + "]" * 63, "f")["a"]
    for _ in range(62):
        nested = nested[0]
    assert nested == []


def test_limits_are_checked_before_pyyaml_parses(monkeypatch):
    """The refusal is sitegen's whatever PyYAML would say (6.0.4 refuses deep flow nesting
    itself): PyYAML is never reached for a document over a limit."""
    def never(*args, **kwargs):
        raise AssertionError("PyYAML parsed a document sitegen should have refused")

    monkeypatch.setattr(yamlsafe._LocatingLoader, "get_single_node", never)
    assert messages("a: 1\nb:\n" + "".join("  " * depth + "- k:\n" for depth in range(1, 40))) == [
        "content/x.yaml:34: error: YAML nested more than 64 levels deep; refused"]
    assert messages("x: 1\ny: " + "{a: " * 70 + "1" + "}" * 70, first_line=2) == [
        "content/x.yaml:3: error: YAML nested more than 64 levels deep; refused"]
    aliases = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_YAML_ALIASES + 1)) + "]\n"
    assert messages(aliases) == [f"content/x.yaml:2: error: YAML uses more than {MAX_YAML_ALIASES:,} aliases; refused"]


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


TRICKY_TEXT = st.text(alphabet=st.sampled_from(list("ab :#-[]{}'\",*&!|>?") + ["\u2028", "\x85", "\r", "\n"]),
                      max_size=20)
NESTED = st.recursive(st.one_of(st.none(), st.integers(), TRICKY_TEXT), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(TRICKY_TEXT, inner, max_size=3)), max_leaves=20)


@DERANDOMIZE
@given(NESTED, st.sampled_from([False, True, None]), st.integers(2, 6), st.integers(8, 80))
@example({"a": [[{"b": ["c # d", "[e"]}]]}, False, 2, 80)
@example({"": [None]}, False, 2, 80)  # `? ''` then `: - null`: a complex key's value
@example({'a "': []}, True, 2, 8)  # a quote inside a plain scalar in flow context
@example([{"{\x85": None}], True, 2, 8)  # `{? '{<NEL> ' : null}`: an explicit key in flow
def test_scanner_counts_the_nesting_pyyaml_builds(data, flow_style, indent, width):
    """On every valid document the pre-parse scanner measures exactly PyYAML's depth, in block,
    flow and mixed styles, wrapped or not, with quotes, brackets, comments and line breaks
    inside values."""
    text = yaml.safe_dump(data, default_flow_style=flow_style, indent=indent, width=width, allow_unicode=True)
    depth = _depth(yaml.safe_load(text))
    assert first_excess(text, depth, MAX_YAML_ALIASES) is None
    if depth:
        assert first_excess(text, depth - 1, MAX_YAML_ALIASES) is not None


SCALAR_TAGS = ["!!int", "!!float", "!!bool", "!!str", "!!null", "!!map", "!!seq", "!!timestamp", "!!binary",
               "!!set", "!!omap", "!!pairs", "!local", "!!python/name:os.system", "!"]
TAGGED_VALUES = ["abc", '""', "maybe", "x", "[1]", "{a: 1}", "9" * 4301, "1e999", "-", "2025-02-30", "~"]


@DERANDOMIZE
@given(st.sampled_from(SCALAR_TAGS), st.sampled_from(TAGGED_VALUES), st.integers(1, 4))
@example("!!int", "abc", 1)
@example("!!map", "[1]", 1)
@example("!!seq", "{a: 1}", 1)
@example("!!int", "9" * 4301, 1)
def test_tagged_values_load_or_fail_located(tag, value, line):
    """Every explicit tag on every value shape either loads or is a located error on its line."""
    text = "\n" * (line - 1) + f"rating: {tag} {value}\n"
    try:
        loaded = load_yaml(text, "content/x.yaml")
    except SitegenError as refused:
        [diagnostic] = refused.diagnostics
        assert (diagnostic.path, diagnostic.line) == ("content/x.yaml", line)
        assert str(diagnostic).startswith(f"content/x.yaml:{line}: error: invalid YAML: ")
    else:
        assert loaded.line_of("rating") == line
        assert not isinstance(loaded["rating"], (bytes, set))  # refused tags never load


@pytest.mark.parametrize("text", ["a:\n- |\n  x: [[[\n  - - -\nb: 1\n", "a: >\n  {{{\n  ? x\n", "- >-\n  [\n"])
def test_block_scalars_are_text_to_the_scanner(text):
    assert first_excess(text, 2, MAX_YAML_ALIASES) is None
    assert _depth(yaml.safe_load(text)) <= 2


def test_tags_that_cannot_convert_name_the_value_and_the_tag():
    assert messages("a: 1\nrating: !!int abc\n") == [
        "content/x.yaml:2: error: invalid YAML: the value 'abc' cannot be read as !!int"]
    assert messages("x: !!binary aGk=\n") == [
        "content/x.yaml:1: error: invalid YAML: the YAML tag !!binary is not accepted here"]
    assert load_yaml("a: !!str 2024\nb: =\n", "f") == {"a": "2024", "b": "="}


@pytest.mark.parametrize("brk", ["\x85", "\u2028", "\u2029"])
def test_lines_are_the_editors_whatever_breaks_yaml_sees(brk):
    """YAML breaks lines at NEL, LS and PS; an editor does not, and the message names the
    editor's line."""
    data = load_yaml(f'a: "x{brk}y"\nb: 2\n', "f")
    assert data.line_of("b") == 2
    assert messages(f'a: "x{brk}y{brk}z"\nb: [')[0].startswith("content/x.yaml:2: ")
    assert messages(f'a: "x{brk}y{brk}z"\r\nb: 1\rc: *nowhere')[0].startswith("content/x.yaml:3: ")
    assert messages("{" + brk + "#")[0].startswith("content/x.yaml:1: ")
