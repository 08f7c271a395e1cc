"""Parse results keyed by file content, for rebuilds that re-read every input.

Keys are the file's label and a digest of its bytes, never its mtime: editors can save twice
within one filesystem timestamp tick, and a stale parse would silently break the rule that
an incremental rebuild equals a clean build.
"""

from __future__ import annotations

import hashlib
from typing import Callable, TypeVar

T = TypeVar("T")


class ByContent:
    """Remembers `parse()` results per (label, bytes); entries unused in a round are dropped."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, bytes], object] = {}
        self._used: dict[tuple[str, bytes], object] = {}

    def get(self, label: str, data: bytes, parse: Callable[[], T]) -> T:
        key = (label, hashlib.blake2b(data, digest_size=16).digest())
        if key in self._entries:
            value = self._entries[key]
        elif key in self._used:
            value = self._used[key]
        else:
            value = parse()
        self._used[key] = value
        return value

    def end_round(self) -> None:
        """Forget everything not asked for since the previous call (deleted or edited files)."""
        self._entries, self._used = self._used, {}
