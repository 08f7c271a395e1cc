"""Fuzzing with a fixed budget: every reader of curator and listing input either returns or
raises `SitegenError`, and every diagnostic names the file and a line inside it; arbitrary
Unicode in titles and abstracts always comes out escaped (pages, feeds, JSON-LD, exports).

Inputs are generated with the structure the readers expect (YAML dumped from random data
under the real keys, listing lines, Markdown lines) and then damaged, so they get past the
first check and into the validation behind it.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from conftest import ROOT, copy_project
from notes_helpers import FA2, FA2_TITLE, SNAP, TAXONOMY, files_of, make_catalog, paper_url

from sitegen.catalog.merge import build_catalog
from sitegen.cli import main
from sitegen.diagnostics import Diagnostic, SitegenError
from sitegen.text.frontmatter import read_fields, split_front_matter
from sitegen.text.lines import split_lines
from sitegen.curation.note_fields import NOTE_SPECS, PAPER_SPECS
from sitegen.curation.note_files import curator_papers, read_notes
from sitegen.curation.notes import attach_notes
from sitegen.pipeline import Overrides, compute_site, read_inputs, read_templates
from sitegen.render import make_environment, render_site
from sitegen.settings import Settings, parse_settings
from sitegen.sources.listing import looks_like_title
from sitegen.sources.listing_files import parse_seed_bytes
from sitegen.taxonomy import parse_taxonomy
from sitegen.text.markdown import render_markdown
from sitegen.text.repair import REPAIR_RULES, repair_text
from sitegen.text.weblinks import extract_links

# A fixed budget of examples; in CI (CI=true) always the same ones, elsewhere new ones each run.
# No example database: the project folder is shared, and CI starts from a fresh clone anyway.
BUDGET = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                  database=None, derandomize=bool(os.environ.get("CI")))
ATOM = "{http://www.w3.org/2005/Atom}"


def assert_located(diagnostics, path: str, text: str) -> None:
    """Every diagnostic names `path` and, when it has a line, one that exists in `text`.

    Lines as an editor counts them (`sitegen.text.lines`): NEL, LS and PS, which YAML counts, do not
    add lines; tests/text/test_lines.py checks the exact line.
    """
    last_line = len(split_lines(text))
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.path == path, diagnostic
        assert diagnostic.line is None or 1 <= diagnostic.line <= last_line, diagnostic


def refusal_or_value(read, path: str, text: str):
    """`read()`'s value, or None when it refused with located diagnostics (anything else fails)."""
    try:
        return read()
    except SitegenError as refused:
        assert refused.diagnostics
        assert_located(refused.diagnostics, path, text)
        return None


# --- generated text -------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
    st.text(max_size=30), st.sampled_from(["2024-02-30", "2024-01-05", "https://x.org/a", "[[x]]", "&a", "*a", "~",
                                           "yes", "0x1F", ".inf", "<b>", "\ufeff", "a: b", "- c"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def yaml_mapping(keys) -> st.SearchStrategy[str]:
    """A YAML mapping over `keys` (and a stray key or two) with values of any shape."""
    return st.dictionaries(st.one_of(st.sampled_from(keys), st.text(max_size=10)), VALUES, max_size=8).map(
        lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def damaged(documents: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Documents, some with a span of characters replaced by YAML punctuation, tabs or junk,
    some with an explicit YAML tag before one value."""
    def damage(text: str, position: int, junk: str) -> str:
        at = position % (len(text) + 1)
        return text[:at] + junk + text[at + len(junk):]

    def tag(text: str, position: int, tag: str) -> str:
        """An explicit tag put before one value (`rating: !!int abc`, `!!map [1]`, ...)."""
        values = [m.end() for m in re.finditer(r"(?::|^ *-) ", text, re.M)]
        at = values[position % len(values)] if values else 0
        return text[:at] + tag + " " + text[at:]

    junk = st.text(alphabet=st.sampled_from(list("-:[]{}&*!|>#'\"\t\n\r ,?%@`\\\x00\x85\u2028")), max_size=4)
    tags = st.sampled_from(["!!int", "!!float", "!!bool", "!!str", "!!null", "!!map", "!!seq", "!!set", "!!binary",
                            "!!omap", "!!timestamp", "!local", "!!python/object:os.system", "!"])
    return st.one_of(documents, st.builds(damage, documents, st.integers(0, 10_000), junk),
                     st.builds(tag, documents, st.integers(0, 10_000), tags))


def front_matter_file(keys, body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda front, text, newline: ("---\n" + front + "---\n" + text).replace("\n", newline),
                     damaged(yaml_mapping(keys)), body, st.sampled_from(["\n", "\r\n", "\r"]))


MARKDOWN_LINES = st.sampled_from([
    f"[[{FA2}]]", f"[[{FA2_TITLE}]]", f"[[{SNAP}|see this]]", "[[no-such-paper]]", "[[]]", "[[x|]]", "  [[a]]  ",
    "# Heading", "## Heading", "```", "```python", "    code", "> quote", "- item", "1. item", "[^1]: note",
    "text[^1]", "<div>", "</div>", "<script>alert(1)</script>", "[link](javascript:alert(1))", "![i](x.png)",
    "| a | b |", "|---|---|", "", "plain text", "---", "***", "\t", "\\[[escaped]]", "&amp; &lt;",
])
MARKDOWN = st.lists(MARKDOWN_LINES, max_size=12).map("\n".join)


# --- readers --------------------------------------------------------------------------------

LISTING_LINES = st.one_of(
    st.sampled_from(["Title Line", "", "  ", "A" * 250 + ".", "• 3 authors", "•3 author", "Oct 21", "Feb 29",
                     "Feb 30, 2023", "Mar 11, 2024 4", "Subscribe", "Daily Papers", "new", "SubscribeTitle",
                     "deepseek-ai DeepSeek", "Get trending papers in your email inbox!", "\u00a0\u2003"]),
    st.text(max_size=80),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])


@BUDGET
@given(st.lists(LISTING_LINES, max_size=25), st.sampled_from(["\n", "\r\n", "\r"]), ENCODINGS, st.binary(max_size=8))
def test_listing_files_parse_with_located_warnings(lines, newline, encoding, tail):
    text = newline.join(lines)
    data = text.encode(encoding, errors="replace") + tail
    parsed = parse_seed_bytes(data, "seeds/fuzz.txt")
    decoded = data.decode("latin-1")  # as many line breaks as any decoding would see
    assert_located(parsed.diagnostics, "seeds/fuzz.txt", decoded)
    for entry in parsed.entries:
        assert entry.title and entry.abstract and 1 <= entry.line <= decoded.count("\n") + decoded.count("\r") + 1
    build_catalog([parsed], {}, ())  # and the catalog takes whatever the parser gives


@BUDGET
@given(st.lists(LISTING_LINES.map(lambda line: line.replace("\r", "").replace("\n", "")), max_size=25))
def test_any_line_ending_parses_like_lf(lines):
    text = "\n".join(lines)
    expected = parse_seed_bytes(text.encode(), "seeds/fuzz.txt")
    for newline in ("\r\n", "\r"):
        assert parse_seed_bytes(text.replace("\n", newline).encode(), "seeds/fuzz.txt") == expected


@BUDGET
@given(front_matter_file([spec.key for spec in (*NOTE_SPECS, *PAPER_SPECS)], MARKDOWN))
@example("---\nrating: !!int 99999999999999999999999999999999999999999999" + "9" * 4300 + "\n---\n")
@example("---\nstatus: !!bool maybe\n---\n")
def test_front_matter_and_typed_fields_fail_only_with_located_errors(text):
    front = refusal_or_value(lambda: split_front_matter(text, "content/notes/f.md"), "content/notes/f.md", text)
    if front is not None:
        _, problems = read_fields(front.data, "content/notes/f.md", NOTE_SPECS)
        assert_located(problems, "content/notes/f.md", text)


@BUDGET
@given(st.lists(front_matter_file(["paper", "title", "abstract", "status", "rating", "tags", "links", "topics",
                                   "hardware", "summary", "pick", "date", "authors"], MARKDOWN), min_size=1, max_size=3))
def test_notes_give_a_curation_with_located_diagnostics(texts):
    paths = [f"content/notes/n{number}.md" for number in range(len(texts))]
    files = files_of(*zip(paths, texts))
    note_files = read_notes(files)
    papers, _, paper_problems = curator_papers(note_files)
    curation = attach_notes(files, note_files, make_catalog(papers), TAXONOMY, Settings(), paper_url)
    for problem in (*paper_problems, *curation.diagnostics):
        assert_located([problem], problem.path, texts[paths.index(problem.path)])


@BUDGET
@given(st.sampled_from(["content/paths/gpu-basics.md", "content/paths/Bad Name.md"]),
       front_matter_file(["title", "summary", "order"], MARKDOWN), st.booleans())
def test_reading_paths_give_located_diagnostics(path, text, allow_html):
    files = files_of((path, text))
    curation = attach_notes(files, read_notes(files), make_catalog(), TAXONOMY, Settings(allow_html=allow_html),
                            paper_url)
    assert_located(curation.diagnostics, path, text)
    for reading_path in curation.paths:
        assert reading_path.steps and reading_path.title


REGEXES = st.sampled_from(["GPU", "H100s?", "RTX\\s*40\\d0", "(a+)+b", "GPU (a|aa)*c", "[", "(?i)x", "a{1000000}",
                           "", "\\", "(?P<x>a)", "x|", "GPU (x|x)*y", "A100(?=x)", "\\bTPU\\b"])
WORDS = st.one_of(st.text(max_size=12), st.sampled_from(["KV cache", "GPU", "", " ", "H100", "a-b"]))
RULE = st.fixed_dictionaries({}, optional={
    "weight": st.one_of(st.integers(-2, 5), st.floats(allow_nan=False), st.text(max_size=3)),
    "phrases": st.lists(WORDS, max_size=3), "cased": st.lists(WORDS, max_size=3),
    "regexes": st.lists(REGEXES, max_size=3), "other": SCALARS})
IDS = st.sampled_from(["kv-cache", "attention", "nvidia", "nvidia-hopper", "h100", "Bad_Id", "", "a", "a--b"])
KINDS = st.sampled_from(["vendor", "family", "category", "model", "chip"])
MODEL = st.fixed_dictionaries({"id": IDS, "name": WORDS}, optional={
    "aliases": st.lists(WORDS, max_size=3), "implies": st.lists(IDS, max_size=2), "rules": st.lists(RULE, max_size=2),
    "exclude": RULE})


def entries(**extra) -> st.SearchStrategy[list]:
    """Topics or hardware entries: the required keys mostly right, the rest anything."""
    entry = st.fixed_dictionaries({"id": IDS, "title": WORDS, "description": WORDS}, optional={
        "rules": st.lists(RULE, max_size=3), "exclude": RULE, "stray": VALUES, **extra})
    return st.one_of(st.lists(entry, min_size=1, max_size=4), VALUES)


TAXONOMY_DOCUMENTS = st.fixed_dictionaries({
    "topics": entries(), "hardware": entries(kind=KINDS, parent=IDS, implies=st.lists(IDS, max_size=2),
                                             unless=st.lists(IDS, max_size=2), models=st.lists(MODEL, max_size=2)),
}, optional={
    "scoring": st.one_of(VALUES, st.fixed_dictionaries({}, optional={
        key: st.one_of(st.integers(-1, 5), st.floats(allow_nan=False, allow_infinity=True), st.text(max_size=3))
        for key in ("threshold", "share_of_best", "max_topics", "title_weight")})),
    "extra": VALUES}).map(lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@BUDGET
@given(damaged(TAXONOMY_DOCUMENTS))
def test_taxonomy_loading_fails_only_with_located_errors(text):
    taxonomy = refusal_or_value(lambda: parse_taxonomy(text, "content/taxonomy.yaml"), "content/taxonomy.yaml", text)
    if taxonomy is not None:
        assert_located(taxonomy.warnings, "content/taxonomy.yaml", text)


SETTINGS_DOCUMENTS = st.fixed_dictionaries({}, optional={
    "title": SCALARS, "base_url": st.one_of(SCALARS, st.sampled_from(["https://u.github.io/r", "/r", "ftp://x/",
                                                                      "//x", "/a/../b", "https://x/?q"])),
    "output": SCALARS, "search": SCALARS, "allow_html": SCALARS, "latest_count": SCALARS, "feed_size": SCALARS,
    "page_size": SCALARS, "capture_dates": st.one_of(VALUES, st.dictionaries(
        st.sampled_from(["listing.txt", "seeds/listing.txt", "missing.txt", ""]),
        st.sampled_from(["2025-11-24", "2025-02-30", "yesterday", ""]), max_size=3)),
    "titel": SCALARS}).map(lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@BUDGET
@given(damaged(SETTINGS_DOCUMENTS))
@example("page_size: !!int abc\n")  # a tagged value that cannot convert: once a ValueError traceback
@example("title: !!map [1]\n")
@example("{\x85#")  # found by Hypothesis: YAML's NEL line break once put the error on line 3 of 2
def test_settings_fail_only_with_located_errors(text):
    loaded = refusal_or_value(lambda: parse_settings(text, ROOT / "tests" / "fixtures" / "site"),
                              "content/site.yaml", text)
    if loaded is not None:
        settings_value, warnings = loaded
        assert settings_value.base_url.endswith("/")
        assert_located(warnings, "content/site.yaml", text)


# --- arbitrary Unicode in titles and abstracts ---------------------------------------------------

MARKUP_TEXT = st.one_of(
    st.text(min_size=1, max_size=60),
    st.text(alphabet=st.sampled_from(list("<>&\"'/=;:.#{}[]()\\ ahtpsx:?\u2028\x01\ufeff")), min_size=1, max_size=60),
    st.sampled_from(["</script><script>alert(1)</script>", "<!--", "]]>", "&amp;", "&#x3c;", "http://a.b/<x>&c",
                     "\u202e<b>", "=cmd|' /C calc'!A0"]),
)


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(ROOT / "tests" / "fixtures" / "site", tmp_path_factory.mktemp("fuzz") / "project")


@pytest.fixture(scope="module")
def environment(fuzz_project: Path):
    """One Jinja environment for every example: compiling the templates is most of a render."""
    return make_environment(read_templates(fuzz_project / "templates", fuzz_project))


@settings(BUDGET, max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(title=MARKUP_TEXT, abstract=MARKUP_TEXT)
def test_any_title_and_abstract_render_escaped(fuzz_project, environment, title, abstract):
    # A line break would end the title (or the abstract); a NUL makes the file binary (refused).
    one_line = str.maketrans("\r\n\x00", "   ")
    title_line = f"Fuzz {title.translate(one_line)}"
    # A "title" that reads like prose is reported and skipped, never guessed (tests/sources/test_listing.py).
    assume(looks_like_title(" ".join(title_line.split())))
    seed = fuzz_project / "seeds" / "fuzz.txt"
    seed.write_text(f"{title_line}\n\nAn abstract about {abstract.translate(one_line)}"
                    " and GPUs, long enough to be one.\n", encoding="utf-8")
    inputs = read_inputs(fuzz_project, Overrides(search=False))
    site = compute_site(inputs)
    [paper] = [p for p in site.catalog.papers if p.occurrences[0].file == "seeds/fuzz.txt"]
    files = render_site(environment, site.plan, inputs.static)

    page = files[f"papers/{paper.slug}/index.html"].decode()
    assert html.unescape(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)) == paper.title
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    about = json.loads(block)["about"]
    assert (about["name"], about["abstract"]) == (paper.title, paper.abstract)
    feed = ET.fromstring(files["feed.xml"])
    assert paper.title in {entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")}
    [record] = [r for r in json.loads(files["papers.json"]) if r["slug"] == paper.slug]
    assert (record["title"], record["abstract"]) == (paper.title, paper.abstract)
    [row] = [r for r in csv.DictReader(io.StringIO(files["papers.csv"].decode())) if r["slug"] == paper.slug]
    assert row["title"] == paper.title  # "Fuzz ..." never starts like a formula
    if set("<>") & set(paper.title):  # (an escaped "&" still starts with "&", so it says nothing)
        for path, data in files.items():
            if path.endswith((".html", ".xml")):
                assert paper.title.encode() not in data, path  # never verbatim where it would be markup


# --- the text repairs made linear still repair what they did ----------------------------------

QUADRATIC_RULES = {  # as first written: right, but quadratic on long runs (tests/test_bad_inputs.py)
    "braces-after-url": r"(https?://[^\s<>\"'{}]+)\{(?:[^{}]|\{[^{}]*\})*\}",
    "latex-times": r"\s*\\times\s*",
}


@BUDGET
@given(st.lists(st.sampled_from(["http", "https", "://", "{", "}", "a", ".", "/", " ", "\t", "\\times", "x", "<", "'"]),
                max_size=16).map("".join))
def test_linear_repair_rules_do_what_the_quadratic_ones_did(text):
    rules = {rule.name: rule for rule in REPAIR_RULES}
    for name, pattern in QUADRATIC_RULES.items():
        assert rules[name].pattern.sub(rules[name].replacement, text) == re.sub(pattern, rules[name].replacement, text)


# --- file names that are not UTF-8 ------------------------------------------------------------

# Every folder a reader lists: listings, notes (and a folder of notes), paths, pages, intros.
NAMED_FOLDERS = ("seeds", "content/notes", "content/notes/2024", "content/paths", "content/pages",
                 "content/topics", "content/hardware")
NOT_UTF8_NAMES = st.binary(min_size=1, max_size=10).filter(
    lambda name: b"/" not in name and b"\0" not in name and not name.startswith(b".") and not _is_utf8(name))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.fixture(scope="module")
def names_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(ROOT / "tests" / "fixtures" / "site", tmp_path_factory.mktemp("names") / "project")


@settings(BUDGET, max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(folder=st.sampled_from(NAMED_FOLDERS), name=NOT_UTF8_NAMES, as_folder=st.booleans(),
       command=st.sampled_from(["build", "check", "papers"]))
def test_a_file_name_that_is_not_utf8_is_a_located_error_in_every_reader(names_project, tmp_path_factory, folder,
                                                                            name, as_folder, command):
    """build, check and papers name the file with its bytes escaped, exit 1, and write nothing."""
    suffix = b".txt" if folder == "seeds" else b".md"
    # The bad bytes in the file's name, or (under notes/, which has sub-folders) in a folder's.
    relative = (folder.encode() + b"/" + name + (b"/a" + suffix if as_folder and folder == "content/notes" else suffix))
    path = names_project / os.fsdecode(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\ntitle: x\n---\n" if suffix == b".md" else "A Title\n\n" + "Prose. " * 40 + "\n")
    output = tmp_path_factory.mktemp("out") / "_site"
    args = {"build": ["build", "--no-search", "--output", str(output)], "check": ["check"], "papers": ["papers"]}
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main(["--root", str(names_project), *args[command]])
    finally:
        path.unlink()
        if os.fsencode(path.parent.name) == name:
            path.parent.rmdir()
    label = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}",
                   relative.decode("utf-8", "backslashreplace"))
    assert code == 1
    assert stderr.getvalue().splitlines().count(  # once: a content file's problem was once reported twice
        f"{label}: error: the file name is not valid UTF-8 or holds a control character (shown as \\xNN); rename it"
    ) == 1, stderr.getvalue()
    stderr.getvalue().encode("utf-8")  # every message prints on a UTF-8 terminal
    assert not output.exists()


# --- linear time ------------------------------------------------------------------------------

# Each shape is a unit repeated along one line, and the work it once made quadratic: a `:` or
# `@` per few characters in Markdown (the GFM autolink rules), closing brackets or dots after
# a URL (`clean_url`), and a listing of a million short lines.
LINEAR_SHAPES = {
    "markdown a:": ("a:", "markdown"), "markdown 12:30:45": ("12:30:45", "markdown"),
    "markdown (http:": ("(http:", "markdown"), "markdown (mailto:": ("(mailto:", "markdown"),
    "markdown a@": ("a@", "markdown"), "markdown (www.": ("(www.", "markdown"),
    "markdown url)": (")", "markdown url"), "urls url)": (")", "urls"), "urls url]": ("]", "urls"),
    "urls url.": (".", "urls"), "listing ab": ("ab\n", "listing"),
}
URL = "https://github.com/nvidia/megatron-lm"


def _no_paper(ref: str):
    raise LookupError(f"no paper matches {ref!r}")


def _work(kind: str, text: str) -> None:
    if kind == "markdown":
        render_markdown(text, path="content/notes/x.md", resolve_paper=_no_paper)
    elif kind == "markdown url":
        render_markdown(URL + text, path="content/notes/x.md", resolve_paper=_no_paper)
    elif kind == "urls":
        extract_links(URL + text)
        repair_text(URL + text)
    else:
        parse_seed_bytes(text.encode(), "seeds/x.txt")


def _seconds(kind: str, text: str) -> float:
    """The best of three runs: noise from other processes only ever adds time."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        _work(kind, text)
        best = min(best, time.perf_counter() - started)
    return best


def _growth(unit: str, kind: str, size: int = 4_000) -> float:
    """How much longer 8x the input takes: about 8 when linear, 64 when quadratic.

    The small input grows until it takes a few milliseconds, so that timer resolution and
    scheduling noise on a busy machine cannot dominate the ratio; 8 times it stays under the
    caps (200,000 characters of Markdown, 10,000 entries per listing), which would cut the
    work short."""
    repeats = max(1, size // len(unit))
    _work(kind, unit * repeats)  # warm caches (parsers, regexes) outside the measure
    small = _seconds(kind, unit * repeats)
    while small < 0.003 and repeats * len(unit) * 16 <= (48_000 if kind == "listing" else 200_000):
        repeats *= 2
        small = _seconds(kind, unit * repeats)
    return _seconds(kind, unit * (8 * repeats)) / max(small, 1e-4)


@pytest.mark.parametrize("shape", LINEAR_SHAPES)
def test_pathological_shapes_take_linear_time(shape):
    unit, kind = LINEAR_SHAPES[shape]
    assert _growth(unit, kind) < 24  # generous: linear is 8, quadratic 64


@settings(BUDGET, max_examples=15)
@given(st.text(alphabet=":@w.()]/ha_-*&;h1 ", min_size=1, max_size=6), st.sampled_from(["markdown", "urls"]))
def test_any_repeated_unit_of_url_punctuation_takes_linear_time(unit, kind):
    assert _growth(unit, kind) < 24
