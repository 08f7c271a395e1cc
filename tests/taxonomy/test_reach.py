"""A taxonomy edit reclassifies only the papers a changed rule can reach, and the tags kept
for the others are exactly what a full classification gives (`kept.Memo.classify`)."""

from __future__ import annotations

import random
import re

import pytest

from sitegen import kept
from sitegen.diagnostics import SitegenError
from sitegen.kept import Memo
from sitegen.pipeline import TAXONOMY_PATH, load_catalog
from sitegen.taxonomy import classify, parse_taxonomy as parse
from sitegen.taxonomy.reach import edit_reach, reaches

from conftest import ROOT

TAXONOMY = (ROOT / TAXONOMY_PATH).read_text(encoding="utf-8")
_WORD = re.compile(r"[A-Za-z]{4,}")
LOCAL = ("alias-add", "alias-remove", "cue-add", "cue-remove", "pattern-add", "topic-add")


@pytest.fixture(scope="module")
def papers():
    return load_catalog(ROOT).papers


def _phrase(rng: random.Random, papers) -> str:
    """Two words that follow each other in some paper's text, so the edit tags something."""
    while True:
        paper = rng.choice(papers)
        words = _WORD.findall(rng.choice([paper.title, paper.abstract]))
        if len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            return f"{words[start]} {words[start + 1]}"


def _nth(text: str, marker: str, rng: random.Random) -> int:
    places = [m.end() for m in re.finditer(re.escape(marker), text)]
    return rng.choice(places)


def edit(text: str, kind: str, rng: random.Random, papers) -> str:
    """`text` with one edit of `kind` (see LOCAL; "scoring" is not local)."""
    if kind == "scoring":
        return text.replace("threshold: 5", "threshold: 4", 1) if "threshold: 5" in text else \
            text.replace("threshold: 4", "threshold: 5", 1)
    if kind == "topic-add":
        number = rng.randrange(10_000)
        return text.replace("topics:\n", f"topics:\n  - id: added-{number}\n    title: Added {number}\n"
                            f"    description: Added by a test.\n    rules:\n      - weight: 5\n"
                            f"        phrases: [{_phrase(rng, papers)}]\n", 1)
    if kind in ("alias-remove", "cue-remove"):
        marker = "aliases: [" if kind == "alias-remove" else "phrases: ["
        place = _nth(text, marker, rng)
        comma = text.find(", ", place)
        if comma < 0 or "]" in text[place:comma]:  # keep at least one
            return text
        return text[:place] + text[comma + 2:]
    marker, item = {"alias-add": ("aliases: [", _phrase(rng, papers)),
                    "cue-add": ("phrases: [", _phrase(rng, papers)),
                    "pattern-add": ("regexes: [", "'{}'".format(_phrase(rng, papers).replace(" ", r"\s+")))}[kind]
    place = _nth(text, marker, rng)
    return text[:place] + item + ", " + text[place:]


def load(text: str):
    return parse(text, TAXONOMY_PATH)


def full(taxonomy, papers) -> dict:
    return {paper.slug: classify(taxonomy, paper.title, paper.abstract) for paper in papers}


@pytest.mark.parametrize("seed", range(6))
def test_random_taxonomy_edits_retag_exactly_like_a_full_classification(papers, seed, monkeypatch):
    rng = random.Random(seed)
    catalog = load_catalog(ROOT)
    memo = Memo()
    text = TAXONOMY
    memo.classify(load(text), catalog)
    counted: list[str] = []
    monkeypatch.setattr(kept, "classify", lambda tax, title, *rest: counted.append(title) or classify(tax, title, *rest))
    changed_tags = 0
    for step in range(4):
        kind = rng.choice(LOCAL + ("scoring",))
        edited = edit(text, kind, rng, papers)
        try:
            taxonomy = load(edited)
        except SitegenError:  # e.g. an alias two models share: not an edit a build accepts
            continue
        reach = edit_reach(load(text), taxonomy)
        assert (reach is None) == (kind == "scoring"), kind
        before, counted[:] = full(load(text), papers), []
        expected = full(taxonomy, papers)
        assert memo.classify(taxonomy, catalog) == expected, f"seed {seed}, step {step}: {kind}"
        changed_tags += before != expected
        if reach is not None:  # only the texts the edited rule can reach were classified again, not all
            # (the reach is the whole edited rule's words: a rule with a common word reaches many)
            reached = [paper.title for paper in papers if reaches(taxonomy, reach, paper.title, paper.abstract)]
            assert sorted(counted) == sorted(reached) and len(counted) < len(papers), kind
        text = edited
    assert changed_tags  # the edits tagged something differently: the check above can fail


def test_an_alias_reaches_only_the_papers_that_have_its_words(papers):
    old = load(TAXONOMY)
    new = load(TAXONOMY.replace("aliases: [B100]", "aliases: [B100, Blackwell Ultra]", 1))
    reach = edit_reach(old, new)
    assert reach is not None and reach.words.search(b" nvidia blackwell ultra ")
    assert not reach.words.search(b" b100 blackwells2 ")
