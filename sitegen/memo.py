"""Keeping values between the watch loop's rebuilds, which re-read every input.

Two kinds of memo, by what a value depends on:

- `ByInput`: a value kept under a label while its one input compares equal (identity first,
  then `==`). The input is everything the value is made from: a file's bytes for its parse,
  never its mtime (editors can save twice within one timestamp tick); a page's plan, site view
  and templates for its rendered digest; the arguments of a pure function (a paper's search
  record, the search index, a merged title group).
- `sitegen.tracking.Recorded`: the planner's derived values (pages, cards, feeds, export
  files), kept until something they read changed; what they read is recorded as they read it.

Two more shapes remain on purpose: rendered curator Markdown (`curation.content.RenderedTexts`)
is kept by its text and the outcome of each paper reference it made, recorded at render time;
and `functools` caches hold pure functions of immutable arguments (slugs, URL paths, compiled
rules), which cannot go stale.
"""

from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


class ByInput:
    """Remembers `parse()` results per (label, bytes); entries unused in a round are dropped.
    Any content compared by `==` works the same (the catalog's merged title groups)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[bytes, object]] = {}
        self._used: dict[str, tuple[bytes, object]] = {}

    def get(self, label: str, data: object, parse: Callable[[], T]) -> T:
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
