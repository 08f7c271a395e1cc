"""Match rules of the taxonomy: phrases and regexes, checked once when the file is loaded,
then found in a text with one pass over its words.

A phrase is written as people write it: letters are case-insensitive (unless the phrase is
"cased"), a space or hyphen between two words also matches no space ("RTX 4090" finds
"RTX4090" and "RTX-4090"), other punctuation must be there, and a trailing plural `s`/`es`
is allowed ("H100" finds "H100s"). Every rule matches whole words only; its meaning is
its whole-word regex (`Rule.body` inside `whole_word`), and the index below finds exactly
what running every rule's regex at every position would.

How a text is searched (`RuleIndex.matches`): it is folded once (lowercase, same length)
and cut into words, runs of a-z and 0-9, by C-level calls. A phrase of ASCII words with
only spaces or hyphens between them (nearly all of them) is then a sequence of such words:
"KV cache" is ("kv", "cache") or ("kvcache",), plus a plural on the last one. Those
sequences form a tree keyed by word, so following the phrases that start at a word costs
one dictionary lookup per word of the text, whatever the number of phrases. The other
rules (regexes, phrases with punctuation) are indexed by the words they can start with
and tried with their compiled regex where such a word starts.

Compiling is split so that loading the file stays cheap: loading checks every rule and
compiles each regex (its check needs it anyway); the index is built on the first search,
what a word starts when a text first has it, the tree's deeper levels when a text first
reaches them, and a punctuated phrase's regex when it is first tried. Those parts are
plain ints and small tuples where they are many: fewer objects for the garbage collector
to walk, in this build and every later collection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import compress, count, filterfalse

from sitegen.taxonomy_regex import NUMBER_KEY, analyse, compile_whole_word, phrase_first_words

_WORD_PIECES = re.compile(r"([^\W\d_]+|\d+)")  # a phrase split on its words (letter or digit runs), keeping them
MAX_PATTERN_LENGTH = 300  # longer rules are a mistake; and they slow every build

_BEFORE = r"(?<![^\W_])"  # a match starts where a word starts...
_AFTER = r"(?![^\W_])"  # ...and ends where a word ends
_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class CompiledRegex:
    """A rule's whole-word regex, compiled, and the index keys of the words a match can
    start with (NUMBER_KEY: any number)."""

    pattern: re.Pattern
    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class Rule:
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


def _separator_kind(between: str) -> str:
    """"glued" inside a word, "flexible" for spaces and hyphens (may be left out), else
    "fixed" (punctuation that must be there)."""
    if between == "":
        return "glued"
    return "fixed" if _SEPARATORS.sub("", between) else "flexible"


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
    punctuation = _SEPARATORS.sub("", between)
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


# --- reading a text ---------------------------------------------------------------------------

# Letters that Python's case-insensitive regexes equate with an ASCII letter although their
# lowercase is not one (K, the Kelvin sign, lowercases to k); folding them keeps the word
# tree exactly as permissive as the rules' regexes.
_FOLD = str.maketrans({"ſ": "s", "ı": "i", "İ": "i"})
_UNFOLDED = re.compile("[ſıİ]")
_ASCII_WORD_BYTES = bytes(c if 97 <= c <= 122 or 48 <= c <= 57 else 32 for c in range(256))
_LETTERS = b"abcdefghijklmnopqrstuvwxyz"
_DIGITS = b"0123456789"
_ANY_NUMBER = NUMBER_KEY.encode()
_SPACE = 32


def fold(text: str) -> str:
    """`text` lowercased for matching, position for position: letters whose lowercase is
    longer stay as they are, and ſ, ı, İ become s, i, i."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if not lowered.isascii() and _UNFOLDED.search(lowered):
        lowered = lowered.translate(_FOLD)
    return lowered


def text_words(text: str) -> bytes:
    """`text` folded, with every character that is not a-z or 0-9 made a space: one byte
    per character, so positions stay those of `text`."""
    return fold(text).encode("ascii", "replace").translate(_ASCII_WORD_BYTES)


def _only_separators(gap: str) -> bool:
    """True when `gap` is spaces and hyphens only (what a flexible separator matches)."""
    return gap.replace("-", " ").isspace()


_PLAIN = re.compile(r"[A-Za-z0-9]+(?:[\s\-]+[A-Za-z0-9]+)*")
_PLURALS = ("", "s", "es")
_PLURAL_BYTES = (b"", b"s", b"es")

# The tree of plain phrases files each phrase under the text words it can start with,
# then under the words that may follow, as plain ints (a build files thousands, and
# objects would cost the garbage collector): rank << 10 | segments matched << 2 | plural.
# A word with several phrases has a list of them.
_Codes = int | list[int]


def _plain_segments(phrase: str) -> tuple[bytes, ...] | None:
    """The runs of glued words of a plain phrase, lowercase, as bytes ("H100 SXM":
    b"h100", b"sxm"): ASCII words with only spaces or hyphens between them; None for
    other phrases."""
    if _PLAIN.fullmatch(phrase) is None:
        return None
    return tuple(_SEPARATORS.sub(" ", phrase.lower()).encode().split(b" "))


def _file(table: dict[bytes, _Codes], segments: tuple[bytes, ...], rank: int, done: int,
          ending: set[bytes] | None = None) -> None:
    """File a phrase whose first `done` segments are matched under each word that may
    come next: its next segments glued together and followed by a separator, or all the
    rest and maybe a plural (those words also go in `ending`)."""
    last = len(segments)
    whole = segments[done] if last - done == 1 else b"".join(segments[done:])
    for size in range(done + 1, last + 3):  # past `last`: the whole rest, with each plural
        if size < last:
            word, code = b"".join(segments[done:size]), rank << 10 | size << 2
        else:
            word, code = whole + _PLURAL_BYTES[size - last], rank << 10 | last << 2 | size - last
            if ending is not None:
                ending.add(word)
        found = table.get(word)
        if found is None:
            table[word] = code
        elif found.__class__ is int:
            table[word] = [found, code]
        else:
            found.append(code)


class _Phrases:
    """The plain phrases, by rank: rule, lowercase segments as bytes, cased text or None."""

    __slots__ = ("rules", "segments", "cased")

    def __init__(self, size: int):
        self.rules: list[Rule | None] = [None] * size
        self.segments: list[tuple[bytes, ...]] = [()] * size
        self.cased: list[str | None] = [None] * size


class _Node:
    """A place in the tree of plain phrases, reached by some words of a text: the rules
    whose words end here, and what lies one word further on (`next`, filled in when a
    text first gets here; a word's phrases become a place when a text reaches it)."""

    __slots__ = ("ends", "next", "phrases", "_codes")

    def __init__(self, phrases: _Phrases, codes: _Codes):
        self.ends: list[tuple[int, Rule, str | None]] = []  # (rank, rule, its cased text or None)
        self.next: dict[bytes, _Node | _Codes] | None = None
        self._codes = codes if codes.__class__ is list else [codes]
        self.phrases = phrases
        for code in self._codes:
            rank, size = code >> 10, code >> 2 & 255
            if size == len(phrases.segments[rank]):
                cased = phrases.cased[rank]
                self.ends.append((rank, phrases.rules[rank], cased and cased + _PLURALS[code & 3]))

    def grow(self) -> dict[bytes, _Node | _Codes]:
        self.next = {}
        for code in self._codes:
            rank, size = code >> 10, code >> 2 & 255
            segments = self.phrases.segments[rank]
            if size < len(segments):
                _file(self.next, segments, rank, size)
        return self.next


class _LazyRegex:
    """The whole-word regex of a phrase with punctuation, compiled when first tried (most
    of them never meet their first word in a build)."""

    __slots__ = ("body", "_pattern")

    def __init__(self, body: str):
        self.body = body
        self._pattern: re.Pattern | None = None

    def match(self, text: str, start: int) -> re.Match | None:
        if self._pattern is None:
            self._pattern = whole_word(self.body)
        return self._pattern.match(text, start)


def phrase_keys(phrase: str) -> frozenset[str]:
    """The index keys of the words a phrase's match can start with (`compile_phrase`
    refuses a phrase that has none); those of its regex, found without parsing it."""
    words, afters = phrase_words(phrase)
    return phrase_first_words(words, [_separator_kind(after) for after in afters]) or frozenset()


_Tried = tuple[tuple[int, Rule, re.Pattern | _LazyRegex], ...]  # (rank, rule, whole-word regex)

# A match, as a plain tuple (a build makes thousands; making records of them would cost
# more than finding them): (start, -end, rank, rule). Sorting a list of them puts matches
# in text order, the longer first, then in the order of the rules' lines and bodies
# (`rank`; rules with the same line and body keep file order).
Hit = tuple[int, int, int, Rule]

# What a word standing alone in a text may start: (the word between spaces, to find it;
# the regexes to try where it stands; its place in the phrase tree, or None; True when
# it only starts longer phrases, like "in" of "in-memory computing", so the word after
# it decides whether it is worth finding).
_Start = tuple[bytes, _Tried, _Node | None, bool]


class _Tables:
    """The index proper, built on the first search; what each word starts is worked out
    when a text first has it."""

    __slots__ = ("first_words", "regexes", "starts", "phrases", "_firsts")

    def __init__(self, rules: tuple[Rule, ...]):
        ranked = sorted(rules, key=lambda rule: (rule.line, rule.body))  # stable: ties keep file order
        self.phrases = phrases = _Phrases(len(rules))
        firsts: dict[bytes, _Codes] = {}
        regexes: dict[bytes, list] = {}
        for rank, rule in enumerate(ranked):
            segments = None if rule.regex else _plain_segments(rule.source)
            if segments is None:
                pattern = rule.regex.pattern if rule.regex else _LazyRegex(rule.body)
                for key in rule.regex.keys if rule.regex else phrase_keys(rule.source):
                    regexes.setdefault(key.encode(), []).append((rank, rule, pattern))
                continue
            phrases.rules[rank] = rule
            phrases.segments[rank] = segments
            if rule.kind == "cased phrase":
                phrases.cased[rank] = _SEPARATORS.sub("", rule.source)  # checked once the words match
            _file(firsts, segments, rank, 0)
        self.regexes: dict[bytes, _Tried] = {key: tuple(found) for key, found in regexes.items()}
        self.first_words = frozenset(firsts.keys() | {key for key in self.regexes if key.isalpha()})
        self.starts: dict[bytes, _Start] = {}
        self._firsts = firsts

    def start(self, word: bytes) -> _Start:
        """What `word` starts (worked out once)."""
        codes = self._firsts.get(word)
        tried = self._regexes_at(word)
        node = None if codes is None else _Node(self.phrases, codes)
        gated = node is not None and not node.ends and not tried
        if gated:
            node.grow()
        found = self.starts[word] = (b" " + word + b" ", tried, node, gated)
        return found

    def _regexes_at(self, word: bytes) -> _Tried:
        """The regexes to try where `word` stands: those indexed by a word of letters; for
        a word with digits, those indexed by its letters and first number ("h100" of
        "h100x") and by those letters ("h") or, when it starts with the number, those
        indexed by any number."""
        if word.isalpha():
            return self.regexes.get(word, ())
        digits = word.lstrip(_LETTERS)
        letters = word[:len(word) - len(digits)]
        exact = self.regexes.get(word[:len(word) - len(digits.lstrip(_DIGITS))], ())
        broad = self.regexes.get(letters or _ANY_NUMBER, ())
        if not exact:
            return broad
        return exact + tuple(entry for entry in broad if not any(entry[1] is seen for _, seen, _ in exact))


class RuleIndex:
    """Every rule of a taxonomy, ready to be found in texts."""

    __slots__ = ("rules", "_tables")

    def __init__(self, rules: tuple[Rule, ...]):
        self.rules = rules
        self._tables: _Tables | None = None

    def matches(self, text: str) -> list[Hit]:
        """Every match of every rule in `text`, sorted (see `Hit`)."""
        tables = self._tables or self._build()
        starts = tables.starts
        words = text_words(text)
        parts = words.split()
        present = set(tables.first_words.intersection(parts))
        for word in filterfalse(bytes.isalpha, parts):  # words with digits: "2080", "h100"
            if (starts.get(word) or tables.start(word))[1]:
                present.add(word)
        checked = not text.isascii()  # only then can a letter outside a-z touch a word
        spaced = b" " + words + b" "  # a word at `start` of `words` is " word " at `start` here
        found: list[Hit] = []
        last_found = -1  # where the last word found stands: each is found after it
        passed: dict[bytes, int] = {}  # gated words: how many were passed over, not found
        placed: dict[bytes, int] = {}  # gated words: where the last one found stands
        last = len(parts) - 1
        for index in compress(count(), map(present.__contains__, parts)):  # in text order
            word = parts[index]
            needle, tried, node, gated = starts.get(word) or tables.start(word)
            if not gated:
                start = last_found = spaced.find(needle, last_found + 1)
            elif index == last or parts[index + 1] not in node.next:
                passed[word] = passed.get(word, 0) + 1
                continue
            else:  # find this one after the last found, past those passed over
                start = placed.get(word, -1)
                for _ in range(passed.pop(word, 0) + 1):
                    start = spaced.find(needle, start + 1)
                placed[word] = start
            if checked and start and text[start - 1].isalnum():
                continue
            for rank, rule, pattern in tried:
                matched = pattern.match(text, start)
                if matched:
                    found.append((start, -matched.end(), rank, rule))
            end = start + len(word)
            while node is not None:  # along the phrase tree, one text word at a time
                if node.ends and not (checked and end < len(text) and text[end].isalnum()):
                    for rank, rule, cased in node.ends:
                        if cased is None or _SEPARATORS.sub("", text[start:end]) == cased:
                            found.append((start, -end, rank, rule))
                following = node.next if node.next is not None else node.grow()
                if not following or index == last:
                    break
                index += 1
                word = parts[index]
                node = following.get(word)
                if node is None:
                    break
                after = end + 1 if words[end + 1] != _SPACE else words.find(word, end)  # where `word` starts
                gap = text[end:after]
                if gap != " " and not _only_separators(gap):
                    break
                if node.__class__ is not _Node:  # first reached: make it a place
                    node = following[word] = _Node(tables.phrases, node)
                end = after + len(word)
        found.sort()
        return found

    def _build(self) -> _Tables:
        self._tables = _Tables(self.rules)
        return self._tables


def build_index(rules: list[Rule]) -> RuleIndex:
    return RuleIndex(tuple(rules))
