"""Incremental rebuilds: what they skip, and that any edit sequence equals a clean build."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from sitegen.diagnostics import SitegenError
from sitegen.incremental import Builder
from sitegen.pipeline import Overrides, build

from conftest import ROOT, copy_project

FIXTURE = ROOT / "tests" / "fixtures" / "site"
NOTE = """---
paper: flashattention-on-hopper-fast-kv-cache-attention-with-h100s
status: {status}
rating: {rating}
summary: {summary}
---
Worth reading for the {word} section.
"""


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    root = copy_project(FIXTURE, tmp_path / "project")
    (root / "content" / "notes").mkdir()
    return root


# Pagefind writes its filter files in a random order (upstream issue), so byte-for-byte
# comparisons build without the search index; the index has its own tests.
NO_SEARCH = Overrides(search=False)


def clean_build(root: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / f"clean{len(list(tmp_path.iterdir()))}"
    build(root, Overrides(output=str(out), search=False))
    return tree(out)


def test_no_op_rebuild_renders_and_writes_nothing(project):
    builder = Builder(project, NO_SEARCH)
    first = builder.build()
    assert first.rendered == first.pages and first.written > 0
    again = builder.build()
    assert (again.rendered, again.written, again.removed) == (0, 0, 0)


def test_note_edit_renders_only_the_pages_that_show_it(project):
    builder = Builder(project, NO_SEARCH)
    note = project / "content" / "notes" / "fa.md"
    note.write_text(NOTE.format(status="to-read", rating=3, summary="First take.", word="tiling"))
    builder.build()
    note.write_text(NOTE.format(status="to-read", rating=3, summary="First take.", word="pipelining"))
    report = builder.build(frozenset({note}))
    assert report.rendered == 1 and report.written == 1  # only the paper page shows the body
    assert "fixtures" not in report.line() and "content/notes/fa.md" in report.line()


def test_failed_rebuild_keeps_the_last_good_site(project):
    builder = Builder(project, NO_SEARCH)
    builder.build()
    before = tree(builder.output)
    (project / "content" / "taxonomy.yaml").write_text("topics: [unclosed\n")
    with pytest.raises(SitegenError) as caught:
        builder.build()
    assert str(caught.value.diagnostics[0]).startswith("content/taxonomy.yaml:")
    assert tree(builder.output) == before


EDITS = ("note", "note-delete", "seed-append", "seed-new", "seed-delete", "taxonomy", "template", "settings")


def apply_edit(root: Path, kind: str, rng: random.Random) -> None:
    notes, seeds = root / "content" / "notes", root / "seeds"
    if kind == "note":
        (notes / f"n{rng.randint(0, 2)}.md").write_text(NOTE.format(
            status=rng.choice(["to-read", "reading", "read"]), rating=rng.randint(1, 5),
            summary=rng.choice(["Short.", "Longer summary here."]), word=rng.choice(["a", "b", "c"])))
        # two notes on one paper is an error; keep only the newest so the site stays buildable
        for extra in sorted(notes.glob("*.md"))[1:]:
            extra.unlink()
    elif kind == "note-delete":
        for path in notes.glob("*.md"):
            path.unlink()
    elif kind == "seed-append":
        with (seeds / "listing.txt").open("a") as handle:
            handle.write(f"\nExtra Paper {rng.randint(0, 3)} on KV Cache\n\n" + "Attention and KV cache on a single GPU. " * 8 + "\n")
    elif kind == "seed-new":
        (seeds / "second.txt").write_text(f"Hopper Study {rng.randint(0, 9)}\n" + "We study the H100 and FlashAttention on Hopper GPUs in detail. " * 6 + "\n")
    elif kind == "seed-delete":
        (seeds / "second.txt").unlink(missing_ok=True)
    elif kind == "taxonomy":
        path = root / "content" / "taxonomy.yaml"
        text = path.read_text()
        swap = ("title: Attention\n", "title: Attention mechanisms\n")
        path.write_text(text.replace(*swap) if swap[0] in text else text.replace(swap[1], swap[0]))
    elif kind == "template":
        path = root / "templates" / "404.html"
        text = path.read_text()
        path.write_text(text.replace("Page not found", "Nothing here", 1) if "Page not found" in text
                        else text.replace("Nothing here", "Page not found", 1))
    elif kind == "settings":
        path = root / "content" / "site.yaml"
        text = path.read_text()
        path.write_text(text.replace("Fixture Reading List", "Fixture List") if "Fixture Reading List" in text
                        else text.replace("Fixture List", "Fixture Reading List"))


@pytest.mark.parametrize("seed", range(12))
def test_any_edit_sequence_equals_a_clean_build(project, tmp_path, seed):
    rng = random.Random(seed)
    builder = Builder(project, NO_SEARCH)
    builder.build()
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    for step in range(6):
        apply_edit(project, rng.choice(EDITS), rng)
        builder.build()
        assert tree(builder.output) == clean_build(project, clean_dir), f"seed {seed}, step {step}"
