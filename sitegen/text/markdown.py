r"""Curator Markdown to HTML: CommonMark plus tables, footnotes, heading ids and paper links.

Syntax on top of CommonMark (markdown-it-py's `js-default` preset):
- GFM tables, `~~strikethrough~~`, bare-URL autolinks (`www.x.org`, `https://...`);
- footnotes `text[^1]` with `[^1]: note` (the inline `^[note]` form is off);
- every heading gets a unique id slugified from its text (`## Why GPUs?` -> `why-gpus`);
- inline TeX `$\mathcal{O}(n^2)$` shown as Unicode text (`𝒪(n²)`), no script needed;
- paper links: `[[slug or exact title]]`, `[[slug|link text]]` (the text is plain, not
  Markdown) and `[text](paper:slug)` (write `<paper:Some Title>` when the title has spaces);
  `\[[...]]` or a code span keeps the brackets literal.

Safety: raw HTML is escaped unless `allow_html` is set (a site setting). Markdown links and
images never carry a `javascript:`, `vbscript:`, `data:` or `file:` URL, whatever the case,
entities, percent-encoding or control characters used to hide the scheme. With `allow_html`
on, raw HTML is passed through untouched: the curator is then trusted like a template author.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_inline.autolink import autolink
from markdown_it.rules_inline.image import image
from markdown_it.rules_inline.link import link
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from sitegen.text.autolink import autolink_plugin
from sitegen.diagnostics import Diagnostic, error, warning
from sitegen.text.lines import split_lines
from sitegen.text.repair import INLINE_MATH, tex_math_to_text


@dataclass(frozen=True, slots=True)
class PaperLink:
    """Where a paper reference leads."""

    url: str  # the paper page, as the page that links to it should write it
    title: str  # shown as the link text of `[[ref]]` when no text is given
    warning: str = ""  # why the link is doubtful though kept (a site path with no page there)


PaperResolver = Callable[[str], PaperLink]  # raises LookupError(message with suggestions)

# A long note is a few kilobytes. Rendering takes time linear in the text, but markdown-it's
# constant is high on some shapes (its link-label scan: 30,000 `[` take seconds), so a text
# longer than this is refused instead of rendered.
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Heading:
    """One heading of the document, for tables of contents."""

    level: int  # 1 to 6
    id: str  # the anchor, unique within the document
    text: str  # the heading as plain text


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    """The HTML of one Markdown text and what was learned rendering it."""

    html: str
    paper_refs: tuple[str, ...]  # every paper reference that resolved, as written, first use first
    headings: tuple[Heading, ...]
    diagnostics: tuple[Diagnostic, ...]  # unresolved paper references, located in the file


def render_markdown(
    text: str,
    *,
    path: str,
    first_line: int = 1,
    allow_html: bool = False,
    resolve_paper: PaperResolver,
    inline: bool = False,
) -> RenderedMarkdown:
    """Render `text`, which starts on line `first_line` of the file `path`.

    `inline` renders one line of inline Markdown (a summary) without a paragraph around it.

    A paper reference `resolve_paper` refuses becomes an error diagnostic at its line and is
    rendered as plain text; rendering itself never fails. A text over `MAX_TEXT_CHARS` is an
    error at the line the cap falls in, and renders as nothing.
    """
    if len(text) > MAX_TEXT_CHARS:
        line = first_line + len(split_lines(text[:MAX_TEXT_CHARS])) - 1
        return RenderedMarkdown("", (), (), (error(
            path, line, f"the text is longer than {MAX_TEXT_CHARS:,} characters (from this line on); "
                        "split it or shorten it"),))
    parser = _parser(allow_html)
    env: dict = {}
    tokens = parser.parseInline(text, env) if inline else parser.parse(text, env)
    linker = _PaperLinker(resolve_paper, path)
    for block in tokens:
        if block.type == "inline" and block.children:
            lines = _BlockLines(first_line + block.map[0], block.content)
            block.children = linker.rewrite(block.children, lines)
    headings = _anchor_headings(tokens)
    return RenderedMarkdown(
        html=parser.renderer.render(tokens, parser.options, env),
        paper_refs=tuple(linker.resolved),
        headings=headings,
        diagnostics=tuple(linker.diagnostics),
    )


# --- the parser -------------------------------------------------------------------------


@functools.cache
def _parser(allow_html: bool) -> MarkdownIt:
    """One configured parser per option set, built on first use and shared by every call."""
    parser = MarkdownIt("js-default", {"html": allow_html})
    parser.use(footnote_plugin, inline=False).use(autolink_plugin)
    parser.inline.ruler.before("link", "paper_wiki_link", _wiki_link_rule)
    parser.inline.ruler.before("escape", "tex_math", _tex_math_rule)
    for name, rule in (("link", link), ("image", image), ("autolink", autolink)):
        parser.inline.ruler.at(name, _remembering_start(rule))
    parser.validateLink = is_safe_url
    return parser


_WIKI_LINK = re.compile(r"\[\[([^\[\]|]+)(?:\|([^\[\]]*))?\]\]")


def _wiki_link_rule(state: StateInline, silent: bool) -> bool:
    """`[[ref]]` or `[[ref|text]]` -> a `paper_wiki_link` token.

    Inside a link's text it makes that link invalid, as any nested link does in CommonMark.
    """
    if not state.src.startswith("[[", state.pos):
        return False
    match = _WIKI_LINK.match(state.src, state.pos, state.posMax)
    if match is None or not match[1].strip():
        return False
    if not silent:
        token = state.push("paper_wiki_link", "", 0)
        token.content = match[0]
        token.meta = {"ref": _squash(match[1]), "text": _squash(match[2] or ""), "start": state.pos}
    state.pos = match.end()
    return True


def _tex_math_rule(state: StateInline, silent: bool) -> bool:
    """`$...$` -> its formula as Unicode text (read before backslash escapes eat the TeX)."""
    if state.src[state.pos] != "$":
        return False
    match = INLINE_MATH.match(state.src, state.pos, state.posMax)
    if match is None or state.src[state.pos - 1:state.pos] in ("\\", "$"):
        return False
    if not silent:
        state.push("text", "", 0).content = tex_math_to_text(match[1])
    state.pos = match.end()
    return True


def _squash(text: str) -> str:
    # A reference may be wrapped over several lines; its words are what count.
    return " ".join(text.split())


def _remembering_start(rule):
    """Wrap an inline rule so its first token records where in the block it started."""

    def located(state: StateInline, silent: bool) -> bool:
        start, first_new = state.pos, len(state.tokens)
        found = rule(state, silent)
        if found and not silent:
            # `push` may first flush pending text into a token of its own: skip it.
            opener = next(token for token in state.tokens[first_new:] if token.type != "text")
            opener.meta["start"] = start
        return found

    return located


def is_site_absolute(href: str) -> bool:
    """`/paths/x/` links into the site (under its base path); `//host/x` is another site."""
    return href.startswith("/") and not href.startswith("//")


_UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data", "file"})
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")  # browsers skip these inside a URL


def is_safe_url(url: str) -> bool:
    """False when `url` would run script or read local data, however its scheme is disguised."""
    plain = urllib.parse.unquote(html.unescape(url))
    scheme, colon, _ = _IGNORED_IN_SCHEME.sub("", plain).partition(":")
    return not (colon and scheme.lower() in _UNSAFE_SCHEMES)


# --- paper links ------------------------------------------------------------------------


class _BlockLines:
    """File lines of positions in one block's inline text (newlines indexed on first use)."""

    def __init__(self, first_line: int, content: str):
        self.first_line, self.content = first_line, content
        self._newlines: list[int] | None = None

    def line_at(self, position: int) -> int:
        if self._newlines is None:
            self._newlines = [i for i, char in enumerate(self.content) if char == "\n"]
        return self.first_line + bisect.bisect_left(self._newlines, position)


class _PaperLinker:
    """Resolves the paper links of one document, collecting refs and located errors."""

    def __init__(self, resolve_paper: PaperResolver, path: str):
        self.resolve_paper, self.path = resolve_paper, path
        self.resolved: dict[str, None] = {}  # an ordered set
        self.diagnostics: list[Diagnostic] = []
        self._known: dict[str, PaperLink | str] = {}  # ref -> link, or the refusal message

    def rewrite(self, children: list[Token], lines: _BlockLines, start: int | None = None) -> list[Token]:
        """Children with paper links resolved; `start` places tokens nested in an image."""
        result: list[Token] = []
        kept_links: list[bool] = []  # per open link: was its <a> kept?
        for token in children:
            where = start if start is not None else token.meta.get("start", 0)
            if token.children:
                token.children = self.rewrite(token.children, lines, where)
            if token.type == "paper_wiki_link":
                result.extend(self._wiki_link(token, lines.line_at(where)))
            elif token.type == "link_open":
                kept_links.append(self._retarget(token, lines.line_at(where)))
                if kept_links[-1]:
                    result.append(token)
            elif token.type == "link_close":
                if kept_links.pop():
                    result.append(token)
            else:
                result.append(token)
        return result

    def _wiki_link(self, token: Token, line: int) -> list[Token]:
        ref, text = token.meta["ref"], token.meta["text"]
        found = self._resolve(ref, line)
        label = Token("text", "", 0, content=text or (found.title if found else ref))
        if found is None:
            return [label]
        opener = Token("link_open", "a", 1, attrs={"href": found.url, "class": "paper-link"})
        return [opener, label, Token("link_close", "a", -1)]

    def _retarget(self, token: Token, line: int) -> bool:
        """Point a `paper:` link at its page; False when it must go (it did not resolve)."""
        href = str(token.attrGet("href") or "")
        if is_site_absolute(href):
            self._site_link(token, href, line)
            return True
        if not href.lower().startswith("paper:"):
            return True
        found = self._resolve(_squash(urllib.parse.unquote(href[len("paper:"):])), line)
        if found is not None:
            token.attrSet("href", found.url)
            token.attrSet("class", "paper-link")
        return found is not None

    def _site_link(self, token: Token, href: str, line: int) -> None:
        """`](/paths/x/)`: the resolver writes it under the base path and may doubt it (a warning)."""
        found = self._resolve(href, line)
        if found is not None:
            token.attrSet("href", found.url)
            if found.warning:
                self.diagnostics.append(warning(self.path, line, found.warning))

    def _resolve(self, ref: str, line: int) -> PaperLink | None:
        if ref not in self._known:
            self._known[ref] = self._lookup(ref)
        outcome = self._known[ref]
        if isinstance(outcome, PaperLink):
            self.resolved[ref] = None
            return outcome
        self.diagnostics.append(error(self.path, line, outcome))
        return None

    def _lookup(self, ref: str) -> PaperLink | str:
        if not ref:
            return "a paper link needs a slug or a title after 'paper:'"
        try:
            return self.resolve_paper(ref)
        except LookupError as refusal:
            return str(refusal.args[0]) if refusal.args else f"no paper matches {ref!r}"


# --- headings ---------------------------------------------------------------------------

_FOOTNOTE_ID = re.compile(r"fn(ref)?\d+")  # ids the footnote plugin writes


def _anchor_headings(tokens: list[Token]) -> tuple[Heading, ...]:
    """Give every heading a unique id; return the headings in document order."""
    anchors = _Anchors()
    headings = []
    for opener, inline in zip(tokens, tokens[1:]):
        if opener.type == "heading_open":
            text = _squash(_plain_text(inline.children or []))
            anchor = anchors.claim(heading_id(text))
            opener.attrSet("id", anchor)
            headings.append(Heading(int(opener.tag[1]), anchor, text))
    return tuple(headings)


def heading_id(text: str) -> str:
    """Lower-case words joined by hyphens (`Why GPUs?` -> `why-gpus`); "section" if none."""
    return "-".join(re.findall(r"\w+", text.lower())) or "section"


class _Anchors:
    """Hands out unique ids: `intro`, then `intro-2`, `intro-3`..."""

    def __init__(self):
        self._used: set[str] = set()
        self._last_number: dict[str, int] = {}  # per slug, so a thousand repeats stay linear

    def claim(self, slug: str) -> str:
        candidate = slug
        while candidate in self._used or _FOOTNOTE_ID.fullmatch(candidate):
            number = self._last_number[slug] = self._last_number.get(slug, 1) + 1
            candidate = f"{slug}-{number}"
        self._used.add(candidate)
        return candidate


def _plain_text(children: list[Token]) -> str:
    parts = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_plain_text(token.children))
    return "".join(parts)
