"""The bad-input catalogue (docs/security.md): every kind of bad input ends in its exact,
located message, and either the rest of the site still builds or, for errors, the previous
output is left untouched. Also faults met through the command line, and hostile requests
to the preview server that tests/test_server.py does not already make.

Each test builds a throwaway copy of the fixture project tests/fixtures/site/ with the bad
file of tests/fixtures/bad_inputs/ (or one made here, when it is large or derived) added.
"""

from __future__ import annotations

import csv
import errno
import html
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, copy_project
from loop_helpers import clean_build, messages, start_loop, tree

from sitegen import output
from sitegen.catalog import build_catalog
from sitegen.cli import main
from sitegen.diagnostics import SitegenError, sorted_diagnostics
from sitegen.pipeline import Overrides, build
from sitegen.sources import parse_seed_bytes
from sitegen.text import repair_text

FIXTURE = ROOT / "tests" / "fixtures" / "site"
BAD = ROOT / "tests" / "fixtures" / "bad_inputs"
ATOM = "{http://www.w3.org/2005/Atom}"
MB = 1_000_000


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(FIXTURE, tmp_path / "project")


@pytest.fixture(scope="module")
def clean_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The fixture project's site, built as it is."""
    folder = tmp_path_factory.mktemp("clean")
    return clean_build(copy_project(FIXTURE, folder / "project"), folder / "out")


def add(root: Path, *names: str) -> None:
    """Copy files of tests/fixtures/bad_inputs/ into the project at the same relative path."""
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BAD / name, root / name)


def built(root: Path, search: bool = False) -> tuple[list[str], dict[str, bytes]]:
    """Build `root` into its sibling `out`: the diagnostics as printed, and the site.

    Without search unless asked: the Pagefind bundle differs from build to build (see
    test_search_index_is_deterministic), and it is beside the point of most rows.
    """
    out = root.parent / "out"
    result = build(root, Overrides(output=str(out), search=search))
    return [str(d) for d in sorted_diagnostics(result.site.diagnostics)], tree(out)


def refused(root: Path, spoil: Callable[[Path], object]) -> list[str]:
    """Build a good site, `spoil` the project, build again: the refusal, as printed.

    Asserts the refused build left the previous site exactly as it was, down to mtimes.
    """
    out = root.parent / "out"
    build(root, Overrides(output=str(out), search=False))
    before = _snapshot(out)
    spoil(root)
    with pytest.raises(SitegenError) as caught:
        build(root, Overrides(output=str(out), search=False))
    assert _snapshot(out) == before
    return [str(d) for d in caught.value.diagnostics]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {path: (data, (folder / path).stat().st_mtime_ns) for path, data in tree(folder).items()}


def page_heading(site: dict[str, bytes], slug: str) -> str:
    """The text of a paper page's <h1>, as a browser shows it."""
    page = site[f"papers/{slug}/index.html"].decode()
    return html.unescape(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1))


def replace_line(path: Path, old: str, new: str) -> int:
    """Replace the one line holding `old` with `new`; return its 1-based line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    [number] = [n for n, line in enumerate(lines) if old in line]
    lines[number] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


# --- seed files: encodings, line endings, truncation, size ----------------------------------


def test_empty_seed_file_is_a_warning_and_changes_nothing(project, clean_site):
    add(project, "seeds/empty.txt")
    problems, site = built(project)
    assert problems == ["seeds/empty.txt: warning: no papers found in this listing"]
    assert site == clean_site


def test_control_characters_in_seed_text_are_dropped_and_feeds_stay_xml(project):
    abstract = "An abstract long enough to be one, about attention kernels on GPUs \x07 and more. " * 3
    (project / "seeds" / "controls.txt").write_bytes(f"Control\x01 \x1b[31mKernels\n\n{abstract}\x02\n".encode())
    problems, site = built(project)
    assert problems == []
    assert page_heading(site, "control-31mkernels") == "Control [31mKernels"
    for path, data in site.items():
        if path.endswith(".xml"):
            ET.fromstring(data)  # raises on a character XML forbids


def test_a_5_mb_single_line_is_one_skipped_title(project, clean_site):
    """The parser, the catalog and the text repairs are linear (see docs/security.md)."""
    line = ("attention kernels on the H100 GPU " * (5 * MB // 34 + 1))[: 5 * MB]
    (project / "seeds" / "huge.txt").write_text(line + "\n", encoding="utf-8")
    problems, site = built(project)
    assert problems == [
        "seeds/huge.txt: warning: no papers found in this listing",
        f"seeds/huge.txt:1: warning: entry {line[:60]!r} has a title but no abstract; skipped",
    ]
    assert site == clean_site


@pytest.mark.parametrize("unit", [
    "attention kernels on the H100 GPU ",
    "x",
    "http://a",  # one 5 MB run of URL characters holding 600,000 URLs (was quadratic)
    "{http://a}",
    "\\textbf{a}~b_{c}",
], ids=["prose", "one-word", "url-run", "braced-urls", "latex"])
def test_a_5_mb_abstract_line_is_parsed_and_repaired(unit):
    abstract = (unit * (5 * MB // len(unit) + 1))[: 5 * MB]
    parsed = parse_seed_bytes(f"A Huge Abstract\n\n{abstract}\n".encode(), "seeds/huge.txt")
    [paper] = build_catalog([parsed], {}, ()).papers
    assert paper.title == "A Huge Abstract" and len(paper.abstract) > MB


def test_a_long_blank_run_in_curator_text_is_repaired_in_one_pass():
    """Seed lines have their blanks collapsed; curator YAML text keeps them (was quadratic)."""
    assert repair_text(" " * MB + "2\\times faster") == "2× faster"


# --- markup in titles, abstracts and notes ----------------------------------------------------

SEED_TITLE = 'Fast <x-evil>Kernels</x-evil> & "Quotes" <script>alert(1)</script>'
SEED_SLUG = "fast-x-evil-kernels-x-evil-quotes-script-alert-1-script"
FORMULA_TITLE = '=HYPERLINK("https://evil.example") Formula Title'
CURATOR_TITLE = "A Paper From <x-evil>Elsewhere</x-evil> & <script>alert(6)</script>"
CURATOR_SLUG = "a-paper-from-x-evil-elsewhere-x-evil-script-alert-6-script"


@pytest.fixture(scope="module")
def marked_up_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The fixture site plus HTML and script in seed titles and abstracts, a note and a paper
    from elsewhere (`allow_html` is off, the default)."""
    root = copy_project(FIXTURE, tmp_path_factory.mktemp("markup") / "project")
    add(root, "seeds/html.txt", "content/notes/html.md", "content/notes/elsewhere.md")
    problems, site = built(root, search=True)
    assert problems == []
    return site


# --- YAML ----------------------------------------------------------------------------------------

BOMB = (BAD / "content" / "notes" / "bomb.md").read_text(encoding="utf-8").split("---\n")[1]


def test_control_characters_in_yaml_text_are_refused(project):
    settings = project / "content" / "site.yaml"
    problems = refused(project, lambda root: replace_line(settings, "title:", r'title: "Fixture \x01 List"'))
    line = settings.read_text().split("\n").index(r'title: "Fixture \x01 List"') + 1
    assert problems == [
        f"content/site.yaml:{line}: error: 'title' must be a non-empty string, got 'Fixture \\x01 List'"
        " (it holds the control character U+0001)"]


# --- taxonomy ------------------------------------------------------------------------------------


# --- notes and reading paths naming missing papers -------------------------------------------


# --- templates -------------------------------------------------------------------------------------


# --- seed files deleted or made unreadable during watch ---------------------------------------

SECOND = ("A Second Listing Paper on KV Cache\n\n"
          + "Paging the key-value cache of a served model to host memory on a single GPU. " * 4 + "\n")


def _deny_reading(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000, and make reads refuse it as they would for any user but root (tests run as root)."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == path and not self.stat().st_mode & 0o444:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    path.chmod(0)


