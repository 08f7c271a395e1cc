"""`sitegen serve` in the browser: a saved note shows up by itself; a broken one shows the overlay."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from seedsite import PAPER_WITH_NOTE, ROOT, SUB_PATH, free_port

from .conftest import PageProblems, open_page, require_chromium

require_chromium()
from playwright.sync_api import expect  # noqa: E402 (only once Playwright is known to be there)

pytestmark = pytest.mark.browser

NOTE = Path("content/notes/flashattention-2.md")
SENTENCE = "Read section 3 slowly; the rest is measurements."
EDITED = "Live reload put this sentence here."
LIVE = 2_000  # ms: the promise for a save to reach the open page


@pytest.fixture
def serving(tmp_path):
    """`sitegen serve` on a copy of the project, under /repo/ on a free port: (project, base URL)."""
    project = copy_seed_project(tmp_path)
    server, base_url = start_serve(tmp_path, project)
    try:
        wait_until_up(server, base_url, tmp_path / "serve.log")
        yield project, base_url
    finally:
        server.terminate()
        server.wait(timeout=10)


def copy_seed_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for folder in ("seeds", "content", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    return project


def start_serve(tmp_path: Path, project: Path) -> tuple[subprocess.Popen, str]:
    """`sitegen serve` on `project` under /repo/ on a free port, logging to tmp_path/serve.log."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}{SUB_PATH}"
    with (tmp_path / "serve.log").open("w") as log:  # the child keeps its own copy of the handle
        server = subprocess.Popen([sys.executable, "-m", "sitegen", "--root", str(project), "serve",
                                   "--port", str(port), "--base-url", base_url],
                                  stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})  # the preview folder
    return server, base_url


def wait_until_up(server: subprocess.Popen, url: str, log: Path, patience: float = 60) -> None:
    """Poll until the first build is served; fail with the server's output if it dies or hangs."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"sitegen serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"sitegen serve did not answer within {patience} s:\n{log.read_text()}")


def save(path: Path, text: str) -> None:
    """Save like an editor that writes a temporary file and renames it over the note."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def test_note_edits_reach_the_open_page_and_errors_show_an_overlay(browser, serving):
    project, base_url = serving
    note = project / NOTE
    original = note.read_text(encoding="utf-8")
    assert SENTENCE in original and "\nrating: 5\n" in original
    problems = PageProblems()
    context, tab = open_page(browser, problems)
    tab.goto(base_url + PAPER_WITH_NOTE)
    body = tab.locator(".note .prose")
    overlay = tab.locator("#sitegen-error-overlay")
    expect(body).to_contain_text(SENTENCE)

    edited = original.replace(SENTENCE, EDITED)
    save(note, edited)
    expect(body).to_contain_text(EDITED, timeout=LIVE)
    expect(body).not_to_contain_text(SENTENCE)

    broken_line = edited.splitlines().index("rating: 5") + 1
    save(note, edited.replace("\nrating: 5\n", "\nrating: [5\n"))
    expect(overlay).to_be_visible(timeout=LIVE)
    located = re.search(rf"{re.escape(NOTE.as_posix())}:(\d+): error: \S.*", overlay.inner_text())
    assert located, overlay.inner_text()
    assert broken_line <= int(located.group(1)) <= broken_line + 1  # YAML may notice on the next line
    expect(body).to_contain_text(EDITED)  # the last good page stays underneath

    save(note, edited)
    expect(overlay).to_have_count(0, timeout=LIVE)
    expect(body).to_contain_text(EDITED)
    context.close()
    assert problems.seen == []


def test_warnings_are_listed_without_blocking_the_page(browser, serving):
    project, base_url = serving
    note = project / NOTE
    original = note.read_text(encoding="utf-8")
    problems = PageProblems()
    context, tab = open_page(browser, problems)
    tab.goto(base_url + PAPER_WITH_NOTE)
    panel = tab.locator("#sitegen-warnings")
    expect(tab.locator(".note .prose")).to_contain_text(SENTENCE)
    expect(panel).to_have_count(0)

    save(note, original.replace("\nrating: 5\n", "\nraiting: 5\n"))
    expect(panel).to_be_visible(timeout=LIVE)
    expect(panel).to_contain_text(f"{NOTE.as_posix()}:")
    expect(panel).to_contain_text("unknown key 'raiting' (did you mean 'rating'?)")
    expect(tab.locator("#sitegen-error-overlay")).to_have_count(0)
    box = panel.bounding_box()
    viewport = tab.viewport_size
    assert box["width"] * box["height"] < 0.5 * viewport["width"] * viewport["height"]  # a corner, not a wall
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="Topics").click()  # still usable
    expect(tab).to_have_url(re.compile(r"/topics/$"))
    expect(panel).to_be_visible(timeout=LIVE)  # every page lists the current warnings

    save(note, original)
    expect(panel).to_have_count(0, timeout=LIVE)
    context.close()
    assert problems.seen == []


def test_serve_on_broken_input_with_no_site_shows_the_errors_and_reloads_once_fixed(browser, tmp_path):
    project = copy_seed_project(tmp_path)
    note = project / NOTE
    original = note.read_text(encoding="utf-8")
    note.write_text(original.replace("\nrating: 5\n", "\nrating: [5\n"), encoding="utf-8")
    server, base_url = start_serve(tmp_path, project)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base_url, timeout=2)
            except urllib.error.HTTPError as refused:
                assert refused.code == 503
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        assert "no earlier good site" in (tmp_path / "serve.log").read_text()
        context, tab = open_page(browser, PageProblems())
        tab.goto(base_url + PAPER_WITH_NOTE)
        overlay = tab.locator("#sitegen-error-overlay")
        expect(overlay).to_be_visible(timeout=LIVE)
        expect(overlay).to_contain_text(f"{NOTE.as_posix()}:")

        save(note, original)
        expect(tab.locator(".note .prose")).to_contain_text(SENTENCE, timeout=30_000)  # the first build
        expect(overlay).to_have_count(0)
        context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
