"""Front matter: split a curator file into YAML data and a Markdown body, and read typed fields.

A file starts with front matter when its first line is `---`; the block ends at the next
`---` or `...` line. Every value keeps its file line (see `sitegen.text.yamlsafe`), so
`read_fields` can report `content/notes/x.md:LINE: 'rating' must be ...` for any consumer
(notes, reading paths, pages, site settings) without each one re-writing type checks.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sitegen.diagnostics import Diagnostic, SitegenError, error, sorted_diagnostics, warning
from sitegen.text.lines import split_lines
from sitegen.text.yamlsafe import YamlList, YamlMap, load_yaml

_OPENER = "---"
_CLOSERS = ("---", "...")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A curator file split in two."""

    data: YamlMap  # the front matter; empty when the file has none
    body: str  # the text after the front matter, line endings normalised to "\n"
    body_line: int  # 1-based file line where `body` starts


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Split `text` (the whole file) into front matter and body; raise located `SitegenError`."""
    lines = split_lines(text)
    if lines[0].rstrip() != _OPENER:
        return FrontMatter(_empty_map(line=1), "\n".join(lines), 1)
    closing = next((i for i, line in enumerate(lines) if i and line.rstrip() in _CLOSERS), None)
    if closing is None:
        raise SitegenError([error(
            path, 1, "front matter opened with '---' is never closed (end it with a '---' line)"
        )])
    data = load_yaml("\n".join(lines[1:closing]), path, first_line=2)
    if not isinstance(data, YamlMap):
        raise SitegenError([error(
            path, _line_of(data, default=2),
            f"front matter must be a mapping of keys to values, got {describe_value(data)}",
        )])
    return FrontMatter(data, "\n".join(lines[closing + 1:]), closing + 2)


def _empty_map(line: int) -> YamlMap:
    empty = YamlMap()
    empty.line, empty.key_lines = line, {}
    return empty


def _line_of(value: object, default: int) -> int:
    return value.line if isinstance(value, (YamlMap, YamlList)) else default


# --- typed fields -----------------------------------------------------------------------


class Rejected(ValueError):
    """Raised by a `FieldType.convert` that refuses a value; the message is an optional hint."""


@dataclass(frozen=True, slots=True)
class FieldType:
    """One kind of value a field accepts."""

    description: str  # completes "'key' must be ...", e.g. "an integer from 1 to 5"
    convert: Callable[[object], object]  # the typed value; raises `Rejected` when refused
    fields: tuple[FieldSpec, ...] | None = None  # set for a section: a mapping read by these


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One key a front matter (or settings) mapping may carry."""

    key: str
    type: FieldType
    required: bool = False
    default: object = None  # the value when the key is absent, null or refused


def read_fields(
    data: YamlMap, path: str, specs: Iterable[FieldSpec]
) -> tuple[dict[str, object], tuple[Diagnostic, ...]]:
    """Check `data` against `specs`; return a value for every spec key, and the problems.

    Wrong types and missing required keys are errors (the value falls back to the default);
    keys no spec names are warnings with a "did you mean" suggestion. Null counts as absent.
    A missing section reads as an empty mapping, so its own defaults apply.
    """
    problems: list[Diagnostic] = []
    values = _read_mapping(data, path, tuple(specs), "", problems)
    return values, tuple(sorted_diagnostics(problems))


def _read_mapping(
    data: YamlMap, path: str, specs: tuple[FieldSpec, ...], prefix: str, problems: list[Diagnostic]
) -> dict[str, object]:
    known = [spec.key for spec in specs]
    for key in data:
        if key not in known:
            hint = did_you_mean(str(key), known)
            problems.append(warning(path, data.line_of(key), f"unknown key {prefix + str(key)!r}{hint}"))
    return {spec.key: _read_field(data, path, spec, prefix, problems) for spec in specs}


def _read_field(
    data: YamlMap, path: str, spec: FieldSpec, prefix: str, problems: list[Diagnostic]
) -> object:
    name, raw, line = prefix + spec.key, data.get(spec.key), data.line_of(spec.key)
    if raw is None and spec.required:
        problems.append(error(path, line, f"{name!r} is required: {spec.type.description}"))
        return spec.default
    if raw is None and spec.type.fields is not None:
        raw = _empty_map(line)
    if raw is None:
        return spec.default
    try:
        value = spec.type.convert(raw)
    except Rejected as refusal:
        hint = f" ({refusal})" if str(refusal) else ""
        problems.append(error(
            path, line, f"{name!r} must be {spec.type.description}, got {describe_value(raw)}{hint}"
        ))
        return spec.default
    if spec.type.fields is not None:
        return _read_mapping(value, path, spec.type.fields, name + ".", problems)
    return value


def control_character_problem(text: str) -> str | None:
    """"it holds the control character U+XXXX" when `text` has one (they break feeds' XML)."""
    control = _CONTROL_CHAR.search(text)
    return f"it holds the control character U+{ord(control.group()):04X}" if control else None


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word`, or None when none is close (difflib's ratio >= 0.6)."""
    matches = difflib.get_close_matches(word, list(choices), n=1)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest choice, or "" when none is close."""
    match = closest(word, choices)
    return f" (did you mean {match!r}?)" if match else ""


def describe_value(value: object) -> str:
    """A short, safe rendering of a YAML value for messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


# Control characters other than blanks (tab, line breaks): YAML lets a double-quoted "\x01"
# through, and one in a title would make every feed unreadable (XML 1.0 forbids them).
_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _text(value: object) -> str:
    if isinstance(value, str) and (problem := control_character_problem(value)):
        raise Rejected(problem)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, str):
        raise Rejected("it is empty")
    if isinstance(value, (int, float)):
        raise Rejected("put it in quotes to make it text")
    raise Rejected()


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise Rejected()


def _text_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Rejected()
    return tuple(_text_item(item, f"item {number}") for number, item in enumerate(value, 1))


def _text_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Rejected()
    for key in value:
        if not isinstance(key, str):
            raise Rejected(f"key {describe_value(key)} is not text")
    return {key: _text_item(item, repr(key)) for key, item in value.items()}


def _text_item(value: object, name: str) -> str:
    try:
        return _text(value)
    except Rejected:
        raise Rejected(f"{name} is {describe_value(value)}") from None


def _mapping(value: object) -> YamlMap:
    if isinstance(value, YamlMap):
        return value
    raise Rejected()


TEXT = FieldType("a non-empty string", _text)
FLAG = FieldType("true or false", _flag)
TEXT_LIST = FieldType("a list of non-empty strings", _text_list)
TEXT_MAP = FieldType("a mapping of names to non-empty strings", _text_map)


def integer(low: int, high: int) -> FieldType:
    """An integer from `low` to `high` inclusive (booleans are not integers here)."""

    def convert(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        raise Rejected()

    return FieldType(f"an integer from {low} to {high}", convert)


def one_of(*choices: str) -> FieldType:
    """One string out of `choices`, with a suggestion for a near miss."""

    def convert(value: object) -> str:
        if isinstance(value, str) and value in choices:
            return value
        match = closest(str(value), choices)
        raise Rejected(f"did you mean {match!r}?" if match else "")

    return FieldType("one of " + ", ".join(repr(choice) for choice in choices), convert)


def section(*specs: FieldSpec) -> FieldType:
    """A nested mapping whose keys are read with `specs` (reported as 'outer.inner')."""
    return FieldType("a mapping", _mapping, fields=specs)
