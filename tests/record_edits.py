"""Single-field edits of the records a stage reads, enumerated from the records themselves.

Every dataclass instance reachable from a value is found (`records`); each init field of each
record type is perturbed in one record (`perturbations`), with the value another record of its
type holds, or else by its type. Tests of memoised stages (the planner, search records) compare
a memoised rerun on each perturbed input with a fresh computation of it, so a field added later
is covered without touching them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping


def label(cls: type, field_name: str) -> str:
    return f"{cls.__module__}.{cls.__qualname__}.{field_name}"


def records(value, found: dict[type, list]) -> dict[type, list]:
    """Every dataclass instance reachable from `value`, by type, in the order first met."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        bucket = found.setdefault(type(value), [])
        if any(item is value for item in bucket):
            return found
        bucket.append(value)
        for f in dataclasses.fields(value):
            if f.compare:  # compare=False fields are caches, not data (the taxonomy's rule index)
                records(getattr(value, f.name), found)
    elif isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            records(item, found)
    elif isinstance(value, Mapping):
        for item in value.values():
            records(item, found)
    return found


def swap(value, old, new):
    """`value` with the object `old` replaced by `new` wherever it occurs; untouched parts
    stay the very same objects, as the earlier stages' memos hand them over."""
    if value is old:
        return new
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: swapped for f in dataclasses.fields(value) if f.init and f.compare
                   for current in [getattr(value, f.name)] if (swapped := swap(current, old, new)) is not current}
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, tuple):
        items = tuple(swap(item, old, new) for item in value)
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, Mapping):
        items = {key: swap(item, old, new) for key, item in value.items()}
        return value if all(items[key] is item for key, item in value.items()) else items
    return value


def by_type(value):
    """A value of the same type that differs, when the type says how."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + " (edited)"
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    if isinstance(value, tuple) and value:
        return value[:-1]
    if isinstance(value, Mapping) and value:
        return dict(list(value.items())[:-1])
    return None  # None, an empty tuple: no value of the type to invent


def candidates(instances: list, name: str):
    """(record, perturbed value) pairs: another record's value first, then one by type."""
    for record in instances:
        current = getattr(record, name)
        for other in instances:
            value = getattr(other, name)
            if other is not record and value != current:
                yield record, value
                break
        else:
            value = by_type(current)
            if value is not None:
                yield record, value


def perturbations(data, skip: tuple[type, ...] = ()):
    """(label, perturbed data) for every init field of every record type, each in one record,
    preferring a record whose perturbation changes the clean output (up to three tried)."""
    for cls, instances in records(data, {}).items():
        if cls in skip:
            continue  # a container whose fields are the records below
        for f in dataclasses.fields(cls):
            if not f.init or not f.compare:
                continue
            tried = []
            for record, value in candidates(instances, f.name):
                try:
                    changed = dataclasses.replace(record, **{f.name: value})
                except Exception:
                    continue  # a value the record itself refuses
                tried.append(swap(data, record, changed))
                if len(tried) == 3:
                    break
            yield label(cls, f.name), tried
