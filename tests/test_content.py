"""Reading curator files (the I/O edge) and the helpers every kind of curator file shares."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from notes_helpers import FA2, FA2_TITLE, FIXTURES, make_catalog, paper_url
from sitegen.content import MarkdownContext, SourceText, read_content, slug_problem, unknown_paper_message
from sitegen.text.markdown import PaperLink


def write(root, relative: str, data: bytes | str) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def test_reads_every_kind_of_curator_file_sorted_by_path(tmp_path):
    for relative in ("content/notes/b.md", "content/notes/2024/a.md", "content/paths/p.md", "content/topics/t.md",
                     "content/hardware/h.md", "content/pages/about.md", "content/home.md"):
        write(tmp_path, relative, f"text of {relative}")
    for ignored in ("content/notes/.draft.md", "content/notes/.git/x.md", "content/notes/x.txt",
                    "content/paths/sub/p.md", "content/other/x.md", "content/site.md"):
        write(tmp_path, ignored, "ignored")
    (tmp_path / "content/pages/dir.md").mkdir()
    files = read_content(tmp_path)
    assert files.diagnostics == ()
    assert [source.path for source in files.files] == [
        "content/hardware/h.md", "content/home.md", "content/notes/2024/a.md", "content/notes/b.md",
        "content/pages/about.md", "content/paths/p.md", "content/topics/t.md",
    ]
    assert files.get("content/home.md") == SourceText("content/home.md", "text of content/home.md")
    assert [source.path for source in files.under("content/notes")] == ["content/notes/2024/a.md",
                                                                        "content/notes/b.md"]


def test_a_project_without_content_has_no_files(tmp_path):
    assert read_content(tmp_path).files == ()


def test_text_is_kept_as_written(tmp_path):
    write(tmp_path, "content/home.md", b"\xef\xbb\xbfline\r\nnext")
    assert read_content(tmp_path).files[0].text == "\ufeffline\r\nnext"  # front matter splitting normalises


def test_non_utf8_file_is_a_located_error(tmp_path):
    write(tmp_path, "content/notes/bad.md", b"---\npaper: x\n---\ncaf\xe9\n")
    write(tmp_path, "content/notes/good.md", "fine")
    files = read_content(tmp_path)
    assert [str(d) for d in files.diagnostics] == [
        "content/notes/bad.md:4: error: not UTF-8 text (byte 0xe9); save the file as UTF-8",
    ]
    assert [source.path for source in files.files] == ["content/notes/good.md"]


def test_unreadable_file_is_an_error(tmp_path, monkeypatch):
    write(tmp_path, "content/home.md", "x")

    def refuse(file, flags, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)  # root could read a chmod 000 file
    assert [str(d) for d in read_content(tmp_path).diagnostics] == [
        "content/home.md: error: cannot read the file: Permission denied"]


def test_a_file_name_that_is_not_utf8_is_a_located_error(tmp_path):
    write(tmp_path, os.fsdecode(b"content/notes/\xff.md"), "---\npaper: x\n---\n")
    write(tmp_path, os.fsdecode(b"content/notes/caf\xe9/a.md"), "---\npaper: x\n---\n")
    files = read_content(tmp_path)
    assert files.files == ()
    assert [str(d) for d in files.diagnostics] == [
        f"{path}: error: the file name is not valid UTF-8 or holds a control character (shown as \\xNN); rename it"
        for path in ("content/notes/caf\\xe9/a.md", "content/notes/\\xff.md")]


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    (tmp_path / "content/pages").mkdir(parents=True)
    os.mkfifo(tmp_path / "content/pages/pipe.md")
    done = []
    reader = threading.Thread(target=lambda: done.append(read_content(tmp_path)), daemon=True)
    reader.start()
    reader.join(timeout=10)  # opening a FIFO with no writer would block for ever
    assert done, "reading content/ hung"
    assert [str(d) for d in done[0].diagnostics] == [
        "content/pages/pipe.md: error: cannot read the file: a named pipe (FIFO), not a regular file; "
        "sitegen reads only regular files"]


def test_dangling_symlink_is_skipped(tmp_path):
    (tmp_path / "content/notes").mkdir(parents=True)
    (tmp_path / "content/notes/gone.md").symlink_to(tmp_path / "nowhere.md")
    assert read_content(tmp_path).files == ()


def test_fixture_tree_is_readable():
    assert read_content(FIXTURES).diagnostics == ()


def test_slug_problem():
    assert slug_problem("content/paths/gpu-basics.md") is None
    assert str(slug_problem("content/paths/GPU Basics!.md")) == (
        "content/paths/GPU Basics!.md: error: the file name becomes a URL and must be a lower-case slug: "
        "rename it to 'gpu-basics.md'")
    assert str(slug_problem("content/pages/日本.md")) == (
        "content/pages/日本.md: error: the file name becomes a URL and must be a lower-case slug: "
        "use letters, digits and hyphens")


def test_unknown_paper_message():
    catalog = make_catalog()
    assert unknown_paper_message("zzz", catalog) == (
        "no paper matches 'zzz' (`sitegen papers` lists every slug and title)")
    assert unknown_paper_message("FlashAttention-2: Faster Attention", catalog).startswith(
        f"no paper matches 'FlashAttention-2: Faster Attention'; closest: {FA2_TITLE!r} [{FA2}]; ")


def test_markdown_context_resolves_slugs_and_titles():
    context = MarkdownContext(make_catalog(), paper_url, allow_html=False)
    assert context.resolve(FA2) == context.resolve(FA2_TITLE.lower()) == PaperLink(f"/papers/{FA2}/", FA2_TITLE)
    with pytest.raises(LookupError, match="no paper matches 'nope'"):
        context.resolve("nope")
    assert context.slugs_of((FA2, FA2_TITLE, FA2)) == (FA2,)
