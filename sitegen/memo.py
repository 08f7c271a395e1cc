"""The memo for rebuilds that re-read every input: parses by file content.

Derived values (pages, cards, feeds, export files) are memoised by `sitegen.tracking.Recorded`,
which records what each one reads.

`ByContent` keeps a file's label and its bytes, never its mtime: editors can save twice
within one filesystem timestamp tick, and a stale parse would silently break the rule that
an incremental rebuild equals a clean build.
"""

from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


class ByContent:
    """Remembers `parse()` results per (label, bytes); entries unused in a round are dropped."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[bytes, object]] = {}
        self._used: dict[str, tuple[bytes, object]] = {}

    def get(self, label: str, data: bytes, parse: Callable[[], T]) -> T:
        # The bytes themselves are compared (memcmp): faster than hashing them, and exact.
        found = self._used.get(label) or self._entries.get(label)
        value = found[1] if found is not None and found[0] == data else parse()
        self._used[label] = (data, value)
        return value

    def peek(self, label: str, data: object) -> object | None:
        """The value kept for `label` while `data` equals its input (kept for this round too),
        else None; nothing is computed."""
        found = self._used.get(label) or self._entries.get(label)
        if found is None or found[0] != data:
            return None
        self._used[label] = found
        return found[1]

    def end_round(self) -> None:
        """Forget everything not asked for since the previous call (deleted or edited files)."""
        self._entries, self._used = self._used, {}
