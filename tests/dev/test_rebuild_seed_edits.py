"""Seed-file edits in a watch session: every rebuild equals a clean build.

Randomised sequences of the edits a curator makes to `seeds/`: a new listing file, a deleted
one, an entry moved between files, a title edit that merges two papers or splits one, and an
abstract edit that changes the related papers of others. The papers are real ones from the
repository's listings, so their related papers overlap as on the seed site.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sitegen import background
from sitegen.dev.rebuild import Builder

from conftest import copy_project
from dev.test_rebuild import FIXTURE, NO_SEARCH, clean_build, tree

ABSTRACT_CHARS = 200  # a listing line this long is an abstract (sitegen.sources.listing)
FILES = 3  # listing files the sequence starts from, beside the fixture's own


@pytest.fixture(scope="module")
def pool(seed_files) -> list[tuple[str, str]]:
    """(title, abstract) of distinct real papers whose lines the compact layout reads back."""
    seen, found = set(), []
    for entry in (e for f in seed_files for e in f.entries):
        if entry.title not in seen and len(entry.title) < ABSTRACT_CHARS <= len(entry.abstract) \
                and "\n" not in entry.abstract:
            seen.add(entry.title)
            found.append((entry.title, entry.abstract))
    return found[:60]


def write_listings(seeds: Path, listings: dict[str, list[tuple[str, str]]]) -> None:
    """The model's listing files in the compact layout; files it no longer has are deleted."""
    for path in seeds.glob("edit_*.txt"):
        if path.name not in listings:
            path.unlink()
    for name, entries in listings.items():
        (seeds / name).write_text("".join(f"{title}\n{abstract}\n" for title, abstract in entries), encoding="utf-8")


def apply_edit(listings: dict[str, list[tuple[str, str]]], kind: str, pool, rng: random.Random, step: int) -> None:
    files = [name for name, entries in listings.items() if entries]
    name = rng.choice(files)
    entries = listings[name]
    at = rng.randrange(len(entries))
    title, abstract = entries[at]
    everywhere = [e for found in listings.values() for e in found]
    if kind == "new file":  # new papers, and one already listed elsewhere (merged with it)
        listings[f"edit_new{step}.txt"] = rng.sample(pool, 4) + [rng.choice(everywhere)]
    elif kind == "delete file":
        del listings[name]
    elif kind == "move entry":
        del entries[at]
        listings[rng.choice(sorted(listings))].append((title, abstract))
    elif kind == "merge titles":  # the entry becomes another paper's entry
        other = rng.choice([t for t, _ in everywhere if t != title] or [title])
        entries[at] = (other, abstract)
    elif kind == "split title":  # one of a paper's entries gets a title of its own
        entries[at] = (f"{title}: Revisited", abstract)
    elif kind == "abstract":  # words of another paper: IDFs move, and related papers elsewhere
        entries[at] = (title, f"{abstract} {rng.choice(pool)[1][:300]}")


KINDS = ("new file", "delete file", "move entry", "merge titles", "split title", "abstract")


@pytest.mark.parametrize("seed", range(6))
def test_any_sequence_of_seed_edits_equals_a_clean_build(seed, pool, tmp_path):
    rng = random.Random(seed)
    root = copy_project(FIXTURE, tmp_path / "project")
    listings = {f"edit_{n}.txt": pool[n * 15:(n + 1) * 15] for n in range(FILES)}
    listings["edit_0.txt"] += pool[15:18]  # papers listed twice, so that a title edit can split one
    write_listings(root / "seeds", listings)
    builder = Builder(root, NO_SEARCH)
    builder.build()
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    for step in range(8):
        kind = KINDS[step % len(KINDS)] if step < len(KINDS) else rng.choice(KINDS)
        apply_edit(listings, kind, pool, rng, step)
        write_listings(root / "seeds", listings)
        builder.build()
        assert tree(builder.output) == clean_build(root, clean_dir), f"seed {seed}, step {step}: {kind}"


def test_an_abstract_edit_changes_related_papers_elsewhere(pool, tmp_path):
    """The sequences above can only catch stale related papers if an edit moves them: one
    abstract edit here changes the related list of a paper that was not edited."""
    root = copy_project(FIXTURE, tmp_path / "project")
    listings = {"edit_0.txt": pool[:30]}
    write_listings(root / "seeds", listings)
    builder = Builder(root, NO_SEARCH)
    builder.build()
    before = tree(builder.output)
    title, abstract = listings["edit_0.txt"][0]
    listings["edit_0.txt"][0] = (title, abstract + " " + " ".join(a for _, a in pool[1:4])[:600])
    write_listings(root / "seeds", listings)
    builder.build()
    after = tree(builder.output)
    edited = builder.site.catalog.by_title(title).slug
    moved = [path for path in before.keys() & after.keys()
             if path.startswith("papers/") and edited not in path and related(before[path]) != related(after[path])]
    assert moved
    assert after == clean_build(root, tmp_path)


def related(page: bytes) -> bytes:
    """A paper page's list of related papers."""
    start = page.find(b'<ol class="related">')
    return page[start:page.find(b"</ol>", start)] if start >= 0 else b""


def test_settle_builds_the_index_a_forked_first_build_left_so_the_first_edit_is_local(pool, tmp_path, monkeypatch):
    """The first build computes related papers in a forked child, whose index dies with it;
    `settle` (between saves, off the rebuild's clock) builds it here, so the first abstract edit
    re-ranks a few papers instead of all of them, and still equals a clean build."""
    monkeypatch.setattr(background, "_forkable", lambda: True)  # as `sitegen watch`'s first build, before its threads
    root = copy_project(FIXTURE, tmp_path / "project")
    listings = {"edit_0.txt": pool[:30]}
    write_listings(root / "seeds", listings)
    builder = Builder(root, NO_SEARCH)
    builder.build()
    memo = builder.kept.memo
    assert memo.unindexed  # computed on another core: not in this process's index
    builder.settle()
    assert not memo.unindexed
    title, abstract = listings["edit_0.txt"][0]
    listings["edit_0.txt"][0] = (title, f"{abstract} {pool[1][1][:300]}")
    write_listings(root / "seeds", listings)
    builder.build()
    assert 1 <= memo.related_index.reranked < len(builder.site.catalog.papers)  # all of them: computed anew
    assert tree(builder.output) == clean_build(root, tmp_path)
