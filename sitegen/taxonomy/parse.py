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

import re
from dataclasses import dataclass

from sitegen.diagnostics import SitegenError, sorted_diagnostics
from sitegen.taxonomy.validate import (
    Report, check_duplicate_rules, check_ids, check_parents, check_references, id_field, mapping_items,
    quoted, text_field, text_list, warn_unknown_keys,
)
from sitegen.taxonomy.model import (
    HARDWARE_KINDS, MENTION_OWNER, HardwareEntry, HardwareModel, Reading, Taxonomy, Topic, TopicScoring, alias_key,
)
from sitegen.taxonomy.patterns import analyse
from sitegen.taxonomy.rules import (
    REGEX_ERRORS, MatchRule, compile_phrase, compile_regex, describe, whole_word,
)
from sitegen.taxonomy.index import build_index
from sitegen.text.yamlsafe import YamlList, YamlMap, load_yaml

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


@dataclass(frozen=True, slots=True)
class _Owner:
    """Who the rules being read belong to: a topic, hardware entry or model."""

    id: str
    is_topic: bool  # topics weigh their rules; hardware rules may imply other entries


def parse_taxonomy(text: str, label: str) -> Taxonomy:
    """Validate the taxonomy text; raise `SitegenError` with every problem found."""
    data = load_yaml(text, label)
    report = Report(label)
    if not isinstance(data, YamlMap):
        report.error(getattr(data, "line", 1), "the taxonomy must be a mapping with 'topics' and 'hardware'")
        raise SitegenError(report.problems)
    warn_unknown_keys(report, data, _TOP_KEYS, "the taxonomy")
    scoring = _read_scoring(report, data)
    rules: list[MatchRule] = []
    topics = _read_topics(report, data, rules)
    hardware, models, implies, unless = _read_hardware(report, data, rules)
    rules.extend(_read_mentions(report, data))
    reading = _read_reading(report, data)
    check_ids(report, topics, hardware, models)
    check_parents(report, hardware)
    check_references(report, hardware, models, {"implies": implies, "unless": unless})
    topic_ids = {t.id for t in topics}
    check_duplicate_rules(report, rules, topic_ids)
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


def _read_scoring(report: Report, data: YamlMap) -> TopicScoring:
    scoring = data.get("scoring")
    if scoring is None:
        return TopicScoring()
    if not isinstance(scoring, YamlMap):
        report.error(data.line_of("scoring"), "'scoring' must be a mapping")
        return TopicScoring()
    warn_unknown_keys(report, scoring, _SCORING_KEYS, "'scoring'")
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


def _read_topics(report: Report, data: YamlMap, rules: list[MatchRule]) -> list[Topic]:
    topics = []
    for line, item in mapping_items(report, data, "topics", "topics"):
        topic_id = id_field(report, item, line)
        warn_unknown_keys(report, item, _TOPIC_KEYS, f"topic '{topic_id}'")
        title, description = text_field(report, item, "title"), text_field(report, item, "description")
        if topic_id:
            owner = _Owner(topic_id, True)
            rules.extend(_read_rules(report, item, owner))
            rules.extend(_read_exclusions(report, item, owner))
            topics.append(Topic(topic_id, title or topic_id, description or "", line))
    return topics


def _read_hardware(report: Report, data: YamlMap, rules: list[MatchRule]):
    """Hardware entries, models, and the `implies` and `unless` of each (id -> [(line, id)])."""
    hardware: list[HardwareEntry] = []
    models: list[HardwareModel] = []
    implies: dict[str, list[tuple[int, str]]] = {}
    unless: dict[str, list[tuple[int, str]]] = {}
    for line, item in mapping_items(report, data, "hardware", "hardware entries"):
        entry_id = id_field(report, item, line)
        warn_unknown_keys(report, item, _HARDWARE_KEYS, f"hardware '{entry_id}'")
        kind = _kind(report, item)
        parent = text_field(report, item, "parent", required=False)
        title, description = text_field(report, item, "title"), text_field(report, item, "description")
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
        implies[entry_id] = text_list(report, item, "implies")
        unless[entry_id] = text_list(report, item, "unless")
        owner = _Owner(entry_id, False)
        rules.extend(_read_rules(report, item, owner))
        rules.extend(_read_exclusions(report, item, owner))
        models.extend(_read_models(report, item, entry_id, rules, implies))
    return hardware, models, implies, unless


def _kind(report: Report, item: YamlMap) -> str | None:
    kind = text_field(report, item, "kind")
    if kind is not None and kind not in HARDWARE_KINDS:
        report.error(item.line_of("kind"), f"kind {kind!r} must be one of {', '.join(HARDWARE_KINDS)}")
        return None
    return kind


def _read_models(report: Report, entry: YamlMap, family: str, rules: list[MatchRule],
                 implies: dict[str, list[tuple[int, str]]]) -> list[HardwareModel]:
    if "models" not in entry:
        return []
    models = []
    for line, item in mapping_items(report, entry, "models", "models"):
        slug = id_field(report, item, line)
        warn_unknown_keys(report, item, _MODEL_KEYS, f"model '{slug}'")
        name = text_field(report, item, "name")
        aliases = text_list(report, item, "aliases")
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
        implies[slug] = text_list(report, item, "implies")
        models.append(HardwareModel(slug, name or slug, family, tuple(t for _, t in aliases), line))
    return models


def _read_rules(report: Report, item: YamlMap, owner: _Owner) -> list[MatchRule]:
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


def _read_group(report: Report, group: YamlMap, owner: _Owner) -> list[MatchRule]:
    extra = ("weight",) if owner.is_topic else ("implies",)
    warn_unknown_keys(report, group, _GROUP_KEYS + extra, f"a rule group of '{owner.id}'")
    weight = _weight(report, group) if owner.is_topic else 1
    implications = [] if owner.is_topic else text_list(report, group, "implies")
    report.hardware_references.extend(implications)
    implies = tuple(text for _, text in implications)
    if not any(key in group for key in _GROUP_KEYS):
        report.error(group.line, "a rule group needs 'phrases', 'cased' or 'regexes'")
    return _group_rules(report, group, owner, weight, implies, excludes=False)


def _weight(report: Report, group: YamlMap) -> int:
    value = group.get("weight", 1)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100:
        return value
    report.error(group.line_of("weight"), "'weight' must be a whole number from 1 to 100")
    return 1


def _read_exclusions(report: Report, item: YamlMap, owner: _Owner) -> list[MatchRule]:
    group = item.get("exclude")
    if group is None:
        return []
    if not isinstance(group, YamlMap):
        report.error(item.line_of("exclude"), "'exclude' must be a mapping like {phrases: [...]}")
        return []
    warn_unknown_keys(report, group, _GROUP_KEYS, f"'exclude' of '{owner.id}'")
    return _group_rules(report, group, owner, weight=1, implies=(), excludes=True)


def _group_rules(report: Report, group: YamlMap, owner: _Owner, weight: int,
                 implies: tuple[str, ...], excludes: bool) -> list[MatchRule]:
    found = []
    for key, kind in (("phrases", "phrase"), ("cased", "cased phrase")):
        for line, text in text_list(report, group, key):
            found.append(_phrase_rule(report, owner, text, line, kind, weight, implies, excludes))
    for line, text in text_list(report, group, "regexes"):
        compiled = compile_regex(text)
        if compiled.problem:
            report.error(line, f"{compiled.problem}: {quoted(text)}")
            continue
        found.append(_rule(owner, "regex", text, line, weight, implies, excludes, compiled))
    return [r for r in found if r]


def _phrase_rule(report: Report, owner: _Owner, text: str, line: int, kind: str, weight: int,
                 implies: tuple[str, ...], excludes: bool) -> MatchRule | None:
    """A phrase, cased phrase or model alias (a phrase that names a model)."""
    compiled = compile_phrase(text, cased=kind == "cased phrase")
    if compiled.problem:
        report.error(line, f"{compiled.problem}: {quoted(text)}")
        return None
    return _rule(owner, kind, text, line, weight, implies, excludes, compiled)


def _rule(owner: _Owner, kind: str, text: str, line: int, weight: int, implies: tuple[str, ...],
          excludes: bool, compiled) -> MatchRule:
    return MatchRule(owner=owner.id, kind=kind, source=text, line=line, weight=weight, implies=implies,
                excludes=excludes, body=compiled.body, description=describe(kind, text), regex=compiled.regex)


def _read_mentions(report: Report, data: YamlMap) -> list[MatchRule]:
    """`mentions:` phrases and regexes whose match is context that only mentions
    hardware ("accelerators such as GPUs and TPUs"): a hardware match they overlap in the
    abstract does not count (`sitegen explain` lists it as mentioned)."""
    group = data.get("mentions")
    if group is None:
        return []
    if not isinstance(group, YamlMap):
        report.error(data.line_of("mentions"), "'mentions' must be a mapping like {phrases: [...], regexes: [...]}")
        return []
    warn_unknown_keys(report, group, _GROUP_KEYS, "'mentions'")
    return _group_rules(report, group, _Owner(MENTION_OWNER, False), weight=1, implies=(), excludes=True)


def _read_reading(report: Report, data: YamlMap) -> Reading:
    """`reading: {counts: [regex], series: [name prefix]}` (see `Reading`)."""
    block = data.get("reading")
    if block is None:
        return Reading()
    if not isinstance(block, YamlMap):
        report.error(data.line_of("reading"), "'reading' must be a mapping like {counts: [...], series: [...]}")
        return Reading()
    warn_unknown_keys(report, block, _READING_KEYS, "'reading'")
    counts = []
    for line, pattern in text_list(report, block, "counts"):
        problem = _count_problem(pattern)
        if problem:
            report.error(line, f"{problem}: {quoted(pattern)}")
        else:
            counts.append(re.compile(f"\\b(?:{pattern})"))
    prefixes = []
    for line, prefix in text_list(report, block, "series"):
        compiled = compile_phrase(prefix, cased=False)
        if compiled.problem:
            report.error(line, f"{compiled.problem}: {quoted(prefix)}")
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


def _aliases(rules: list[MatchRule], model_slugs: set[str]) -> dict[str, MatchRule]:
    """Model aliases by `alias_key`, to read a series ("RTX 4090, 3090")."""
    return {alias_key(rule.source): rule for rule in rules
            if rule.kind == "alias" and rule.owner in model_slugs}


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
