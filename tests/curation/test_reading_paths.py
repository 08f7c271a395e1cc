"""Reading paths: steps cut from one rendered document, the text between them, located errors."""

from __future__ import annotations

import pytest

from notes_helpers import FA2, FA2_TITLE, FA3, FIXTURES, PAGED, SNAP, SPLIT, VATT, curate, files_of, report
from sitegen.content import read_content
from sitegen.curation.reading_paths import PathPosition, PathStep


def path_file(body: str, front: str = "title: A path\n", name: str = "p.md"):
    return files_of((f"content/paths/{name}", f"---\n{front}---\n{body}"))


@pytest.fixture(scope="module")
def fixture_path():
    (path,) = [p for p in curate(read_content(FIXTURES)).paths if p.slug == "attention-to-serving"]
    return path


def test_path_record(fixture_path):
    assert (fixture_path.slug, fixture_path.title, fixture_path.summary, fixture_path.order, fixture_path.path) == (
        "attention-to-serving", "From attention kernels to serving", "Four papers, kernel to system.", 2,
        "content/paths/attention-to-serving.md")
    assert [step.paper_slug for step in fixture_path.steps] == [FA2, FA3, PAGED, VATT]
    assert [step.line for step in fixture_path.steps] == [10, 13, 20, 22]


def test_text_between_steps_goes_before_the_next_step(fixture_path):
    assert fixture_path.intro_html == (
        '<h1 id="why-this-path">Why this path</h1>\n'
        '<p>Start with the kernel.<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup></p>\n')
    first, second, third, fourth = fixture_path.steps
    assert first.html_before == ""
    assert second.html_before == (
        f'<p>Then the Hopper version. Compare with <a href="/papers/{SNAP}/" class="paper-link">'
        "SnapKV: LLM Knows What You are Looking for Before Generation</a>.</p>\n")
    # A [[...]] line inside a code block is no step.
    assert third.html_before == '<h2 id="memory">Memory</h2>\n<pre><code>[[not-a-step]]\n</code></pre>\n'
    assert fourth.html_before == ""


def test_headings_and_footnotes_work_across_steps(fixture_path):
    assert fixture_path.closing_html.startswith('<h1 id="why-this-path-2">Why this path</h1>\n<p>Done.</p>\n')
    assert '<li id="fn1" class="footnote-item"><p>A footnote.' in fixture_path.closing_html


def test_mentions_leave_out_the_path_s_own_steps(fixture_path):
    assert fixture_path.mentions == (SNAP,)


def test_paths_are_sorted_by_order_then_title():
    files = files_of(("content/paths/b.md", f"---\ntitle: B\n---\n[[{FA2}]]\n"),
                     ("content/paths/a.md", f"---\ntitle: Z\norder: -1\n---\n[[{FA2}]]\n"),
                     ("content/paths/c.md", f"---\ntitle: A\n---\n[[{FA2}]]\n"))
    assert [path.slug for path in curate(files).paths] == ["a", "c", "b"]


def test_only_a_line_holding_just_a_paper_link_is_a_step():
    body = (f"  [[{FA3}]]\n\n- [[{SNAP}]]\n\n> [[{SPLIT}]]\n\n[[{VATT}|vAttention]]\n\n"
            f"Read [[{FA3}]] first.\n[[ {FA2_TITLE} ]]   \n")
    (path,) = curate(path_file(body)).paths
    assert path.steps == (PathStep(FA2, path.steps[0].html_before, 13),)
    assert path.mentions == (FA3, SNAP, SPLIT, VATT)


def test_a_line_holding_a_link_to_a_topic_is_text_not_a_step():
    (path,) = curate(path_file(f"[[topic:kv-cache]]\n\n[[{FA2}]]\n")).paths
    assert [step.paper_slug for step in path.steps] == [FA2]
    assert 'href="/topics/kv-cache/"' in path.intro_html


def test_a_step_line_ends_the_paragraph_before_it():
    (path,) = curate(path_file(f"Intro line\n[[{FA2}]]\nafter\n")).paths
    assert path.intro_html == "<p>Intro line</p>\n"
    assert path.closing_html == "<p>after</p>\n"


def test_a_link_line_inside_raw_html_is_no_step():
    (path,) = curate(path_file(f"<div>\n[[{FA3}]]\n</div>\n\n[[{FA2}]]\n"), allow_html=True).paths
    assert [step.paper_slug for step in path.steps] == [FA2]
    assert path.intro_html == f"<div>\n[[{FA3}]]\n</div>\n"  # raw HTML is passed through untouched


def test_a_path_without_steps_is_an_error():
    assert report(path_file(f"Only a mention of [[{FA2}]].\n")) == [
        "content/paths/p.md: error: a reading path needs steps: lines holding nothing but [[slug or title]] "
        "of a paper",
    ]


def test_a_paper_is_a_step_once_per_path():
    files = path_file(f"[[{FA2}]]\n\n[[{FA3}]]\n\n[[{FA2_TITLE}]]\n")
    assert report(files) == [
        f"content/paths/p.md:8: error: {FA2_TITLE!r} is already step 1 of this path (line 4); "
        "a paper is a step once per path",
    ]
    (path,) = curate(files).paths
    assert [step.paper_slug for step in path.steps] == [FA2, FA3]


def test_an_unknown_step_is_located_with_suggestions_and_left_out():
    files = path_file(f"[[{FA2}]]\n\n[[SnapKV: LLM Knows What You Look for]]\n")
    assert report(files) == [
        "content/paths/p.md:6: error: no paper matches 'SnapKV: LLM Knows What You Look for'; closest: "
        f"'SnapKV: LLM Knows What You are Looking for Before Generation' [{SNAP}]",
    ]
    (path,) = curate(files).paths
    assert [step.paper_slug for step in path.steps] == [FA2]


def test_a_path_needs_a_title_and_a_slug_file_name():
    assert report(path_file(f"[[{FA2}]]\n", front="summary: x\n")) == [
        "content/paths/p.md:2: error: 'title' is required: a non-empty string",
    ]
    assert report(path_file(f"[[{FA2}]]\n", name="My Path.md")) == [
        "content/paths/My Path.md: error: the file name becomes a URL and must be a lower-case slug: "
        "rename it to 'my-path.md'",
    ]
    assert curate(path_file(f"[[{FA2}]]\n", front="summary: x\n")).paths == ()


def test_path_positions_give_previous_and_next():
    assert curate(read_content(FIXTURES)).path_positions[VATT] == (
        PathPosition("short", "A short path", 1, 2, previous=SNAP, next=None),
        PathPosition("attention-to-serving", "From attention kernels to serving", 3, 4, previous=PAGED, next=None),
    )
