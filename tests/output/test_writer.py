"""Writing a site on a real filesystem: lookups, ownership, pruning, faults, kills."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Mapping
from pathlib import Path

import pytest
from killbuild_helper import VARIANTS, make_site
from output_helpers import BOTH_MODES, NEW_SITE, OLD_SITE, REVISED_SITE, files_of, manifest, refusal, tree

from sitegen import background
from sitegen.diagnostics import SitegenError, error
from sitegen.memo import ByInput
from sitegen.output import files, guard, writer
from sitegen.output.guard import MARKER
from sitegen.output.staging import scratch_folders
from sitegen.output.survey import WriteReport
from sitegen.output.writer import write_site

HELPER = Path(__file__).parents[1] / "killbuild_helper.py"


# --- files made on lookup ------------------------------------------------------------


class MadeOnLookup(Mapping):
    """A site whose files are made when looked up, as `render.OutputFiles` renders pages."""

    def __init__(self, site: dict[str, bytes], *, fail_at: str | None = None):
        self.site = site
        self.fail_at = fail_at
        self.looked_up: list[str] = []

    def __getitem__(self, path: str) -> bytes:
        self.looked_up.append(path)
        if path == self.fail_at:
            raise SitegenError([error("templates/paper.html", 3, "undefined value in template")])
        return b"".join([self.site[path], b""])  # a fresh object, as a render makes

    def __iter__(self):
        return iter(self.site)

    def __len__(self) -> int:
        return len(self.site)

    def __contains__(self, path: object) -> bool:
        return path in self.site  # without making the file


@BOTH_MODES
def test_looks_each_file_up_once_in_path_order(project, atomic):
    out = project / "_site"
    for site in (OLD_SITE, NEW_SITE, NEW_SITE):
        files = MadeOnLookup(site)
        write_site(files, out, project, atomic=atomic)
        # an atomic write looks the second half up in its worker process, when it can fork
        # (test_staging.py checks that half); the first half is looked up here
        halves = (sorted(site), sorted(site)[:len(site) // 2]) if atomic else (sorted(site),)
        assert files.looked_up in halves
        assert files_of(out) == site


@BOTH_MODES
def test_refusals_come_before_the_first_lookup(project, atomic):
    out = built_with_a_hand_written_page(project, atomic)
    files = MadeOnLookup(NEW_SITE)
    with pytest.raises(SitegenError, match="was not written by sitegen"):
        write_site(files, out, project, atomic=atomic)
    assert files.looked_up == []


@pytest.mark.parametrize("fail_at", ["index.html", "papers/c/index.html"])
def test_a_failing_lookup_leaves_the_live_site_untouched(project, fail_at):
    out = project / "_site"
    write_site(OLD_SITE, out, project)
    write_site(NEW_SITE, out, project)
    (out / "CNAME").write_bytes(b"papers.example.org\n")
    before = tree(out)
    with pytest.raises(SitegenError) as excinfo:
        write_site(MadeOnLookup(REVISED_SITE, fail_at=fail_at), out, project)
    assert refusal(excinfo) == ["templates/paper.html:3: error: undefined value in template"]
    assert tree(out) == before
    write_site(REVISED_SITE, out, project)  # the scratch folder left behind is reused as it is
    write_site(REVISED_SITE, project / "clean", project)
    (project / "clean" / "CNAME").write_bytes(b"papers.example.org\n")
    assert tree(out) == tree(project / "clean")


@BOTH_MODES
def test_holds_one_file_at_a_time(project, atomic):
    """Writing 40 files of 1 MB made on lookup never holds more than a few of them."""
    size, count = 1 << 20, 40
    site = {f"papers/p{n:02d}/index.html": bytes([n]) * size for n in range(count)}

    class Made(MadeOnLookup):
        def __getitem__(self, path):
            self.looked_up.append(path)
            return bytes([int(path.split("/")[1][1:])]) * size

    out = project / "_site"
    for stage in ("first", "again", "changed"):
        files = Made({path: b"" for path in site})
        if stage == "changed":
            (out / "papers" / "p07" / "index.html").write_bytes(b"edited by hand, then rebuilt")
        tracemalloc.start()
        try:
            write_site(files, out, project, atomic=atomic)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 5 * size, stage  # holding the site would take 40
    assert files_of(out) == site


# --- ownership, manifest, pruning ----------------------------------------------------


@BOTH_MODES
def test_marker_lists_exactly_the_files_written(project, atomic):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    assert manifest(out) == sorted(OLD_SITE)
    write_site(NEW_SITE, out, project, atomic=atomic)
    assert manifest(out) == sorted(NEW_SITE)
    assert files_of(out) == NEW_SITE


def test_output_is_deterministic(project):
    write_site(OLD_SITE, project / "one", project)
    write_site(OLD_SITE, project / "two", project, atomic=False)
    assert tree(project / "one") == tree(project / "two")


@BOTH_MODES
def test_prunes_dropped_files_and_the_folders_they_empty(project, atomic):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    report = write_site(NEW_SITE, out, project, atomic=atomic)
    assert report == WriteReport(written=3, unchanged=2, removed=2)
    assert tree(out) == {
        **NEW_SITE,
        MARKER: (out / MARKER).read_bytes(),
        "papers": "dir",
        "papers/a": "dir",
        "papers/c": "dir",
    }


@BOTH_MODES
def test_keeps_what_the_user_put_in_the_output(project, atomic):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    (out / "CNAME").write_text("papers.example.org\n")
    (out / "papers" / "b" / "notes.txt").write_text("mine\n")
    (out / "topics" / "kv" / "hardware" / "h100" / "keep").mkdir()
    (out / "outside").symlink_to(project / "content")
    write_site(NEW_SITE, out, project, atomic=atomic)
    found = tree(out)
    assert found["CNAME"] == b"papers.example.org\n"
    assert found["papers/b/notes.txt"] == b"mine\n"
    assert found["topics/kv/hardware/h100/keep"] == "dir"
    assert found["outside"] == ("link", str(project / "content"))
    assert "papers/b/index.html" not in found and "topics/kv/hardware/h100/index.html" not in found
    assert tree(project / "content") == {"about.md": b"precious\n"}


def built_with_a_hand_written_page(project: Path, atomic: bool) -> Path:
    """The old site, plus a page its user wrote where the new site puts one."""
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    (out / "papers" / "c").mkdir()
    (out / "papers" / "c" / "index.html").write_text("hand-written\n")
    return out


@BOTH_MODES
def test_refuses_to_overwrite_a_file_it_did_not_write(project, atomic):
    out = built_with_a_hand_written_page(project, atomic)
    before = tree(out)
    with pytest.raises(SitegenError) as excinfo:
        write_site(NEW_SITE, out, project, atomic=atomic)
    assert refusal(excinfo) == [
        f"{out}/papers/c/index.html: error: was not written by sitegen; refusing to overwrite it;"
        " move it away or delete the output folder"
    ]
    assert tree(out) == before


@BOTH_MODES
def test_never_writes_or_prunes_through_a_symlinked_folder(project, tmp_path, atomic):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "a").mkdir(parents=True)
    (elsewhere / "a" / "index.html").write_bytes(b"paper a\n")
    (elsewhere / "b").mkdir()
    (elsewhere / "b" / "index.html").write_bytes(b"paper b\n")
    for page in ("a", "b"):
        (out / "papers" / page / "index.html").unlink()
        (out / "papers" / page).rmdir()
    (out / "papers").rmdir()
    (out / "papers").symlink_to(elsewhere)
    outside = tree(elsewhere)

    with pytest.raises(SitegenError) as excinfo:
        write_site(NEW_SITE, out, project, atomic=atomic)
    assert refusal(excinfo) == [
        f"{out}/papers: error: is in the way of papers/a/index.html and 1 more and was not"
        " written by sitegen; refusing to overwrite it; move it away or delete the output folder"
    ]
    without_papers = {k: v for k, v in NEW_SITE.items() if not k.startswith("papers/")}
    write_site(without_papers, out, project, atomic=atomic)  # prunes papers/b: not through the link
    assert tree(elsewhere) == outside
    assert tree(out)["papers"] == ("link", str(elsewhere))


@pytest.mark.parametrize("swapped", ["papers/a", "papers"])
def test_a_quick_write_never_follows_a_folder_swapped_for_a_symlink_after_its_checks(project, tmp_path,
                                                                                       monkeypatch, swapped):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    real_survey = writer.survey

    def survey_then_swap(*args):
        job = real_survey(*args)
        (out / swapped).rename(tmp_path / "moved")  # between the checks and the writes
        (out / swapped).symlink_to(outside, target_is_directory=True)
        return job

    monkeypatch.setattr(writer, "survey", survey_then_swap)
    with pytest.raises(SitegenError) as excinfo:
        write_site(NEW_SITE, out, project, atomic=False)
    assert refusal(excinfo)[0].startswith(f"{out / swapped}: error: cannot write the site: ")
    assert list(outside.iterdir()) == []


@BOTH_MODES
def test_a_file_of_ours_can_become_a_folder(project, atomic):
    out = project / "_site"
    write_site({"about": b"old about"}, out, project, atomic=atomic)
    write_site({"about/index.html": b"new about"}, out, project, atomic=atomic)
    assert files_of(out) == {"about/index.html": b"new about"}


@BOTH_MODES
def test_identical_bytes_are_not_rewritten(project, atomic):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    before = {path: os.stat(out / path) for path in OLD_SITE}
    report = write_site(NEW_SITE, out, project, atomic=atomic)
    for path in ("feed.xml", ".nojekyll"):
        after = os.stat(out / path)
        assert (after.st_ino, after.st_mtime_ns) == (before[path].st_ino, before[path].st_mtime_ns)
    assert os.stat(out / "index.html").st_ino != before["index.html"].st_ino
    assert report.unchanged == 2


@BOTH_MODES
def test_writing_the_same_site_again_changes_nothing(project, atomic):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=atomic)
    before = {path: os.stat(out / path).st_ino for path in [*OLD_SITE, MARKER]}
    report = write_site(OLD_SITE, out, project, atomic=atomic)
    assert report == WriteReport(written=0, unchanged=len(OLD_SITE), removed=0)
    assert {path: os.stat(out / path).st_ino for path in before} == before


def test_writes_through_an_output_symlink_to_its_target(project, tmp_path):
    real = tmp_path / "served"
    (project / "_site").symlink_to(real)
    write_site(OLD_SITE, project / "_site", project)
    write_site(NEW_SITE, project / "_site", project)
    assert (project / "_site").is_symlink()
    assert files_of(real) == NEW_SITE


# --- faults --------------------------------------------------------------------------


def fail_after(monkeypatch, count: int) -> None:
    """Make the file writer run out of space after `count` files."""
    real = files.write_new_file
    calls = iter(range(1_000_000))

    def writer(path, data, folder_fd=None):
        if next(calls) >= count:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        real(path, data, folder_fd)

    monkeypatch.setattr(files, "write_new_file", writer)


def litter(folder: Path) -> list[str]:
    return [p.name for p in folder.parent.rglob("*") if guard.TEMP_SUFFIX in p.name or "sitegen-old" in p.name]


@pytest.mark.parametrize("count", [0, 1, 3, 5])
def test_full_disk_leaves_the_previous_site_intact(project, monkeypatch, count):
    out = project / "_site"
    write_site(OLD_SITE, out, project)
    write_site(NEW_SITE, out, project)
    before = tree(out)
    fail_after(monkeypatch, count)  # the marker and 5 files differ from both sites on disk
    monkeypatch.setattr(background, "ENABLED", False)  # the count is this process's (a worker's dying: test_staging)
    with pytest.raises(SitegenError) as excinfo:
        write_site(REVISED_SITE, out, project)
    [diagnostic] = excinfo.value.diagnostics
    assert diagnostic.path.startswith(f"{out}/") and diagnostic.line is None
    assert diagnostic.message == "cannot write the site: No space left on device; the previous site is unchanged"
    assert tree(out) == before
    assert not scratch_folders(out)[0].exists() and litter(out) == []
    monkeypatch.undo()
    write_site(REVISED_SITE, out, project)
    assert files_of(out) == REVISED_SITE


def test_a_failed_quick_rebuild_keeps_a_record_of_what_it_wrote(project, monkeypatch):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=False)
    fail_after(monkeypatch, 4)  # every page written, the final marker not
    with pytest.raises(SitegenError):
        write_site(NEW_SITE, out, project, atomic=False)
    assert "papers/c/index.html" in manifest(out)
    monkeypatch.undo()
    write_site(OLD_SITE, out, project, atomic=False)
    assert files_of(out) == OLD_SITE  # papers/c was claimed first, so it is pruned now


def test_temp_files_of_a_killed_quick_rebuild_are_not_kept(project):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=False)
    (out / "papers" / "a" / ".index.html.sitegen-tmp").write_bytes(b"half")
    write_site(NEW_SITE, out, project, atomic=False)
    assert (out / "papers" / "a" / "index.html").read_bytes() == NEW_SITE["papers/a/index.html"]
    (out / "papers" / "c" / ".index.html.sitegen-tmp").write_bytes(b"half")
    write_site(OLD_SITE, out, project)
    assert files_of(out) == OLD_SITE


def test_quick_rebuilds_make_no_scratch_folder(project):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=False)
    write_site(NEW_SITE, out, project, atomic=False)
    assert not any(path.exists() for path in scratch_folders(out))


def test_full_disk_in_a_quick_rebuild_leaves_no_temp_files(project, monkeypatch):
    out = project / "_site"
    write_site(OLD_SITE, out, project, atomic=False)
    fail_after(monkeypatch, 2)
    with pytest.raises(SitegenError) as excinfo:
        write_site(NEW_SITE, out, project, atomic=False)
    assert refusal(excinfo) == [
        f"{out}/papers/a/index.html: error: cannot write the site: No space left on device;"
        " the site may be partly updated"
    ]
    assert litter(out) == []
    monkeypatch.undo()
    write_site(NEW_SITE, out, project, atomic=False)
    assert files_of(out) == NEW_SITE and manifest(out) == sorted(NEW_SITE)


def run_helper(out: Path, project: Path, variant: str, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-S", str(HELPER), str(out), str(project), variant, *extra],  # -S: stdlib only, starts faster
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline() == "ready\n"
    return process


@pytest.mark.parametrize("trials, extra", [(30, ()), (6, ("--no-exchange",))], ids=["exchange", "renames"])
def test_a_build_killed_at_any_moment_leaves_a_complete_site(project, trials, extra):
    """SIGKILL at random moments: the output is always exactly the old or the new site."""
    out = project / "_site"
    staging, old = scratch_folders(out)
    expected = {}
    for variant in VARIANTS:
        write_site(make_site(variant), out, project)
        (out / "CNAME").write_bytes(b"papers.example.org\n")  # a user's file, kept throughout
        expected[variant] = tree(out)
    process = run_helper(out, project, "a", *extra)
    started = time.monotonic()
    process.wait()
    span = min(time.monotonic() - started, 0.5)  # one whole write: the kill window (bounded)
    assert tree(out) == expected["a"]

    randomness = random.Random(4)
    current, staged, killed = "a", "c", 0  # staged: the site the scratch folder holds
    for _ in range(trials):
        # Never the staged site: the scratch folder must really be rewritten.
        goal = randomness.choice([v for v in VARIANTS if v not in (current, staged)])
        process = run_helper(out, project, goal, *extra)
        time.sleep(randomness.uniform(0, span * 1.1))
        process.send_signal(signal.SIGKILL)
        killed += process.wait() == -signal.SIGKILL
        found = tree(out) if out.exists() else tree(old)  # renames: killed between two
        assert found in (expected[current], expected[goal])
        current, staged = (current, None) if found == expected[current] else (goal, current)
    assert killed  # some kills landed while the write was running
    goal = next(v for v in VARIANTS if v != current)
    write_site(make_site(goal), out, project)
    assert tree(out) == expected[goal]
    assert not old.exists() and staging.is_dir()


def test_a_kept_path_verdict_is_checked_again_when_the_paths_change(project, monkeypatch):
    """The watch loop keeps the unsafe-path verdict while its paths are the same; a path
    added after many clean rounds is refused exactly as a first write refuses it."""
    out = project / "_site"
    checks = []
    check = writer.refuse_unsafe_paths
    monkeypatch.setattr(writer, "refuse_unsafe_paths", lambda *args: checks.append(1) or check(*args))
    verdicts = ByInput()
    for site in (NEW_SITE, REVISED_SITE, NEW_SITE):
        write_site(site, out, project, atomic=False, verdicts=verdicts)
        verdicts.end_round()
    assert len(checks) == 1
    before = tree(out)
    for bad in ({"index.html/x.html": b""}, {"../escape.html": b""}, {MARKER: b""}):
        with pytest.raises(SitegenError) as kept:
            write_site(NEW_SITE | bad, out, project, atomic=False, verdicts=verdicts)
        with pytest.raises(SitegenError) as fresh:
            write_site(NEW_SITE | bad, out, project, atomic=False)
        assert refusal(kept) == refusal(fresh) and refusal(kept)
        assert tree(out) == before
