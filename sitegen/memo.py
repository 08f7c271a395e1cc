"""Memos for rebuilds that re-read every input: parses by file content, derived values by inputs.

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

    def end_round(self) -> None:
        """Forget everything not asked for since the previous call (deleted or edited files)."""
        self._entries, self._used = self._used, {}


class ByInputs:
    """Derived values by key, reused while the inputs they were computed from compare equal.

    The watch loop rebuilds from scratch in principle; this makes it cheap in practice. A caller
    names everything a value is computed from in `inputs`; when they equal last round's, the very
    same object comes back, so the next stage's own inputs compare by identity (fast) and so on
    down to rendering. Anything without a meaningful `==` never compares equal, which only costs
    a recomputation. Entries not asked for in a round are dropped.
    """

    def __init__(self) -> None:
        self._entries: dict[object, tuple[tuple, object, ByInputs | None]] = {}
        self._used: dict[object, tuple[tuple, object, ByInputs | None]] = {}
        self._scope: tuple | None = None

    def within(self, scope: tuple) -> None:
        """Forget everything when `scope`, what every entry depends on unnamed, has changed."""
        if scope != self._scope:
            self.clear()
        self._scope = scope

    def get(self, key: object, inputs: tuple, compute: Callable[[], T]) -> T:
        found = self._entries.get(key)
        value = found[1] if found is not None and found[0] == inputs else compute()
        self._used[key] = (inputs, value, None)
        return value

    def group(self, key: object, inputs: tuple, compute: Callable[["ByInputs"], T]) -> T:
        """`get` for a value made of parts: `compute` gets a memo of its own, kept with the entry,
        so when the inputs differ only the parts whose own inputs changed are redone."""
        found = self._entries.get(key)
        parts = found[2] if found is not None and found[2] is not None else ByInputs()
        if found is not None and found[0] == inputs:
            value = found[1]
        else:
            value = compute(parts)
            parts.end_round()
        self._used[key] = (inputs, value, parts)
        return value

    def update(self, key: object, patch: Callable[[T | None], T]) -> T:
        """`patch(last round's value, or None)`: for values cheaper to patch than to redo."""
        found = self._entries.get(key)
        value = patch(found[1] if found is not None else None)
        self._used[key] = ((), value, None)
        return value

    def end_round(self) -> None:
        self._entries, self._used = self._used, {}

    def clear(self) -> None:
        self._entries, self._used = {}, {}
