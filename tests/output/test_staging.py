"""Atomic builds: the staging folder, the swap, recovery from a killed build, the lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from output_helpers import NEW_SITE, OLD_SITE, REVISED_SITE, files_of, refusal, tree

from sitegen.diagnostics import SitegenError
from sitegen.output import guard
from sitegen.output.guard import MARKER, check_output_dir
from sitegen.output.staging import lock_file, scratch_folders
from sitegen.output.writer import write_site


# --- atomic swap, scratch folders, recovery ------------------------------------------


def test_scratch_folder_holds_the_previous_site_after_a_swap(project):
    out = project / "_site"
    staging, old = scratch_folders(out)
    assert (staging.name, old.name) == ("._site.sitegen-staging", "._site.sitegen-old")
    write_site(OLD_SITE, out, project)
    write_site(NEW_SITE, out, project)
    assert files_of(staging) == OLD_SITE
    write_site(OLD_SITE, out, project)  # the scratch folder is brought up to date, not trusted
    assert files_of(out) == OLD_SITE and files_of(staging) == NEW_SITE
    assert not old.exists()


def test_staging_leftovers_of_any_shape_are_cleaned(project):
    out = project / "_site"
    write_site(OLD_SITE, out, project)
    write_site(NEW_SITE, out, project)
    staging, _ = scratch_folders(out)
    (staging / "index.html").unlink()
    (staging / "index.html").mkdir()  # a folder where a file belongs
    (staging / "junk").write_text("half-written")
    (staging / "papers" / "link").symlink_to(project / "content")
    write_site(OLD_SITE, out, project)
    write_site(OLD_SITE, project / "clean", project)
    assert tree(out) == tree(project / "clean")
    assert tree(project / "content") == {"about.md": b"precious\n"}


def test_swap_without_renameat2_uses_renames(project, monkeypatch):
    monkeypatch.setattr("sitegen.output.staging._exchange", lambda first, second: False)
    out = project / "_site"
    write_site(OLD_SITE, out, project)
    write_site(NEW_SITE, out, project)
    staging, old = scratch_folders(out)
    assert files_of(out) == NEW_SITE and files_of(staging) == OLD_SITE
    assert not old.exists()


def test_restores_the_previous_site_after_a_kill_between_renames(project):
    out = project / "_site"
    write_site(OLD_SITE, out, project)
    staging, old = scratch_folders(out)
    out.rename(old)  # as if the fallback swap died right after its first rename
    check_output_dir(out, project)
    report = write_site(NEW_SITE, out, project)
    assert report.unchanged == 2 and report.removed == 2
    assert files_of(out) == NEW_SITE and not old.exists()


@pytest.mark.parametrize("staging_left", [True, False])
def test_finishes_a_swap_killed_before_its_last_rename(project, monkeypatch, staging_left):
    monkeypatch.setattr("sitegen.output.staging._exchange", lambda first, second: False)
    out = project / "_site"
    staging, old = scratch_folders(out)
    write_site(OLD_SITE, out, project)
    write_site(NEW_SITE, out, project)
    staging.rename(old)  # the previous site, not yet moved to its scratch name
    if staging_left:
        staging.mkdir()
    write_site(REVISED_SITE, out, project)
    assert files_of(out) == REVISED_SITE and files_of(staging) == NEW_SITE
    assert not old.exists()


def test_refuses_a_scratch_folder_it_did_not_make(project):
    out = project / "_site"
    staging, _ = scratch_folders(out)
    staging.mkdir()
    (staging / "mine.txt").write_text("someone's")
    with pytest.raises(SitegenError) as excinfo:
        write_site(OLD_SITE, out, project)
    assert refusal(excinfo) == [
        f"{staging}: error: is in the way: sitegen uses this name for its scratch folder"
        " but did not make it; move it away"
    ]
    assert tree(staging) == {"mine.txt": b"someone's"}


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(project):
    import fcntl

    out = project / "_site"
    write_site(OLD_SITE, out, project)
    with open(lock_file(out), "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a build in another process holds it while writing
        for atomic in (True, False):
            with pytest.raises(SitegenError) as excinfo:
                write_site(NEW_SITE, out, project, atomic=atomic)
            assert refusal(excinfo) == [
                f"{out}: error: another sitegen command is writing this output folder right now"
                " (it holds ._site.sitegen-lock); wait for it to finish and run again"]
    assert files_of(out) == OLD_SITE
    write_site(NEW_SITE, out, project)  # released: the next build goes ahead
    assert files_of(out) == NEW_SITE


@pytest.mark.parametrize("proof", [guard.STAGING_IDENTITY, f".{MARKER}.sitegen-tmp"])  # the marker's temp file
def test_recovers_a_half_made_staging_folder_it_can_prove_it_made(project, proof):
    out = project / "_site"
    staging, _ = scratch_folders(out)
    staging.mkdir()  # as a build killed after staging files, before its marker's rename
    (staging / proof).write_bytes(b"")
    (staging / "papers").mkdir()
    (staging / "papers" / "x.html").write_text("half-made")
    write_site(OLD_SITE, out, project)
    write_site(NEW_SITE, out, project)
    assert files_of(out) == NEW_SITE and files_of(staging) == OLD_SITE
    assert not (out / proof).exists() and not (staging / proof).exists()


def test_a_first_build_leaves_no_empty_staging_folder(project):
    out = project / "_site"
    write_site(OLD_SITE, out, project)
    staging, old = scratch_folders(out)
    assert not staging.exists() and not old.exists()
    assert sorted(p.name for p in project.iterdir()) == sorted(["._site.sitegen-lock", "_site", *guard.PROTECTED_FOLDERS])


# --- the worker: half of the new files staged by a forked process --------------------------

def worker_write(project, case: str, *flags: str) -> dict:
    """Run tests/output/worker_helper.py in a fresh interpreter (see there) and return its report."""
    helper = Path(__file__).with_name("worker_helper.py")
    done = subprocess.run([sys.executable, str(helper), str(project), case, *flags], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_worker_stages_half_the_site_and_the_result_equals_one_process(project):
    split = worker_write(project, "none")
    assert split["looked_up_by"] == ["parent", "worker"]
    assert split["live_is_new"] and split["raised"] is None and not split["child_left"]
    assert split["lookups"] == 363  # every file looked up once, by one of the two processes
    alone = worker_write(project.parent / "alone", "none", "--one-process")
    assert alone["looked_up_by"] == ["parent"] and alone["live_is_new"]


@pytest.mark.parametrize("case", ["raise", "raise-here"], ids=["in-the-worker", "in-the-parent"])
def test_a_render_error_in_either_half_comes_back_located_and_the_live_site_stays(project, case):
    found = worker_write(project, case)
    where = "authors/000" if case == "raise-here" else "topics/kv/hardware/h100"
    assert found["raised"] == [f"templates/paper.html:7: error: template error at {where}/index.html"]
    assert found["live_is_old"] and not found["child_left"]


def test_a_worker_that_dies_fails_the_write_and_leaves_the_previous_site(project):
    found = worker_write(project, "die")
    assert len(found["raised"]) == 1
    assert found["raised"][0].startswith(f"{project / '_site'}: error: cannot write the site: the worker process ended")
    assert found["raised"][0].endswith("the previous site is unchanged")
    assert found["live_is_old"] and not found["child_left"] and not found["staging_left"]
