"""Classify a paper (title + abstract) into topics, hardware and models, keeping the
evidence for every tag; apply a curator's per-paper override on top."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import compress
from operator import attrgetter, itemgetter
from typing import NamedTuple

from sitegen.diagnostics import Diagnostic, error
from sitegen.taxonomy.model import MENTION_OWNER, Taxonomy, TopicScoring, alias_key
from sitegen.taxonomy.rules import MatchRule

FIELDS = ("title", "abstract")
_RULE, _EXCLUDES = itemgetter(3), attrgetter("excludes")  # of a hit, of its rule
CURATOR_FIELD = "note"  # the `field` of evidence that a curator's note added


class Evidence(NamedTuple):
    """Why a tag was given: a rule matched `text` at `start:end` of `field`, or the tag
    was implied by another tag (`implied_by`), or a curator added it. (A named tuple: a
    build makes thousands, and tuples construct three times faster than frozen dataclasses.)"""

    rule: str  # e.g. 'phrase "KV cache"', 'implied by h100', 'added by curator in ...'
    field: str  # "title", "abstract", or CURATOR_FIELD
    start: int
    end: int
    text: str  # the matched text ("" for curator evidence)
    implied_by: str | None = None  # the hardware id or model slug that implied this tag


@dataclass(frozen=True, slots=True)
class Tag:
    """A topic id, hardware id or model slug, with its evidence (direct first)."""

    id: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A rule matched, but an exclusion of the same entry covered the match, or (for
    hardware, in the abstract) a `mentions:` rule did: the hardware is only mentioned."""

    id: str  # the entry the rule would have tagged
    rule: str
    field: str
    start: int
    end: int
    text: str
    excluded_by: str  # the exclusion rule, described
    excluding_text: str  # what the exclusion matched, e.g. "frontier models"


@dataclass(frozen=True, slots=True)
class Tags:
    """Everything a paper is tagged with, each axis in taxonomy file order."""

    topics: tuple[Tag, ...]
    hardware: tuple[Tag, ...]  # includes the family and vendor ids that models imply
    models: tuple[Tag, ...]  # model slugs; names via `Taxonomy.model(slug).name`
    near_misses: tuple[NearMiss, ...]
    mentions: tuple[NearMiss, ...] = ()  # hardware the abstract only mentions: evidence that did not count


@dataclass(frozen=True, slots=True)
class Override:
    """A curator's corrections for one paper (from its note's front matter). Hardware ids
    may also be model slugs."""

    add_topics: tuple[str, ...] = ()
    remove_topics: tuple[str, ...] = ()
    add_hardware: tuple[str, ...] = ()
    remove_hardware: tuple[str, ...] = ()


# A match that counts, inside `classify`: (field, start, end, rule, the text it matched).
# Plain tuples: a build keeps thousands.
_Kept = tuple[str, int, int, MatchRule, str]


@dataclass(frozen=True, slots=True)
class _Found:
    """Matches that count, by owner, the ones an exclusion cancelled, and the hardware
    matches a `mentions:` rule cancelled."""

    matches: dict[str, list[_Kept]]
    near_misses: list[NearMiss]
    mentions: list[NearMiss]


def classify(tax: Taxonomy, title: str, abstract: str, override: Override | None = None, source: str = "") -> Tags:
    """Tag one paper from its title and abstract, and the curator's `override` from the note
    at `source`, if the paper has one (the curator has the last word)."""
    tags = _classify_text(tax, title, abstract)
    return tags if override is None else apply_override(tax, tags, override, source)


def _classify_text(tax: Taxonomy, title: str, abstract: str) -> Tags:
    found = _find(tax, ((FIELDS[0], title or ""), (FIELDS[1], abstract or "")))
    topic_matches: dict[str, list[_Kept]] = {}
    hardware_matches: dict[str, list[_Kept]] = {}
    topic = tax.topic
    for owner, kept in found.matches.items():
        (hardware_matches if topic(owner) is None else topic_matches)[owner] = kept
    hardware_tags, model_tags = _hardware_tags(tax, _longest_models(tax, hardware_matches))
    return Tags(_topic_tags(tax, topic_matches), hardware_tags, model_tags,
                _in_order(tax, found.near_misses), _in_order(tax, found.mentions))


def _in_order(tax: Taxonomy, misses: list[NearMiss]) -> tuple[NearMiss, ...]:
    return tuple(sorted(misses, key=lambda n: (tax.order(n.id), FIELDS.index(n.field), n.start, n.rule)))


def _find(tax: Taxonomy, fields) -> _Found:
    """Rule matches by owner: the first match of each rule in each field (a rule counts
    once per field, and one quote of it is evidence enough), skipping a match that an
    exclusion of the same owner overlaps (a near miss), that a `mentions:` rule overlaps
    in the abstract (hardware only: a mention), or that overlaps a longer match of the
    same owner. Rules are matched on `blank_counts` text; evidence quotes the text itself."""
    matches: dict[str, list[_Kept]] = defaultdict(list)
    near_misses: list[NearMiss] = []
    mentions: list[NearMiss] = []
    for field, text in fields:
        readable = blank_counts(tax, text)
        hits = tax.index.matches(readable)  # in text order, the longer first
        if tax.reading.series and LIST_HINT.search(readable):
            hits = sorted(hits + _series_hits(tax, readable))
        exclusions: dict[str, list] = defaultdict(list)  # owner -> its exclusion hits
        for hit in compress(hits, map(_EXCLUDES, map(_RULE, hits))):
            exclusions[hit[3].owner].append(hit)
        mentioned = exclusions.pop(MENTION_OWNER, ())
        if field == FIELDS[0]:
            mentioned = ()  # a title names what the paper studies: mentions cancel hardware in the abstract only
        kept_until: dict[str, int] = {}
        quoted: set[int] = set()  # the ranks of rules quoted already as kept
        missed: set[int] = set()  # ... as near misses or mentions (a later match may still count)
        for start, minus_end, rank, rule in hits:
            owner = rule.owner
            if rule.excludes or start < kept_until.get(owner, -1):
                continue
            end = -minus_end
            blocker = None
            if owner in exclusions:
                blocker = next((x for x in exclusions[owner] if x[0] < end and start < -x[1]), None)
            if blocker is None and mentioned and tax.topic(owner) is None:
                blocker = next((x for x in mentioned if x[0] < end and start < -x[1]), None)
            if blocker:
                if rank not in missed:
                    missed.add(rank)
                    found = mentions if blocker[3].owner != owner else near_misses
                    found.append(NearMiss(owner, rule.description, field, start, end, text[start:end],
                                          blocker[3].description, text[blocker[0]:-blocker[1]]))
                continue
            kept_until[owner] = end
            if rank not in quoted:
                quoted.add(rank)
                matches[owner].append((field, start, end, rule, text[start:end]))
    return _Found(dict(matches), near_misses, mentions)


def blank_counts(tax: Taxonomy, text: str) -> str:
    """`text` with the glued counts of `reading: counts` blanked out ("8xA100" reads as
    "8 A100"): same length, so positions still quote `text`."""
    for count in tax.reading.counts:
        text = count.sub(lambda m: " " * len(m.group()), text)
    return text


_SERIES_ITEMS = re.compile(r"\d+[A-Za-z]{0,2}(?:\s+Ti\b)?")
LIST_HINT = re.compile(r"\d[A-Za-z]{0,2}(?:\s+Ti)?\s*(?:,|/|&|and|or)\s*(?:and\s+|or\s+)?\d")  # a list of numbers
_SERIES_RANK = 1 << 40  # past every rule's rank: a series hit is quoted on its own


def _series_hits(tax: Taxonomy, text: str) -> list:
    """Hits for the names a list continues ("RTX 4090, 3090": "3090" is the RTX 3090),
    for each `reading: series` prefix and a following number that makes a model alias."""
    hits = []
    for found in tax.reading.series.finditer(text):
        name = found.group("name")
        for item in _SERIES_ITEMS.finditer(text, found.start("more"), found.end("more")):
            rule = tax.aliases.get(alias_key(f"{name} {item.group()}"))
            if rule is not None:
                continued = replace(rule, description=f'{rule.description} (continuing "{name} ...")')
                hits.append((item.start(), -item.end(), _SERIES_RANK + len(hits), continued))
    return hits


def _longest_models(tax: Taxonomy, matches: dict[str, list[_Kept]]) -> dict[str, list[_Kept]]:
    """Where aliases of two models overlap, only the longer names the product: "RTX 2080
    Ti" is not also an "RTX 2080", "Gaudi 2" not also a "Gaudi". On the same text, the
    alias written as matched beats one that only matched with a plural ending: "L40S" is
    the L40S, not two L40s."""
    models = [kept for owner, found in matches.items() if tax.model(owner) for kept in found]
    if len(models) < 2:
        return matches

    def beaten(match: _Kept) -> bool:
        return any(other[0] == match[0] and other[3].owner != match[3].owner and _overlap(other, match)
                   and _strength(other) > _strength(match) for other in models)

    kept = {owner: [m for m in found if not (tax.model(owner) and beaten(m))] for owner, found in matches.items()}
    return {owner: found for owner, found in kept.items() if found}


def _strength(match: _Kept) -> tuple[int, bool]:
    """How well a match names a model: its length, then whether it is the alias as written."""
    return match[2] - match[1], alias_key(match[4]) == alias_key(match[3].source)


def _overlap(a: _Kept, b: _Kept) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def _evidence(found: list[_Kept]) -> tuple[Evidence, ...]:
    return tuple([Evidence(rule.description, field, start, end, text) for field, start, end, rule, text in found])


def _topic_tags(tax: Taxonomy, matches: dict[str, list[_Kept]]) -> tuple[Tag, ...]:
    """Topics with enough points, at most `max_topics` of the best, in file order."""
    scoring = tax.scoring
    scores = {owner: _points(scoring, found) for owner, found in matches.items()}
    bar = max(scoring.threshold, scoring.share_of_best * max(scores.values(), default=0))
    passing = sorted((o for o, s in scores.items() if s >= bar),
                     key=lambda o: (-scores[o], tax.order(o)))[:scoring.max_topics]
    return tuple(Tag(owner, _evidence(matches[owner])) for owner in sorted(passing, key=tax.order))


def _points(scoring: TopicScoring, found: list[_Kept]) -> int:
    """A rule's weight for each field it matched in (`_find` keeps one match per rule and
    field: repeating a word is not more evidence), times `title_weight` in the title."""
    points = 0
    for field, _, _, rule, _ in found:
        points += rule.weight * scoring.title_weight if field == "title" else rule.weight
    return points


def _hardware_tags(tax: Taxonomy, matches: dict[str, list[_Kept]]):
    """Hardware and model tags: what matched, then what each match implies (an entry's
    ancestors and `implies`, a rule group's `implies`), each quoted where it was found;
    minus entries whose `unless` is present."""
    if not matches:
        return (), ()
    direct = {owner: _evidence(found) for owner, found in matches.items()}
    implied: dict[str, dict[str, Evidence]] = defaultdict(dict)  # id -> reason -> evidence, first kept
    for owner, found in matches.items():
        reason = f"implied by {owner}"
        for target in tax.implied[owner]:
            _imply(implied[target], owner, reason, found[0])
        for kept in found:
            rule = kept[3]
            if rule.implies:
                reason = f"implied by {owner} ({rule.description})"
                for target in rule.implies:
                    for implied_id in (target,) + tax.implied[target]:
                        _imply(implied[implied_id], owner, reason, kept)
    present = set(direct) | set(implied)
    ids = sorted((i for i in present if present.isdisjoint(tax.unless.get(i, ()))), key=tax.order)
    tags = [Tag(i, direct.get(i, ()) + tuple(sorted(implied[i].values(), key=_text_order))) for i in ids]
    return (tuple(t for t in tags if tax.model(t.id) is None),
            tuple(t for t in tags if tax.model(t.id) is not None))


def _text_order(evidence: Evidence) -> tuple[int, int, str]:
    return (FIELDS.index(evidence.field), evidence.start, evidence.rule)


def _imply(reasons: dict[str, Evidence], owner: str, reason: str, kept: _Kept) -> None:
    """Quote `kept` as why `owner` implies an id, unless that reason is quoted already."""
    if reason not in reasons:
        field, start, end, _, text = kept
        reasons[reason] = Evidence(reason, field, start, end, text, implied_by=owner)


# --- overrides --------------------------------------------------------------------------


def apply_override(tax: Taxonomy, tags: Tags, override: Override, source: str) -> Tags:
    """Tags after a curator's corrections. Added tags carry "added by curator in
    <source>" (and imply their ancestors); removed tags vanish, and so does whatever only
    they implied. Ids the taxonomy does not know are skipped (`check_override` reports
    them)."""
    added = Evidence(f"added by curator in {source}", CURATOR_FIELD, 0, 0, "")
    topics = {t.id: t for t in tags.topics if t.id not in override.remove_topics}
    for topic_id in override.add_topics:
        if tax.topic(topic_id) is not None:
            topics[topic_id] = _with(topics.get(topic_id), topic_id, added)
    removed = set(override.remove_hardware)
    kept = {}
    for tag in tags.hardware + tags.models:
        evidence = tuple(e for e in tag.evidence if e.implied_by not in removed)
        if tag.id not in removed and evidence:
            kept[tag.id] = Tag(tag.id, evidence)
    for hardware_id in override.add_hardware:
        if hardware_id not in tax.implied:  # neither a hardware id nor a model slug
            continue
        kept[hardware_id] = _with(kept.get(hardware_id), hardware_id, added)
        for target in tax.implied[hardware_id]:
            if target not in removed:
                reason = Evidence(f"implied by {hardware_id} (added by curator in {source})",
                                  CURATOR_FIELD, 0, 0, "", implied_by=hardware_id)
                kept[target] = _with(kept.get(target), target, reason)
    ordered = sorted(kept.values(), key=lambda t: tax.order(t.id))
    return Tags(
        topics=tuple(sorted(topics.values(), key=lambda t: tax.order(t.id))),
        hardware=tuple(t for t in ordered if tax.model(t.id) is None),
        models=tuple(t for t in ordered if tax.model(t.id) is not None),
        near_misses=tags.near_misses,
        mentions=tags.mentions,
    )


def _with(tag: Tag | None, tag_id: str, evidence: Evidence) -> Tag:
    if tag is None:
        return Tag(tag_id, (evidence,))
    return tag if evidence in tag.evidence else Tag(tag_id, tag.evidence + (evidence,))


def check_override(tax: Taxonomy, override: Override, path: str, line: int | None) -> list[Diagnostic]:
    """Errors for ids the taxonomy does not know (with a "did you mean"), and for an id
    both added and removed."""
    topic_ids = [t.id for t in tax.topics]
    hardware_ids = [h.id for h in tax.hardware] + [m.slug for m in tax.models]
    problems = []
    for wanted, known, what in (
        (override.add_topics + override.remove_topics, topic_ids, "topic"),
        (override.add_hardware + override.remove_hardware, hardware_ids, "hardware"),
    ):
        for some_id in wanted:
            if some_id not in known:
                problems.append(error(path, line, f"unknown {what} '{some_id}'{_suggestion(tax, some_id, known)}"))
    for added, dropped in ((override.add_topics, override.remove_topics),
                           (override.add_hardware, override.remove_hardware)):
        for some_id in sorted(set(added) & set(dropped)):
            problems.append(error(path, line, f"'{some_id}' is both added and removed"))
    return problems


def _suggestion(tax: Taxonomy, wrong: str, known: list[str]) -> str:
    """A near id, or the id whose title, name or alias is spelled like `wrong`."""
    by_name = {tax.title_of(i).lower(): i for i in known}
    by_name.update({alias.lower(): m.slug for m in tax.models if m.slug in known for alias in m.aliases})
    guess = by_name.get(wrong.strip().lower())
    if guess is None:
        close = difflib.get_close_matches(wrong.lower(), known, n=1, cutoff=0.6)
        guess = close[0] if close else None
    return f" (did you mean '{guess}'?)" if guess else ""
