"""Intros of topic, hardware and home pages, and standalone pages."""

from __future__ import annotations

import pytest
from conftest import copy_project
from notes_helpers import FA2, FA3, FIXTURES, SNAP, curate, files_of, report
from sitegen.diagnostics import SitegenError
from sitegen.pipeline import compute_site, read_inputs
from sitegen.content import read_content
from sitegen.curation.intros import Intro, StandalonePage


def test_fixture_intros_and_pages():
    curation = curate(read_content(FIXTURES))
    assert curation.topic_intros == {"kv-cache": Intro(
        "kv-cache", "The KV cache",
        f'<p>Where memory goes: see <a href="/papers/{SNAP}/" class="paper-link">'
        "SnapKV: LLM Knows What You are Looking for Before Generation</a>.</p>\n",
        "content/topics/kv-cache.md", (SNAP,))}
    assert sorted(curation.hardware_intros) == ["h100", "nvidia-hopper"]  # a model slug names a page too
    assert curation.hardware_intros["nvidia-hopper"].title is None
    assert curation.hardware_intros["nvidia-hopper"].paper_slugs == (FA3,)
    assert curation.home_intro == Intro(
        "home", "Welcome",
        f'<p>Start with <a href="/papers/{FA2}/" class="paper-link">FlashAttention-2: Faster Attention with '
        "Better Parallelism and Work Partitioning</a>.</p>\n", "content/home.md", (FA2,))
    assert curation.pages == (
        StandalonePage("contributing", "Contributing", None, "<p>Send a note.</p>\n", "content/pages/contributing.md",
                       in_nav=False, nav_title="Contributing", order=0, paper_slugs=()),
        StandalonePage("about", "About", "What this list is.", curation.pages[1].html, "content/pages/about.md",
                       in_nav=True, nav_title="About us", order=1, paper_slugs=(SNAP,)),
    )


def test_no_home_file_means_no_home_intro():
    assert curate(files_of()).home_intro is None


def test_an_intro_must_be_named_after_a_taxonomy_id():
    files = files_of(("content/topics/kv-cach.md", "Text.\n"), ("content/hardware/hopper.md", "Text.\n"),
                     ("content/hardware/tpu.md", "Text.\n"))
    curation = curate(files)
    assert [str(d) for d in curation.diagnostics] == [
        "content/hardware/hopper.md: error: no hardware entry 'hopper' in the taxonomy "
        "(did you mean 'nvidia-hopper'?); an intro file is named after the hardware entry id",
        "content/hardware/tpu.md: error: no hardware entry 'tpu' in the taxonomy; "
        "an intro file is named after the hardware entry id",
        "content/topics/kv-cach.md: error: no topic 'kv-cach' in the taxonomy (did you mean 'kv-cache'?); "
        "an intro file is named after the topic id",
    ]
    assert curation.topic_intros == {} and curation.hardware_intros == {}


def test_intro_front_matter_is_checked():
    assert report(files_of(("content/topics/attention.md", "---\ntitle: [x]\nnav: true\n---\nText.\n"))) == [
        "content/topics/attention.md:2: error: 'title' must be a non-empty string, got a list",
        "content/topics/attention.md:3: warning: unknown key 'nav'",
    ]


def test_page_front_matter_is_checked():
    files = files_of(("content/pages/about.md", "---\nnav: maybe\norder: 1.5\ntitel: About\n---\nText.\n"))
    assert report(files) == [
        "content/pages/about.md:2: error: 'nav' must be true or false, got 'maybe'",
        "content/pages/about.md:2: error: 'title' is required: a non-empty string",
        "content/pages/about.md:3: error: 'order' must be an integer from -1000 to 1000, got 1.5",
        "content/pages/about.md:4: warning: unknown key 'titel' (did you mean 'title'?)",
    ]
    assert curate(files).pages == ()


def test_page_file_name_must_be_a_slug():
    assert report(files_of(("content/pages/About_Us.md", "---\ntitle: About\n---\n"))) == [
        "content/pages/About_Us.md: error: the file name becomes a URL and must be a lower-case slug: "
        "rename it to 'about-us.md'",
    ]


def test_paper_links_in_pages_and_intros_are_checked():
    assert report(files_of(("content/home.md", "Hello.\n\n[[zzz]]\n"),
                           ("content/pages/a.md", "---\ntitle: A\n---\n[x](paper:zzz)\n"))) == [
        "content/home.md:3: error: no paper matches 'zzz' (`sitegen papers` lists every slug and title)",
        "content/pages/a.md:4: error: no paper matches 'zzz' (`sitegen papers` lists every slug and title)",
    ]


def test_a_page_named_like_a_site_route_is_blamed_on_its_file(tmp_path):
    project = copy_project(FIXTURES.parent / "site", tmp_path / "project")
    (project / "content" / "pages").mkdir()
    (project / "content" / "pages" / "papers.md").write_text("---\ntitle: Papers\n---\nMine.\n")
    (project / "content" / "pages" / "matrix.md").write_text("---\ntitle: Matrix\n---\nMine.\n")
    with pytest.raises(SitegenError) as refused:
        compute_site(read_inputs(project))
    assert [str(d) for d in refused.value.diagnostics] == [
        "content/pages/matrix.md:1: error: this file's name gives the page /matrix/, which is already sitegen's"
        " own page from matrix.html (matrix/index.html); rename the file",
        "content/pages/papers.md:1: error: this file's name gives the page /papers/, which is already sitegen's"
        " own page from list.html (papers/index.html); rename the file"]
