"""Bare-URL autolinks (GFM's extension) for curator Markdown, in time linear in the text.

The rules match what mdit-py-plugins' `gfm_autolink_plugin` (0.5-0.7) matches, link for link:
`www.x.org`, `http://` and `https://` URLs, `mailto:` and `xmpp:` addresses and bare emails,
each after a blank, `*`, `_`, `~` or `(`, with trailing punctuation and unbalanced `)` left
out. The plugin is quadratic on long lines: at every `:` and `@` it copies the rest of the
line and searches the whole pending text from its start (40 KB of `a:` took 13 s), and it
recounts the brackets of a URL for every `)` trimmed from its end. Here every rule first checks
what it can in constant time, then scans only forward from where it stands, and stops at the
first character that cannot belong to the link; trimming counts brackets once.

Tokens, attributes and text are made exactly as the plugin makes them, so pages are unchanged.
"""

from __future__ import annotations

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

_VALID_PREVIOUS = frozenset(" \t\r\n*_~(")
_NOT_BLANK = re.compile(r"[^ \t\r\n\x00\x0b\x0c]*")  # a URL runs to the next blank
_TRIMMED = frozenset("?!.,:*_~'\"[]")
_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_")
_PROTOCOLS = ("https", "http", "mailto", "xmpp")  # "https" before "http": the longer name wins


def autolink_plugin(md: MarkdownIt) -> None:
    """Enable bare-URL autolinks (drop-in for `gfm_autolink_plugin`)."""
    md.inline.add_terminator_char("w")  # so that the text rule stops where `www.` may start
    md.inline.ruler.push("autolink_www", _www_rule)
    md.inline.ruler.push("autolink_protocol", _protocol_rule)
    md.inline.ruler.push("autolink_email", _email_rule)


# --- the rules (silent mode, used to skip link labels, never makes an autolink) ---------


def _www_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if silent or state.linkLevel > 0 or pos + 4 > state.posMax or not src.startswith("www.", pos):
        return False
    if pos > 0 and src[pos - 1] not in _VALID_PREVIOUS:  # pending text or not, it is src[pos - 1]
        return False
    end = _url_end(src, pos, pos + 4, state.posMax, allow_short=False)
    if end is None:
        return False
    return _emit(state, 0, end - pos, "http://" + src[pos:end], src[pos:end])


def _protocol_rule(state: StateInline, silent: bool) -> bool:
    """At a `:`, a protocol name the text rule has just collected makes a URL or an address."""
    src, pos, end_of_line = state.src, state.pos, state.posMax
    if silent or state.linkLevel > 0 or end_of_line - pos < 4 or src[pos] != ":":
        return False
    protocol = next((name for name in _PROTOCOLS
                     if src.endswith(name, 0, pos) and _pending_length(state, len(name)) == len(name)), None)
    if protocol is None or not _preceded_well(state, len(protocol)):
        return False
    start = pos - len(protocol)
    if protocol in ("http", "https"):
        if not src.startswith("//", pos + 1):
            return False
        end = _url_end(src, start, pos + 3, end_of_line, allow_short=True)
        if end is None:
            return False
        return _emit(state, len(protocol), end - start, protocol + src[pos:end], protocol + src[pos:end])
    end = _email_end(src, pos + 1, end_of_line, protocol)
    if end is None:
        return False
    return _emit(state, len(protocol), end - start, protocol + src[pos:end], protocol + src[pos:end])


def _email_rule(state: StateInline, silent: bool) -> bool:
    """At an `@`, the address's local part is what the text rule has just collected."""
    src, pos = state.src, state.pos
    if silent or state.linkLevel > 0 or pos + 1 >= state.posMax or src[pos] != "@":
        return False
    local_start = pos
    while local_start > 0 and src[local_start - 1] in _EMAIL_LOCAL:
        local_start -= 1
    local_length = _pending_length(state, pos - local_start)  # the local part is pending text
    if local_length == 0 or not _preceded_well(state, local_length):
        return False
    domain = _domain_of_email(src, pos + 1, state.posMax, protocol=None)
    if domain is None:
        return False
    address = src[pos - local_length:domain]
    return _emit(state, local_length, local_length + domain - pos, "mailto:" + address, address)


def _pending_length(state: StateInline, at_most: int) -> int:
    """min(len(state.pending), at_most), in O(at_most).

    The pending text is always the source text just before `state.pos` (the text rule and the
    fallback copy it from there; every token flushes it), so rules look at `src` and only need
    how far back pending reaches. Reading `state.pending` itself joins markdown-it-py's buffer
    of pieces into one string, a copy as long as the text since the last token: done at every
    `:` of a long line, that copy was the quadratic part. Should a later markdown-it-py keep
    one string again, its length costs nothing.
    """
    pieces = getattr(state, "_pending_buffer", None)
    if pieces is None:
        return min(len(state.pending), at_most)
    length = len(state._pending)
    for piece in reversed(pieces):
        if length >= at_most:
            break
        length += len(piece)
    return min(length, at_most)


def _preceded_well(state: StateInline, collected: int) -> bool:
    """The character before the `collected` characters of pending text allows a link there."""
    start = state.pos - collected
    return start <= 0 or state.src[start - 1] in _VALID_PREVIOUS


def _emit(state: StateInline, collected: int, length: int, url: str, text: str) -> bool:
    """link_open, text, link_close for `url`; `collected` characters leave the pending text."""
    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False
    if collected:
        state.pending = state.pending[:-collected]
    token = state.push("link_open", "a", 1)
    token.attrs = {"href": full_url}
    token.markup, token.info = "autolink", "auto"
    token = state.push("text", "", 0)
    token.content = state.md.normalizeLinkText(text)
    token = state.push("link_close", "a", -1)
    token.markup, token.info = "autolink", "auto"
    state.pos += length - collected
    return True


# --- scanning (pure; every position is an index into `src`, `end` excluded) -------------


def _url_end(src: str, start: int, host: int, end: int, *, allow_short: bool) -> int | None:
    """Where the URL starting at `start` ends, its host starting at `host`; None if no URL."""
    host_length = _domain_length(src, host, end, allow_short)
    if host_length is None:
        return None
    url_end = _NOT_BLANK.match(src, host + host_length, end).end()
    return _trim_end(src, start, url_end)


def _domain_length(src: str, start: int, end: int, allow_short: bool) -> int | None:
    """How much of `src[start:end]` a host name takes, or None: underscores only outside the
    last two labels, and (unless `allow_short`) at least one dot."""
    if start >= end:
        return None
    periods = underscores_before = underscores = 0
    for index in range(start, end):
        char = src[index]
        if char == "_":
            underscores += 1
        elif char == ".":
            underscores_before, underscores = underscores, 0
            periods += 1
        elif char != "-" and not _is_host_char(char):
            if underscores_before == 0 and underscores == 0 and (allow_short or periods > 0):
                return index - start
            return None
    if (underscores_before or underscores) and periods <= 10:
        return None
    return end - start if allow_short or periods > 0 else None


def _is_host_char(char: str) -> bool:
    return not char.isspace() and not unicodedata.category(char).startswith("P")


def _trim_end(src: str, start: int, end: int) -> int:
    """The URL's end once a `<` cut it and trailing punctuation, an entity like `&amp;` and
    closing parentheses without an opening one are left out."""
    cut = src.find("<", start, end)
    if cut >= 0:
        end = cut
    opening = src.count("(", start, end)  # trimming never removes one: counted once
    closing = src.count(")", start, end)
    while end > start:
        last = src[end - 1]
        if last in _TRIMMED:
            end -= 1
        elif last == ";":
            letters = end - 2
            while letters > start and src[letters].isalpha():
                letters -= 1
            end = letters if letters < end - 2 and src[letters] == "&" else end - 1
        elif last == ")" and closing > opening:
            closing -= 1
            end -= 1
        else:
            break
    return end


def _email_end(src: str, start: int, end: int, protocol: str) -> int | None:
    """The end of the `mailto:` or `xmpp:` address whose local part starts at `start`."""
    index = start
    while index < end and src[index] in _EMAIL_LOCAL:
        index += 1
    if index == start or index >= end or src[index] != "@":
        return None
    return _domain_of_email(src, index + 1, end, protocol)


def _domain_of_email(src: str, start: int, end: int, protocol: str | None) -> int | None:
    """The end of an address's domain starting at `start` (after the `@`), or None."""
    index, periods, slashes = start, 0, 0
    while index < end:
        char = src[index]
        if char.isascii() and char.isalnum() or char in "-_":
            pass
        elif char == "@":
            if protocol != "xmpp":
                return None
        elif char == "." and index + 1 < end and src[index + 1].isascii() and src[index + 1].isalnum():
            periods += 1
        elif char == "/" and protocol == "xmpp" and slashes == 0:
            slashes += 1
        else:
            break
        index += 1
    if index == start or periods == 0:
        return None
    last = src[index - 1]
    # As GFM's reference: a bare address may end in a digit, a `mailto:` one may not.
    ends_well = last.isalnum() if protocol is None else last.isalpha()
    return index if (last.isascii() and ends_well) or last == "." else None
