"""Quality of the shipped taxonomy on hand-labelled seed papers (`tests/data/labels.yaml`).

How it is measured, over every labelled paper found in the seed catalog:
- hardware ids and models: micro precision and recall over (paper, id) pairs, hardware
  including the implied family and vendor ids;
- topics: micro precision, recall and F1 of the predicted topic set against the one to
  three labelled topics (a predicted topic nobody labelled is a false positive, a
  labelled topic not predicted a false negative).

Floors sit just under what the rules reach, so a rule change that loses quality fails
here; the figures are printed and also put in the failure message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sitegen.pipeline import load_catalog
from sitegen.taxonomy import DEFAULT_LABEL, classify, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "labels.yaml"
AXES = ("hardware", "models", "topics")
MIN_LABELLED = 80

# (precision, recall) floors; the targets are 0.95/0.90, 0.98/0.95 and F1 0.80.
FLOORS = {"hardware": (0.95, 0.97), "models": (0.98, 0.96)}
TOPICS_F1_FLOOR = 0.83


@dataclass(frozen=True, slots=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (f"P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} "
                f"(tp={self.true_positives} fp={self.false_positives} fn={self.false_negatives})")


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    papers = {paper.title: paper for paper in load_catalog(ROOT).papers}
    missing = sorted(title for title in labels if title not in papers)
    assert not missing, f"labelled titles not in the seed catalog: {missing}"
    assert len(labels) >= MIN_LABELLED
    tax = load_taxonomy(ROOT / DEFAULT_LABEL)
    counts = {axis: [0, 0, 0] for axis in AXES}
    for title, wanted in labels.items():
        tags = classify(tax, title, papers[title].abstract)
        predicted = {"hardware": tags.hardware, "models": tags.models, "topics": tags.topics}
        for axis in AXES:
            found, gold = {tag.id for tag in predicted[axis]}, set(wanted[axis])
            counts[axis][0] += len(found & gold)
            counts[axis][1] += len(found - gold)
            counts[axis][2] += len(gold - found)
    result = {axis: Score(*counts[axis]) for axis in AXES}
    print(f"\ntaxonomy quality on {len(labels)} labelled papers:")
    for axis in AXES:
        print(f"  {axis:9} {result[axis]}")
    return result


def _report(scores: dict[str, Score]) -> str:
    return "; ".join(f"{axis}: {scores[axis]}" for axis in AXES)


@pytest.mark.parametrize("axis", sorted(FLOORS))
def test_hardware_and_models_reach_their_floors(scores, axis):
    precision_floor, recall_floor = FLOORS[axis]
    score = scores[axis]
    assert score.precision >= precision_floor and score.recall >= recall_floor, _report(scores)


def test_topics_reach_their_floor(scores):
    assert scores["topics"].f1 >= TOPICS_F1_FLOOR, _report(scores)


def test_every_label_uses_known_ids():
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    tax = load_taxonomy(ROOT / DEFAULT_LABEL)
    known = {
        "hardware": {entry.id for entry in tax.hardware},
        "models": {model.slug for model in tax.models},
        "topics": {topic.id for topic in tax.topics},
    }
    unknown = [(title, axis, some_id) for title, wanted in labels.items() for axis in AXES
               for some_id in wanted[axis] if some_id not in known[axis]]
    assert not unknown
    assert all(1 <= len(wanted["topics"]) <= 3 for wanted in labels.values())
