"""Safe YAML loading: line numbers, size and alias caps, located errors."""

from __future__ import annotations

import pytest

from sitegen.diagnostics import SitegenError
from sitegen.yamlsafe import MAX_YAML_BYTES, load_yaml


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
    assert messages("a: 1\nb: [1, 2\n", 5) == [
        "content/x.yaml:7: error: invalid YAML: while parsing a flow sequence did not find expected ',' or ']'"]
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
