"""Where an output may go and what may be written in it: the guards run before any write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from output_helpers import BOTH_MODES, OLD_SITE, files_of, refusal, tree

from sitegen.diagnostics import SitegenError
from sitegen.output import guard
from sitegen.output.guard import MARKER, check_output_dir
from sitegen.output.staging import scratch_folders
from sitegen.output.writer import write_site


# --- where the output may go ---------------------------------------------------------


HINT = "refusing to write there; choose another --output"


def test_refuses_filesystem_root(project):
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(Path("/"), project)
    assert f"/: error: output folder is the filesystem root; {HINT}" in refusal(excinfo)


def test_refuses_home_and_what_contains_it(project, tmp_path, monkeypatch):
    home = tmp_path / "home" / "me"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    for out in (home, home.parent):
        with pytest.raises(SitegenError) as excinfo:
            check_output_dir(out, project)
        assert refusal(excinfo) == [
            f"{out}: error: output folder is your home folder ($HOME) or contains it; {HINT}"
        ]


@pytest.mark.parametrize("relative", [".", ".."])
def test_refuses_project_root_and_its_ancestors(project, relative):
    out = project / relative
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(out, project)
    assert refusal(excinfo) == [f"{out}: error: output folder is the project root or contains it; {HINT}"]


@pytest.mark.parametrize("name", guard.PROTECTED_FOLDERS)
@pytest.mark.parametrize("below", ["", "site", "deep/site"])
def test_refuses_protected_folders_and_inside_them(project, name, below):
    out = project / name / below if below else project / name
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(out, project)
    assert refusal(excinfo) == [
        f"{out}: error: output folder is or sits inside the project's {name}/ folder; {HINT}"
    ]


def test_refuses_symlink_into_content_and_writes_nothing(project):
    link = project / "_site"
    link.symlink_to(project / "content")
    with pytest.raises(SitegenError) as excinfo:
        write_site({"about.md": b"overwritten"}, link, project)
    assert refusal(excinfo) == [
        f"{link}: error: output folder is or sits inside the project's content/ folder; {HINT}"
    ]
    assert tree(project / "content") == {"about.md": b"precious\n"}


def test_refuses_a_folder_holding_a_symlinked_source_folder(project, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (project / "content").rename(shared / "content")
    (project / "content").symlink_to(shared / "content")
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(shared, project)
    assert refusal(excinfo) == [f"{shared}: error: output folder contains the project's content/ folder; {HINT}"]


def test_refuses_project_reached_through_a_symlink(project, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(project)
    with pytest.raises(SitegenError, match="is the project root or contains it"):
        check_output_dir(alias, project)


@pytest.mark.parametrize("name", ["_site", "_site-leak", "content-leak", "seeds2", "../proj-leak", "../pro"])
def test_accepts_names_that_merely_share_a_prefix(project, name):
    """Containment is decided on resolved paths, never on string prefixes."""
    out = project / name
    check_output_dir(out, project)
    assert write_site(OLD_SITE, out, project).written == len(OLD_SITE)
    assert files_of(out) == OLD_SITE


def test_refuses_a_foreign_folder_that_is_not_empty(project):
    out = project / "_site"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(SitegenError) as excinfo:
        write_site(OLD_SITE, out, project)
    assert refusal(excinfo) == [
        f"{out}: error: output folder is not empty and was not created by sitegen (no {MARKER}"
        " marker); refusing to overwrite; delete it or choose another --output"
    ]
    assert tree(out) == {"thesis.tex": b"years of work"}


def test_refuses_a_mount_point_with_a_hint(project, tmp_path, monkeypatch):
    mount = tmp_path / "mnt"
    mount.mkdir()
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda path: Path(path) == mount or real_ismount(path))
    with pytest.raises(SitegenError) as excinfo:
        write_site(OLD_SITE, mount, project)
    assert refusal(excinfo) == [
        f"{mount}: error: output folder is a mount point, which sitegen cannot replace; use a folder inside it,"
        f" such as {mount / 'site'}; {HINT}"]
    write_site(OLD_SITE, mount / "site", project)
    assert files_of(mount / "site") == OLD_SITE


def test_accepts_an_empty_existing_folder(project):
    out = project / "_site"
    out.mkdir()
    check_output_dir(out, project)
    write_site(OLD_SITE, out, project)
    assert files_of(out) == OLD_SITE


def test_refuses_a_symlink_loop(project):
    out = project / "_site"
    out.symlink_to(out)
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(out, project)
    [message] = refusal(excinfo)  # the reason's wording is Python's own
    assert message.startswith(f"{out}: error: output folder cannot be resolved: ")


def test_refuses_a_file_as_output(project):
    out = project / "_site"
    out.write_text("not a folder")
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(out, project)
    assert refusal(excinfo) == [f"{out}: error: output path exists and is not a folder"]


@pytest.mark.parametrize(
    "marker",
    [
        b"not json",
        b'{"format": "other", "files": []}',
        b'{"format": "sitegen-output/1", "files": ["../../x"]}',
        b'{"format": "sitegen-output/1", "files": [".sitegen-output"]}',
    ],
    ids=["garbage", "foreign", "escaping", "self"],
)
def test_refuses_a_damaged_marker(project, marker):
    out = project / "_site"
    out.mkdir()
    (out / MARKER).write_bytes(marker)
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(out, project)
    assert refusal(excinfo) == [
        f"{out}: error: output marker {MARKER} is damaged; refusing to overwrite;"
        " delete the output folder or choose another --output"
    ]


def test_reports_every_problem_at_once(project, monkeypatch):
    monkeypatch.setenv("HOME", str(project))
    with pytest.raises(SitegenError) as excinfo:
        check_output_dir(project, project)
    assert refusal(excinfo) == [
        f"{project}: error: output folder is your home folder ($HOME) or contains it; {HINT}",
        f"{project}: error: output folder is the project root or contains it; {HINT}",
    ]


def test_checking_changes_nothing(project):
    out = project / "_site"
    check_output_dir(out, project)
    assert not out.exists() and not scratch_folders(out)[0].exists()


# --- what may be written -------------------------------------------------------------


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/etc/passwd", "is absolute"),
        ("../escape.html", "has a '.' or '..' segment"),
        ("papers/../../escape.html", "has a '.' or '..' segment"),
        ("papers/./a.html", "has a '.' or '..' segment"),
        ("papers\\a.html", "contains a backslash"),
        ("papers//a.html", "has an empty segment"),
        ("papers/", "has an empty segment"),
        ("", "has an empty segment"),
        ("a\nb.html", "contains a control character"),
        (MARKER, "is reserved for sitegen's marker file"),
        ("papers/.a.sitegen-tmp", "ends with .sitegen-tmp, reserved for sitegen's temp files"),
    ],
)
def test_refuses_unsafe_paths_before_writing_anything(project, path, reason):
    out = project / "_site"
    with pytest.raises(SitegenError) as excinfo:
        write_site({"index.html": b"ok", path: b"bad"}, out, project)
    assert refusal(excinfo) == [f"{out}: error: output path {path!r} {reason}"]
    assert not out.exists()


def test_refuses_file_folder_clashes(project):
    out = project / "_site"
    with pytest.raises(SitegenError) as excinfo:
        write_site({"index.html": b"", "a": b"", "a/b.html": b"", "c": b"", "c/d/e.html": b""}, out, project)
    assert refusal(excinfo) == [
        f"{out}: error: output path 'a' is both a file and a folder of other files",
        f"{out}: error: output path 'c' is both a file and a folder of other files",
    ]
    assert not out.exists()


@BOTH_MODES
def test_refuses_content_that_is_not_bytes(project, atomic):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    with pytest.raises(SitegenError) as excinfo:
        write_site({**OLD_SITE, "feed.xml": "text"}, out, project, atomic=atomic)
    assert refusal(excinfo) == [f"{out}: error: output path 'feed.xml' has content of type str, not bytes"]
    assert files_of(out) == OLD_SITE


# --- the batched path check -------------------------------------------------------------

PATH_PIECES = st.lists(st.sampled_from(["a", "b.html", ".", "..", "/", "\\", "\n", "\x00", "-", "..x"]),
                       min_size=1, max_size=6).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(PATH_PIECES, max_size=5))
def test_the_one_regex_check_accepts_only_paths_each_accepted_alone(paths):
    # A watch rebuild checks every path with one regex over them all; it must never accept a
    # list holding a path the path-by-path check refuses (e.g. "a/.." followed by another).
    if guard._all_plain(paths):
        assert all(guard._unsafe_path_reason(path) is None for path in paths)


def test_a_dot_dot_segment_before_another_path_is_refused(tmp_path):
    with pytest.raises(SitegenError, match="'a/..'"):
        write_site({"a/..": b"x", "b.html": b"y"}, tmp_path / "out", tmp_path)
