"""Search: records from the plan's data, the Pagefind bundle, what happens when the binary cannot
run, and the plan made knowing the outcome."""

from __future__ import annotations

import json
import shutil
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import pagefind_fragment

from sitegen.diagnostics import Severity
from sitegen.pipeline import classify_site, compute_site, read_inputs, read_templates
from sitegen.plan import SiteData
from sitegen.render import make_environment, render_page
from sitegen.memo import ByInput
from sitegen.search import (BUNDLE_DIR, NO_SEARCH, UNUSED_BUNDLE_FILES, index_records,
                            stub_html, stub_path)
from sitegen.search_records import search_records
from sitegen.views import SEARCH_FILTER_HEADINGS, SearchView

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FLASH = "/list/papers/flashattention-on-hopper-fast-kv-cache-attention-with-h100s/"
SERVING = "/list/papers/serving-script-alert-1-script-models-on-a-single-gpu/"
UNTAGGED = "/list/papers/a-paper-with-nothing-to-tag/"


def search_project(target: Path) -> Path:
    """The site fixture (base URL https://example.org/list/) plus a curator note, with templates."""
    shutil.copytree(FIXTURES / "site", target)
    shutil.copytree(FIXTURES / "search" / "content", target / "content", dirs_exist_ok=True)
    shutil.copytree(ROOT / "templates", target / "templates")
    return target


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return search_project(tmp_path_factory.mktemp("search") / "project")


@pytest.fixture(scope="module")
def inputs(project):
    return read_inputs(project)


@pytest.fixture(scope="module")
def plan(inputs):
    return compute_site(inputs, search=True).plan


def records_of(inputs):
    """The search records of a project, from its classified data (no page planned)."""
    found = classify_site(inputs)
    return search_records(SiteData(inputs.settings, found.catalog.papers, found.taxonomy, found.tags, found.curation,
                                   {}, True))


@pytest.fixture(scope="module")
def records(inputs):
    return records_of(inputs)


@pytest.fixture(scope="module")
def index(records, inputs):
    return index_records(records, inputs.settings.language)


@pytest.fixture
def broken_binary(tmp_path, monkeypatch):
    """Point Pagefind at a file that is not executable."""
    binary = tmp_path / "pagefind"
    binary.write_text("not a program\n")
    binary.chmod(0o644)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    return binary


def fake_binary(tmp_path: Path, monkeypatch, script: str) -> Path:
    binary = tmp_path / "fake-pagefind"
    binary.write_text("#!/bin/sh\n" + script + "\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    return binary


def by_url(records):
    return {record.url: record for record in records}


def fragments(files: dict[str, bytes]) -> dict[str, dict]:
    """Pagefind's stored result data (url, meta, filters, content) by URL."""
    found = {}
    for path, data in files.items():
        if path.startswith(BUNDLE_DIR + "fragment/"):
            fragment = json.loads(pagefind_fragment(data))
            found[fragment["url"]] = fragment
    return found


# --- records ---------------------------------------------------------------------------------

def test_one_record_per_paper_page_and_none_for_listings(records, plan):
    assert sorted(r.url for r in records) == sorted([FLASH, SERVING, UNTAGGED])
    assert [r.url.removeprefix("/list/") for r in records] == [  # in the paper pages' order
        page.route for page in plan.pages if page.template == "paper.html"]


def test_record_filters_cover_topic_hardware_family_model_and_vendor_year_and_code(records):
    flash = by_url(records)[FLASH]
    assert flash.filters() == {"topic": ("KV cache", "Attention"), "hardware": ("NVIDIA", "NVIDIA Hopper", "H100"),
                               "year": ("2024",), "code": ("has code",)}
    assert set(flash.filters()) <= set(SEARCH_FILTER_HEADINGS)


def test_record_status_comes_from_the_curator_and_is_absent_otherwise(records):
    records = by_url(records)
    assert records[SERVING].filters()["status"] == ("reading",)
    assert records[SERVING].filters()["code"] == ("no code",)
    assert "status" not in records[FLASH].filters()


def test_untagged_paper_without_date_still_has_every_sort_key(records):
    untagged = by_url(records)[UNTAGGED]
    assert untagged.filters() == {"code": ("no code",)}
    assert untagged.sorts() == {"date": "0000-00-00", "upvotes": "000000000"}
    assert untagged.meta() == {"title": "A Paper With Nothing To Tag"}


def test_sort_keys_sort_as_strings(records):
    flash = by_url(records)[FLASH]
    assert flash.sorts() == {"date": "2024-02-20", "upvotes": "000000007"}
    assert "000000007" < "000000012" < "000000100"


def test_meta_carries_what_a_result_shows(records):
    flash = by_url(records)[FLASH]
    meta = flash.meta()
    assert meta["title"] == "FlashAttention on Hopper: Fast KV Cache Attention with H100s"
    assert (meta["date"], meta["date_iso"], meta["upvotes"]) == ("2024-02-20", "2024-02-20", "7")
    assert json.loads(meta["topics"]) == ["KV cache", "Attention"]
    assert json.loads(meta["hardware"]) == ["H100", "NVIDIA Hopper"]  # the card's chips: most specific


def test_words_are_title_plain_abstract_and_summary(records):
    serving = by_url(records)[SERVING]
    assert serving.title == "Serving <script>alert(1)</script> Models on a Single GPU"
    assert "<a " not in by_url(records)[FLASH].abstract  # linkified URLs are plain again
    assert "github.com/example/fa-hopper" in by_url(records)[FLASH].abstract
    assert "zebra-striped" in serving.summary


def test_stub_escapes_everything_and_puts_data_in_attributes(records):
    html = stub_html(by_url(records)[SERVING])
    assert "<script>" not in html
    assert "<h1>Serving &lt;script&gt;alert(1)&lt;/script&gt; Models on a Single GPU</h1>" in html
    assert '<meta data-pagefind-filter="status[content]" content="reading">' in html
    assert ('<meta data-pagefind-meta="topics[content]" '
            'content="[&quot;KV cache&quot;, &quot;Attention&quot;]">') in html
    assert '<meta data-pagefind-sort="date[content]" content="2025-10-21">' in html


@pytest.mark.parametrize("url, path", [
    ("/list/papers/x/", "list/papers/x/index.html"),
    ("/papers/x/", "papers/x/index.html"),
    ("/list/papers/caf%C3%A9/", "list/papers/café/index.html"),
    ("/list/../../etc/", None),
    ("/list/%2e%2e/x/", None),
    ("/list/a%5Cb/", None),
])
def test_stub_path_gives_pagefind_the_url_and_never_leaves_the_folder(url, path):
    found = stub_path(url)
    assert (None if found is None else found.as_posix()) == path


# --- the bundle (runs the real binary) ----------------------------------------------------------

def test_bundle_has_the_api_the_index_and_one_fragment_per_record(index):
    assert index.available and index.diagnostics == ()
    assert all(path.startswith(BUNDLE_DIR) for path in index.files)
    # What the search page loads; other files (a worker since Pagefind 1.4) are Pagefind's business.
    for name in ("pagefind.js", "pagefind-entry.json", "wasm.en.pagefind"):
        assert BUNDLE_DIR + name in index.files
    assert any(p.startswith(BUNDLE_DIR + "index/") for p in index.files)
    assert any(p.startswith(BUNDLE_DIR + "filter/") for p in index.files)
    entry = json.loads(index.files[BUNDLE_DIR + "pagefind-entry.json"])
    assert entry["languages"]["en"]["page_count"] == 3
    assert len(fragments(index.files)) == 3


def test_bundle_leaves_out_pagefind_own_uis_and_unused_languages(index):
    names = {path.removeprefix(BUNDLE_DIR) for path in index.files}
    assert not names & UNUSED_BUNDLE_FILES
    assert "wasm.unknown.pagefind" not in names


def test_stats_count_records_and_published_bytes(index):
    assert index.stats.records == 3
    assert index.stats.bytes == sum(len(data) for data in index.files.values())
    assert index.stats.seconds > 0


def test_stored_results_carry_base_path_meta_and_filters(index):
    stored = fragments(index.files)
    assert set(stored) == {FLASH, SERVING, UNTAGGED}  # base path /list/ included, as on the site
    flash = stored[FLASH]
    assert flash["meta"]["title"] == "FlashAttention on Hopper: Fast KV Cache Attention with H100s"
    assert flash["filters"]["hardware"] == ["NVIDIA", "NVIDIA Hopper", "H100"]
    assert "zebra" in stored[SERVING]["content"]


def test_base_path_follows_the_settings(project, tmp_path):
    inputs = read_inputs(project)
    settings = replace(inputs.settings, base_url="/")
    stored = fragments(index_records(records_of(replace(inputs, settings=settings)), settings.language).files)
    assert FLASH.removeprefix("/list") in stored


def test_no_paper_pages_means_no_index_and_one_warning(inputs):
    result = index_records((), inputs.settings.language)
    assert (result.available, result.files) == (False, {})
    assert [d.message for d in result.diagnostics] == [
        "search index not built: there are no paper pages to index; the search page says search is unavailable"]


# --- when the binary cannot run ---------------------------------------------------------------

def assert_one_warning(result, reason_part: str) -> None:
    assert result.available is False and result.files == {}
    assert len(result.diagnostics) == 1
    (found,) = result.diagnostics
    assert found.severity is Severity.WARNING
    text = str(found)
    assert text.startswith("search: warning: search index not built: ")
    assert text.endswith("; the search page says search is unavailable")
    assert reason_part in text


def test_binary_not_executable(records, inputs, broken_binary):
    assert_one_warning(index_records(records, inputs.settings.language), f"cannot run {broken_binary}")


def test_binary_missing(records, inputs, tmp_path, monkeypatch):
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "nowhere" / "pagefind"))
    assert_one_warning(index_records(records, inputs.settings.language), "cannot run")


def test_binary_crashing(records, inputs, tmp_path, monkeypatch):
    fake_binary(tmp_path, monkeypatch, 'echo "Error: something broke" >&2; exit 3')
    assert_one_warning(index_records(records, inputs.settings.language),
                       "failed (exit status 3): Error: something broke")


def test_binary_hanging_is_killed(records, inputs, tmp_path, monkeypatch):
    fake_binary(tmp_path, monkeypatch, "exec sleep 30")
    assert_one_warning(index_records(records, inputs.settings.language, timeout=0.3), "timed out after 0.3 s")


def test_binary_writing_no_bundle(records, inputs, tmp_path, monkeypatch):
    fake_binary(tmp_path, monkeypatch, "exit 0")
    assert_one_warning(index_records(records, inputs.settings.language), "Pagefind wrote no pagefind.js")


def test_binary_writing_an_unreadable_entry(records, inputs, tmp_path, monkeypatch):
    # arguments: --site SITE --output-path BUNDLE ...
    fake_binary(tmp_path, monkeypatch, 'mkdir -p "$4" && echo "" > "$4/pagefind.js" && echo "{" > "$4/pagefind-entry.json"')
    assert_one_warning(index_records(records, inputs.settings.language), "pagefind-entry.json this version cannot read")


def test_pagefind_settings_from_the_environment_do_not_leak_in(records, inputs, monkeypatch):
    monkeypatch.setenv("PAGEFIND_GLOB", "nothing/*.html")  # would leave Pagefind no page to index
    monkeypatch.setenv("PAGEFIND_EXCLUDE_SELECTORS", "h1,p")
    result = index_records(records, inputs.settings.language)
    assert result.available and result.stats.records == 3
    assert "medieval poetry" in fragments(result.files)[UNTAGGED]["content"]


# --- the search page ---------------------------------------------------------------------------

def render_search_page(plan, project) -> str:
    (page,) = [p for p in plan.pages if p.template == "search.html"]
    return render_page(make_environment(read_templates(project / "templates", project)), plan, page).decode()


def test_search_page_loads_the_bundle_and_script_under_the_base_path(plan, project):
    html = render_search_page(plan, project)
    assert 'data-bundle="/list/pagefind/"' in html
    assert '<script type="module" src="/list/static/search.js"></script>' in html
    assert "<noscript>" in html and "Search needs JavaScript" in html
    for name, heading in SEARCH_FILTER_HEADINGS.items():
        assert f'data-filter="{name}"' in html and f"<legend>{heading}</legend>" in html
    assert '<option value="upvotes">Most upvoted</option>' in html
    assert 'aria-live="polite"' in html and '<label for="search-q">' in html


def test_failed_index_makes_the_search_page_explain(plan, inputs, project, broken_binary):
    site = compute_site(inputs, search=True)  # the index is built first: the plan knows it failed
    assert not site.search.available and len(site.search.diagnostics) == 1
    (view,) = [p.view for p in site.plan.pages if isinstance(p.view, SearchView)]
    assert view.available is False
    html = render_search_page(site.plan, project)
    assert "Search is unavailable on this build of the site" in html
    assert 'href="/list/topics/"' in html and 'href="/list/hardware/"' in html
    assert "search.js" not in html and "data-bundle" not in html
    changed = [new for old, new in zip(plan.pages, site.plan.pages, strict=True) if old != new]
    assert [page.template for page in changed] == ["search.html"]  # nothing else depends on it


def test_search_off_means_no_index(inputs, broken_binary):
    search_off = replace(inputs, settings=replace(inputs.settings, search=False))
    assert compute_site(search_off, search=True).search is NO_SEARCH
    assert compute_site(inputs).search is NO_SEARCH  # search=False: nothing indexed


def test_memo_reuses_the_index_until_its_input_changes(inputs):
    memo = ByInput()
    first = compute_site(inputs, search=True, index=memo).search
    again = compute_site(inputs, search=True, index=memo).search
    assert again is first and first.available
    german = replace(inputs, settings=replace(inputs.settings, language="de"))
    changed = compute_site(german, search=True, index=memo).search
    assert changed is not first and changed.available
