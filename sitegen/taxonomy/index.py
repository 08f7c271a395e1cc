"""The rule index: every rule of the taxonomy found in a text with one pass over its words.

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
from itertools import compress, count, filterfalse
from typing import Iterable

from sitegen.taxonomy.patterns import NUMBER_KEY, phrase_first_words
from sitegen.taxonomy.rules import SEPARATORS, MatchRule, phrase_words, separator_kind, whole_word


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


def lower_in_place(text: str) -> str:
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
    return lower_in_place(text).encode("ascii", "replace").translate(_ASCII_WORD_BYTES)


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
    return tuple(SEPARATORS.sub(" ", phrase.lower()).encode().split(b" "))


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
        self.rules: list[MatchRule | None] = [None] * size
        self.segments: list[tuple[bytes, ...]] = [()] * size
        self.cased: list[str | None] = [None] * size


class _Node:
    """A place in the tree of plain phrases, reached by some words of a text: the rules
    whose words end here, and what lies one word further on (`next`, filled in when a
    text first gets here; a word's phrases become a place when a text reaches it)."""

    __slots__ = ("ends", "next", "phrases", "_codes")

    def __init__(self, phrases: _Phrases, codes: _Codes):
        self.ends: list[tuple[int, MatchRule, str | None]] = []  # (rank, rule, its cased text or None)
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
    return phrase_first_words(words, [separator_kind(after) for after in afters]) or frozenset()


_Tried = tuple[tuple[int, MatchRule, re.Pattern | _LazyRegex], ...]  # (rank, rule, whole-word regex)

# A match, as a plain tuple (a build makes thousands; making records of them would cost
# more than finding them): (start, -end, rank, rule). Sorting a list of them puts matches
# in text order, the longer first, then in the order of the rules' lines and bodies
# (`rank`; rules with the same line and body keep file order).
Hit = tuple[int, int, int, MatchRule]

# What a word standing alone in a text may start: (the word between spaces, to find it;
# the regexes to try where it stands; its place in the phrase tree, or None; True when
# it only starts longer phrases, like "in" of "in-memory computing", so the word after
# it decides whether it is worth finding).
_Start = tuple[bytes, _Tried, _Node | None, bool]


class _Tables:
    """The index proper, built on the first search; what each word starts is worked out
    when a text first has it."""

    __slots__ = ("first_words", "regexes", "starts", "phrases", "_firsts")

    def __init__(self, rules: tuple[MatchRule, ...]):
        ranked = rank_order(rules)
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
                phrases.cased[rank] = SEPARATORS.sub("", rule.source)  # checked once the words match
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


def rank_order(rules) -> list[MatchRule]:
    """Rules in the order of their ranks: by line, then body (stable: ties keep file order)."""
    return sorted(rules, key=lambda rule: (rule.line, rule.body))


# --- what a rule can reach (a taxonomy edit reclassifies only the texts its rules can reach) --

def rule_keys(rule: MatchRule) -> frozenset[bytes]:
    """The keys the index files `rule` under: a text can match it only where it has one of
    them (see `reach_pattern`)."""
    segments = None if rule.regex else _plain_segments(rule.source)
    if segments is None:
        return frozenset(key.encode() for key in (rule.regex.keys if rule.regex else phrase_keys(rule.source)))
    firsts: dict[bytes, _Codes] = {}
    _file(firsts, segments, 0, 0)
    return frozenset(firsts)


def reach_pattern(keys: Iterable[bytes]) -> re.Pattern[bytes]:
    """Finds, in `text_words(text)` between spaces, a word where `matches` can meet a rule
    filed under one of `keys`: a word equal to a key, a word with digits whose letters
    ("rtx" of "rtx4090") or letters and first number ("h100" of "h100x") a key is, or, for
    NUMBER_KEY, a word that starts with a number."""
    keys = sorted(keys)

    def any_of(chosen: list[bytes]) -> bytes:
        return b"(?:" + b"|".join(map(re.escape, chosen)) + b")"

    plain = [key for key in keys if key != _ANY_NUMBER]
    letters = [key for key in plain if key.isalpha()]
    numbered = [key for key in plain if key[-1:].isdigit()]
    choices = [b" " + any_of(plain) + b" "] if plain else []
    choices += [b" " + any_of(letters) + b"[0-9]"] if letters else []
    choices += [b" " + any_of(numbered) + b"[a-z]"] if numbered else []
    choices += [b" [0-9]"] if _ANY_NUMBER in keys else []
    return re.compile(b"|".join(choices) or b"(?!)")


class RuleIndex:
    """Every rule of a taxonomy, ready to be found in texts."""

    __slots__ = ("rules", "_tables")

    def __init__(self, rules: tuple[MatchRule, ...]):
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
                        if cased is None or SEPARATORS.sub("", text[start:end]) == cased:
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


def build_index(rules: list[MatchRule]) -> RuleIndex:
    return RuleIndex(tuple(rules))
