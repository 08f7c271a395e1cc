"""The bad-input catalogue (docs/security.md): every kind of bad input ends in its exact,
located message, and either the rest of the site still builds or, for errors, the previous
output is left untouched. Also faults met through the command line, and hostile requests
to the preview server that tests/dev/test_server.py does not already make.

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
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, copy_project, pagefind_fragment
from loop_helpers import clean_build, messages, start_loop, tree

from sitegen.catalog.merge import build_catalog
from sitegen.cli import main
from sitegen.diagnostics import SitegenError, sorted_diagnostics
from sitegen.pipeline import Overrides, build
from sitegen.sources.listing_files import parse_seed_bytes
from sitegen.text.repair import repair_text

FIXTURE = ROOT / "tests" / "fixtures" / "site"
SEED_PAPERS = ("flashattention-on-hopper-fast-kv-cache-attention-with-h100s",
               "serving-script-alert-1-script-models-on-a-single-gpu", "a-paper-with-nothing-to-tag")
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
        if name.startswith("seeds/"):
            captured(root, name)


def captured(root: Path, seed: str) -> None:
    """Give a listing added to the fixture project its capture date, as a curator would
    (without one, its undated entries are a warning of their own)."""
    settings = root / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + f"  {seed.removeprefix('seeds/')}: 2025-11-24\n",
                        encoding="utf-8")


def built(root: Path, search: bool = False) -> tuple[list[str], dict[str, bytes]]:
    """Build `root` into its sibling `out`: the diagnostics as printed, and the site.

    Without search unless asked: the Pagefind bundle differs from build to build (see
    tests/test_churn.py::test_search_index_is_deterministic), and it is beside most rows.
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


def test_binary_seed_file_is_refused(project):
    assert refused(project, lambda root: add(root, "seeds/binary.txt")) == [
        "seeds/binary.txt: error: binary file (NUL bytes), not a listing; remove it or fix its encoding"]


@pytest.mark.parametrize("name, line, encoding, slug, title", [
    ("latin1.txt", 1, "cp1252", "cafe-kernels-for-koln-s-gpus", "Café Kernels for Köln's GPUs"),
    ("latin1_controls.txt", 1, "latin-1", "control-characters-in-a-latin-1-title",
     "Control Characters in a Latin-1 Title"),  # byte 0x81: undefined in cp1252, a C1 control
    ("cp1252.txt", 3, "cp1252", "quoted-kernels-10-gpus", "“Quoted” Kernels – €10 GPUs"),
], ids=["latin-1", "latin-1-controls", "windows-1252"])
def test_legacy_encodings_are_decoded_with_a_located_warning(project, clean_site, name, line, encoding,
                                                             slug, title):
    """Windows-1252 decodes every printable Latin-1 character alike, so Latin-1 is read as it."""
    add(project, f"seeds/{name}")
    problems, site = built(project)
    assert problems == [f"seeds/{name}:{line}: warning: not valid UTF-8; decoded as {encoding}"]
    assert page_heading(site, slug) == title
    assert set(clean_site) <= set(site)


@pytest.mark.parametrize("transform", [
    lambda data: b"\xef\xbb\xbf" + data,
    lambda data: data.replace(b"\n", b"\r\n"),
    lambda data: data.replace(b"\n", b"\r"),
], ids=["utf-8-bom", "crlf", "lone-cr"])
def test_bom_and_line_endings_build_the_same_site_silently(project, clean_site, transform):
    listing = project / "seeds" / "listing.txt"
    listing.write_bytes(transform(listing.read_bytes()))
    assert built(project) == ([], clean_site)


def test_file_cut_off_after_a_title_keeps_the_complete_entries(project, clean_site):
    add(project, "seeds/truncated.txt")
    problems, site = built(project)
    assert problems == [
        "seeds/truncated.txt:5: warning: entry 'A Title Cut Off Here' has a title but no abstract; skipped"]
    assert page_heading(site, "a-complete-paper-before-the-cut") == "A Complete Paper Before the Cut"
    assert set(site) == set(clean_site) | {"papers/a-complete-paper-before-the-cut/index.html",
                                          "papers/a-complete-paper-before-the-cut/cite.bib"}


def test_control_characters_in_seed_text_are_dropped_and_feeds_stay_xml(project):
    abstract = "An abstract long enough to be one, about attention kernels on GPUs \x07 and more. " * 3
    (project / "seeds" / "controls.txt").write_bytes(f"Control\x01 \x1b[31mKernels\n\n{abstract}\x02\n".encode())
    captured(project, "seeds/controls.txt")
    problems, site = built(project)
    assert problems == []
    assert page_heading(site, "control-31mkernels") == "Control [31mKernels"
    for path, data in site.items():
        if path.endswith(".xml"):
            ET.fromstring(data)  # raises on a character XML forbids


def test_a_5_mb_single_line_is_one_skipped_line(project, clean_site):
    """The parser, the catalog and the text repairs are linear (see docs/security.md)."""
    line = ("attention kernels on the H100 GPU " * (5 * MB // 34 + 1))[: 5 * MB]
    (project / "seeds" / "huge.txt").write_text(line + "\n", encoding="utf-8")
    problems, site = built(project)
    assert problems == [
        "seeds/huge.txt: warning: no papers found in this listing",
        f"seeds/huge.txt:1: warning: line {line[:57] + '...'!r} reads like an abstract where a title "
        "was expected (a title missing, or an abstract split over two lines?); skipped",
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


def test_markup_never_reaches_pages_or_feeds_as_markup(marked_up_site):
    escaped = 0
    for path, data in marked_up_site.items():
        if path.endswith((".html", ".xml")):
            assert b"<x-evil" not in data and b"<script>alert" not in data, path
            escaped += b"&lt;x-evil" in data
    assert escaped >= 10  # the text is shown, escaped: papers, lists, topics, feeds


def test_markup_in_a_note_is_shown_as_text(marked_up_site):
    page = marked_up_site[f"papers/{SEED_SLUG}/index.html"]
    assert b"A summary with &lt;x-evil&gt;markup&lt;/x-evil&gt; &amp; &lt;script&gt;alert(4)&lt;/script&gt;" in page
    assert b"A note body with &lt;script&gt;alert(5)&lt;/script&gt; and &lt;x-evil&gt;raw HTML" in page
    assert page_heading(marked_up_site, SEED_SLUG) == SEED_TITLE
    assert page_heading(marked_up_site, CURATOR_SLUG) == CURATOR_TITLE


def test_markup_in_json_ld_is_data(marked_up_site):
    page = marked_up_site[f"papers/{SEED_SLUG}/index.html"].decode()
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block)
    assert data["name"] == SEED_TITLE and data["about"]["name"] == SEED_TITLE
    assert "</script><script>alert(2)</script>" in data["about"]["abstract"]


def test_markup_in_feeds_is_text(marked_up_site):
    titles = {entry.findtext(f"{ATOM}title")
              for entry in ET.fromstring(marked_up_site["feed.xml"]).iter(f"{ATOM}entry")}
    assert {SEED_TITLE, CURATOR_TITLE, FORMULA_TITLE} <= titles


def test_markup_and_formulas_in_exports(marked_up_site):
    records = {record["slug"]: record for record in json.loads(marked_up_site["papers.json"])}
    assert records[SEED_SLUG]["title"] == SEED_TITLE and records[CURATOR_SLUG]["title"] == CURATOR_TITLE
    # as the JSON-LD: no byte of papers.json can become markup if a page embeds it
    assert not {b"<", b">", b"&"} & {bytes([byte]) for byte in marked_up_site["papers.json"]}
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(marked_up_site["papers.csv"].decode()))}
    assert rows[SEED_SLUG]["title"] == SEED_TITLE
    assert rows["hyperlink-https-evil-example-formula-title"]["title"] == "'" + FORMULA_TITLE  # CSV injection


def test_markup_in_the_search_index_is_text(marked_up_site):
    """Pagefind read the title as text, so the stub it indexed had it escaped; the search page
    shows titles as text nodes (tests/test_search_browser.py)."""
    titles = set()
    for path, data in marked_up_site.items():
        if path.endswith(".pf_fragment"):
            fragment = json.loads(pagefind_fragment(data))
            titles.add(fragment["meta"]["title"])
    assert {SEED_TITLE, CURATOR_TITLE, FORMULA_TITLE} <= titles


# --- YAML ----------------------------------------------------------------------------------------

BOMB = (BAD / "content" / "notes" / "bomb.md").read_text(encoding="utf-8").split("---\n")[1]


@pytest.mark.parametrize("spoil, message", [
    (lambda root: add(root, "content/notes/bomb.md"),
     "content/notes/bomb.md:2: error: YAML expands to more than 100,000 nodes (alias bomb?); refused"),
    (lambda root: (root / "content" / "site.yaml").write_text(BOMB),
     "content/site.yaml:1: error: YAML expands to more than 100,000 nodes (alias bomb?); refused"),
    (lambda root: (root / "content" / "taxonomy.yaml").write_text("# a comment line first\n" + BOMB),
     "content/taxonomy.yaml:2: error: YAML expands to more than 100,000 nodes (alias bomb?); refused"),
], ids=["note", "settings", "taxonomy"])
def test_yaml_alias_bombs_are_refused(project, spoil, message):
    assert refused(project, spoil) == [message]


def test_a_note_body_over_200_000_characters_is_refused(project):
    def spoil(root: Path) -> None:
        (root / "content" / "pages").mkdir(exist_ok=True)
        (root / "content" / "pages" / "huge.md").write_text("---\ntitle: Huge\n---\n" + "[" * 300_000 + "\n")

    # once 30,000 `[` took seconds each: 300,000 would have taken minutes
    assert refused(project, spoil) == ["content/pages/huge.md:4: error: the text is longer than 200,000 "
                                       "characters (from this line on); split it or shorten it"]


@pytest.mark.parametrize("path, text, line", [
    ("content/notes/huge.md", "---\npaper: x\nsummary: " + "a" * 10 * MB + "\n---\nbody\n", 2),
    ("content/site.yaml", "title: x\n" + "description: " + "a" * 10 * MB + "\n", 1),
    ("content/taxonomy.yaml", "topics:\n" + "  - {id: a, title: " + "a" * 10 * MB + "}\n", 1),
], ids=["note-front-matter", "settings", "taxonomy"])
def test_10_mb_of_yaml_is_refused(project, path, text, line):
    def spoil(root: Path) -> None:
        (root / path).parent.mkdir(exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")

    assert refused(project, spoil) == [f"{path}:{line}: error: YAML larger than 1,000,000 bytes refused"]


@pytest.mark.parametrize("path, key, line", [
    ("content/site.yaml", "title", r'title: "Fixture \x01 List"'),
    ("content/notes/controls.md", "summary", r'summary: "Fixture \x01 List"'),
], ids=["settings", "note"])
def test_control_characters_in_yaml_text_are_refused(project, path, key, line):
    def spoil(root: Path) -> None:
        if key == "title":
            replace_line(root / path, "title:", line)
        else:
            (root / path).parent.mkdir()
            (root / path).write_text(f"---\npaper: {SEED_PAPERS[0]}\n{line}\n---\nBody.\n")

    problems = refused(project, spoil)
    number = (project / path).read_text().split("\n").index(line) + 1
    assert problems == [
        f"{path}:{number}: error: '{key}' must be a non-empty string, got 'Fixture \\x01 List'"
        " (it holds the control character U+0001)"]


def test_control_characters_in_taxonomy_text_are_refused(project):
    taxonomy = project / "content" / "taxonomy.yaml"
    problems = refused(project, lambda root: replace_line(taxonomy, "title: Attention", r'    title: "Atten\x01tion"'))
    line = taxonomy.read_text().split("\n").index(r'    title: "Atten\x01tion"') + 1
    assert [problem.split(": error: ")[0] for problem in problems] == [f"content/taxonomy.yaml:{line}"]
    assert "U+0001" in problems[0]


# --- taxonomy ------------------------------------------------------------------------------------


VARIABLE_LENGTHS = "a repetition of something that can match in different lengths, like (a+)+ or (a|ab)*"


@pytest.mark.parametrize("regex, reason", [
    ("(a+)+b", VARIABLE_LENGTHS),
    (r"GPU(\s?\w+)*x", VARIABLE_LENGTHS),
    ("GPU (a|aa)*c", VARIABLE_LENGTHS),  # sre_parse factors it into a(?:|a): no nested repeat in sight
    ("CUDA (x|x)*y", "overlapping alternatives inside a repetition, like (a|a)*"),
], ids=["nested-plus", "nested-words", "factored-branches", "overlapping-branches"])
def test_a_catastrophically_backtracking_regex_is_refused_at_load_time(project, regex, reason):
    rule = "      - {weight: 2, phrases: [attention, FlashAttention]}"
    taxonomy = project / "content" / "taxonomy.yaml"

    def spoil(root: Path) -> None:
        taxonomy.write_text(taxonomy.read_text().replace(rule, f"{rule}\n      - {{regexes: ['{regex}']}}"))

    problems = refused(project, spoil)
    line = taxonomy.read_text().split("\n").index(f"      - {{regexes: ['{regex}']}}") + 1
    assert problems == [f"content/taxonomy.yaml:{line}: error: regex can backtrack catastrophically: {reason}:"
                        f" {regex!r}"]


# --- notes and reading paths naming missing papers -------------------------------------------


def test_a_note_on_a_missing_paper_is_refused_with_suggestions(project):
    assert refused(project, lambda root: add(root, "content/notes/ghost.md")) == [
        "content/notes/ghost.md:2: error: no paper matches 'flashattention on hoper'; closest: "
        "'FlashAttention on Hopper: Fast KV Cache Attention with H100s' "
        "[flashattention-on-hopper-fast-kv-cache-attention-with-h100s]"]


def test_a_reading_path_step_naming_a_missing_paper_is_refused(project):
    assert refused(project, lambda root: add(root, "content/paths/ghost-path.md")) == [
        "content/paths/ghost-path.md:10: error: no paper matches 'no-such-paper-anywhere'"
        " (`sitegen papers` lists every slug and title)"]


def test_a_link_in_a_note_body_naming_a_missing_paper_is_refused(project):
    note = ("---\npaper: flashattention-on-hopper-fast-kv-cache-attention-with-h100s\n---\n"
            "Read it after [[Serving Models on a Single CPU]].\n")

    def spoil(root: Path) -> None:
        (root / "content" / "notes").mkdir()
        (root / "content" / "notes" / "linked.md").write_text(note)

    assert refused(project, spoil) == [
        "content/notes/linked.md:4: error: no paper matches 'Serving Models on a Single CPU'; closest: "
        "'Serving <script>alert(1)</script> Models on a Single GPU' "
        "[serving-script-alert-1-script-models-on-a-single-gpu]"]


# --- templates -------------------------------------------------------------------------------------


def test_a_template_syntax_error_names_the_template_and_line(project):
    template = project / "templates" / "paper.html"
    problems = refused(project, lambda root: replace_line(template, "{% block main %}", "{% blok main %}"))
    line = template.read_text().split("\n").index("{% blok main %}") + 1
    [problem] = problems  # Jinja's own words follow sitegen's prefix
    assert problem.startswith(f"templates/paper.html:{line}: error: template syntax error: ")


@pytest.mark.parametrize("name, anchor", [("paper.html", "<h1>"), ("_macros.html", "{% macro card(")],
                         ids=["page", "card-macro"])
def test_an_undefined_variable_names_the_template_and_line(project, name, anchor):
    template = project / "templates" / name
    lines = template.read_text().split("\n")
    at = next(n for n, line in enumerate(lines) if anchor in line) + 1  # just after it, inside
    lines.insert(at, "{{ no_such_value }}")
    problems = refused(project, lambda root: template.write_text("\n".join(lines)))
    [problem] = problems  # Jinja's own words follow sitegen's prefix
    assert problem.startswith(f"templates/{name}:{at + 1}: error: undefined value in template: ")


# --- seed files deleted or made unreadable during watch ---------------------------------------

SECOND = ("A Second Listing Paper on KV Cache\n\n"
          + "Paging the key-value cache of a served model to host memory on a single GPU. " * 4 + "\n")


def test_a_seed_file_deleted_during_watch_drops_its_papers(project, tmp_path):
    second = project / "seeds" / "second.txt"
    second.write_text(SECOND)
    loop, outcomes = start_loop(project, tmp_path / "out")
    with loop.watcher():
        second.unlink()
        last = outcomes.settle(since=len(outcomes.all))
    assert messages(last) == []
    assert tree(tmp_path / "out") == clean_build(project, tmp_path / "clean")


def test_deleting_a_seed_file_the_settings_name_keeps_the_last_good_site(project, tmp_path):
    loop, outcomes = start_loop(project, tmp_path / "out")
    before = tree(tmp_path / "out")
    with loop.watcher():
        (project / "seeds" / "listing.txt").unlink()
        last = outcomes.settle(since=len(outcomes.all))
    assert messages(last) == [
        "content/site.yaml:4: error: capture date given for seeds/listing.txt, which does not exist"]
    assert tree(tmp_path / "out") == before


def _deny_reading(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000, and make reads refuse it as they would for any user but root (tests run as root)."""
    real = os.open

    def open_checked(file, flags, *args, **kwargs):
        if Path(file) == path and not path.stat().st_mode & 0o444:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_checked)
    path.chmod(0)


@pytest.mark.parametrize("spoil, reason", [
    (lambda path, monkeypatch: _deny_reading(path, monkeypatch), "Permission denied"),
    (lambda path, monkeypatch: (path.unlink(), path.mkdir()), "Is a directory"),
    (lambda path, monkeypatch: (path.unlink(), path.symlink_to(path.with_name("gone.txt"))),
     "No such file or directory"),
], ids=["chmod-000", "replaced-by-a-folder", "dangling-symlink"])
def test_a_seed_file_made_unreadable_during_watch_keeps_the_last_good_site(project, tmp_path, monkeypatch,
                                                                          spoil, reason):
    second = project / "seeds" / "second.txt"
    second.write_text(SECOND)
    loop, outcomes = start_loop(project, tmp_path / "out")
    before = tree(tmp_path / "out")
    with loop.watcher():
        spoil(second, monkeypatch)
        failed = outcomes.settle(since=len(outcomes.all))
        assert messages(failed) == [f"seeds/second.txt: error: cannot read file: {reason}"]
        assert tree(tmp_path / "out") == before
        if second.is_dir() and not second.is_symlink():
            second.rmdir()
        else:
            second.unlink()
        second.write_text(SECOND)  # fixed: the next save builds again
        fixed = outcomes.settle(since=len(outcomes.all))
    assert messages(fixed) == []
    assert tree(tmp_path / "out") == before


@pytest.mark.parametrize("relative, message", [
    ("seeds/pipe.txt", "seeds/pipe.txt: error: cannot read file: {reason}"),
    ("content/notes/pipe.md", "content/notes/pipe.md: error: cannot read the file: {reason}"),
    ("content/taxonomy.yaml", "content/taxonomy.yaml: error: cannot read the taxonomy: {reason}"),
    ("content/site.yaml", "content/site.yaml: error: cannot read settings: [Errno 22] {reason}"),
], ids=["seed", "note", "taxonomy", "settings"])
def test_a_fifo_among_the_inputs_is_a_located_error_not_a_hang(project, tmp_path, relative, message):
    (project / relative).unlink(missing_ok=True)
    (project / relative).parent.mkdir(exist_ok=True)
    os.mkfifo(project / relative)
    out = tmp_path / "out"
    finished = []
    # Opening a FIFO with no writer blocks for ever: build in a thread, so a hang is a failure.
    builder = threading.Thread(target=lambda: finished.append(_build_failure(project, out)), daemon=True)
    builder.start()
    builder.join(timeout=60)
    assert finished, "the build hung on a FIFO"
    reason = "a named pipe (FIFO), not a regular file; sitegen reads only regular files"
    assert finished[0] == [message.format(reason=reason)]
    assert not out.exists()


def _build_failure(root: Path, out: Path) -> list[str]:
    with pytest.raises(SitegenError) as refused:
        build(root, Overrides(output=str(out), search=False))
    return [str(d) for d in refused.value.diagnostics]


# --- faults through the command line ----------------------------------------------------------

REFUSE = "refusing to write there; choose another --output"


@pytest.fixture
def cli_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project in tmp/work/, with $HOME elsewhere (tmp/home) and links and litter beside it."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    root = copy_project(FIXTURE, tmp_path / "work" / "project")
    (root / "alias").symlink_to(root)
    (root / "to-content").symlink_to(root / "content")
    (root / "loop").symlink_to(root / "loop")
    (root / "file").write_text("not a folder\n")
    (tmp_path / "work" / "thesis").mkdir()
    (tmp_path / "work" / "thesis" / "thesis.tex").write_text("years of work\n")
    return root


@pytest.mark.parametrize("given, shown, reasons", [
    ("/", "/", ["is the filesystem root", "is the project root or contains it",
                "is your home folder ($HOME) or contains it"]),
    ("{home}", "{home}", ["is your home folder ($HOME) or contains it"]),
    (".", "{root}", ["is the project root or contains it"]),
    ("..", "{root}/..", ["is the project root or contains it"]),
    ("content", "{root}/content", ["is or sits inside the project's content/ folder"]),
    ("seeds/site", "{root}/seeds/site", ["is or sits inside the project's seeds/ folder"]),
    ("templates", "{root}/templates", ["is or sits inside the project's templates/ folder"]),
    ("to-content", "{root}/to-content", ["is or sits inside the project's content/ folder"]),
    ("alias/_site/..", "{root}/alias/_site/..", ["is the project root or contains it"]),
], ids=["root", "home", "project", "parent", "content", "seeds", "templates", "symlink-to-content",
        "symlink-to-project"])
def test_build_refuses_unsafe_output_folders(cli_project, capsys, given, shown, reasons):
    places = {"home": os.environ["HOME"], "root": str(cli_project)}
    before = tree(cli_project.parent)
    assert main(["--root", str(cli_project), "build", "--no-search", "--output", given.format(**places)]) == 1
    where = shown.format(**places)
    assert capsys.readouterr().err.splitlines() == [
        *(f"{where}: error: output folder {reason}; {REFUSE}" for reason in sorted(reasons)),
        f"{len(reasons)} error(s), 0 warning(s)"]
    assert tree(cli_project.parent) == before


@pytest.mark.parametrize("given, message", [
    ("loop", "output folder cannot be resolved: Symlink loop from '{root}/loop'"),
    ("file", "output path exists and is not a folder"),
    ("../thesis", "output folder is not empty and was not created by sitegen (no .sitegen-output marker);"
                  " refusing to overwrite; delete it or choose another --output"),
], ids=["symlink-loop", "a-file", "foreign-folder"])
def test_build_refuses_output_paths_it_cannot_own(cli_project, capsys, given, message):
    before = tree(cli_project.parent)
    assert main(["--root", str(cli_project), "build", "--no-search", "--output", given]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{cli_project / given}: error: {message.format(root=cli_project)}", "1 error(s), 0 warning(s)"]
    assert tree(cli_project.parent) == before


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 2 MB tmpfs (root only: skipped where mounting is not allowed)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_fails_the_build_cleanly_and_keeps_the_old_site(project, small_disk, capsys):
    out = small_disk / "_site"
    command = ["--root", str(project), "build", "--no-search", "--output", str(out)]
    assert main(command) == 0
    old_site = tree(out)
    (project / "seeds" / "huge.txt").write_text("A Paper Too Large For The Disk\n\n" + "kernel " * 300_000 + "\n")
    capsys.readouterr()
    assert main(command) == 1
    [problem, summary] = capsys.readouterr().err.splitlines()
    assert re.fullmatch(rf"{re.escape(str(small_disk))}/\S+: error: cannot write the site: No space left on device;"
                        r" the previous site is unchanged", problem), problem
    assert summary == "1 error(s), 0 warning(s)"
    assert tree(out) == old_site
    (project / "seeds" / "huge.txt").unlink()
    assert main(command) == 0 and tree(out) == old_site


GENERATED_WORDS = "attention kernel cache serving memory GPU tensor pipeline sparse quantized batch scheduler".split()


def generated_listing(count: int) -> str:
    """`count` papers, enough to make a build's write phase worth killing."""
    entries = []
    for number in range(count):
        words = [GENERATED_WORDS[(number + k) % 12] for k in range(40)]
        entries.append(f"Generated Paper {number}: {words[0].title()} at Scale\n\n{' '.join(words)} number {number}.\n")
    return "\n".join(entries)


def run_build(root: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sitegen", "--root", str(root), "build", "--no-search",
                             "--output", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sitegen_build_killed_at_random_moments_leaves_a_complete_site(tmp_path):
    """The whole command, SIGKILLed near the end of its run (render, write, swap): never a mix of two sites.

    Variant "b" has another title on every page and 20 more papers than "a".
    """
    root = copy_project(FIXTURE, tmp_path / "project")
    settings = root / "content" / "site.yaml"
    variants = {"a": (settings.read_text(), generated_listing(120)),
                "b": (settings.read_text().replace("Fixture Reading List", "Fixture List B"), generated_listing(140))}

    def switch_to(name: str) -> None:
        settings.write_text(variants[name][0])
        (root / "seeds" / "many.txt").write_text(variants[name][1])

    out = tmp_path / "_site"
    switch_to("b")
    expected = {"b": {**clean_build(root, tmp_path / "b"), "CNAME": b"papers.example.org\n"}}
    switch_to("a")
    assert run_build(root, out).wait() == 0
    started = time.monotonic()
    assert run_build(root, out).wait() == 0  # the time of a warm build, like the ones killed
    took = time.monotonic() - started
    (out / "CNAME").write_bytes(b"papers.example.org\n")  # a user's file, kept throughout
    expected["a"] = tree(out)
    assert expected["a"].keys() < expected["b"].keys()

    rng, current, killed, finished = random.Random(10), "a", 0, 0
    for round_ in range(12):
        if round_ >= 6 and killed:
            break
        goal = "b" if current == "a" else "a"
        switch_to(goal)
        process = run_build(root, out)
        # Near the end (render, write, swap); sooner after builds that finished first, since the
        # time of one warm build is only a guess on a busy machine.
        time.sleep(rng.uniform(max(0.0, took - 0.25), took + 0.02) * 0.7 ** finished)
        process.send_signal(signal.SIGKILL)
        was_killed = process.wait() == -signal.SIGKILL
        killed, finished = killed + was_killed, 0 if was_killed else finished + 1
        found = tree(out)
        assert found in (expected[current], expected[goal])
        current = goal if found == expected[goal] else current
    assert killed
    switch_to("b" if current == "a" else "a")
    assert run_build(root, out).wait() == 0 and tree(out) in expected.values()


# --- the preview server: hostile requests and exposure -----------------------------------


def serve_lines(root: Path, out: Path, *host: str) -> list[str]:
    """Run `sitegen serve`, stop it with Ctrl-C once it serves; its stderr lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "--root", str(root), "serve", "--port", "0", "--output", str(out), *host],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = []
    try:
        while not (lines and lines[-1].startswith("serving ")):
            line = process.stderr.readline()
            assert line, f"serve ended early: {lines}"
            lines.append(line.rstrip("\n"))
        url = lines[-1].split()[1]
        with urllib.request.urlopen(url, timeout=10) as answer:  # serving for sure, so Ctrl-C stops it
            assert answer.status == 200
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    finally:
        process.kill()
    return lines + rest.splitlines()


def test_serve_on_every_interface_prints_a_warning(project, tmp_path):
    lines = serve_lines(project, tmp_path / "out", "--host", "0.0.0.0")
    assert lines[1:] == [
        "warning: serving on 0.0.0.0: other machines on the network can read the preview;"
        " use the default --host 127.0.0.1 unless you mean to share it",
        lines[2], "stopped"]
    assert re.fullmatch(r"serving http://127\.0\.0\.1:\d+/list/ \(Ctrl-C to stop\)", lines[2])


def test_serve_on_loopback_prints_no_warning(project, tmp_path):
    lines = serve_lines(project, tmp_path / "out")
    assert lines[0].startswith("rebuilt: ") and lines[2:] == ["stopped"]
    assert re.fullmatch(r"serving http://127\.0\.0\.1:\d+/list/ \(Ctrl-C to stop\)", lines[1])


def test_the_reload_endpoint_never_serves_the_site_s_own_files(tmp_path):
    from sitegen.dev.server import PreviewServer

    site = tmp_path / "_site"
    (site / "__sitegen").mkdir(parents=True)
    (site / "index.html").write_text("<body>home</body>")
    for name in ("livereload.js", "events", "index.html", "secret.txt"):
        (site / "__sitegen" / name).write_text("SECRET")
    with PreviewServer(site, port=0, client_timeout=1.0) as server:
        answers = {}
        for method, target in [("GET", "/__sitegen/livereload.js"), ("GET", "/__sitegen/"),
                               ("GET", "/__sitegen/index.html"), ("GET", "/__sitegen/secret.txt"),
                               ("HEAD", "/__sitegen/events"), ("POST", "/__sitegen/events"),
                               ("PUT", "/__sitegen/secret.txt"), ("DELETE", "/__sitegen/events"),
                               ("OPTIONS", "/__sitegen/events")]:
            answers[method, target] = _exchange(server.port, f"{method} {target} HTTP/1.0\r\nHost: localhost\r\n\r\n")
        stream = _exchange(server.port, "GET /__sitegen/events HTTP/1.0\r\nHost: localhost\r\n\r\n", first_bytes=True)
    assert all(b"SECRET" not in answer for answer in [*answers.values(), stream])
    assert answers["GET", "/__sitegen/livereload.js"].startswith(b"HTTP/1.0 200")
    assert (ROOT / "sitegen" / "dev" / "livereload.js").read_bytes() in answers["GET", "/__sitegen/livereload.js"]
    for (method, target), answer in answers.items():
        if target != "/__sitegen/livereload.js":
            assert answer.startswith(b"HTTP/1.0 404" if method in ("GET", "HEAD") else b"HTTP/1.0 501"), (method, target)
    assert b"text/event-stream" in stream


def _exchange(port: int, request: str, first_bytes: bool = False) -> bytes:
    """Send a raw request; the whole answer (or its first bytes, for a stream that never ends)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(request.encode())
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
            if first_bytes and b"\n\n" in b"".join(chunks):
                break
    return b"".join(chunks)
