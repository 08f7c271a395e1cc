"""The watcher, driven by real file operations in temporary folders."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.dev.watcher import Watcher, is_noise

TIMEOUT = 10.0  # generous: only reached when something is broken


class Recorder:
    """An `on_change` callback that keeps every burst and lets the test wait for one."""

    def __init__(self) -> None:
        self.bursts: list[frozenset[Path]] = []
        self._changed = threading.Condition()

    def __call__(self, paths: frozenset[Path]) -> None:
        with self._changed:
            self.bursts.append(paths)
            self._changed.notify_all()

    def seen(self, since: int = 0) -> set[Path]:
        """Every path reported in the bursts from number `since` on."""
        with self._changed:
            return set().union(*self.bursts[since:])

    def wait_for(self, *paths: Path, since: int = 0) -> set[Path]:
        """Wait until `paths` were all reported from burst `since` on; return all seen since."""
        with self._changed:
            reported = self._changed.wait_for(lambda: set(paths) <= self.seen(since), TIMEOUT)
        assert reported, f"not reported within {TIMEOUT}s: {set(paths) - self.seen(since)}"
        return self.seen(since)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("first\n")
    return tmp_path


def watching(roots: list[Path], recorder: Callable, **options) -> Watcher:
    options.setdefault("rearm_interval", 0.2)
    return Watcher(roots, recorder, **options)


@pytest.mark.parametrize(
    "path",
    [
        ".a.md.swp",
        "a.md.swx",
        "notes/a.md~",
        "4913",
        "notes/4913",
        ".#a.md",
        "#a.md#",
        "a.md.tmp",
        ".DS_Store",
        ".git",
        ".git/objects/ab/cdef",
        "notes/.hidden/x.md",
        "a.md___jb_tmp___",
    ],
)
def test_editor_and_os_litter_is_noise(path: str) -> None:
    assert is_noise(Path(path))


@pytest.mark.parametrize(
    "path",
    ["a.md", "seeds/001_x.txt", "templates/base.html", "tmp/a.md", "4913.md", "#tag.md", "a~b.md", "."],
)
def test_source_files_are_not_noise(path: str) -> None:
    assert not is_noise(Path(path))


def test_create_modify_and_delete_are_reported(project: Path) -> None:
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        (content / "b.md").write_text("new\n")
        recorder.wait_for(content / "b.md")
        (content / "a.md").write_text("changed\n")
        recorder.wait_for(content / "a.md")
        since = len(recorder.bursts)
        (content / "b.md").unlink()
        recorder.wait_for(content / "b.md", since=since)


def test_a_move_reports_both_names(project: Path) -> None:
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        (content / "a.md").rename(content / "renamed.md")
        recorder.wait_for(content / "a.md", content / "renamed.md")


def test_a_folder_moved_out_is_reported_as_that_folder(project: Path) -> None:
    content = project / "content"
    (content / "topic").mkdir()
    (content / "topic" / "n.md").write_text("n\n")
    recorder = Recorder()
    with watching([content], recorder):
        (content / "topic").rename(project / "elsewhere")
        recorder.wait_for(content / "topic")


def test_atomic_save_reports_the_target_only(project: Path) -> None:
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        temp = content / "a.md.tmp"
        temp.write_text("saved atomically\n")
        os.replace(temp, content / "a.md")
        assert recorder.wait_for(content / "a.md") == {content / "a.md"}


def test_sed_in_place_reports_the_target_not_its_temp_file(project: Path) -> None:
    """`sed -i` writes `sedXXXXXX` beside the file and renames it over; the log named it (issue 19)."""
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        temp = content / "sedNOD5wW"
        temp.write_text("edited by sed\n")
        os.rename(temp, content / "a.md")
        assert recorder.wait_for(content / "a.md") == {content / "a.md"}


def test_a_file_created_and_deleted_within_a_burst_is_not_reported(project: Path) -> None:
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        (content / "scratch").write_text("gone soon\n")
        (content / "scratch").unlink()
        (content / "a.md").write_text("changed\n")
        assert recorder.wait_for(content / "a.md") == {content / "a.md"}


def test_vim_style_save_reports_the_target_only(project: Path) -> None:
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        (content / "4913").write_text("")
        (content / "4913").unlink()
        (content / ".a.md.swp").write_text("swap")
        (content / "a.md").rename(content / "a.md~")
        (content / "a.md").write_text("saved by vim\n")
        (content / "a.md~").unlink()
        (content / ".a.md.swp").unlink()
        assert recorder.wait_for(content / "a.md") == {content / "a.md"}


def test_noise_and_ignored_folders_are_never_reported(project: Path) -> None:
    content = project / "content"
    output = content / "_site"
    output.mkdir()
    recorder = Recorder()
    with watching([content], recorder, ignore=[output]):
        (content / ".git").mkdir()
        (content / ".git" / "index").write_text("x")
        (content / "#a.md#").write_text("autosave")
        (output / "index.html").write_text("<p>built</p>")
        (output / "papers").mkdir()
        (output / "papers" / "p.html").write_text("<p>built</p>")
        marker = content / "marker.md"
        marker.write_text("after the noise\n")
        assert recorder.wait_for(marker) == {marker}


def test_a_chmod_is_reported(project: Path) -> None:
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        os.chmod(content / "a.md", 0)
        recorder.wait_for(content / "a.md")


def test_a_burst_of_100_edits_gives_a_bounded_number_of_callbacks(project: Path) -> None:
    content = project / "content"
    files = [content / f"note{i}.md" for i in range(10)]
    recorder = Recorder()
    with watching([content], recorder):
        for round_number in range(10):
            for file in files:
                file.write_text(f"round {round_number}\n")
        recorder.wait_for(*files)
        marker = content / "marker.md"
        marker.write_text("after the burst\n")
        recorder.wait_for(marker)
        burst_callbacks = [burst for burst in recorder.bursts if marker not in burst]
    assert 1 <= len(burst_callbacks) <= 3


def test_callbacks_never_overlap_and_later_edits_wait_for_the_next_one(project: Path) -> None:
    content = project / "content"
    release = threading.Event()
    entered = threading.Event()
    active = []
    overlaps = []
    recorder = Recorder()

    def slow_rebuild(paths: frozenset[Path]) -> None:
        active.append(paths)
        overlaps.append(len(active))
        entered.set()
        release.wait(TIMEOUT)
        active.pop()
        recorder(paths)

    with watching([content], slow_rebuild):
        (content / "first.md").write_text("1\n")
        assert entered.wait(TIMEOUT)
        (content / "second.md").write_text("2\n")
        (content / "third.md").write_text("3\n")
        release.set()
        recorder.wait_for(content / "second.md", content / "third.md")
    assert recorder.bursts[0] == {content / "first.md"}
    assert recorder.bursts[1] == {content / "second.md", content / "third.md"}
    assert overlaps == [1, 1]


def test_a_failing_callback_does_not_end_the_watch(project: Path, caplog) -> None:
    content = project / "content"
    recorder = Recorder()

    def flaky(paths: frozenset[Path]) -> None:
        recorder(paths)
        if len(recorder.bursts) == 1:
            raise RuntimeError("rebuild crashed")

    with watching([content], flaky):
        (content / "a.md").write_text("crash\n")
        recorder.wait_for(content / "a.md")
        (content / "b.md").write_text("still watched\n")
        recorder.wait_for(content / "b.md")
    assert "rebuild crashed" in caplog.text


def test_a_root_renamed_away_and_back_is_still_watched(project: Path) -> None:
    content = project / "content"
    recorder = Recorder()
    with watching([content], recorder):
        content.rename(project / "away")
        recorder.wait_for(content)
        since = len(recorder.bursts)
        (project / "away").rename(content)
        recorder.wait_for(content, since=since)
        (content / "after.md").write_text("back\n")
        recorder.wait_for(content / "after.md")


def test_a_root_replaced_or_created_later_is_watched(project: Path) -> None:
    content = project / "content"
    later = project / "templates"
    recorder = Recorder()
    with watching([content, later], recorder):
        shutil.rmtree(content)
        recorder.wait_for(content)
        since = len(recorder.bursts)
        content.mkdir()
        later.mkdir()
        recorder.wait_for(content, later, since=since)
        (content / "new.md").write_text("new\n")
        (later / "base.html").write_text("<html></html>\n")
        recorder.wait_for(content / "new.md", later / "base.html")


def test_paths_are_spelled_under_the_root_as_given(project: Path) -> None:
    link = project / "linked"
    link.symlink_to(project / "content")
    recorder = Recorder()
    with watching([link], recorder):
        (project / "content" / "a.md").write_text("edited through the real path\n")
        assert recorder.wait_for(link / "a.md") == {link / "a.md"}


def test_stop_joins_every_thread(project: Path) -> None:
    before = set(threading.enumerate())
    watcher = watching([project / "content"], Recorder())
    watcher.start()
    assert set(threading.enumerate()) - before
    watcher.stop()
    assert not set(threading.enumerate()) - before
