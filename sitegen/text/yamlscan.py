"""Measure a YAML text's nesting and aliases without parsing it.

sitegen refuses documents nested too deeply or using too many aliases before PyYAML sees
them, so the refusal is sitegen's own, located, and independent of the PyYAML version
(libyaml crashes near 50,000 levels; PyYAML 6.0.4 refuses deep flow nesting itself, with
its own wording). This is a one-pass scanner over YAML's lines, not a parser: it tracks
block collections by indentation, flow brackets, quoted scalars, comments and block
scalars. On a valid document it counts exactly the collection levels PyYAML builds; on
an invalid one it may count a level more or less, and PyYAML then reports the error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sitegen.text.lines import YAML_BREAK

_FLOW_STOP = re.compile(r"[,\[\]{}]|:(?=[ \t,\[\]{}]|$)|(?<=[ \t])#")  # ends a plain scalar in flow
_SPACE = re.compile(r"[ \t]")
_KEY_END = re.compile(r":(?:[ \t]|$)")
_PROPERTY = re.compile(r"[&!][^ \t]*[ \t]+")  # an anchor or a tag before a node
_COMPACT = re.compile(r"[-?:](?:[ \t]+|$)")  # a sequence entry, a complex key or its value


@dataclass(frozen=True, slots=True)
class Excess:
    """Where a limit was first passed: YAML's 0-based line and which limit."""

    yaml_line: int
    limit: str  # "depth" or "aliases"


class _Scanner:
    def __init__(self, max_depth: int, max_aliases: int):
        self.max_depth, self.max_aliases = max_depth, max_aliases
        self.blocks: list[tuple[int, str]] = []  # (indent, "seq" | "map") of open block collections
        self.flow = 0  # open [ and {
        self.quote = ""  # the quote of a quoted scalar still open at the line end
        self.expect_node = False  # in flow context: the next non-space character starts a node
        self.block_scalar_indent = -1  # lines indented deeper belong to a | or > scalar
        self.aliases = 0
        self.excess = ""

    def scan(self, text: str) -> Excess | None:
        for number, line in enumerate(YAML_BREAK.split(text)):
            self._line(line)
            if self.excess:
                return Excess(number, self.excess)
        return None

    def _line(self, line: str) -> None:
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if self.block_scalar_indent >= 0:
            if not body.strip() or indent > self.block_scalar_indent:
                return
            self.block_scalar_indent = -1
        if self.quote or self.flow:
            self._characters(line, 0)
            return
        if line.startswith(("---", "...", "%")):  # a document marker or directive
            self.blocks.clear()
            return
        if not body or body.startswith("#"):
            return
        while self.blocks and self.blocks[-1][0] > indent:
            self.blocks.pop()
        self._nodes(line, indent)

    def _nodes(self, line: str, indent: int) -> None:
        """Open the block collections that begin on this line, then scan its value."""
        position = indent
        while not self.excess:
            prop = _PROPERTY.match(line, position)
            if prop:
                position = prop.end()
                continue
            compact = _COMPACT.match(line, position)
            if compact:
                if line[position] != ":":  # the value of a `?` key opens nothing
                    self._open(position, "seq" if line[position] == "-" else "map")
                position = compact.end()
                continue
            key_end = self._key_end(line, position)
            if key_end is None:
                break
            self._open(position, "map")
            position = key_end
            while position < len(line) and line[position] in " \t":
                position += 1
            break
        if line.startswith(("|", ">"), position):  # a block scalar: its lines are text
            self.block_scalar_indent = indent
            return
        # A plain scalar runs to the line end; only a flow collection, a quoted scalar or an
        # alias needs a closer look.
        if line.startswith(("[", "{", '"', "'", "*"), position):
            self.expect_node = True
            self._characters(line, position)

    def _key_end(self, line: str, position: int) -> int | None:
        """The end of `KEY:` at `position` (a plain or quoted key), else None."""
        if line.startswith(("[", "{", "#", "|", ">", "*"), position):
            return None
        if line.startswith(('"', "'"), position):
            close = _quote_close(line, position + 1, line[position])
            if close is None:
                return None
            found = _KEY_END.match(line, close)
            return found.end() if found else None
        found = _KEY_END.search(line, position)
        if not found:
            return None
        comment = line.find(" #", position, found.start())
        return found.end() if comment < 0 else None

    def _open(self, column: int, kind: str) -> None:
        blocks = self.blocks
        while blocks and blocks[-1][0] > column:
            blocks.pop()
        if blocks and blocks[-1][0] == column:
            if blocks[-1][1] == kind:
                return
            if kind == "map":  # a sequence at a key's indentation has ended
                blocks.pop()
                self._open(column, kind)
                return
        blocks.append((column, kind))
        self._check_depth()

    def _characters(self, line: str, position: int) -> None:
        """Follow quotes, flow brackets, comments and aliases from `position` to the line end.

        Quotes, brackets and `*` only mean something where a node starts (`expect_node`):
        inside a plain scalar they are text."""
        end = len(line)
        while position < end and not self.excess:
            if self.quote:
                close = _quote_close(line, position, self.quote)
                if close is None:
                    return
                self.quote, self.expect_node, position = "", False, close
                continue
            char = line[position]
            if char in " \t":
                position += 1
            elif char == "#" and (position == 0 or line[position - 1] in " \t"):
                return
            elif self.expect_node and char in "\"'":
                self.quote, position = char, position + 1
            elif self.expect_node and char == "?" and line[position + 1:position + 2] in ("", " ", "\t"):
                position += 1  # an explicit key: its node follows
            elif self.expect_node and char in "&!":
                space = _SPACE.search(line, position)
                position = space.start() if space else end
            elif self.expect_node and char in "[{" or self.flow and char in "[{":
                self.flow, self.expect_node, position = self.flow + 1, True, position + 1
                self._check_depth()
            elif not self.flow:
                if self.expect_node and char == "*":
                    self._alias()
                return  # a block value: the rest of the line is that scalar or a comment
            else:
                if self.expect_node and char == "*":
                    self._alias()
                self.expect_node = False
                found = _FLOW_STOP.search(line, position)
                if not found:
                    return
                stop, position = found.group(), found.end()
                if stop in "]}":
                    self.flow -= 1
                elif stop in ",:":
                    self.expect_node = True
                elif stop in "[{":
                    position -= 1
                else:  # " #": a comment
                    return

    def _alias(self) -> None:
        self.aliases += 1
        if self.aliases > self.max_aliases:
            self.excess = "aliases"

    def _check_depth(self) -> None:
        if len(self.blocks) + self.flow > self.max_depth:
            self.excess = "depth"


def _quote_close(line: str, position: int, quote: str) -> int | None:
    """The index after the `quote` that closes a scalar whose text goes on at `position`,
    or None when it stays open past the line."""
    while True:
        close = line.find(quote, position)
        if close < 0:
            return None
        if quote == '"':
            escapes = close - len(line[:close].rstrip("\\"))
            if escapes % 2:
                position = close + 1
                continue
            return close + 1
        if line.startswith("''", close):
            position = close + 2
            continue
        return close + 1


def first_excess(text: str, max_depth: int, max_aliases: int) -> Excess | None:
    """Where `text` first nests deeper than `max_depth` collections or uses more than
    `max_aliases` aliases; None when it stays within both."""
    return _Scanner(max_depth, max_aliases).scan(text)
