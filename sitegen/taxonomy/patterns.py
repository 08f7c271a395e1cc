"""Static analysis of the taxonomy's regexes: could a pattern backtrack catastrophically,
and which words can a match start with (rules are indexed by them).

Python has no public regex syntax tree; `re._parser` is the one `re` itself uses, stable
across the 3.11+ versions this project supports. Its nodes' items are read from `.data`
(a list) rather than by indexing the node, which runs Python code per item.

How a text's words are read for the index: lowercased, runs of ASCII letters maybe
followed by digits ("h100", "rtx4090"), or of digits ("2080", the "3" of "3D").
"""

from __future__ import annotations

import re
import re._compiler as sre_compiler
import re._constants as sre_constants
import re._parser as sre_parser
from dataclasses import dataclass, field

NUMBER_KEY = "#"  # the index key of rules that start with any number (a digit class)
MAX_INDEX_KEYS = 64  # a regex that can start with more first words than this is refused


@dataclass(frozen=True, slots=True)
class RegexShape:
    """What the taxonomy needs to know about a regex before it accepts it."""

    groups: int  # capturing groups
    min_width: int  # 0: it can match empty text
    risk: str | None  # why it could backtrack catastrophically
    first_words: frozenset[str] | None  # None: too many or unknown
    tree: sre_parser.SubPattern = field(repr=False, compare=False)  # the parsed pattern


def analyse(pattern: str) -> RegexShape:
    """The shape of a pattern; raises `re.error` (or RecursionError) like `re.compile`."""
    tree = sre_parser.parse(pattern)
    items = tree.data
    return RegexShape(groups=tree.state.groups - 1, min_width=tree.getwidth()[0],
                      risk=backtracking_risk(items), first_words=first_words(items), tree=tree)


_WORD_EDGES = (sre_parser.parse(r"(?<![^\W_])")[0], sre_parser.parse(r"(?![^\W_])")[0])  # see whole_word
# A pattern that opens with global flags, "(?i)kv": they may not stand inside a group.
_GLOBAL_FLAGS = re.compile(r"(?:\(\?#[^)]*\))*\(\?[aiLmsux]+\)")


def compile_whole_word(pattern: str, shape: RegexShape) -> re.Pattern:
    """`pattern` compiled to match whole words only, as `(?<![^\\W_])(?:pattern)(?![^\\W_])`,
    from the tree `analyse` parsed (so it is not parsed twice). Raises `re.error` like
    `re.compile` of that text would, also for global flags ("(?i)kv")."""
    if _GLOBAL_FLAGS.match(pattern):
        raise re.error("global flags not at the start of the expression")
    before, after = _WORD_EDGES
    wrapped = sre_parser.SubPattern(shape.tree.state, [before, (sre_constants.SUBPATTERN, (None, 0, 0, shape.tree)), after])
    return sre_compiler.compile(wrapped)


_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT)
_MANY = 10  # a repetition allowing more than this many rounds counts as unbounded


def backtracking_risk(items: list) -> str | None:
    """Why the pattern can take exponential time, or None.

    Flags the shapes behind catastrophic backtracking, conservatively: an unbounded
    repetition of something that can match in different lengths (`(a+)+`, `(\\w+\\s?)*`,
    `(a|ab|b)*`), or of alternatives that can start the same way (`(a|a)*`).
    """
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if high > _MANY and op is not sre_constants.POSSESSIVE_REPEAT:
                shortest, longest = _width(body.data)
                if shortest != longest:
                    return "a repetition of something that can match in different lengths, like (a+)+ or (a|ab)*"
                if _has_overlapping_branches(body.data):
                    return "overlapping alternatives inside a repetition, like (a|a)*"
            found = backtracking_risk(body.data)
        elif op is sre_constants.BRANCH:
            found = next(filter(None, (backtracking_risk(b.data) for b in av[1])), None)
        elif op is sre_constants.SUBPATTERN:
            found = backtracking_risk(av[3].data)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            found = backtracking_risk(av[1].data)
        else:
            found = None
        if found:
            return found
    return None


def _children(op, av) -> list[list]:
    if op in _REPEATS:
        return [av[2].data]
    if op is sre_constants.BRANCH:
        return [b.data for b in av[1]]
    if op is sre_constants.SUBPATTERN:
        return [av[3].data]
    return []


def _has_overlapping_branches(items: list) -> bool:
    for op, av in items:
        if op is sre_constants.BRANCH:
            starts = [(_first_chars(b.data), _width(b.data)[0] == 0) for b in av[1]]
            for i, (a, a_empty) in enumerate(starts):
                for b, b_empty in starts[i + 1:]:
                    if a is None or b is None or a & b or (a_empty and b_empty):
                        return True
        if any(_has_overlapping_branches(child) for child in _children(op, av)):
            return True
    return False


def _width(items: list) -> tuple[int, int]:
    """The fewest and most characters `items` can match (the most capped at MAXREPEAT)."""
    shortest = longest = 0
    for op, av in items:
        if op in _REPEATS:
            low, high = _width(av[2].data)
            shortest += av[0] * low
            longest += min(av[1] * high, sre_constants.MAXREPEAT)
        elif op is sre_constants.BRANCH:
            widths = [_width(b.data) for b in av[1]]
            shortest += min(w[0] for w in widths)
            longest += max(w[1] for w in widths)
        elif op is sre_constants.SUBPATTERN:
            low, high = _width(av[3].data)
            shortest, longest = shortest + low, longest + high
        elif op is sre_constants.GROUPREF:
            longest = sre_constants.MAXREPEAT  # a back-reference can be anything
        elif op not in _ZERO_WIDTH:
            shortest, longest = shortest + 1, longest + 1
    return shortest, min(longest, sre_constants.MAXREPEAT)


def _first_chars(items: list) -> frozenset[int] | None:
    """The characters a match of `items` can start with; None when too many to list."""
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is sre_constants.LITERAL:
            return frozenset({av})
        if op is sre_constants.IN:
            return _charset(av)
        if op is sre_constants.SUBPATTERN:
            return _first_chars(av[3].data)
        if op is sre_constants.BRANCH:
            sets = [_first_chars(b.data) for b in av[1]]
            return None if None in sets else frozenset().union(*sets)
        if op in _REPEATS and av[0] > 0:
            return _first_chars(av[2].data)
        return None
    return frozenset()


def _charset(av) -> frozenset[int] | None:
    chars: set[int] = set()
    for op, value in av:
        if op is sre_constants.LITERAL:
            chars.add(value)
        elif op is sre_constants.RANGE and value[1] - value[0] < 64:
            chars.update(range(value[0], value[1] + 1))
        else:
            return None
    return frozenset(chars)


def first_words(items: list) -> frozenset[str] | None:
    """The index keys of the words a match can start with, or None if not listable."""
    try:
        states = _advance(items, {("", False)})
    except _Unlistable:
        return None
    words = {prefix for prefix, _ in states}
    if "" in words or len(words) > MAX_INDEX_KEYS:
        return None
    return frozenset(words)  # already lowercase ASCII words, or NUMBER_KEY


class _Unlistable(Exception):
    """The first words of a pattern cannot be listed (too many, or unknown length)."""


def _advance(items: list, states: set[tuple[str, bool]]) -> set[tuple[str, bool]]:
    """Walk `items` from each (first-word-so-far, word-complete) state."""
    for op, av in items:
        open_states = {s for s in states if not s[1]}
        if not open_states:
            break
        states = (states - open_states) | _step(op, av, open_states)
        if len(states) > MAX_INDEX_KEYS:
            raise _Unlistable
    return states


def _step(op, av, states: set[tuple[str, bool]]) -> set[tuple[str, bool]]:
    if op in _ZERO_WIDTH:
        return states
    if op is sre_constants.LITERAL:
        return {_extend(prefix, chr(av)) for prefix, _ in states}
    if op is sre_constants.IN:
        return {state for prefix, _ in states for state in _after_set(prefix, av)}
    if op is sre_constants.SUBPATTERN:
        return _advance(av[3].data, states)
    if op is sre_constants.BRANCH:
        return set().union(*(_advance(b.data, states) for b in av[1]))
    if op in _REPEATS:
        low, high, body = av
        once = _advance(body.data, states)
        if high > 1 and any(not done and prefix != NUMBER_KEY for prefix, done in once):
            raise _Unlistable  # the first word could grow with every round
        return once if low > 0 else states | once
    raise _Unlistable


def _extend(prefix: str, char: str) -> tuple[str, bool]:
    """Add one character to the first word, the way a text's words are read: letters,
    then maybe digits ("h100", "rtx4090"); or digits ("2080", "3" of "3D")."""
    char = char.lower()
    if "0" <= char <= "9":
        return (prefix, False) if prefix == NUMBER_KEY else (prefix + char, False)
    if not "a" <= char <= "z":  # punctuation, or a letter that is not A-Z
        if not prefix:
            raise _Unlistable  # not at a word start
        return (prefix, True)
    if prefix == NUMBER_KEY or prefix[-1:].isdigit():
        return (prefix, True)
    return (prefix + char, False)


def _after_set(prefix: str, av) -> set[tuple[str, bool]]:
    """The first-word states after a character set. A set of digits after letters ends
    the known part: the word is indexed by its letters, which a text's "rtx4090" is also
    looked up by; a number whose digits are not all known is indexed as NUMBER_KEY, which
    every number is also looked up by. Other sets are listed when small, else must be
    non-word characters."""
    kinds = {_member_kind(op, value) for op, value in av}
    if kinds == {"digit"}:
        if prefix[:1].isalpha():
            return {(prefix.rstrip("0123456789"), True)}
        return {(NUMBER_KEY, False)}
    chars = _charset(av)
    if chars is not None:
        return {_extend(prefix, chr(c)) for c in chars}
    if kinds == {"separator"} and prefix:
        return {(prefix, True)}
    raise _Unlistable


def _member_kind(op, value) -> str | None:
    if op is sre_constants.CATEGORY:
        return {sre_constants.CATEGORY_DIGIT: "digit", sre_constants.CATEGORY_SPACE: "separator"}.get(value)
    if op is sre_constants.LITERAL:
        char = chr(value)
        return "digit" if char.isdigit() else None if char.isalpha() else "separator"
    if op is sre_constants.RANGE:
        low, high = chr(value[0]), chr(value[1])
        return "digit" if "0" <= low <= high <= "9" else None
    return None


def phrase_first_words(words: list[str], separators: list[str]) -> frozenset[str] | None:
    """The first words of every way of writing a phrase, given its words and what follows
    each ("glued", "flexible" or "fixed"): each flexible separator present or left out
    ("TPU v4", "TPUv4"), plural or not; None if it does not start with A-Z or a digit.
    The same as `first_words` of the phrase's regex, without parsing it (loads faster)."""
    keys: set[str] = set()

    def walk(index: int, prefix: str) -> None:
        prefix, done = _append(prefix, words[index])
        if done:
            keys.add(prefix)
            return
        kind = separators[index]
        if index + 1 == len(words):
            keys.add(prefix)
            if kind == "glued":  # nothing after the last word: a plural may follow
                keys.update(_append(prefix, suffix)[0] for suffix in ("s", "es"))
            return
        if kind != "glued":  # the separator is written: the first word ends here
            keys.add(prefix)
        if kind != "fixed":  # inside a word, or a space or hyphen left out
            walk(index + 1, prefix)

    try:
        walk(0, "")
    except _Unlistable:  # starts with a letter that is not A-Z
        return None
    return frozenset(keys)


def _append(prefix: str, text: str) -> tuple[str, bool]:
    """`_extend` for each character of `text`, until the first word is complete."""
    for char in text:
        prefix, done = _extend(prefix, char)
        if done:
            return prefix, True
    return prefix, False
