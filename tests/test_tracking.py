"""Recorded dependencies: a value is redone exactly when something it read changed."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from sitegen.tracking import Recorded, Unrecorded


@dataclass(frozen=True)
class Record:
    a: int
    b: int
    items: dict

    def total(self) -> int:
        return self.a + self.b


class Counting:
    """A memo round by round, counting how often each value was computed."""

    def __init__(self, record: Record):
        self.memo = Recorded(navigable=(Record,))
        self.calls: dict[str, int] = {}
        self.record = record

    def round(self, record: Record, compute: dict) -> dict:
        root = self.memo.publish("root", record)
        values = {name: self.memo.get(name, None, lambda name=name, f=f: self._count(name, f, root))
                  for name, f in compute.items()}
        self.memo.end_round()
        return values

    def _count(self, name, f, root):
        self.calls[name] = self.calls.get(name, 0) + 1
        return f(root)


BASE = Record(1, 2, {"x": 10, "y": 20})
VALUES = {"a": lambda r: r.a * 100, "x": lambda r: r.items.get("x"), "missing": lambda r: r.items.get("z", 0),
          "all": lambda r: sorted(r.items.items()), "total": lambda r: r.total()}


def rounds(*records: Record) -> dict[str, int]:
    memo = Counting(BASE)
    for record in records:
        memo.round(record, VALUES)
    return memo.calls


@pytest.mark.parametrize("edit, redone", [
    (replace(BASE, b=3), {"total"}),  # a field nobody reads alone; the method reads the record whole
    (replace(BASE, a=5), {"a", "total"}),
    (replace(BASE, items={"x": 10, "y": 21}), {"all", "total"}),
    (replace(BASE, items={"x": 11, "y": 20}), {"x", "all", "total"}),
    (replace(BASE, items={"x": 10, "y": 20, "z": 1}), {"missing", "all", "total"}),  # a key read while absent
    (replace(BASE, items={"y": 20}), {"x", "all", "total"}),
    (replace(BASE, items=dict(BASE.items)), set()),  # equal, not the same object
])
def test_only_values_whose_reads_changed_are_redone(edit, redone):
    calls = rounds(BASE, edit)
    assert {name for name, count in calls.items() if count == 2} == redone
    assert set(calls) == set(VALUES)


def test_an_equal_result_keeps_the_earlier_object():
    memo = Counting(BASE)
    positive = {"positive": lambda r: [r.a > 0]}
    first = memo.round(BASE, positive)["positive"]
    again = memo.round(replace(BASE, a=5), positive)["positive"]
    assert memo.calls["positive"] == 2 and again is first


def test_a_family_with_nothing_stale_is_last_rounds_very_mapping():
    memo = Recorded(navigable=(Record,))
    values = []
    for record in (BASE, replace(BASE, b=9), replace(BASE, items={"x": 1, "y": 20})):
        root = memo.publish("root", record)
        values.append(memo.family("f", ("x", "y"), lambda key: root.items[key] * 2))
        memo.end_round()
    assert values[1] is values[0]
    assert values[2] == {"x": 2, "y": 40} and values[2]["y"] is values[0]["y"]


def test_a_failed_round_leaves_its_stale_values_to_be_redone():
    memo = Recorded(navigable=(Record,))
    root = memo.publish("root", BASE)
    assert memo.get("x", None, lambda: root.items["x"]) == 10
    memo.end_round()
    root = memo.publish("root", replace(BASE, items={"x": 11, "y": 20}))
    with pytest.raises(RuntimeError):
        memo.get("x", None, lambda: (_ for _ in ()).throw(RuntimeError("a template error")))
    # The next round sees no change since the failed one, and still redoes the value.
    root = memo.publish("root", replace(BASE, items={"x": 11, "y": 20}))
    assert memo.get("x", None, lambda: root.items["x"]) == 11


def test_unrecorded_computes_every_time():
    memo, calls = Unrecorded(), []
    for _ in range(2):
        root = memo.publish("root", BASE)
        memo.get("a", None, lambda: calls.append(root.a))
        memo.end_round()
    assert calls == [1, 1]
