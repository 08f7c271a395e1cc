"""Read and validate `content/taxonomy.yaml`, reporting every problem at its line.

The file (see its header comment for the curator's view):

    scoring: {threshold: 4, share_of_best: 0.4, max_topics: 3, title_weight: 2}
    topics:
      - id: kv-cache
        title: KV cache
        description: ...
        rules:                       # groups of phrases / cased / regexes
          - {weight: 3, phrases: [KV cache, key-value cache]}
        exclude: {phrases: [...], cased: [...], regexes: [...]}
    hardware:
      - id: nvidia-hopper
        kind: family                 # vendor | family | category
        parent: nvidia               # families only: their vendor
        implies: [...]               # other hardware ids a match also tags
        unless: [...]                # not tagged when one of these is (npu: huawei-ascend)
        rules: [...]
        exclude: {...}
        models:
          - {id: h100, name: H100, aliases: [H100, H100 SXM], implies: [...], rules: [...]}
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sitegen.text.frontmatter import control_character_problem
from sitegen.diagnostics import Diagnostic, SitegenError, error, errors_in, sorted_diagnostics, warning
from sitegen.taxonomy_model import (
    HARDWARE_KINDS, MENTION_OWNER, HardwareEntry, HardwareModel, Reading, Taxonomy, Topic, TopicScoring, alias_key,
)
from sitegen.taxonomy_regex import analyse
from sitegen.taxonomy_rules import (
    REGEX_ERRORS, Rule, build_index, compile_phrase, compile_regex, describe, whole_word,
)
from sitegen.text.yamlsafe import YamlList, YamlMap, load_yaml

_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_TOP_KEYS = ("scoring", "topics", "hardware", "mentions", "reading")
_READING_KEYS = ("counts", "series")
# What a series continues with: a model number, maybe a letter or two and "Ti" ("3090", "2080 Ti").
_SERIES_ITEM = r"\d+[A-Za-z]{0,2}(?:\s+Ti\b)?"
_SERIES_JOIN = r"\s*(?:,\s*(?:and\s+|or\s+)?|/|&|\s(?:and|or)\s)\s*"
_TOPIC_KEYS = ("id", "title", "description", "rules", "exclude")
_HARDWARE_KEYS = ("id", "kind", "title", "description", "parent", "implies", "unless", "rules", "exclude",
                  "models")
_MODEL_KEYS = ("id", "name", "aliases", "implies", "rules", "exclude")
_GROUP_KEYS = ("phrases", "cased", "regexes")
_SCORING_KEYS = ("threshold", "share_of_best", "max_topics", "title_weight")


class _Report:
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


@dataclass(frozen=True, slots=True)
class _Owner:
    """Who the rules being read belong to: a topic, hardware entry or model."""

    id: str
    is_topic: bool  # topics weigh their rules; hardware rules may imply other entries


def parse_taxonomy(text: str, label: str) -> Taxonomy:
    """Validate the taxonomy text; raise `SitegenError` with every problem found."""
    data = load_yaml(text, label)
    report = _Report(label)
    if not isinstance(data, YamlMap):
        report.error(getattr(data, "line", 1), "the taxonomy must be a mapping with 'topics' and 'hardware'")
        raise SitegenError(report.problems)
    _warn_unknown_keys(report, data, _TOP_KEYS, "the taxonomy")
    scoring = _read_scoring(report, data)
    rules: list[Rule] = []
    topics = _read_topics(report, data, rules)
    hardware, models, implies, unless = _read_hardware(report, data, rules)
    rules.extend(_read_mentions(report, data))
    reading = _read_reading(report, data)
    _check_ids(report, topics, hardware, models)
    _check_parents(report, hardware)
    _check_references(report, hardware, models, {"implies": implies, "unless": unless})
    topic_ids = {t.id for t in topics}
    _check_duplicate_rules(report, rules, topic_ids)
    if report.has_errors():
        raise SitegenError(sorted_diagnostics(report.problems))
    return Taxonomy(
        label=label,
        topics=tuple(topics),
        hardware=tuple(hardware),
        models=tuple(models),
        scoring=scoring,
        rules=tuple(rules),
        implied=_implied_closure(hardware, models, implies),
        unless={key: tuple(t for _, t in pairs) for key, pairs in unless.items() if pairs},
        warnings=tuple(sorted_diagnostics(report.problems)),
        reading=reading,
        aliases=_aliases(rules, {m.slug for m in models}),
        index=build_index(rules),
    )


# --- reading ----------------------------------------------------------------------------


def _warn_unknown_keys(report: _Report, mapping: YamlMap, known: tuple[str, ...], where: str) -> None:
    for key in mapping:
        if key not in known:
            hint = _did_you_mean(str(key), known)
            report.warn(mapping.line_of(key), f"unknown key '{key}' in {where} is ignored{hint}")


def _mapping_items(report: _Report, data: YamlMap, key: str, what: str) -> list[tuple[int, YamlMap]]:
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


def _text(report: _Report, mapping: YamlMap, key: str, required: bool = True) -> str | None:
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


def _texts(report: _Report, mapping: YamlMap, key: str) -> list[tuple[int, str]]:
    """A list of text items with their lines (empty when absent)."""
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, YamlList):
        report.error(mapping.line_of(key), f"'{key}' must be a list of text")
        return []
    if _all_clean_text(value):  # the usual case, checked at once
        return list(zip(value.item_lines, map(str.strip, value)))
    found = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item.strip() and not control_character_problem(item):
            found.append((value.line_of(index), item.strip()))
        else:
            report.error(value.line_of(index), f"each item of '{key}' must be non-empty text"
                         + (f" ({problem})" if isinstance(item, str) and (problem := control_character_problem(item)) else ""))
    return found


def _all_clean_text(items: YamlList) -> bool:
    """Whether every item is non-blank text without control characters (and has a line)."""
    return (len(items.item_lines) == len(items) and all(type(item) is str for item in items)
            and all(map(str.strip, items)) and control_character_problem("".join(items)) is None)


def _id(report: _Report, mapping: YamlMap, line: int) -> str | None:
    value = mapping.get("id")
    if value is None:
        report.error(line, "missing 'id'")
        return None
    if not isinstance(value, str) or not _ID_RE.match(value):
        report.error(mapping.line_of("id"),
                     f"id {value!r} must be lowercase words joined by hyphens, like 'nvidia-hopper'")
        return None
    return value


def _read_scoring(report: _Report, data: YamlMap) -> TopicScoring:
    scoring = data.get("scoring")
    if scoring is None:
        return TopicScoring()
    if not isinstance(scoring, YamlMap):
        report.error(data.line_of("scoring"), "'scoring' must be a mapping")
        return TopicScoring()
    _warn_unknown_keys(report, scoring, _SCORING_KEYS, "'scoring'")
    values = {}
    for key in _SCORING_KEYS:
        if key not in scoring:
            continue
        value = scoring[key]
        if key == "share_of_best":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
                values[key] = float(value)
            else:
                report.error(scoring.line_of(key), "'share_of_best' must be a number from 0 to 1")
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            values[key] = value
        else:
            report.error(scoring.line_of(key), f"'{key}' must be a whole number of at least 1")
    return TopicScoring(**values)


def _read_topics(report: _Report, data: YamlMap, rules: list[Rule]) -> list[Topic]:
    topics = []
    for line, item in _mapping_items(report, data, "topics", "topics"):
        topic_id = _id(report, item, line)
        _warn_unknown_keys(report, item, _TOPIC_KEYS, f"topic '{topic_id}'")
        title, description = _text(report, item, "title"), _text(report, item, "description")
        if topic_id:
            owner = _Owner(topic_id, True)
            rules.extend(_read_rules(report, item, owner))
            rules.extend(_read_exclusions(report, item, owner))
            topics.append(Topic(topic_id, title or topic_id, description or "", line))
    return topics


def _read_hardware(report: _Report, data: YamlMap, rules: list[Rule]):
    """Hardware entries, models, and the `implies` and `unless` of each (id -> [(line, id)])."""
    hardware: list[HardwareEntry] = []
    models: list[HardwareModel] = []
    implies: dict[str, list[tuple[int, str]]] = {}
    unless: dict[str, list[tuple[int, str]]] = {}
    for line, item in _mapping_items(report, data, "hardware", "hardware entries"):
        entry_id = _id(report, item, line)
        _warn_unknown_keys(report, item, _HARDWARE_KEYS, f"hardware '{entry_id}'")
        kind = _kind(report, item)
        parent = _text(report, item, "parent", required=False)
        title, description = _text(report, item, "title"), _text(report, item, "description")
        if not entry_id:
            continue
        if kind == "family" and parent is None:
            report.error(line, f"family '{entry_id}' needs a 'parent' (its vendor)")
        if kind in ("vendor", "category") and parent is not None:
            report.error(item.line_of("parent"),
                         f"a {kind} has no parent; make '{entry_id}' a family or drop 'parent'")
            parent = None
        hardware.append(HardwareEntry(entry_id, kind or "category", title or entry_id, description or "",
                                      parent, line))
        implies[entry_id] = _texts(report, item, "implies")
        unless[entry_id] = _texts(report, item, "unless")
        owner = _Owner(entry_id, False)
        rules.extend(_read_rules(report, item, owner))
        rules.extend(_read_exclusions(report, item, owner))
        models.extend(_read_models(report, item, entry_id, rules, implies))
    return hardware, models, implies, unless


def _kind(report: _Report, item: YamlMap) -> str | None:
    kind = _text(report, item, "kind")
    if kind is not None and kind not in HARDWARE_KINDS:
        report.error(item.line_of("kind"), f"kind {kind!r} must be one of {', '.join(HARDWARE_KINDS)}")
        return None
    return kind


def _read_models(report: _Report, entry: YamlMap, family: str, rules: list[Rule],
                 implies: dict[str, list[tuple[int, str]]]) -> list[HardwareModel]:
    if "models" not in entry:
        return []
    models = []
    for line, item in _mapping_items(report, entry, "models", "models"):
        slug = _id(report, item, line)
        _warn_unknown_keys(report, item, _MODEL_KEYS, f"model '{slug}'")
        name = _text(report, item, "name")
        aliases = _texts(report, item, "aliases")
        if not slug:
            continue
        owner = _Owner(slug, False)
        alias_rules = [_phrase_rule(report, owner, text, alias_line, "alias", weight=1, implies=(), excludes=False)
                       for alias_line, text in aliases]
        extra = _read_rules(report, item, owner)
        if not aliases and not extra:
            report.warn(line, f"model '{slug}' has no aliases or rules, so nothing will ever tag it")
        rules.extend(r for r in alias_rules if r)
        rules.extend(extra)
        rules.extend(_read_exclusions(report, item, owner))
        implies[slug] = _texts(report, item, "implies")
        models.append(HardwareModel(slug, name or slug, family, tuple(t for _, t in aliases), line))
    return models


def _read_rules(report: _Report, item: YamlMap, owner: _Owner) -> list[Rule]:
    groups = item.get("rules")
    if groups is None:
        return []
    if not isinstance(groups, YamlList):
        report.error(item.line_of("rules"), "'rules' must be a list of groups like {phrases: [...]}")
        return []
    found = []
    for index, group in enumerate(groups):
        if not isinstance(group, YamlMap):
            report.error(groups.line_of(index), "each rule group must be a mapping like {phrases: [...]}")
            continue
        found.extend(_read_group(report, group, owner))
    return found


def _read_group(report: _Report, group: YamlMap, owner: _Owner) -> list[Rule]:
    extra = ("weight",) if owner.is_topic else ("implies",)
    _warn_unknown_keys(report, group, _GROUP_KEYS + extra, f"a rule group of '{owner.id}'")
    weight = _weight(report, group) if owner.is_topic else 1
    implications = [] if owner.is_topic else _texts(report, group, "implies")
    report.hardware_references.extend(implications)
    implies = tuple(text for _, text in implications)
    if not any(key in group for key in _GROUP_KEYS):
        report.error(group.line, "a rule group needs 'phrases', 'cased' or 'regexes'")
    return _group_rules(report, group, owner, weight, implies, excludes=False)


def _weight(report: _Report, group: YamlMap) -> int:
    value = group.get("weight", 1)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100:
        return value
    report.error(group.line_of("weight"), "'weight' must be a whole number from 1 to 100")
    return 1


def _read_exclusions(report: _Report, item: YamlMap, owner: _Owner) -> list[Rule]:
    group = item.get("exclude")
    if group is None:
        return []
    if not isinstance(group, YamlMap):
        report.error(item.line_of("exclude"), "'exclude' must be a mapping like {phrases: [...]}")
        return []
    _warn_unknown_keys(report, group, _GROUP_KEYS, f"'exclude' of '{owner.id}'")
    return _group_rules(report, group, owner, weight=1, implies=(), excludes=True)


def _group_rules(report: _Report, group: YamlMap, owner: _Owner, weight: int,
                 implies: tuple[str, ...], excludes: bool) -> list[Rule]:
    found = []
    for key, kind in (("phrases", "phrase"), ("cased", "cased phrase")):
        for line, text in _texts(report, group, key):
            found.append(_phrase_rule(report, owner, text, line, kind, weight, implies, excludes))
    for line, text in _texts(report, group, "regexes"):
        compiled = compile_regex(text)
        if compiled.problem:
            report.error(line, f"{compiled.problem}: {_quoted(text)}")
            continue
        found.append(_rule(owner, "regex", text, line, weight, implies, excludes, compiled))
    return [r for r in found if r]


def _phrase_rule(report: _Report, owner: _Owner, text: str, line: int, kind: str, weight: int,
                 implies: tuple[str, ...], excludes: bool) -> Rule | None:
    """A phrase, cased phrase or model alias (a phrase that names a model)."""
    compiled = compile_phrase(text, cased=kind == "cased phrase")
    if compiled.problem:
        report.error(line, f"{compiled.problem}: {_quoted(text)}")
        return None
    return _rule(owner, kind, text, line, weight, implies, excludes, compiled)


def _rule(owner: _Owner, kind: str, text: str, line: int, weight: int, implies: tuple[str, ...],
          excludes: bool, compiled) -> Rule:
    return Rule(owner=owner.id, kind=kind, source=text, line=line, weight=weight, implies=implies,
                excludes=excludes, body=compiled.body, description=describe(kind, text), regex=compiled.regex)


def _read_mentions(report: _Report, data: YamlMap) -> list[Rule]:
    """`mentions:` phrases and regexes whose match is context that only mentions
    hardware ("accelerators such as GPUs and TPUs"): a hardware match they overlap in the
    abstract does not count (`sitegen explain` lists it as mentioned)."""
    group = data.get("mentions")
    if group is None:
        return []
    if not isinstance(group, YamlMap):
        report.error(data.line_of("mentions"), "'mentions' must be a mapping like {phrases: [...], regexes: [...]}")
        return []
    _warn_unknown_keys(report, group, _GROUP_KEYS, "'mentions'")
    return _group_rules(report, group, _Owner(MENTION_OWNER, False), weight=1, implies=(), excludes=True)


def _read_reading(report: _Report, data: YamlMap) -> Reading:
    """`reading: {counts: [regex], series: [name prefix]}` (see `Reading`)."""
    block = data.get("reading")
    if block is None:
        return Reading()
    if not isinstance(block, YamlMap):
        report.error(data.line_of("reading"), "'reading' must be a mapping like {counts: [...], series: [...]}")
        return Reading()
    _warn_unknown_keys(report, block, _READING_KEYS, "'reading'")
    counts = []
    for line, pattern in _texts(report, block, "counts"):
        problem = _count_problem(pattern)
        if problem:
            report.error(line, f"{problem}: {_quoted(pattern)}")
        else:
            counts.append(re.compile(f"\\b(?:{pattern})"))
    prefixes = []
    for line, prefix in _texts(report, block, "series"):
        compiled = compile_phrase(prefix, cased=False)
        if compiled.problem:
            report.error(line, f"{compiled.problem}: {_quoted(prefix)}")
        else:
            prefixes.append(compiled.body)
    # One pattern for all prefixes (one pass over a text): a prefix and its first
    # number, then the rest of the list (group "more").
    series = whole_word(f"(?P<name>{'|'.join(prefixes)})[\\s\\-]*{_SERIES_ITEM}"
                        f"(?P<more>(?:{_SERIES_JOIN}{_SERIES_ITEM})+)") if prefixes else None
    return Reading(tuple(counts), series)


def _count_problem(pattern: str) -> str | None:
    try:
        shape = analyse(pattern)
        re.compile(pattern)
    except REGEX_ERRORS as exc:
        return f"regex does not compile: {exc}"
    if shape.risk:
        return f"regex can backtrack catastrophically: {shape.risk}"
    if shape.min_width == 0:
        return "regex can match empty text"
    return None


def _aliases(rules: list[Rule], model_slugs: set[str]) -> dict[str, Rule]:
    """Model aliases by `alias_key`, to read a series ("RTX 4090, 3090")."""
    return {alias_key(rule.source): rule for rule in rules
            if rule.kind == "alias" and rule.owner in model_slugs}


# --- cross-checks -----------------------------------------------------------------------


def _quoted(rule: str, limit: int = 60) -> str:
    """A rule as written, shortened for a one-line message."""
    return repr(rule if len(rule) <= limit else rule[:limit - 1] + "…")


def _did_you_mean(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_ids(report: _Report, topics, hardware, models) -> None:
    seen: dict[str, int] = {}
    named = ([(t.id, t.line) for t in topics] + [(h.id, h.line) for h in hardware]
             + [(m.slug, m.line) for m in models])
    for some_id, line in named:
        if some_id in seen:
            report.error(line, f"duplicate id '{some_id}' (first defined at line {seen[some_id]})")
        else:
            seen[some_id] = line


def _check_parents(report: _Report, hardware: list[HardwareEntry]) -> None:
    kinds = {h.id: h.kind for h in hardware}
    for entry in hardware:
        if entry.parent is None:
            continue
        if entry.parent not in kinds:
            hint = _did_you_mean(entry.parent, kinds)
            report.error(entry.line, f"'{entry.id}' has unknown parent '{entry.parent}'{hint}")
        elif kinds[entry.parent] != "vendor":
            report.error(entry.line,
                         f"the parent of '{entry.id}' must be a vendor; '{entry.parent}' is a {kinds[entry.parent]}")


def _check_references(report: _Report, hardware, models, relations: dict[str, dict]) -> None:
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
            report.error(line, f"{what} unknown hardware id '{target}'{_did_you_mean(target, known)}")


def _check_duplicate_rules(report: _Report, rules: list[Rule], topic_ids: set[str]) -> None:
    """A hardware phrase or alias must name one thing only; a topic may share a word with
    another topic ("latency"), but not list it twice itself. Phrases compare once
    normalised ("RTX 4090" = "rtx-4090"); exclusions are not compared."""
    seen: dict[tuple[str, str], Rule] = {}
    for rule in rules:
        if rule.excludes:
            continue
        scope = rule.owner if rule.owner in topic_ids else "hardware"
        first = seen.setdefault((scope, rule.body), rule)
        if first is not rule:
            what = rule.kind.split()[-1]
            report.error(rule.line, f"duplicate {what} {_quoted(rule.source)} "
                                    f"(already used by '{first.owner}' at line {first.line})")


def _implied_closure(hardware, models, implies) -> dict[str, tuple[str, ...]]:
    """Everything each hardware id or model slug implies: its ancestors, its explicit
    implications, and theirs, in a stable order without repeats."""
    parent = {h.id: h.parent for h in hardware} | {m.slug: m.family for m in models}
    closure: dict[str, tuple[str, ...]] = {}

    def expand(start: str) -> tuple[str, ...]:
        found: list[str] = []
        todo = [start]
        while todo:
            current = todo.pop(0)
            nexts = ([parent[current]] if parent.get(current) else []) + [t for _, t in implies.get(current, [])]
            for target in nexts:
                if target != start and target not in found:
                    found.append(target)
                    todo.append(target)
        return tuple(found)

    for some_id in parent:
        closure[some_id] = expand(some_id)
    return closure
