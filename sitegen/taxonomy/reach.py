"""What a taxonomy edit can change: the texts whose tags a changed rule can reach.

The watch loop (`kept.Memo.classify`) classifies again only the texts `reaches` accepts, and
keeps the tags of the others, which equal a full classification because, apart from where a
changed rule matches, they meet the same hits in the same order."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sitegen.taxonomy.classify import LIST_HINT, blank_counts
from sitegen.taxonomy.index import rank_order, reach_pattern, rule_keys, text_words
from sitegen.taxonomy.model import Taxonomy
from sitegen.taxonomy.rules import MatchRule


@dataclass(frozen=True, slots=True)
class Reach:
    """The texts a taxonomy edit can tag differently: those with a word `words` finds (where
    the index meets a rule added, removed or edited, old or new: `reach_pattern`), and,
    when a model alias changed, those that continue a `series` (a list reads aliases that
    its words need not start)."""

    words: re.Pattern[bytes]
    series: re.Pattern | None


def edit_reach(old: Taxonomy, new: Taxonomy) -> Reach | None:
    """What classifying with `new` instead of `old` can change, for texts without a
    curator's override (an override reads ids that an edit may add or remove); None
    when the edit is not local: the scoring, the reading of counts and series, the order,
    kind, implications or `unless` of an id both have, or the order of unchanged rules
    among themselves differ. Apart from where a changed rule matches, a text then meets
    the same hits in the same order, and `classify` reads nothing else of the taxonomy."""
    if (old.scoring != new.scoring or _patterns(old.reading.counts) != _patterns(new.reading.counts)
            or _patterns((old.reading.series,)) != _patterns((new.reading.series,))
            or _common_ids(old, new) != _common_ids(new, old)):
        return None
    before, after = Counter(map(_rule_identity, old.rules)), Counter(map(_rule_identity, new.rules))
    changed = (before - after) + (after - before)
    if _unchanged_in_rank_order(old, changed) != _unchanged_in_rank_order(new, changed):
        return None
    rules = [rule for rule in old.rules + new.rules if _rule_identity(rule) in changed]
    aliases = any(rule.kind == "alias" for rule in rules)
    return Reach(reach_pattern(frozenset().union(*map(rule_keys, rules))), new.reading.series if aliases else None)


def reaches(tax: Taxonomy, reach: Reach, title: str, abstract: str) -> bool:
    """True when an edit of that `reach` can change the tags of this paper's text."""
    for text in (title or "", abstract or ""):
        readable = blank_counts(tax, text)
        if reach.words.search(b" " + text_words(readable) + b" "):
            return True
        if reach.series and LIST_HINT.search(readable) and reach.series.search(readable):  # as `_find` reads
            return True
    return False


def _patterns(patterns) -> tuple:
    return tuple((p.pattern, p.flags) if p is not None else None for p in patterns)


def _common_ids(tax: Taxonomy, other: Taxonomy) -> list[tuple]:
    """The ids `tax` shares with `other`, in `tax`'s order, with all `classify` reads of them."""
    shared = set(_ids(other))
    return [(i, tax.topic(i) is None, tax.model(i) is None, tax.implied.get(i), tax.unless.get(i, ()))
            for i in _ids(tax) if i in shared]


def _ids(tax: Taxonomy) -> list[str]:
    return [t.id for t in tax.topics] + [h.id for h in tax.hardware] + [m.slug for m in tax.models]


def _rule_identity(rule: MatchRule) -> tuple:
    """A rule as tags can show it: everything but its line (an edit above it moves it)."""
    return (rule.owner, rule.kind, rule.source, rule.weight, rule.implies, rule.excludes, rule.body,
            rule.description)


def _unchanged_in_rank_order(tax: Taxonomy, changed: Counter) -> list[tuple]:
    """The unchanged rules in the order the index ranks rules (ties at one place in a text
    are kept in that order)."""
    return [identity for identity in map(_rule_identity, rank_order(tax.rules)) if identity not in changed]
