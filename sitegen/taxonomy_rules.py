"""Match rules of the taxonomy: phrases and regexes, checked and compiled once, then found
in a text with one pass over its words.

Every rule matches whole words only and is indexed by the words it can start with, so
classifying a text costs one dictionary lookup per word plus an anchored regex match
where a rule's first word occurs (one big alternation is ~100x slower in Python's `re`).

A phrase is written as people write it: letters are case-insensitive (unless the phrase is
"cased"), a space or hyphen between two words also matches no space ("RTX 4090" finds
"RTX4090" and "RTX-4090"), other punctuation must be there, and a trailing plural `s`/`es`
is allowed ("H100" finds "H100s").
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # no public regex AST; needed to analyse patterns
import re._parser as sre_parser
from dataclasses import dataclass
from itertools import accumulate
from typing import Mapping, NamedTuple

WORD_RE = re.compile(r"[^\W\d_]+|\d+")  # the words of a phrase: letter or digit runs
# Rules are tried where a word starts, words being read in the lowercased text as ASCII
# letters maybe followed by digits ("h100", "rtx4090"), or digits: [a-z]+[0-9]*|[0-9]+.
# This may start inside a word ("Mélange" -> "m", "lange"); each rule's own regex checks
# that its match starts and ends at real word boundaries.
_ASCII_WORD_BYTES = bytes(c if 97 <= c <= 122 or 48 <= c <= 57 else 32 for c in range(256))
_DIGITS = re.compile(r"[0-9]+")
NUMBER_KEY = "#"  # index key for rules that start with any number (a digit class)
MAX_PATTERN_LENGTH = 300  # longer rules are a mistake; and they slow every build
MAX_INDEX_KEYS = 64  # a regex that can start with more first words than this is refused

_BEFORE = r"(?<![^\W_])"  # a match starts where a word starts...
_AFTER = r"(?![^\W_])"  # ...and ends where a word ends
_SEPARATORS = re.compile(r"[\s\-]+")
_PLURAL = r"(?:e?s)?"


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled phrase or regex, owned by a topic, hardware entry or model."""

    owner: str  # the topic id, hardware id or model slug this rule is evidence for
    kind: str  # "phrase", "cased phrase", "alias" (a phrase naming a model) or "regex"
    source: str  # the rule as written in the taxonomy file
    line: int  # where it is written
    weight: int  # how much one match counts towards a topic (hardware: always tagged)
    implies: tuple[str, ...]  # hardware ids a match of this rule also tags
    excludes: bool  # True: an exclusion that cancels the owner's matches it overlaps
    body: str  # the regex of the rule itself
    groups: int  # capturing groups in `body`
    keys: frozenset[str]  # the first words it is indexed by (NUMBER_KEY: any number)

    def describe(self) -> str:
        """Human-readable, e.g. `phrase "KV cache"` or `regex /RTX\\s?40[5-9]0/`."""
        if self.kind == "regex":
            return f"regex /{self.source}/"
        return f'{self.kind} "{self.source}"'


class RuleMatch(NamedTuple):
    """One place where a rule matched. (A named tuple: thousands are made per build, and
    tuples construct several times faster than frozen dataclasses.)"""

    rule: Rule
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """The regex of a rule and its index keys, or the reason it was refused."""

    body: str
    keys: frozenset[str]
    problem: str | None
    groups: int = 0  # capturing groups in `body` (phrases have none)


def whole_word(body: str) -> re.Pattern:
    """A rule body compiled to match whole words only."""
    return re.compile(f"{_BEFORE}(?:{body}){_AFTER}")


def compile_phrase(phrase: str, cased: bool) -> CompiledRule:
    """The whole-word regex for a phrase, and the first word it is indexed by."""
    words = list(WORD_RE.finditer(phrase))
    if not words or words[0].start() != 0:
        return CompiledRule("", frozenset(), "a phrase must start with a letter or digit")
    if len(phrase) > MAX_PATTERN_LENGTH:
        return CompiledRule("", frozenset(), f"phrase longer than {MAX_PATTERN_LENGTH} characters")
    parts, separators = [], []
    for index, word in enumerate(words):
        text = word.group()
        parts.append(re.escape(text) if cased else _caseless(text))
        after = phrase[word.end():words[index + 1].start()] if index + 1 < len(words) else phrase[word.end():]
        parts.append(_separator(after, last=index + 1 == len(words)))
        separators.append(_separator_kind(after))
    try:
        keys = _phrase_keys([w.group() for w in words], separators)
    except _Unlistable:  # starts with a letter that is not A-Z
        return CompiledRule("", frozenset(), "a phrase must start with a letter A-Z or a digit")
    return CompiledRule("".join(parts), keys, None)


def _separator_kind(between: str) -> str:
    """"glued" inside a word, "flexible" for spaces and hyphens (may be left out), else
    "fixed" (punctuation that must be there)."""
    if between == "":
        return "glued"
    return "fixed" if _SEPARATORS.sub("", between) else "flexible"


def _phrase_keys(words: list[str], separators: list[str]) -> frozenset[str]:
    """The first words (as a text's words are read) of every way of writing the phrase:
    each flexible separator present or left out ("TPU v4", "TPUv4"), plural or not. The
    same as `first_words` of the phrase's regex, without parsing it (loading is faster)."""
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

    walk(0, "")
    return frozenset(keys)


def _append(prefix: str, text: str) -> tuple[str, bool]:
    """`_extend` for each character of `text`, until the first word is complete."""
    for char in text:
        prefix, done = _extend(prefix, char)
        if done:
            return prefix, True
    return prefix, False


def _caseless(word: str) -> str:
    return f"(?i:{re.escape(word)})" if any(c.isalpha() for c in word) else word


def _separator(between: str, last: bool) -> str:
    """What may stand where the phrase has `between` (the text after one of its words)."""
    if last:
        rest = between.strip()
        return _PLURAL if not rest else r"\s*" + re.escape(rest)
    if between == "":
        return ""  # inside a word ("H100"): nothing may be inserted
    punctuation = _SEPARATORS.sub("", between)
    if not punctuation:
        return r"[\s\-]*"
    return r"\s*" + r"\s*".join(re.escape(c) for c in punctuation) + r"\s*"


def compile_regex(pattern: str) -> CompiledRule:
    """Check a curator regex; return its whole-word form and first words, or the problem."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return CompiledRule("", frozenset(), f"regex longer than {MAX_PATTERN_LENGTH} characters")
    try:
        parsed = sre_parser.parse(pattern)
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return CompiledRule("", frozenset(), f"regex does not compile: {_error_text(exc)}")
    try:
        whole_word(pattern)
    except re.error:
        return CompiledRule("", frozenset(), "regex flags must apply to a group, e.g. (?i:gpu), "
                            "not to the whole pattern")
    risk = backtracking_risk(list(parsed))
    if risk:
        return CompiledRule("", frozenset(), f"regex can backtrack catastrophically: {risk}")
    if parsed.getwidth()[0] == 0:
        return CompiledRule("", frozenset(), "regex can match empty text")
    keys = first_words(list(parsed))
    if keys is None:
        return CompiledRule("", frozenset(), "regex must start with a word or a number "
                            "(rules are indexed by their first word), e.g. 'RTX\\s*40\\d0'")
    return CompiledRule(pattern, keys, None, groups=parsed.state.groups - 1)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, re.error) and exc.pos is not None:
        return f"{exc.msg} at position {exc.pos}"
    return str(exc) or type(exc).__name__


# --- static analysis of parsed patterns -------------------------------------------------

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
                shortest, longest = _width(list(body))
                if shortest != longest:
                    return "a repetition of something that can match in different lengths, like (a+)+ or (a|ab)*"
                if _has_overlapping_branches(list(body)):
                    return "overlapping alternatives inside a repetition, like (a|a)*"
            found = backtracking_risk(list(body))
        elif op is sre_constants.BRANCH:
            found = next(filter(None, (backtracking_risk(list(b)) for b in av[1])), None)
        elif op is sre_constants.SUBPATTERN:
            found = backtracking_risk(list(av[3]))
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            found = backtracking_risk(list(av[1]))
        else:
            found = None
        if found:
            return found
    return None


def _children(op, av) -> list[list]:
    if op in _REPEATS:
        return [list(av[2])]
    if op is sre_constants.BRANCH:
        return [list(b) for b in av[1]]
    if op is sre_constants.SUBPATTERN:
        return [list(av[3])]
    return []


def _has_overlapping_branches(items: list) -> bool:
    for op, av in items:
        if op is sre_constants.BRANCH:
            starts = [(_first_chars(list(b)), _width(list(b))[0] == 0) for b in av[1]]
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
            low, high = _width(list(av[2]))
            shortest += av[0] * low
            longest += min(av[1] * high, sre_constants.MAXREPEAT)
        elif op is sre_constants.BRANCH:
            widths = [_width(list(b)) for b in av[1]]
            shortest += min(w[0] for w in widths)
            longest += max(w[1] for w in widths)
        elif op is sre_constants.SUBPATTERN:
            low, high = _width(list(av[3]))
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
            return _first_chars(list(av[3]))
        if op is sre_constants.BRANCH:
            sets = [_first_chars(list(b)) for b in av[1]]
            return None if None in sets else frozenset().union(*sets)
        if op in _REPEATS and av[0] > 0:
            return _first_chars(list(av[2]))
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
        return _advance(list(av[3]), states)
    if op is sre_constants.BRANCH:
        return set().union(*(_advance(list(b), states) for b in av[1]))
    if op in _REPEATS:
        low, high, body = av
        once = _advance(list(body), states)
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


# --- matching ----------------------------------------------------------------------------


class _Bucket:
    """The rules sharing a first word, tried all at once by one regex: one optional
    lookahead per rule, each capturing what its rule matches. Most occurrences of a
    common word ("a", "GPU", a number) start no rule, and one C-level match is much
    cheaper than one per rule.

    The regex is compiled on first use: most buckets never meet their word in a build,
    and compiling everything up front would triple the time to load the file. A bucket
    holding just one plain word ("offloading", cased "Frontier") needs no regex at all:
    finding its word already matched it, up to letter case and word boundaries."""

    __slots__ = ("rules", "_plain", "_probe", "_groups")

    def __init__(self, rules: tuple[Rule, ...]):
        self.rules = rules
        self._plain = len(rules) == 1 and _is_plain_word(rules[0])
        self._probe: re.Pattern | None = None
        self._groups: tuple[int, ...] = ()  # the probe group capturing each rule's match

    def try_at(self, text: str, start: int, word: str) -> list[RuleMatch]:
        """The rules of this bucket that match at `start`, where `word` was found."""
        if self._plain:
            return self._try_plain(text, start, start + len(word))
        probed = (self._probe or self._compile()).match(text, start)
        if probed is None or probed.lastindex is None:
            return []
        found = []
        for rule, group in zip(self.rules, self._groups):
            end = probed.end(group)
            if end >= 0:
                found.append(RuleMatch(rule, start, end, text[start:end]))
        return found

    def _try_plain(self, text: str, start: int, end: int) -> list[RuleMatch]:
        if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            return []  # the word goes on beyond A-Z: "Mélange", "naïve"
        rule, matched = self.rules[0], text[start:end]
        if rule.kind == "cased phrase" and matched not in (rule.source, rule.source + "s", rule.source + "es"):
            return []
        return [RuleMatch(rule, start, end, matched)]

    def _compile(self) -> re.Pattern:
        groups, next_group = [], 1
        for rule in self.rules:
            groups.append(next_group)
            next_group += 1 + rule.groups
        self._groups = tuple(groups)
        lookaheads = "".join(f"(?:(?=({rule.body}){_AFTER}))?" for rule in self.rules)
        self._probe = re.compile(_BEFORE + lookaheads)
        return self._probe


def _is_plain_word(rule: Rule) -> bool:
    """A phrase of ASCII letters only: its keys are the word and its plurals."""
    return rule.kind != "regex" and rule.source.isascii() and rule.source.isalpha()


@dataclass(frozen=True, slots=True)
class RuleIndex:
    """Rules by the index key of their first word."""

    by_key: Mapping[str, _Bucket]
    letter_keys: frozenset[str]  # the keys that are letters only

    def matches(self, text: str) -> list[RuleMatch]:
        """Every match of every rule in `text`."""
        found: list[RuleMatch] = []
        get = self.by_key.get
        numbers = get(NUMBER_KEY)
        for start, token in self._words(text):
            if token[-1] > "9":  # letters: the common case
                bucket = get(token)
            elif token[0] <= "9":  # a number: rules for it ("2080 Ti") or for any number
                found.extend(_combined(text, start, (token, get(token)), (token, numbers)))
                continue
            else:  # letters then digits ("h100"): rules for the whole word or its letters
                letters = token.rstrip("0123456789")
                found.extend(_combined(text, start, (token, get(token)), (letters, get(letters))))
                continue
            if bucket is not None:
                found.extend(bucket.try_at(text, start, token))
        return found

    def _words(self, text: str) -> list[tuple[int, str]]:
        """(start, word) for the words of `text` that may start a rule: words of letters
        that are keys, and every number with the letters right before it ("h100"). Mostly
        C-level calls: map all but a-z0-9 to spaces, split, intersect with the keys. (So a
        word glued after a number, like "gpu" in "4090gpu", is not looked up.)"""
        ascii_text = lower_same_length(text).encode("ascii", "replace").translate(_ASCII_WORD_BYTES).decode("ascii")
        parts = ascii_text.split(" ")
        wanted = self.letter_keys.intersection(parts)
        words = []
        if wanted:
            ends = list(accumulate(map(len, parts)))
            for index in [i for i, part in enumerate(parts) if part in wanted]:
                words.append((ends[index] - len(parts[index]) + index, parts[index]))  # a space before each part
        for run in _DIGITS.finditer(ascii_text):  # numbers, and letters+digits ("h100")
            start = run.start()
            while start and "a" <= ascii_text[start - 1] <= "z":
                start -= 1
            words.append((start, ascii_text[start:run.end()]))
        return words


def _combined(text: str, start: int, *lookups: tuple[str, _Bucket | None]) -> list[RuleMatch]:
    """Matches at `start` from the buckets of several (word, bucket) lookups, each rule
    once (a phrase like "RTX 4090" is filed under both "rtx4090" and "rtx")."""
    found: dict[int, RuleMatch] = {}
    for word, bucket in lookups:
        if bucket is not None:
            for match in bucket.try_at(text, start, word):
                found.setdefault(id(match.rule), match)
    return list(found.values())


def lower_same_length(text: str) -> str:
    """`text.lower()`, except letters whose lowercase is longer stay as they are, so
    positions in the result are positions in `text`."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def build_index(rules: list[Rule]) -> RuleIndex:
    by_key: dict[str, list[Rule]] = {}
    for rule in rules:
        for key in sorted(rule.keys):
            by_key.setdefault(key, []).append(rule)
    shared: dict[tuple[int, ...], _Bucket] = {}  # keys with the same rules share one bucket
    buckets = {}
    for key, found in by_key.items():
        identity = tuple(id(r) for r in found)
        if identity not in shared:
            shared[identity] = _Bucket(tuple(found))
        buckets[key] = shared[identity]
    return RuleIndex(buckets, frozenset(key for key in buckets if key.isalpha()))
