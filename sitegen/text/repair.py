"""Text repair and normalisation for scraped titles and abstracts (pure functions), and the
folded match keys and slugs made from repaired text.

Repairs are a list of named rules (`RepairRule`) applied in order, so each can be tested and
explained on its own. The raw text is kept by the caller for provenance; these functions
only derive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from sitegen.text.weblinks import URL_CHARS

# --- mojibake -----------------------------------------------------------------------------

# UTF-8 bytes wrongly decoded with one of these codecs; tried in order. "sloppy-cp1252" is
# cp1252 whose five undefined bytes passed through as latin-1 (how browsers decode it).
_MOJIBAKE_CODECS = ("sloppy-cp1252", "gbk", "shift_jis", "big5")


def _encode_sloppy_cp1252(text: str) -> bytes:
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            out += char.encode("latin-1")  # raises for anything beyond U+00FF
    return bytes(out)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _is_plausible_repair(text: str) -> bool:
    """A repaired run must read as Latin letters or typographic punctuation, not CJK."""
    for char in text:
        name = unicodedata.name(char, "")
        if not (name.startswith("LATIN") or unicodedata.category(char)[0] in "PSZ"
                or unicodedata.category(char) == "Mn"):
            return False
    return True


def _repair_run(match: re.Match) -> str:
    run = match.group(0)
    for codec in _MOJIBAKE_CODECS:
        try:
            raw = _encode_sloppy_cp1252(run) if codec == "sloppy-cp1252" else run.encode(codec)
            candidate = raw.decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        # cp1252 mojibake is Latin-looking but longer; GBK mojibake is CJK-looking.
        if _is_plausible_repair(candidate) and (len(candidate) < len(run) or not _is_plausible_repair(run)):
            return candidate
    return run


def fix_mojibake(text: str) -> str:
    """`M茅lange` -> `Mélange`, `Ã©` -> `é`: undo UTF-8 read as a legacy codec."""
    return _NON_ASCII_RUN.sub(_repair_run, text)


# --- LaTeX and scraped math -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RepairRule:
    """One named repair: a pattern and its replacement."""

    name: str
    pattern: re.Pattern
    replacement: str | Callable[[re.Match], str]
    trigger: str  # a substring every match contains: most texts skip the regex scan entirely

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.replacement, text) if self.trigger in text else text


def _rule(name: str, pattern: str, replacement, trigger: str) -> RepairRule:
    return RepairRule(name, re.compile(pattern), replacement, trigger)


# A whole run of URL characters that holds a URL, matched from the run's start only: a
# pattern that may start at every `http` of a long run rescans the rest of it each time.
_URL_RUN = (r"(?<!" + URL_CHARS + r")(?=" + URL_CHARS + r"*?https?://" + URL_CHARS + r")"
            + URL_CHARS + r"++")

# --- inline TeX math as Unicode text ------------------------------------------------------------

_GREEK = dict(zip(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
    "upsilon phi chi psi omega".split(), "αβγδεζηθικλμνξοπρστυφχψω"))
_TEX_SYMBOLS = {
    **_GREEK, **{name.capitalize(): letter.upper() for name, letter in _GREEK.items()},
    "varepsilon": "ε", "varphi": "φ", "vartheta": "ϑ", "ell": "ℓ", "cdot": "·", "times": "×", "div": "÷",
    "pm": "±", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "sim": "~", "equiv": "≡", "propto": "∝", "infty": "∞", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩",
    "sum": "Σ", "prod": "∏", "int": "∫", "partial": "∂", "nabla": "∇", "forall": "∀", "exists": "∃",
    "ldots": "…", "cdots": "⋯", "dots": "…", "log": "log", "ln": "ln", "exp": "exp", "max": "max",
    "min": "min", "sqrt": "√", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋",
    "left": "", "right": "", ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "{": "{", "}": "}",
}
_SUPERSCRIPTS = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPTS = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_TEX_GROUP = r"\{([^{}]*)\}"
_TEX_ARGUMENT = r"(?:\{([^{}]*)\}|\s*([A-Za-z0-9]))"
_TEX_ALPHABET = re.compile(r"\\math(cal|scr|bb|frak)" + _TEX_ARGUMENT)
_TEX_PLAIN = re.compile(r"\\(?:mathrm|mathbf|mathit|mathsf|mathtt|text|textrm|textbf|operatorname|boldsymbol)"
                        + _TEX_GROUP)
_TEX_FRACTION = re.compile(r"\\[dt]?frac" + _TEX_GROUP + _TEX_GROUP)
_TEX_SCRIPT = re.compile(r"([\^_])" + _TEX_ARGUMENT)
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+|[,;:! {}])")
_ALPHABET_NAMES = {"cal": "SCRIPT", "scr": "SCRIPT", "bb": "DOUBLE-STRUCK", "frak": "FRAKTUR"}
# `$...$` as pandoc reads it: no blank just inside the dollars, no digit right after the closing
# one (so "$5 and $10" is prose).
INLINE_MATH = re.compile(r"(?<![\\$])\$(?=[^\s$])([^$\n]{1,300}?)(?<=[^\s\\])\$(?!\d)")


def _styled_letter(match: re.Match) -> str:
    r"""`\mathcal{O}` -> `𝒪`, `\mathbb{R}` -> `ℝ` (Unicode keeps a few in Letterlike Symbols)."""
    style, text = _ALPHABET_NAMES[match[1]], match[2] if match[2] is not None else match[3]
    letters = []
    for char in text:
        case = "CAPITAL" if char.isupper() else "SMALL"
        for name in (f"MATHEMATICAL {style} {case} {char.upper()}", f"{style} {case} {char.upper()}"):
            try:
                letters.append(unicodedata.lookup(name))
                break
            except KeyError:
                continue
        else:
            letters.append(char)
    return "".join(letters)


def _script(match: re.Match) -> str:
    """`^2` -> `²`, `_{ij}` -> `ᵢⱼ`; left as `^(...)` when Unicode has no such small letters."""
    text = match[2] if match[2] is not None else match[3]
    table = _SUPERSCRIPTS if match[1] == "^" else _SUBSCRIPTS
    small = text.translate(table)
    if not any(a == b for a, b in zip(text, small)):
        return small
    return f"{match[1]}({text})" if len(text) > 1 else f"{match[1]}{text}"


def tex_math_to_text(tex: str) -> str:
    r"""The body of an inline formula as readable Unicode text: `\mathcal{O}(n^2)` -> `𝒪(n²)`."""
    tex = _TEX_ALPHABET.sub(_styled_letter, tex)
    tex = _TEX_PLAIN.sub(r"\1", tex)
    tex = _TEX_FRACTION.sub(lambda m: f"{m[1]}/{m[2]}" if len(m[1]) == len(m[2]) == 1 else f"({m[1]})/({m[2]})", tex)
    tex = _TEX_SCRIPT.sub(_script, tex)
    tex = _TEX_COMMAND.sub(lambda m: _TEX_SYMBOLS.get(m[1], m[1]), tex)
    return " ".join(tex.replace("{", "").replace("}", "").split())


REPAIR_RULES: tuple[RepairRule, ...] = (
    _rule("latex-inline-math", INLINE_MATH.pattern, lambda m: tex_math_to_text(m[1]), "$"),
    # `\href{url}{\color{blue}{GitHub}}` scraped as `url{blue{GitHub}}`; `\url{u}{u}` as `u{u}`.
    _rule("braces-after-url", "(" + _URL_RUN + r")\{(?:[^{}]|\{[^{}]*\})*\}", r"\1", "{"),
    _rule("braced-url", r"\{(https?://" + URL_CHARS + r"+)\}", r"\1", "{"),
    _rule("latex-text-command",
          r"\\(?:textbf|textit|emph|texttt|textsc|mathrm|mathbf|mathit|text|url)\{([^{}]*)\}", r"\1", "\\"),
    _rule("latex-old-font", r"\{\\(?:it|bf|em|tt|sc|rm)\s+([^{}]*)\}", r"\1", "{\\"),
    _rule("latex-diaeresis-i", r"\\\"\{?\\i\}?", "ï", "\\i"),
    _rule("latex-degree", r"\{?\\deg\}?", "°", "\\deg"),
    _rule("latex-ie", r"\\ie\b,?", "i.e.,", "\\ie"),
    # Starts where a blank run starts (trying inside one rescans it: quadratic in its length),
    # or right at `\times` when the previous match took the blanks before it.
    _rule("latex-times", r"(?<!\s)\s*\\times\s*|\\times\s*", "× ", "\\times"),
    _rule("latex-escaped-char", r"\\([%&#_$])", r"\1", "\\"),
    _rule("latex-infinity", r"_\{\\?infty\}", "∞", "infty"),
    _rule("latex-nbsp", r"(?<=[\w.,:;])~(?=[A-Za-z(\[])", " ", "~"),
    _rule("latex-braced-script", r"([_^])\{([\w.+-]*)\}", r"\1\2", "{"),
    # `1,746times`, `8.5times`: a number glued to `times` is a multiplication sign.
    _rule("glued-times", r"(?<=\d)times\b", "×", "times"),
    # `k times k`, `1 times 1`: `$k \times k$` lost its backslash; English "3 times faster" stays.
    _rule("spaced-times", r"\b([b-zB-HJ-Z]|\d+(?:\.\d+)?)\s+times\s+([b-zB-HJ-Z]|\d+(?:\.\d+)?)\b(?![\w-])",
          r"\1×\2", "times"),
    _rule("latex-sim", r"(?:\b|(?<=\d))sim\s?(?=\d)", "~", "sim"),
    _rule("latex-approx", r"(?:\b|(?<=\d))approx\s?(?=\d)", "~", "approx"),
    _rule("latex-geq", r"\bgeq\s?(?=\d)", "≥", "geq"),
    _rule("latex-leq", r"\bleq\s?(?=\d)", "≤", "leq"),
    _rule("space-before-times-sign", r"× (?=[,.;:)])", "×", "× "),
)


# Control characters other than blanks (which become spaces): never text in a title or
# abstract, and XML 1.0 forbids most of them, so one would make every feed unreadable.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ufffe\uffff]")
# A repair can uncover another (a blank or a control inside a mojibake run); real text is
# settled by the second pass, and the cap keeps any text from cycling.
_MAX_PASSES = 4


def repair_text(text: str) -> str:
    """Repair until nothing changes: mojibake, every rule, control characters, NFC, blanks."""
    for _ in range(_MAX_PASSES):
        repaired = _repair_pass(text)
        if repaired == text:
            break
        text = repaired
    return text


def _repair_pass(text: str) -> str:
    # Mojibake before controls go: its C1 characters are part of the text it restores (`â€\x9d` is `”`).
    text = _CONTROL_CHARS.sub("", fix_mojibake(text))
    for rule in REPAIR_RULES:
        text = rule.apply(text)
    return " ".join(unicodedata.normalize("NFC", text).split())


# --- organisations -------------------------------------------------------------------------


def organization_name(scraped: str) -> str:
    """`deepseek-ai DeepSeek` -> `DeepSeek`: listings print an account handle before the name.

    The handle is dropped when it and the rest spell the same name, one a prefix of the other
    with case and punctuation ignored (`microsoft Microsoft Research`, `ServiceNow-AI
    ServiceNow-AI`); a name whose first word is its own (`UC Berkeley`) stays whole."""
    handle, _, name = scraped.strip().partition(" ")
    handle_key, name_key = match_key(handle), match_key(name)
    if handle_key and name_key and (handle_key.startswith(name_key) or name_key.startswith(handle_key)):
        return name.strip()
    return scraped.strip()


# --- matching keys and slugs ----------------------------------------------------------------

_ASCII_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold_accents(text: str) -> str:
    """Accent-free, case-folded text: `Mélange` and `MELANGE` fold alike."""
    if text.isascii():  # nearly every title: nothing to repair or strip
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", fix_mojibake(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def match_key(title: str) -> str:
    """Identity of a paper across listings: folded title with only letters and digits."""
    folded = fold_accents(title)
    if folded.isascii():
        return _ASCII_NON_ALNUM.sub("", folded)
    return "".join(c for c in folded if c.isalnum())


SLUG_MAX = 80

# Letters that do not decompose into a Latin letter and an accent, spelled as English text
# usually spells them (`Łukasz` -> `lukasz`, `œuvre` -> `oeuvre`, `α-entmax` -> `alpha-entmax`);
# applied to folded (lower-case) text.
_TRANSLITERATIONS = str.maketrans({
    "ł": "l", "œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
    "ŀ": "l", "ĸ": "k", "ŋ": "ng", "ſ": "s", "ς": "sigma",
    **{letter: f" {name} " for name, letter in _GREEK.items()},
})


def fold_transliterated(text: str) -> str:
    """`fold_accents`, then letters without an accent to strip spelled as English text spells them
    ("Łukasiewicz" folds like "Lukasiewicz"); other scripts are kept."""
    return fold_accents(text).translate(_TRANSLITERATIONS)


def slug_words(text: str, transliterate: bool = True) -> list[str]:
    """Lower-case ASCII words of `text`; letters with no ASCII spelling are dropped."""
    folded = fold_transliterated(text) if transliterate else fold_accents(text)
    return re.findall(r"[a-z0-9]+", folded.encode("ascii", "ignore").decode())


def join_slug(words: list[str], max_length: int = SLUG_MAX) -> str:
    """Words joined by hyphens, cut at a word boundary so the slug stays within `max_length`."""
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Lower-case ASCII words joined by hyphens, transliterated, cut at a word boundary; may be empty."""
    return join_slug(slug_words(text), max_length)
