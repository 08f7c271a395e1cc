"""Validating the taxonomy file: the problem collector, typed readers of its values (texts,
lists, ids, mappings, each problem located), and the checks across entries (duplicate ids,
parents, references, duplicate rules) once everything is read."""

from __future__ import annotations

import difflib
import re

from sitegen.diagnostics import Diagnostic, error, errors_in, warning
from sitegen.taxonomy.model import HardwareEntry
from sitegen.taxonomy.rules import MatchRule
from sitegen.text.frontmatter import control_character_problem
from sitegen.text.yamlsafe import YamlList, YamlMap

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


class Report:
    """Collects the problems of one file."""

    def __init__(self, label: str):
        self.label = label
        self.problems: list[Diagnostic] = []
        self.hardware_references: list[tuple[int, str]] = []  # (line, id): checked once all is read

    def error(self, line: int, message: str) -> None:
        self.problems.append(error(self.label, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(warning(self.label, line, message))

    def has_errors(self) -> bool:
        return bool(errors_in(self.problems))


def warn_unknown_keys(report: Report, mapping: YamlMap, known: tuple[str, ...], where: str) -> None:
    for key in mapping:
        if key not in known:
            hint = did_you_mean(str(key), known)
            report.warn(mapping.line_of(key), f"unknown key '{key}' in {where} is ignored{hint}")


def mapping_items(report: Report, data: YamlMap, key: str, what: str) -> list[tuple[int, YamlMap]]:
    """The mappings of the list under `key`, with their lines; report anything else."""
    items = data.get(key)
    if items is None:
        report.error(data.line, f"missing '{key}' (a list of {what})")
        return []
    if not isinstance(items, YamlList):
        report.error(data.line_of(key), f"'{key}' must be a list of {what}")
        return []
    found = []
    for index, item in enumerate(items):
        if isinstance(item, YamlMap):
            found.append((items.line_of(index), item))
        else:
            report.error(items.line_of(index), f"each entry of '{key}' must be a mapping with an 'id'")
    return found


def text_field(report: Report, mapping: YamlMap, key: str, required: bool = True) -> str | None:
    value = mapping.get(key)
    if value is None:
        if required:
            report.error(mapping.line, f"missing '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        report.error(mapping.line_of(key), f"'{key}' must be non-empty text")
        return None
    if problem := control_character_problem(value):
        report.error(mapping.line_of(key), f"'{key}': {problem}")
        return None
    return value.strip()


def text_list(report: Report, mapping: YamlMap, key: str) -> list[tuple[int, str]]:
    """A list of text items with their lines (empty when absent)."""
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, YamlList):
        report.error(mapping.line_of(key), f"'{key}' must be a list of text")
        return []
    if all_clean_text(value):  # the usual case, checked at once
        return list(zip(value.item_lines, map(str.strip, value)))
    found = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item.strip() and not control_character_problem(item):
            found.append((value.line_of(index), item.strip()))
        else:
            report.error(value.line_of(index), f"each item of '{key}' must be non-empty text"
                         + (f" ({problem})" if isinstance(item, str) and (problem := control_character_problem(item)) else ""))
    return found


def all_clean_text(items: YamlList) -> bool:
    """Whether every item is non-blank text without control characters (and has a line)."""
    return (len(items.item_lines) == len(items) and all(type(item) is str for item in items)
            and all(map(str.strip, items)) and control_character_problem("".join(items)) is None)


def id_field(report: Report, mapping: YamlMap, line: int) -> str | None:
    value = mapping.get("id")
    if value is None:
        report.error(line, "missing 'id'")
        return None
    if not isinstance(value, str) or not ID_RE.match(value):
        report.error(mapping.line_of("id"),
                     f"id {value!r} must be lowercase words joined by hyphens, like 'nvidia-hopper'")
        return None
    return value


def quoted(rule: str, limit: int = 60) -> str:
    """A rule as written, shortened for a one-line message."""
    return repr(rule if len(rule) <= limit else rule[:limit - 1] + "…")


def did_you_mean(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_ids(report: Report, topics, hardware, models) -> None:
    seen: dict[str, int] = {}
    named = ([(t.id, t.line) for t in topics] + [(h.id, h.line) for h in hardware]
             + [(m.slug, m.line) for m in models])
    for some_id, line in named:
        if some_id in seen:
            report.error(line, f"duplicate id '{some_id}' (first defined at line {seen[some_id]})")
        else:
            seen[some_id] = line


def check_parents(report: Report, hardware: list[HardwareEntry]) -> None:
    kinds = {h.id: h.kind for h in hardware}
    for entry in hardware:
        if entry.parent is None:
            continue
        if entry.parent not in kinds:
            hint = did_you_mean(entry.parent, kinds)
            report.error(entry.line, f"'{entry.id}' has unknown parent '{entry.parent}'{hint}")
        elif kinds[entry.parent] != "vendor":
            report.error(entry.line,
                         f"the parent of '{entry.id}' must be a vendor; '{entry.parent}' is a {kinds[entry.parent]}")


def check_references(report: Report, hardware, models, relations: dict[str, dict]) -> None:
    """`implies` and `unless` must name hardware entries; a model may also imply the model
    it is a variant of (AGX Orin -> Jetson Orin)."""
    known = {h.id for h in hardware}
    slugs = {m.slug for m in models}
    wanted = [(line, target, name, some_id in slugs) for name, relation in relations.items()
              for some_id, pairs in relation.items() for line, target in pairs]
    wanted += [(line, target, "implies", False) for line, target in report.hardware_references]
    for line, target, name, from_model in wanted:
        if target not in known and not (from_model and name == "implies" and target in slugs):
            what = "implication to" if name == "implies" else "'unless' names"
            report.error(line, f"{what} unknown hardware id '{target}'{did_you_mean(target, known)}")


def check_duplicate_rules(report: Report, rules: list[MatchRule], topic_ids: set[str]) -> None:
    """A hardware phrase or alias must name one thing only; a topic may share a word with
    another topic ("latency"), but not list it twice itself. Phrases compare once
    normalised ("RTX 4090" = "rtx-4090"); exclusions are not compared."""
    seen: dict[tuple[str, str], MatchRule] = {}
    for rule in rules:
        if rule.excludes:
            continue
        scope = rule.owner if rule.owner in topic_ids else "hardware"
        first = seen.setdefault((scope, rule.body), rule)
        if first is not rule:
            what = rule.kind.split()[-1]
            report.error(rule.line, f"duplicate {what} {quoted(rule.source)} "
                                    f"(already used by '{first.owner}' at line {first.line})")
