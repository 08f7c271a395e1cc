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
from dataclasses import dataclass
from itertools import accumulate
from typing import Mapping, NamedTuple

from sitegen.taxonomy_regex import NUMBER_KEY, analyse, phrase_first_words

WORD_RE = re.compile(r"[^\W\d_]+|\d+")  # the words of a phrase: letter or digit runs
# Rules are tried where a word starts, words read as `taxonomy_regex` says. This may be
# inside a word ("Mélange" -> "m", "lange"); each rule's own regex checks that its match
# starts and ends at real word boundaries.
_ASCII_WORD_BYTES = bytes(c if 97 <= c <= 122 or 48 <= c <= 57 else 32 for c in range(256))
_DIGITS = re.compile(r"[0-9]+")
MAX_PATTERN_LENGTH = 300  # longer rules are a mistake; and they slow every build

_BEFORE = r"(?<![^\W_])"  # a match starts where a word starts...
_AFTER = r"(?![^\W_])"  # ...and ends where a word ends
_SEPARATORS = re.compile(r"[\s\-]+")


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
    # A phrase of ASCII words with only spaces or hyphens between (then a plural) is also
    # matched without its regex: its (word, glued to the next word) pairs, lowercased
    # unless the phrase is cased; None for other rules.
    plain: tuple[tuple[str, bool], ...] | None = None

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
    plain: tuple[tuple[str, bool], ...] | None = None  # see `Rule.plain`


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
        parts.append(_separator(after, last=index + 1 == len(words), cased=cased))
        separators.append(_separator_kind(after))
    keys = phrase_first_words([w.group() for w in words], separators)
    if keys is None:
        return CompiledRule("", frozenset(), "a phrase must start with a letter A-Z or a digit")
    return CompiledRule("".join(parts), keys, None, plain=_plain_form(words, separators, cased))


def _plain_form(words: list[re.Match], separators: list[str], cased: bool):
    """`Rule.plain` of a phrase: ASCII words only, nothing but spaces or hyphens between
    them, nothing after the last; else None."""
    if "fixed" in separators or not all(w.group().isascii() for w in words):
        return None
    return tuple((w.group() if cased else w.group().lower(), kind == "glued")
                 for w, kind in zip(words, separators))


def _separator_kind(between: str) -> str:
    """"glued" inside a word, "flexible" for spaces and hyphens (may be left out), else
    "fixed" (punctuation that must be there)."""
    if between == "":
        return "glued"
    return "fixed" if _SEPARATORS.sub("", between) else "flexible"


def _caseless(word: str) -> str:
    return f"(?i:{re.escape(word)})" if any(c.isalpha() for c in word) else word


def _separator(between: str, last: bool, cased: bool) -> str:
    """What may stand where the phrase has `between` (the text after one of its words)."""
    if last:
        rest = between.strip()
        plural = r"(?:e?s)?" if cased else r"(?i:e?s)?"
        return plural if not rest else r"\s*" + re.escape(rest)
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
        shape = analyse(pattern)
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return CompiledRule("", frozenset(), f"regex does not compile: {_error_text(exc)}")
    try:
        whole_word(pattern)
    except re.error:
        return CompiledRule("", frozenset(), "regex flags must apply to a group, e.g. (?i:gpu), "
                            "not to the whole pattern")
    if shape.risk:
        return CompiledRule("", frozenset(), f"regex can backtrack catastrophically: {shape.risk}")
    if shape.min_width == 0:
        return CompiledRule("", frozenset(), "regex can match empty text")
    if shape.first_words is None:
        return CompiledRule("", frozenset(), "regex must start with a word or a number "
                            "(rules are indexed by their first word), e.g. 'RTX\\s*40\\d0'")
    return CompiledRule(pattern, shape.first_words, None, groups=shape.groups)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, re.error) and exc.pos is not None:
        return f"{exc.msg} at position {exc.pos}"
    return str(exc) or type(exc).__name__


# --- static analysis of parsed patterns -------------------------------------------------

# --- matching ----------------------------------------------------------------------------


class _Bucket:
    """The rules sharing a first word. A few plain phrases are matched in Python; more
    rules, or any regex, are tried all at once by one regex with an optional lookahead per
    rule, each capturing what its rule matches (one C-level match is much cheaper than
    one per rule, and most occurrences of a common word start no rule at all).

    That regex is compiled on first use: most buckets never meet their word in a build,
    and compiling everything up front would triple the time to load the file."""

    __slots__ = ("rules", "_in_python", "_probe", "_groups")

    def __init__(self, rules: tuple[Rule, ...]):
        self.rules = rules
        self._in_python = len(rules) <= _MOST_PLAIN_RULES and all(rule.plain for rule in rules)
        self._probe: re.Pattern | None = None
        self._groups: tuple[int, ...] = ()  # the probe group capturing each rule's match

    def try_at(self, text: str, lowered: str, start: int) -> list[RuleMatch]:
        """The rules of this bucket that match at `start` (`lowered` is `text` lowercased)."""
        if self._in_python:
            found = []
            for rule in self.rules:
                end = _plain_end(rule, text, lowered, start)
                if end is not None:
                    found.append(RuleMatch(rule, start, end, text[start:end]))
            return found
        probed = (self._probe or self._compile()).match(text, start)
        if probed is None or probed.lastindex is None:
            return []
        found = []
        for rule, group in zip(self.rules, self._groups):
            end = probed.end(group)
            if end >= 0:
                found.append(RuleMatch(rule, start, end, text[start:end]))
        return found

    def _compile(self) -> re.Pattern:
        groups, next_group = [], 1
        for rule in self.rules:
            groups.append(next_group)
            next_group += 1 + rule.groups
        self._groups = tuple(groups)
        lookaheads = "".join(f"(?:(?=({rule.body}){_AFTER}))?" for rule in self.rules)
        self._probe = re.compile(_BEFORE + lookaheads)
        return self._probe


_MOST_PLAIN_RULES = 4  # a bigger bucket is faster as one regex


def _plain_end(rule: Rule, text: str, lowered: str, start: int) -> int | None:
    """Where a plain phrase that starts at `start` ends, or None: what its regex does,
    in Python (words, `[\\s\\-]*` between unglued words, a plural, word boundaries)."""
    if start and text[start - 1].isalnum():
        return None
    seen = text if rule.kind == "cased phrase" else lowered
    at, size = start, len(text)
    for word, glued in rule.plain:
        if not seen.startswith(word, at):
            return None
        at += len(word)
        if not glued:
            while at < size and (text[at].isspace() or text[at] == "-"):
                at += 1
    for plural in ("es", "s", ""):
        end = at + len(plural)
        if seen.startswith(plural, at) and (end == size or not text[end].isalnum()):
            return end
    return None


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
        lowered = lower_same_length(text)
        for start, token in self._words(lowered):
            if token[-1] > "9":  # letters: the common case
                bucket = get(token)
            elif token[0] <= "9":  # a number: rules for it ("2080 Ti") or for any number
                found.extend(_combined(text, lowered, start, get(token), numbers))
                continue
            else:  # letters then digits ("h100"): rules for the whole word or its letters
                found.extend(_combined(text, lowered, start, get(token), get(token.rstrip("0123456789"))))
                continue
            if bucket is not None:
                found.extend(bucket.try_at(text, lowered, start))
        return found

    def _words(self, lowered: str) -> list[tuple[int, str]]:
        """(start, word) for the words of a lowercased text that may start a rule: words
        of letters that are keys, and every number with the letters right before it
        ("h100"). Mostly C-level calls: map all but a-z0-9 to spaces, split, intersect
        with the keys. (So a word glued after a number, like "gpu" in "4090gpu", is not
        looked up.)"""
        ascii_bytes = lowered.encode("ascii", "replace")  # one byte per character
        ascii_text = ascii_bytes.translate(_ASCII_WORD_BYTES).decode("ascii")
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


def _combined(text: str, lowered: str, start: int, *buckets: _Bucket | None) -> list[RuleMatch]:
    """Matches at `start` from several buckets, each rule once (a phrase like "RTX 4090"
    is filed under both "rtx4090" and "rtx")."""
    found: dict[int, RuleMatch] = {}
    for bucket in buckets:
        if bucket is not None:
            for match in bucket.try_at(text, lowered, start):
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
