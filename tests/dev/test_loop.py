"""The watch/serve loop: every warning is passed on once, when it first appears."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT, copy_project
from loop_helpers import OVERRIDES
from sitegen.dev.rebuild import Builder
from sitegen.dev.loop import Loop

sys.path.insert(0, str(ROOT / "scripts"))
from seedsite import free_port  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "site"
PAPER = "flashattention-on-hopper-fast-kv-cache-attention-with-h100s"


def note(project: Path, name: str, front_matter: str) -> None:
    notes = project / "content" / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / name).write_text(f"---\n{front_matter}---\nBody.\n", encoding="utf-8")


def test_each_warning_is_passed_on_once_at_start_up_or_when_a_rebuild_adds_it(tmp_path):
    project = copy_project(FIXTURE, tmp_path / "project")
    note(project, "a.md", f"paper: {PAPER}\nraiting: 4\n")
    passed_on: list[list[str]] = []
    failures: list[list[str]] = []
    loop = Loop(Builder(project, replace(OVERRIDES, output=str(tmp_path / "out"))), tmp_path / "out",
                lambda report: None, lambda errors: failures.append([str(e) for e in errors]),
                lambda warnings: passed_on.append([str(w) for w in warnings]))
    typo = "content/notes/a.md:3: warning: unknown key 'raiting' (did you mean 'rating'?)"

    loop.rebuild()  # start-up: every warning
    assert passed_on == [[typo]]
    loop.rebuild()  # nothing new
    note(project, "a.md", f"paper: {PAPER}\nraiting: 4\ntag: [kernels]\n")
    loop.rebuild()  # only the new one
    assert passed_on == [[typo], ["content/notes/a.md:4: warning: unknown key 'tag' (did you mean 'tags'?)"]]

    note(project, "b.md", "paper: no-such-paper-anywhere\n")
    assert loop.rebuild() is None and failures and len(loop.warnings) == 2  # still known beside the error
    (project / "content" / "notes" / "b.md").unlink()
    note(project, "a.md", f"paper: {PAPER}\nrating: 4\n")
    loop.rebuild()
    assert len(passed_on) == 2 and loop.warnings == ()
    note(project, "a.md", f"paper: {PAPER}\nraiting: 4\n")
    loop.rebuild()  # gone and back: new again
    assert passed_on[-1] == [typo]


def answer(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def wait_for(condition, log: Path, what: str, patience: float = 60):
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            found = condition()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"{what} not seen within {patience} s:\n{log.read_text()}")


def test_serve_with_no_good_build_shows_the_error_page_then_the_fixed_site(tmp_path):
    """End to end: `sitegen serve` started on a broken project (issue 19 items 3 and 4)."""
    project = copy_project(FIXTURE, tmp_path / "project")
    note(project, "typo.md", f"paper: {PAPER}\nraiting: 4\n")
    note(project, "broken.md", "paper: no-such-paper-anywhere\n")
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "sitegen", "--root", str(project), "serve",
                                   "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/"
            status, body = wait_for(lambda: answer(base), log_path, "the server")
            assert status == 503 and b"No site yet" in body and b"livereload.js" in body
            printed = log_path.read_text()
            assert "build failed; there is no earlier good site to show" in printed
            assert "keeping the last good site" not in printed
            typo = "content/notes/typo.md:3: warning: unknown key 'raiting' (did you mean 'rating'?)"
            assert typo in printed  # at start-up, beside the error

            (project / "content" / "notes" / "broken.md").unlink()
            wait_for(lambda: answer(base)[0] == 200, log_path, "the fixed site")
            wait_for(lambda: "rebuilt" in log_path.read_text(), log_path, "the rebuild line")
            assert log_path.read_text().count(typo) == 1  # once, not again on every rebuild
        finally:
            server.terminate()
            server.wait(timeout=10)
