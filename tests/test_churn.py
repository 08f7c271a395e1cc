"""Watch under churn, end to end (`sitegen.dev.loop.Loop`: the watcher, the incremental builder
and the writer): a thousand rapid edits across files end in a few rebuilds and exactly the
site a clean build makes; a watched folder renamed away and back is watched again."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from conftest import ROOT, copy_project
from loop_helpers import clean_build, messages, start_loop, tree

from sitegen.dev.rebuild import RebuildReport

FIXTURE = ROOT / "tests" / "fixtures" / "site"
EDITS = 1000
MAX_REBUILDS = 10  # one per pause of a tenth of a second in the stream of edits; 1 when none
PAPERS = ("flashattention-on-hopper-fast-kv-cache-attention-with-h100s",
          "serving-script-alert-1-script-models-on-a-single-gpu", "a-paper-with-nothing-to-tag")
NOTE = "---\npaper: {paper}\nstatus: {status}\nrating: {rating}\n---\nEdit {number}: worth a look.\n"
SEED = "Churned Paper Number {n}\n\n" + "Attention kernels and the KV cache on a single GPU, measured again. " * 4 + "\n"
PATH = "---\ntitle: Churn path {number}\n---\nStart here.\n\n[[{first}]]\n\n[[{second}]]\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = copy_project(FIXTURE, tmp_path / "project")
    (root / "content" / "notes").mkdir()
    (root / "content" / "paths").mkdir()
    return root


def save(path: Path, text: str, rng: random.Random) -> None:
    """Save as editors do: in place, or a temp file renamed over the target."""
    if rng.random() < 0.5:
        path.write_text(text)
    else:
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(text)
        os.replace(temp, path)


def edit(root: Path, number: int, rng: random.Random) -> None:
    """One edit of a random kind: notes, a seed file, a reading path, taxonomy, template, settings."""
    kind = rng.randrange(7)
    if kind <= 1:
        paper = rng.randrange(3)
        save(root / "content" / "notes" / f"note{paper}.md", NOTE.format(
            paper=PAPERS[paper], status=rng.choice(["to-read", "reading", "read"]), rating=rng.randint(1, 5),
            number=number), rng)
    elif kind == 2:
        save(root / "seeds" / "second.txt", SEED.format(n=rng.randrange(5)), rng)
    elif kind == 3:
        first, second = rng.sample(PAPERS, 2)
        save(root / "content" / "paths" / "churn.md", PATH.format(number=number, first=first, second=second), rng)
    else:
        path, old, new = [
            (root / "content" / "taxonomy.yaml", "title: Attention\n", "title: Attention kernels\n"),
            (root / "templates" / "404.html", "Page not found", "Nothing here"),
            (root / "content" / "site.yaml", "Fixture Reading List", "Fixture List"),
        ][kind - 4]
        text = path.read_text()
        save(path, text.replace(old, new) if old in text else text.replace(new, old), rng)


def test_1000_rapid_edits_end_in_few_rebuilds_and_the_clean_site(project, tmp_path):
    loop, outcomes = start_loop(project, tmp_path / "out")
    rng = random.Random(1000)
    with loop.watcher():
        since = len(outcomes.all)
        for number in range(EDITS):
            edit(project, number, rng)
        last = outcomes.settle(since)
    rebuilds = outcomes.all[since:]
    assert 1 <= len(rebuilds) <= MAX_REBUILDS, [messages(outcome) for outcome in rebuilds]
    assert messages(last) == []
    assert tree(tmp_path / "out") == clean_build(project, tmp_path / "clean")


def test_a_watched_folder_renamed_away_and_back_is_watched_again(project, tmp_path):
    loop, outcomes = start_loop(project, tmp_path / "out")
    before = tree(tmp_path / "out")
    with loop.watcher():
        since = len(outcomes.all)
        (project / "content").rename(project / "content-away")
        away = outcomes.settle(since)
        assert messages(away) == [
            "content/taxonomy.yaml: error: cannot read the taxonomy: No such file or directory"]
        assert tree(tmp_path / "out") == before  # the last good site stays

        since = len(outcomes.all)
        (project / "content-away").rename(project / "content")
        back = outcomes.settle(since)
        assert isinstance(back, RebuildReport) and tree(tmp_path / "out") == before

        since = len(outcomes.all)
        (project / "content" / "notes" / "after.md").write_text(
            NOTE.format(paper=PAPERS[0], status="read", rating=5, number="after the move"))
        after = outcomes.settle(since)
    assert isinstance(after, RebuildReport) and "content/notes/after.md" in after.line()
    assert b"after the move" in (tmp_path / "out" / "papers" / PAPERS[0] / "index.html").read_bytes()
    assert tree(tmp_path / "out") == clean_build(project, tmp_path / "clean")


@pytest.mark.xfail(strict=True, reason="Pagefind 1.x writes its filter and metadata indexes in hash-map order, so the "
                                       "search bundle (file names included) differs from build to build; see "
                                       "https://github.com/Pagefind/pagefind/issues/638")
def test_search_index_is_deterministic(project, tmp_path):
    """Why the loop tests build without search: no two builds with it are the same bytes."""
    from sitegen.pipeline import Overrides, build

    bundles = []
    for number in range(4):  # four, so that a chance agreement of hash orders cannot pass
        out = tmp_path / f"out{number}"
        build(project, Overrides(output=str(out), search=True))
        bundles.append({path: data for path, data in tree(out).items() if path.startswith("pagefind/")})
    assert bundles[0] and all(bundle == bundles[0] for bundle in bundles)
