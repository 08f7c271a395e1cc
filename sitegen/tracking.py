"""Recorded dependencies: derived values that learn their inputs by reading them.

`Recorded` is the watch loop's memo for derived values (the planner's pages, cards, feeds,
export files). A value is computed by `get` (or one per item by `family`) with a recorder
on; whatever it reads through a *root* handed out by `publish` is noted in a tree of read
paths: a field of a navigable record, an item of a mapping, or any other value as a whole
(a method call on a record counts as reading the whole record). Each path remembers what it
gave and which values read it.

Next round, `publish` walks the new root down that tree, comparing what each path gives now
with what it gave (identity first, then `==`; a subtree whose value is unchanged is skipped
whole, so a round costs what changed, not what is cached), and marks the values that read a
changed path stale. Everything else is handed back as the very same object. A dependency can
therefore only be missed by reading around the roots, never by forgetting to list it: compute
functions may use only their key and what they read through roots.

`Unrecorded` has the same interface and remembers nothing: a clean build pays no tracking.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Callable, Hashable, Iterable, TypeVar

T = TypeVar("T")
MISSING = object()  # what a path gives when the key or field is not there


class _Node:
    """One read path: what it gave last, the paths read below it, the values that read it whole."""

    __slots__ = ("value", "attrs", "items", "readers")

    def __init__(self, value: object) -> None:
        self.value = value
        self.attrs: dict[str, _Node] = {}
        self.items: dict[object, _Node] = {}
        self.readers: set[tuple[str, Hashable]] = set()


class Recorded:
    """Derived values by (name, item), reused until something they read changes."""

    def __init__(self, navigable: tuple[type, ...] = ()) -> None:
        self.navigable = navigable  # record types read field by field; others are read whole
        self.clear()

    def clear(self) -> None:
        self._roots: dict[str, _Node] = {}
        self._entries: dict[tuple[str, Hashable], object] = {}
        self._used: dict[tuple[str, Hashable], object] = {}
        self._families: dict[str, tuple[tuple, dict]] = {}
        self._families_used: dict[str, tuple[tuple, dict]] = {}
        self._stale: dict[str, set] = {}
        self._active: tuple[str, Hashable] | None = None
        self._nodes = 0
        self._node_limit: int | None = None

    # --- roots ---------------------------------------------------------------------------------

    def publish(self, name: str, value: T) -> T:
        """Make `value` this round's root `name` and return the view to read it through."""
        node = self._roots.get(name)
        if node is None:
            node = self._roots[name] = self._node(value)
        else:
            self._walk(node, value)
        return self._view(value, node)

    def root(self, name: str):
        """Root `name` as published this round, read through its view (or read whole)."""
        node = self._roots[name]
        return self._view(node.value, node)

    # --- values --------------------------------------------------------------------------------

    def get(self, name: str, item: Hashable, compute: Callable[[], T]) -> T:
        """The value (name, item), computed by `compute()` unless last round's still holds."""
        if self._active is not None:  # inside another value: its reads are that value's
            return compute()
        key = (name, item)
        found = self._entries.get(key, MISSING)
        if found is MISSING or item in self._stale.get(name, ()):
            found = self._recompute(key, compute, found)
        self._used[key] = found
        return found  # type: ignore[return-value]

    def family(self, name: str, items: tuple, build: Callable[[Hashable], T]) -> dict:
        """item -> `build(item)` for every item, in order; one recorded value per item.

        When no item is stale and the items are last round's, last round's very mapping
        comes back (one tuple comparison in C instead of one call per item)."""
        if self._active is not None:
            return {item: build(item) for item in items}
        last = self._families.get(name)
        stale = self._stale.get(name)
        if last is not None and not stale and last[0] == items:
            values = last[1]
        else:
            old = last[1] if last is not None else {}
            values = {}
            for item in items:
                found = old.get(item, MISSING)
                if found is MISSING or (stale and item in stale):
                    found = self._recompute((name, item), lambda: build(item), found)
                values[item] = found
        self._families_used[name] = (items, values)
        return values

    def end_round(self) -> None:
        """Forget values not asked for this round; start afresh when the read tree has
        grown far beyond its first size (paths of deleted papers, re-recorded reads)."""
        self._entries, self._used = self._used, {}
        self._families, self._families_used = self._families_used, {}
        self._stale = {}
        if self._node_limit is None:
            self._node_limit = 2 * self._nodes + 10_000
        elif self._nodes > self._node_limit:
            self.clear()

    # --- recording -----------------------------------------------------------------------------

    def _recompute(self, key: tuple[str, Hashable], compute: Callable[[], T], last: object) -> T:
        self._active = key
        try:
            value = compute()
        finally:
            self._active = None
        # An equal value keeps last round's object: its readers and the renderer see identity.
        return last if last is not MISSING and last == value else value  # type: ignore[return-value]

    def _node(self, value: object) -> _Node:
        self._nodes += 1
        return _Node(value)

    def _view(self, value, node: _Node):
        if type(value) in _PLAIN:  # the usual case, without the abstract-class check below
            self._read(node)
            return value
        if isinstance(value, Mapping):
            return MappingView(value, node, self)
        if type(value) in self.navigable:
            return RecordView(value, node, self)
        self._read(node)
        return value

    def _child(self, table: dict, key: object, value: object):
        node = table.get(key)
        if node is None:
            node = table[key] = self._node(value)
        return self._view(value, node)

    def _read(self, node: _Node) -> None:
        if self._active is not None:
            node.readers.add(self._active)

    def _walk(self, node: _Node, new: object) -> None:
        old, node.value = node.value, new
        if new is old or _equal(old, new):
            return
        for name, item in node.readers:
            self._stale.setdefault(name, set()).add(item)
        for field_name, child in node.attrs.items():
            self._walk(child, getattr(new, field_name, MISSING))
        if node.items:
            get = new.get if isinstance(new, Mapping) else lambda key, default: default
            for key, child in node.items.items():
                self._walk(child, get(key, MISSING))


class Unrecorded:
    """`Recorded`'s interface for a one-off plan: every value computed, nothing kept or tracked."""

    def __init__(self) -> None:
        self._roots: dict[str, object] = {}

    def publish(self, name: str, value: T) -> T:
        self._roots[name] = value
        return value

    def root(self, name: str):
        return self._roots[name]

    def get(self, name: str, item: Hashable, compute: Callable[[], T]) -> T:
        return compute()

    def family(self, name: str, items: tuple, build: Callable[[Hashable], T]) -> dict:
        return {item: build(item) for item in items}

    def end_round(self) -> None:
        pass


def _equal(old: object, new: object) -> bool:
    if old is MISSING or new is MISSING:
        return False
    try:
        return bool(old == new)
    except Exception:  # a value that cannot compare counts as changed: only costs a recomputation
        return False


_PLAIN = frozenset({str, int, bool, float, tuple, type(None)})
_FIELDS: dict[type, frozenset[str]] = {}


def _field_names(cls: type) -> frozenset[str]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


class RecordView:
    """A navigable record read through a root: each field read is recorded on its own."""

    __slots__ = ("_target", "_node", "_memo")

    def __init__(self, target: object, node: _Node, memo: Recorded) -> None:
        self._target, self._node, self._memo = target, node, memo

    def __getattr__(self, name: str):
        value = getattr(self._target, name)
        if name in _field_names(type(self._target)):
            return self._memo._child(self._node.attrs, name, value)
        self._memo._read(self._node)  # a method or property may read any field
        return value

    def __eq__(self, other: object) -> bool:
        self._memo._read(self._node)
        return self._target == (other._target if isinstance(other, RecordView) else other)

    def __hash__(self) -> int:
        self._memo._read(self._node)
        return hash(self._target)

    def __repr__(self) -> str:
        return f"RecordView({self._target!r})"


class MappingView(Mapping):
    """A mapping read through a root: each key looked up is recorded on its own, and reading
    all of it (iterating, its length) records the whole mapping."""

    __slots__ = ("_target", "_node", "_memo")

    def __init__(self, target: Mapping, node: _Node, memo: Recorded) -> None:
        self._target, self._node, self._memo = target, node, memo

    def _item(self, key: object):
        value = self._target.get(key, MISSING)
        return value, self._memo._child(self._node.items, key, value)

    def __getitem__(self, key):
        value, view = self._item(key)
        if value is MISSING:
            raise KeyError(key)
        return view

    def get(self, key, default=None):
        value, view = self._item(key)
        return default if value is MISSING else view

    def __contains__(self, key) -> bool:
        return self._item(key)[0] is not MISSING

    def __iter__(self) -> Iterable:
        self._memo._read(self._node)
        return iter(self._target)

    def __len__(self) -> int:
        self._memo._read(self._node)
        return len(self._target)

    def keys(self):
        self._memo._read(self._node)
        return self._target.keys()

    def values(self):
        self._memo._read(self._node)
        return self._target.values()

    def items(self):
        self._memo._read(self._node)
        return self._target.items()

    def __eq__(self, other: object) -> bool:
        self._memo._read(self._node)
        return self._target == (other._target if isinstance(other, MappingView) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MappingView({self._target!r})"
