"""Lines as an editor counts them, for every located message.

LF, CRLF and a lone CR each end one line, and nothing else does. YAML also breaks lines at
NEL (U+0085), LS (U+2028) and PS (U+2029), and Python's `str.splitlines` at those and more
(VT, FF, FS, GS, RS), but no editor shows a new line there: a message must name the line
the curator sees, so every reader splits with `split_lines` and YAML's line numbers go
through `YamlLines`.
"""

from __future__ import annotations

import re

# Line ends YAML knows; only the first three are also an editor's.
YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_UNUSUAL_BREAKS = ("\x85", "\u2028", "\u2029")


def split_lines(text: str) -> list[str]:
    """The editor's lines of `text`, without a leading BOM (a final line break leaves an
    empty last line)."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


class YamlLines:
    """Translates YAML's 0-based line numbers in one text into 1-based editor lines, never
    past the text's last line (some libyaml versions mark the end of a text that has no final
    line break on the line after it)."""

    __slots__ = ("_editor_line", "_last_line")

    def __init__(self, text: str):
        # Usually no unusual break occurs, and YAML's count is the editor's.
        self._editor_line: list[int] | None = None
        self._last_line = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
        if any(brk in text for brk in _UNUSUAL_BREAKS):
            editor_line = [1]
            for found in YAML_BREAK.finditer(text):
                editor_line.append(editor_line[-1] + (found.group() not in _UNUSUAL_BREAKS))
            self._editor_line = editor_line

    def editor_line(self, yaml_line: int) -> int:
        """The 1-based editor line of YAML's 0-based `yaml_line`."""
        if self._editor_line is None:
            return min(yaml_line + 1, self._last_line)
        return self._editor_line[min(yaml_line, len(self._editor_line) - 1)]
