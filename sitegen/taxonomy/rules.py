"""Match rules of the taxonomy: phrases and regexes, checked once when the file is loaded,
then found in a text with one pass over its words.

A phrase is written as people write it: letters are case-insensitive (unless the phrase is
"cased"), a space or hyphen between two words also matches no space ("RTX 4090" finds
"RTX4090" and "RTX-4090"), other punctuation must be there, and a trailing plural `s`/`es`
is allowed ("H100" finds "H100s"). Every rule matches whole words only; its meaning is
its whole-word regex (`MatchRule.body` inside `whole_word`), and the index below finds exactly
what running every rule's regex at every position would.

Finding them in a text is `taxonomy.index`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sitegen.taxonomy.patterns import analyse, compile_whole_word

_WORD_PIECES = re.compile(r"([^\W\d_]+|\d+)")  # a phrase split on its words (letter or digit runs), keeping them
MAX_PATTERN_LENGTH = 300  # longer rules are a mistake; and they slow every build

_BEFORE = r"(?<![^\W_])"  # a match starts where a word starts...
_AFTER = r"(?![^\W_])"  # ...and ends where a word ends
SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class CompiledRegex:
    """A rule's whole-word regex, compiled, and the index keys of the words a match can
    start with (NUMBER_KEY: any number)."""

    pattern: re.Pattern
    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class MatchRule:
    """One checked phrase or regex, owned by a topic, hardware entry or model."""

    owner: str  # the topic id, hardware id or model slug this rule is evidence for
    kind: str  # "phrase", "cased phrase", "alias" (a phrase naming a model) or "regex"
    source: str  # the rule as written in the taxonomy file
    line: int  # where it is written
    weight: int  # how much one match counts towards a topic (hardware: always tagged)
    implies: tuple[str, ...]  # hardware ids a match of this rule also tags
    excludes: bool  # True: an exclusion that cancels the owner's matches it overlaps
    body: str  # the regex of the rule itself (what it means; also how duplicates compare)
    description: str  # for people, e.g. `phrase "KV cache"` or `regex /RTX\\s?40[5-9]0/` (see `describe`)
    # Regex rules: compiled when the file is loaded (checking them needs it anyway).
    # Phrases: None; the index reads their words, or compiles them, when first searching.
    regex: CompiledRegex | None = None


def describe(kind: str, source: str) -> str:
    """A rule for people, e.g. `phrase "KV cache"` or `regex /RTX\\s?40[5-9]0/`."""
    return f"regex /{source}/" if kind == "regex" else f'{kind} "{source}"'


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """The regex of a rule as written, or the reason it was refused."""

    body: str
    problem: str | None
    regex: CompiledRegex | None = None  # regex rules only


def whole_word(body: str) -> re.Pattern:
    """A rule body compiled to match whole words only."""
    return re.compile(f"{_BEFORE}(?:{body}){_AFTER}")


# --- checking and compiling one rule ---------------------------------------------------------


def compile_phrase(phrase: str, cased: bool) -> CompiledRule:
    """The whole-word regex body of a phrase, or why it is refused."""
    if not phrase[:1].isalnum():  # the same as: its first word starts at 0
        return CompiledRule("", "a phrase must start with a letter or digit")
    if len(phrase) > MAX_PATTERN_LENGTH:
        return CompiledRule("", f"phrase longer than {MAX_PATTERN_LENGTH} characters")
    first = phrase[0].lower()
    if not ("0" <= first <= "9" or "a" <= first <= "z"):  # its first word could never be looked up
        return CompiledRule("", "a phrase must start with a letter A-Z or a digit")
    words, afters = phrase_words(phrase)
    parts = []
    for index, (word, after) in enumerate(zip(words, afters)):
        parts.append(word if cased else _caseless(word))  # a word has no regex syntax to escape
        parts.append(_separator(after, last=index + 1 == len(words), cased=cased))
    return CompiledRule("".join(parts), None)


def phrase_words(phrase: str) -> tuple[list[str], list[str]]:
    """The words of a phrase that starts with one, and the text after each."""
    pieces = _WORD_PIECES.split(phrase)  # "", word, after, word, after, ...
    return pieces[1::2], pieces[2::2]


def separator_kind(between: str) -> str:
    """"glued" inside a word, "flexible" for spaces and hyphens (may be left out), else
    "fixed" (punctuation that must be there)."""
    if between == "":
        return "glued"
    return "fixed" if SEPARATORS.sub("", between) else "flexible"


@cache  # few distinct words, fewer separators: loading asks for each many times
def _caseless(word: str) -> str:
    return f"(?i:{word})" if any(c.isalpha() for c in word) else word


@cache
def _separator(between: str, last: bool, cased: bool) -> str:
    """What may stand where the phrase has `between` (the text after one of its words)."""
    if last:
        rest = between.strip()
        plural = r"(?:e?s)?" if cased else r"(?i:e?s)?"
        return plural if not rest else r"\s*" + re.escape(rest)
    if between == "":
        return ""  # inside a word ("H100"): nothing may be inserted
    punctuation = SEPARATORS.sub("", between)
    if not punctuation:
        return r"[\s\-]*"
    return r"\s*" + r"\s*".join(re.escape(c) for c in punctuation) + r"\s*"


REGEX_ERRORS = (re.error, RecursionError, OverflowError)


def compile_regex(pattern: str) -> CompiledRule:
    """Check a curator regex; return it compiled to match whole words, with its first
    words, or the problem."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return CompiledRule("", f"regex longer than {MAX_PATTERN_LENGTH} characters")
    try:
        shape = analyse(pattern)
    except REGEX_ERRORS as exc:
        return CompiledRule("", f"regex does not compile: {_error_text(exc)}")
    try:
        compiled = compile_whole_word(pattern, shape)
    except REGEX_ERRORS:
        try:  # is the pattern itself wrong, or only as part of a bigger one?
            re.compile(pattern)
        except REGEX_ERRORS as exc:
            return CompiledRule("", f"regex does not compile: {_error_text(exc)}")
        return CompiledRule("", "regex flags must apply to a group, e.g. (?i:gpu), not to the whole pattern")
    if shape.risk:
        return CompiledRule("", f"regex can backtrack catastrophically: {shape.risk}")
    if shape.min_width == 0:
        return CompiledRule("", "regex can match empty text")
    if shape.first_words is None:
        return CompiledRule("", "regex must start with a word or a number "
                            "(rules are indexed by their first word), e.g. 'RTX\\s*40\\d0'")
    return CompiledRule(pattern, None, CompiledRegex(compiled, shape.first_words))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, re.error) and exc.pos is not None:
        return f"{exc.msg} at position {exc.pos}"
    return str(exc) or type(exc).__name__
