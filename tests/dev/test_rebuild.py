"""Incremental rebuilds: what they skip, and that any edit sequence equals a clean build."""

from __future__ import annotations

import errno
import random
import shutil
from pathlib import Path

import pytest

from sitegen.diagnostics import SitegenError
from sitegen.dev.rebuild import Builder
from sitegen.output import writer
from sitegen.output.survey import Digest
from sitegen import pipeline
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


EDITS = ("note", "note", "note-delete", "paper-elsewhere", "path", "intro", "seed-append", "seed-new",
         "seed-delete", "seed-abstract", "seed-title-case", "seed-date", "taxonomy", "taxonomy-alias",
         "taxonomy-cue", "taxonomy-topic", "template", "settings", "bib", "bib-delete")
AUTHORS = ("Tri Dao", "T. Dao", "Dao, Tri", "Ann Smith", "Jörg Müller")
PAPERS = ("FlashAttention on Hopper: Fast KV Cache Attention with H100s",
          "Serving <script>alert(1)</script> Models on a Single GPU", "A Paper With Nothing To Tag")


def toggle(path: Path, first: str, second: str) -> None:
    """Swap `first` for `second` in the file, or back again."""
    text = path.read_text()
    path.write_text(text.replace(first, second, 1) if first in text else text.replace(second, first, 1))


def random_note(rng: random.Random, paper: str) -> str:
    """A note exercising every field a page, a card, a list or a tag page shows."""
    tags = rng.sample(["kernels", "memory", "must-read"], rng.randint(0, 2))
    override = rng.choice(["", "topics: {add: [attention]}\n", "topics: {remove: [kv-cache]}\n",
                           "hardware: {add: [single-gpu]}\n"])
    mention = rng.choice(["", f" Compare [[{rng.choice(PAPERS)}]]."])
    facts = rng.choice(["", f"authors: [{', '.join(rng.sample(AUTHORS[3:], 2))}]\n", "date: 2023\n",
                        "doi: 10.1234/x.1\narxiv: https://arxiv.org/abs/2401.00001v2\n"])
    return (f"---\npaper: \"{paper}\"\n{facts}status: {rng.choice(['to-read', 'reading', 'read'])}\n"
            f"rating: {rng.randint(1, 5)}\npick: {rng.choice(['true', 'false'])}\n"
            f"summary: {rng.choice(['Short.', 'Longer summary here.'])}\ntags: [{', '.join(tags)}]\n{override}"
            f"---\nWorth reading for the {rng.choice('abc')} section.{mention}\n")


def apply_edit(root: Path, kind: str, rng: random.Random) -> None:
    content, seeds = root / "content", root / "seeds"
    notes, listing = content / "notes", seeds / "listing.txt"
    if kind == "note":
        index = rng.randrange(len(PAPERS))  # one note file per paper: two notes on one paper is an error
        (notes / f"n{index}.md").write_text(random_note(rng, PAPERS[index]))
    elif kind == "note-delete":
        for path in rng.sample(sorted(notes.glob("*.md")), min(2, len(list(notes.glob("*.md"))))):
            path.unlink()
    elif kind == "paper-elsewhere":
        (notes / "elsewhere.md").write_text(
            f"---\ntitle: Paged KV Cache Offload {rng.randint(0, 2)}\n"
            "abstract: We page the KV cache of attention to host memory on a single GPU with H100s.\n"
            "date: 2024-03-01\n---\nFrom a workshop.\n")
    elif kind == "path":
        steps = rng.sample(PAPERS, rng.randint(2, 3))
        (content / "paths").mkdir(exist_ok=True)
        (content / "paths" / "walk.md").write_text(
            "---\ntitle: A walk\n---\nWhy.\n\n" + "\n\nThen.\n\n".join(f"[[{s}]]" for s in steps) + "\n\nDone.\n")
    elif kind == "intro":
        (content / "topics").mkdir(exist_ok=True)
        (content / "topics" / "kv-cache.md").write_text(
            f"---\ntitle: {rng.choice(['KV caches', 'The KV cache'])}\n---\nSee [[{rng.choice(PAPERS)}]].\n")
    elif kind == "seed-append":
        with listing.open("a") as handle:
            handle.write(f"\nExtra Paper {rng.randint(0, 3)} on KV Cache\n\n" + "Attention and KV cache on a single GPU. " * 8 + "\n")
    elif kind == "seed-new":
        (seeds / "second.txt").write_text(f"Hopper Study {rng.randint(0, 9)}\n" + "We study the H100 and FlashAttention on Hopper GPUs in detail. " * 6 + "\n")
    elif kind == "seed-delete":
        (seeds / "second.txt").unlink(missing_ok=True)
    elif kind == "seed-abstract":  # feeds, related papers, classification
        toggle(listing, "The KV cache layout matters for attention.", "Paging the key-value cache matters more.")
    elif kind == "seed-title-case":  # same slug and match key, new title: cards, path neighbours
        toggle(listing, "A Paper With Nothing To Tag", "A paper with nothing to tag")
    elif kind == "seed-date":  # list order
        toggle(listing, "Oct 21", "Feb 21, 2024")
    elif kind == "taxonomy":
        toggle(content / "taxonomy.yaml", "title: Attention\n", "title: Attention mechanisms\n")
    elif kind == "taxonomy-alias":  # reclassifies only the papers the alias can reach
        toggle(content / "taxonomy.yaml", "aliases: [H100, H100s]", "aliases: [H100, H100s, Hopper GPU]")
    elif kind == "taxonomy-cue":
        toggle(content / "taxonomy.yaml", "phrases: [single GPU, one GPU]", "phrases: [single GPU, host memory]")
    elif kind == "taxonomy-topic":
        toggle(content / "taxonomy.yaml", "topics:\n  - id: paging\n    title: Paging\n    description: Paged memory.\n"
               "    rules:\n      - {weight: 3, phrases: [paging, paged]}\n", "topics:\n")
    elif kind == "template":
        toggle(root / "templates" / "404.html", "Page not found", "Nothing here")
    elif kind == "bib":  # authors, author pages, cite keys, every .bib file; one paper only in BibTeX
        entries = [f"@misc{{e{i},\n  title = {{{title}}},\n  author = {{{' and '.join(rng.sample(AUTHORS, 2))}}},\n"
                   f"  year = {{{rng.choice([2022, 2023, 2024])}}},\n}}\n"
                   for i, title in enumerate(rng.sample(PAPERS + ("Only in {BibTeX}",), 2))]
        (seeds / "refs.bib").write_text("\n".join(entries))
    elif kind == "bib-delete":
        (seeds / "refs.bib").unlink(missing_ok=True)
    elif kind == "settings":
        toggle(content / "site.yaml", "Fixture Reading List", "Fixture List")


@pytest.mark.parametrize("seed", range(16))
def test_any_edit_sequence_equals_a_clean_build(project, tmp_path, seed):
    rng = random.Random(seed)
    builder = Builder(project, NO_SEARCH)
    builder.build()
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    for step in range(10):
        apply_edit(project, rng.choice(EDITS), rng)
        builder.build()
        assert tree(builder.output) == clean_build(project, clean_dir), f"seed {seed}, step {step}"


# --- the writer checks the disk, not its memory of it ---------------------------------------

PAGE = "papers/flashattention-on-hopper-fast-kv-cache-attention-with-h100s"


def edit_the_note(root: Path, word: str) -> None:
    note = root / "content" / "notes" / "fa.md"
    note.write_text(NOTE.format(status="read", rating=4, summary="Fast.", word=word))


def test_pages_deleted_from_the_output_come_back_on_the_next_rebuild(project, tmp_path):
    builder = Builder(project, NO_SEARCH)
    edit_the_note(project, "first")
    builder.build()
    out = project / "_site"
    (out / "index.html").unlink()
    deleted = [p for p in (out / "papers" / "a-paper-with-nothing-to-tag").rglob("*") if p.is_file()]
    shutil.rmtree(out / "papers" / "a-paper-with-nothing-to-tag")
    (out / "feed.xml").write_text("edited by hand")  # same path, other bytes: a clean build rewrites it
    edit_the_note(project, "second")
    report = builder.build()
    assert deleted and report.written == 3 + len(deleted)  # the edited page, and all the others restored
    assert tree(out) == clean_build(project, tmp_path)


@pytest.mark.parametrize("moved", [True, False], ids=["the-same-files-moved-out", "a-copy"])
def test_never_writes_through_a_page_folder_replaced_by_a_symlink(project, tmp_path, moved):
    builder = Builder(project, NO_SEARCH)
    edit_the_note(project, "first")
    builder.build()
    page, outside = project / "_site" / PAGE, tmp_path / "outside"
    if moved:  # the very files, reached through a link: their stamps did not change
        page.rename(outside)
    else:
        shutil.copytree(page, outside)
        shutil.rmtree(page)
    page.symlink_to(outside)
    before = tree(outside)
    edit_the_note(project, "second")
    with pytest.raises(SitegenError) as refused:
        builder.build()
    [diagnostic] = refused.value.diagnostics
    assert str(diagnostic).startswith(f"{project / '_site' / PAGE}: error: is in the way of {PAGE}/")
    assert str(diagnostic).endswith("was not written by sitegen; refusing to overwrite it;"
                                    " move it away or delete the output folder")
    assert tree(outside) == before
    with pytest.raises(SitegenError) as clean:  # what a clean build says of the same folder
        build(project, NO_SEARCH)
    assert clean.value.diagnostics == refused.value.diagnostics


def test_a_build_for_another_base_url_meanwhile_leaves_no_mixed_site(project, tmp_path):
    builder = Builder(project, NO_SEARCH)  # the site's own base URL, https://example.org/list/
    edit_the_note(project, "first")
    builder.build()
    build(project, Overrides(base_url="https://elsewhere.example/", search=False))  # into the same output
    edit_the_note(project, "second")
    builder.build()
    assert tree(project / "_site") == clean_build(project, tmp_path)


@pytest.mark.parametrize("files, blamed", [
    ({"content/pages/static.md": "---\ntitle: Static\n---\nA page.\n", "templates/static/index.html": "<p>asset"},
     "templates/static/index.html"),
    ({"content/pages/pagefind.md": "---\ntitle: Search files\n---\nA page.\n"}, "content/pages/pagefind.md:1"),
], ids=["page-vs-asset", "page-vs-search-folder"])
def test_build_and_watch_refuse_the_same_collision_with_the_same_located_error(project, tmp_path, files, blamed):
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    overrides = Overrides(output=str(tmp_path / "out"))  # with search: the index owns pagefind/
    messages = []
    for run in (lambda: build(project, overrides), lambda: Builder(project, overrides).build()):
        with pytest.raises(SitegenError) as caught:
            run()
        messages.append([str(d) for d in caught.value.diagnostics])
    assert messages[0] == messages[1]
    assert [m for m in messages[0] if m.startswith(f"{blamed}: error: ")]
    assert not (tmp_path / "out").exists()


def test_the_watch_loop_keeps_each_page_as_a_digest_not_its_bytes(project):
    builder = Builder(project, NO_SEARCH)
    builder.build()
    pages = {page.output for page in builder.site.plan.pages}
    kept = builder.kept.written
    assert pages and all(isinstance(kept[path], Digest) for path in pages)
    assert all(isinstance(data, bytes) for path, data in kept.items() if path not in pages)  # the plan holds them


def test_a_write_that_fails_midway_leaves_no_page_vouched_for_that_was_not_written(project, tmp_path, monkeypatch):
    """A page rendered in a write that then fails (a full disk) was never written: the next
    rebuild, from the same plan, must write it rather than trust the old file beside it."""
    builder = Builder(project, NO_SEARCH)
    edit_the_note(project, "first")
    builder.build()
    edit_the_note(project, "second")
    real = writer.replace_file

    def full_disk(path, data, folder_fd=None):
        if path.endswith(f"{PAGE}/index.html"):
            raise OSError(errno.ENOSPC, "No space left on device", path)
        real(path, data, folder_fd)

    monkeypatch.setattr(writer, "replace_file", full_disk)
    with pytest.raises(SitegenError):
        builder.build()
    monkeypatch.setattr(writer, "replace_file", real)
    builder.build()  # the disk has room again; the inputs are those of the failed build
    assert tree(project / "_site") == clean_build(project, tmp_path)


def test_a_template_edited_during_a_rebuild_and_put_back_leaves_no_stale_page(project, tmp_path, monkeypatch):
    """The Jinja environment is kept under the digest of the templates read when a rebuild
    starts. An edit saved after that read and undone before the next rebuild must not leave
    pages compiled from the edit under the digest of the original bytes."""
    builder = Builder(project, NO_SEARCH)
    builder.build()
    template = project / "templates" / "paper.html"
    original = template.read_bytes()
    template.write_bytes(original.replace(b"<h1", b"<!-- first edit --><h1", 1))
    real = pipeline.read_templates

    def then_edited_again(folder, root):
        read = real(folder, root)  # the rebuild's view: the first edit
        template.write_bytes(original.replace(b"<h1", b"<!-- mid-rebuild --><h1", 1))
        return read

    monkeypatch.setattr(pipeline, "read_templates", then_edited_again)
    builder.build()
    monkeypatch.setattr(pipeline, "read_templates", real)
    template.write_bytes(original.replace(b"<h1", b"<!-- first edit --><h1", 1))  # the editor puts it back
    builder.build()
    assert tree(project / "_site") == clean_build(project, tmp_path)
    assert b"mid-rebuild" not in b"".join(tree(project / "_site").values())
