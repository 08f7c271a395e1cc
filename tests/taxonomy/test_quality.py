"""Quality of the shipped taxonomy and of related papers, on five hand-labelled sets.

- seed papers: every paper of `seeds/`, labelled in `tests/data/labels.yaml`;
- development papers: `tests/fixtures/devset/*.txt`, focused on hardware studied versus
  only mentioned `tests/fixtures/devset2/*.txt`, and a mix like the seeds carrying the known
  error classes as true and false cases `tests/fixtures/devset3/*.txt`: papers in none of
  the other sets, each
  labelled in its folder's `labels.yaml` before the rules were tuned on them; the rules are
  tuned on the seed and development papers;
- held-back papers: `tests/fixtures/heldback/*.txt`, papers that are not in the seeds,
  labelled in `tests/fixtures/heldback/labels.yaml` before any rule was tuned and never
  tuned on: they say whether the rules generalise.

How it is measured, on each set:
- hardware ids and models: micro precision, recall and F1 over (paper, id) pairs,
  hardware including the implied family and vendor;
- topics: micro F1 of the predicted topic set against the zero to three labelled topics;
- related papers (seed set): the share of (paper, related paper) pairs whose labelled
  topics overlap, over papers with at least one labelled topic; next to it the same share
  for all pairs of those papers, which is what picking at random would score.

The figures are printed (`pytest -s`) and put in every failure message. Each figure must
reach the target of issue #18 (`TARGETS`), except where it does not yet: those are listed
in `NOT_YET` with the floor the rules do reach (a regression below it fails), and their
target test is a strict xfail, so reaching the target fails loudly until it moves out of
`NOT_YET`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pytest
import yaml

from sitegen.catalog.merge import build_catalog
from sitegen.pipeline import load_catalog
from sitegen.related import related_papers, documents_of
from sitegen.sources.listing_files import read_seed_dir
from sitegen.taxonomy import DEFAULT_LABEL, classify, load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
SEED_LABELS = ROOT / "tests" / "data" / "labels.yaml"
DEVSET = ROOT / "tests" / "fixtures" / "devset"
DEVSET2 = ROOT / "tests" / "fixtures" / "devset2"
DEVSET3 = ROOT / "tests" / "fixtures" / "devset3"
HELDBACK = ROOT / "tests" / "fixtures" / "heldback"
AXES = ("hardware", "models", "topics")
SETS = ("seed", "dev", "dev2", "dev3", "held-back")
MIN_LABELLED = {"seed": 400, "dev": 60, "dev2": 40, "dev3": 40, "held-back": 60}

# The development sets are tuned on like the seeds, but are new wording: they are held to
# the held-back targets.
TARGETS = {
    "seed": {"hardware": 0.95, "models": 0.95, "topics": 0.82},
    "dev": {"hardware": 0.93, "models": 0.92, "topics": 0.80},
    "dev2": {"hardware": 0.93, "models": 0.92, "topics": 0.80},
    "dev3": {"hardware": 0.93, "models": 0.92, "topics": 0.80},
    "held-back": {"hardware": 0.93, "models": 0.92, "topics": 0.80},
}
# (set, axis) -> the floor reached so far, for the figures still under their target.
NOT_YET = {("held-back", "hardware"): 0.92, ("dev2", "topics"): 0.60, ("dev3", "topics"): 0.70}
RELATED_TARGET = 0.80


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


@dataclass(frozen=True, slots=True)
class Labelled:
    """One set: its labels by title and its papers by title."""

    labels: dict
    papers: dict


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy(ROOT / DEFAULT_LABEL)


@pytest.fixture(scope="module")
def sets() -> dict[str, Labelled]:
    def listed(folder: Path) -> Labelled:
        papers = build_catalog(read_seed_dir(folder, ROOT), {}).papers
        return Labelled(_labels(folder / "labels.yaml"), {p.title: p for p in papers})

    return {
        # The labels cover the listings and the papers notes add; seeds/library.bib's paper from
        # elsewhere (known only from BibTeX) is not part of the labelled set.
        "seed": Labelled(_labels(SEED_LABELS), {p.title: p for p in load_catalog(ROOT).papers
                                                if p.added_by or any(o.file.endswith(".txt") for o in p.occurrences)}),
        "dev": listed(DEVSET),
        "dev2": listed(DEVSET2),
        "dev3": listed(DEVSET3),
        "held-back": listed(HELDBACK),
    }


def _labels(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scores(tax, sets) -> dict[str, dict[str, Score]]:
    result = {name: _score(tax, sets[name]) for name in SETS}
    print()
    for name in SETS:
        print(f"taxonomy quality, {name} papers ({len(sets[name].labels)}): {_line(result[name])}")
    return result


def _score(tax, labelled: Labelled) -> dict[str, Score]:
    counts = {axis: [0, 0, 0] for axis in AXES}
    for title, wanted in labelled.labels.items():
        tags = classify(tax, title, labelled.papers[title].abstract)
        predicted = {"hardware": tags.hardware, "models": tags.models, "topics": tags.topics}
        for axis in AXES:
            found, gold = {tag.id for tag in predicted[axis]}, set(wanted[axis])
            counts[axis][0] += len(found & gold)
            counts[axis][1] += len(found - gold)
            counts[axis][2] += len(gold - found)
    return {axis: Score(*counts[axis]) for axis in AXES}


def _line(score: dict[str, Score]) -> str:
    return "; ".join(f"{axis} {score[axis]}" for axis in AXES)


@pytest.fixture(scope="module")
def related_agreement(tax, sets) -> tuple[float, float]:
    """(share of related pairs sharing a labelled topic, same share over all pairs). The
    related papers are computed as a build does, from the classifier's topics."""
    seed = sets["seed"]
    topics = {seed.papers[title].slug: set(wanted["topics"]) for title, wanted in seed.labels.items()}
    predicted = {p.slug: [tax.title_of(t.id) for t in classify(tax, p.title, p.abstract).topics]
                 for p in seed.papers.values()}
    related = related_papers(documents_of(seed.papers.values(), predicted))
    pairs = [(slug, r.slug) for slug, found in related.items() if topics.get(slug) for r in found]
    method = sum(1 for a, b in pairs if topics[a] & topics.get(b, set())) / len(pairs)
    with_topics = [t for t in topics.values() if t]
    random = sum(1 for a, b in combinations(with_topics, 2) if a & b) / (len(with_topics) * (len(with_topics) - 1) / 2)
    print(f"\nrelated papers sharing a labelled topic: {method:.3f} of {len(pairs)} pairs "
          f"for {len(related)} papers "
          f"(random pairs: {random:.3f})")
    return method, random


@pytest.mark.parametrize("name", SETS)
def test_every_paper_of_the_set_is_labelled_and_found(sets, name):
    labelled = sets[name]
    assert len(labelled.labels) >= MIN_LABELLED[name]
    assert sorted(set(labelled.labels) ^ set(labelled.papers)) == []


def _target_cases():
    for name in SETS:
        for axis in AXES:
            marks = [pytest.mark.xfail(strict=True, reason=f"issue #18 target not reached yet on the {name} set")] \
                if (name, axis) in NOT_YET else []
            yield pytest.param(name, axis, marks=marks, id=f"{name}-{axis}")


@pytest.mark.parametrize("name, axis", list(_target_cases()))
def test_f1_reaches_the_target(scores, name, axis):
    assert scores[name][axis].f1 >= TARGETS[name][axis], f"{name}: {_line(scores[name])}"


@pytest.mark.parametrize("name, axis", sorted(NOT_YET))
def test_f1_under_its_target_keeps_the_floor_reached(scores, name, axis):
    assert scores[name][axis].f1 >= NOT_YET[name, axis], f"{name}: {_line(scores[name])}"


def test_related_papers_share_a_topic_far_more_often_than_random_pairs(related_agreement):
    method, random = related_agreement
    assert method >= RELATED_TARGET and method > 5 * random, f"related {method:.3f}, random {random:.3f}"


@pytest.mark.parametrize("name", SETS)
def test_every_label_uses_known_ids(tax, sets, name):
    known = {
        "hardware": {entry.id for entry in tax.hardware},
        "models": {model.slug for model in tax.models},
        "topics": {topic.id for topic in tax.topics},
    }
    labels = sets[name].labels
    unknown = [(title, axis, some_id) for title, wanted in labels.items() for axis in AXES
               for some_id in wanted[axis] if some_id not in known[axis]]
    assert not unknown
    assert all(len(wanted["topics"]) <= tax.scoring.max_topics for wanted in labels.values())
