"""Notes on papers, papers from elsewhere, and the whole curation gathered by `attach_notes`."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from html_structure import html_structure
from notes_helpers import (
    FA2, FA2_TITLE, FA3, FA3_TITLE, FIXTURES, PAGED, SNAP, SPLIT, TAXONOMY, VATT, curate, files_of, make_catalog, note,
    SNAP_TITLE, paper_url, report,
)
from sitegen.catalog.merge import build_catalog
from sitegen.catalog.records import Correction, PaperDate
from sitegen.content import read_content
from sitegen.notefields import Tag
from sitegen.notes import Backlink, attach_notes, curator_papers
from sitegen.pipeline import load_catalog
from sitegen.settings import Settings, load_settings
from sitegen.taxonomy import Override, load_taxonomy
from sitegen.text.weblinks import ExternalLink


@pytest.fixture(scope="module")
def fixture_curation():
    return curate(read_content(FIXTURES))


# --- the fixture tree: every feature at once -------------------------------------------------


def test_fixture_tree_loads_without_problems(fixture_curation):
    assert fixture_curation.diagnostics == ()
    assert curator_papers(read_content(FIXTURES))[2] == ()


def test_note_fields(fixture_curation):
    flash = fixture_curation.notes[FA2]
    assert (flash.path, flash.line, flash.paper_slug) == ("content/notes/flash2.md", 2, FA2)
    assert (flash.status, flash.rating, flash.pick) == ("read", 5, True)
    assert flash.summary == "The attention kernel everything else builds on."
    assert flash.tags == (Tag("kernels", "Kernels"), Tag("must-read", "must-read"))  # repeat dropped
    assert flash.links == (ExternalLink("arxiv", "https://arxiv.org/abs/2307.08691"),
                           ExternalLink("code", "https://github.com/Dao-AILab/flash-attention"))  # kind order
    assert f'<a href="/papers/{VATT}/" class="paper-link">' in flash.body_html
    assert f'<a href="/papers/{FA3}/" class="paper-link">sequel</a>' in flash.body_html
    assert flash.mentions == (VATT, FA3)


def test_summary_is_inline_markdown_with_paper_links_and_math():
    curation = curate(note(f"---\npaper: {SPLIT}\nsummary: '*Fast* in $\\mathcal{{O}}(n)$, see [[{FA2}|FA2]]'\n---\n"))
    split = curation.notes[SPLIT]
    assert html_structure(split.summary_html) == html_structure(
        f'<em>Fast</em> in 𝒪(n), see <a href="/papers/{FA2}/" class="paper-link">FA2</a>')
    assert split.mentions == (FA2,)
    assert report(note(f"---\npaper: {SPLIT}\nsummary: 'see [[no such paper]]'\n---\n"))[0].startswith(
        "content/notes/x.md:3: error: ")


def test_wiki_links_to_every_kind_of_page_and_site_paths_follow_the_base_path():
    body = ("[[topic:kv-cache]], [[hardware:h100|the H100]], [[path:short]], [[page:about]], [[tag:Must Read]],\n"
            "[[Snap]] and [home](/paths/short/#step-2)\n")
    fixture = {s.path: s.text for s in read_content(FIXTURES).files}
    files = files_of(*[(path, fixture[path]) for path in ("content/paths/short.md", "content/pages/about.md")],
                     ("content/notes/links.md", f"---\npaper: {SPLIT}\ntags: [must-read]\n---\n{body}"))
    curation = attach_notes(files, make_catalog(), TAXONOMY, Settings(base_url="/repo/"),
                            lambda slug: f"/repo/papers/{slug}/")
    assert curation.diagnostics == ()
    html = curation.notes[SPLIT].body_html
    for href, text in (("/repo/topics/kv-cache/", "KV cache"), ("/repo/hardware/h100/", "the H100"),
                       ("/repo/paths/short/", "A short path"), ("/repo/about/", "About"),
                       ("/repo/tags/must-read/", "must-read"), (f"/repo/papers/{SNAP}/", SNAP_TITLE)):
        assert f'<a href="{href}" class="paper-link">{text}</a>' in html
    assert '<a href="/repo/paths/short/#step-2">home</a>' in html
    assert curation.notes[SPLIT].mentions == (SNAP,)


def test_broken_wiki_links_are_errors_and_broken_site_paths_warnings():
    body = ("[[topic:kv-cach]] [[path:nope]] [[tag:never-used]]\n\n"
            "[gone](/paths/nope/) [ok](/matrix/) [cell](/topics/kv-cache/hardware/h100/page/2/)\n\n[[Flash]]\n")
    assert report(note(f"---\npaper: {SPLIT}\n---\n{body}")) == [
        "content/notes/x.md:4: error: no path 'nope'",
        "content/notes/x.md:4: error: no tag 'never-used'",
        "content/notes/x.md:4: error: no topic 'kv-cach' (did you mean 'kv-cache'?)",
        "content/notes/x.md:6: warning: no page of the site at '/paths/nope/' (did you mean 'paths/'?)",
        f"content/notes/x.md:8: error: 'Flash' starts 2 titles, say which: {FA2_TITLE!r} [{FA2}]; "
        f"{FA3_TITLE!r} [{FA3}]",
    ]


def test_note_names_its_paper_by_title_in_any_case(fixture_curation):
    fa3 = fixture_curation.notes[FA3]
    assert (fa3.status, fa3.rating, fa3.pick, fa3.summary) == ("reading", None, False, None)


def test_unset_fields_have_their_defaults():
    curation = curate(note(f"---\npaper: {SPLIT}\n---\n"))
    split = curation.notes[SPLIT]
    assert (split.status, split.rating, split.pick, split.summary, split.tags, split.links, split.body_html) == (
        None, None, False, None, (), (), "")


def test_tag_labels_take_the_most_used_spelling():
    files = files_of(
        ("content/notes/a.md", f"---\npaper: {FA2}\ntags: [GPU Kernels]\n---\n"),
        ("content/notes/b.md", f"---\npaper: {FA3}\ntags: [gpu kernels]\n---\n"),
        ("content/notes/c.md", f"---\npaper: {SNAP}\ntags: [gpu kernels, 日本語]\n---\n"),
    )
    curation = curate(files)
    assert curation.tag_labels == {"gpu-kernels": "gpu kernels", "tag-c12140a0": "日本語"}
    assert curation.notes[FA2].tags == (Tag("gpu-kernels", "GPU Kernels"),)


def test_overrides_come_from_notes(fixture_curation):
    assert fixture_curation.overrides == {
        FA2: Override(add_topics=("kv-cache",), remove_topics=("attention",), add_hardware=("h100",)),
    }


def test_backlinks_list_every_text_linking_to_a_paper(fixture_curation):
    backlinks = fixture_curation.backlinks
    assert backlinks[SNAP] == (
        Backlink("From attention kernels to serving", "path", "content/paths/attention-to-serving.md",
                 "attention-to-serving"),
        Backlink("About", "page", "content/pages/about.md", "about"),
        Backlink("The KV cache", "topic", "content/topics/kv-cache.md", "kv-cache"),
    )
    assert backlinks[FA3] == (
        Backlink(FA2_TITLE, "note", "content/notes/flash2.md", FA2),
        Backlink("NVIDIA Hopper", "hardware", "content/hardware/nvidia-hopper.md", "nvidia-hopper"),
    )
    assert backlinks[FA2][-1] == Backlink("Welcome", "home", "content/home.md", "")
    # A path's own steps are in path_positions, not backlinks.
    assert all(b.kind != "path" for b in backlinks[VATT])


def test_a_note_mentioning_its_own_paper_is_no_backlink():
    curation = curate(note(f"---\npaper: {FA2}\n---\nThis paper, [[{FA2}]], and [[{FA3}]].\n"))
    assert FA2 not in curation.backlinks and curation.notes[FA2].mentions == (FA3,)


# --- papers from elsewhere -------------------------------------------------------------------


def test_curator_paper_from_note(fixture_curation):
    papers, _, problems = curator_papers(read_content(FIXTURES))
    assert problems == ()
    (paged,) = papers
    assert paged.slug == PAGED
    assert paged.title == "Efficient Memory Management for Large Language Model Serving with PagedAttention"
    assert paged.abstract.startswith("We propose PagedAttention, an attention algorithm inspired by virtual")
    assert (paged.date, paged.authors, paged.organization, paged.upvotes) == (
        PaperDate(2023, 9, 12), 2, "UC Berkeley", None)
    assert paged.links == (ExternalLink("arxiv", "https://arxiv.org/abs/2309.06180"),
                           ExternalLink("code", "https://github.com/vllm-project/vllm"))  # the note's, then the abstract's
    assert (paged.occurrences, paged.added_by) == ((), "content/notes/elsewhere/paged.md")
    assert fixture_curation.notes[PAGED].rating == 4  # its own note attaches to it


def test_curator_paper_text_is_repaired_and_authors_may_be_a_count():
    (paper,), _, _ = curator_papers(note(
        "---\ntitle: \"M\\xC3\\xA9lange  \\\\emph{serving}\"\nabstract: Up to 3\\times faster.\nauthors: 7\n---\n"))
    assert (paper.title, paper.slug, paper.abstract, paper.authors) == (
        "Mélange serving", "melange-serving", "Up to 3× faster.", 7)


def test_curator_paper_links_keep_the_curator_s_kind():
    (paper,), _, _ = curator_papers(note(
        "---\ntitle: T\nabstract: See https://github.com/a/b and https://x.org/c.\n"
        "links: {project: 'https://github.com/a/b'}\n---\n"))
    assert paper.links == (ExternalLink("project", "https://github.com/a/b"), ExternalLink("project", "https://x.org/c"))


def test_curator_paper_field_errors_are_located():
    text = ("---\ntitle: Something New\ndate: 2023-02-30\nauthors: 0\norganization: [a]\n"
            "status: read\n---\n")
    papers, _, problems = curator_papers(note(text))
    assert papers == ()
    assert [str(d) for d in problems] == [
        "content/notes/x.md:2: error: 'abstract' is required: a non-empty string",
        "content/notes/x.md:3: error: 'date' must be a date written YYYY-MM-DD, YYYY-MM or YYYY, got '2023-02-30' (no such day)",
        "content/notes/x.md:4: error: 'authors' must be a number of authors or a list of their names, got 0",
        "content/notes/x.md:5: error: 'organization' must be a non-empty string, got a list",
    ]
    assert report(note(text)) == [str(d) for d in problems]  # attach_notes adds nothing


def test_curator_paper_already_in_the_seeds_is_a_warning_suggesting_paper():
    text = f"---\ntitle: \"{FA2_TITLE.upper()}\"\nabstract: Again.\nrating: 5\n---\n"
    assert report(note(text)) == [
        f"content/notes/x.md:2: warning: {FA2_TITLE.upper()!r} is also in seeds/001_x.txt:10; this note's "
        "authors, date and links are merged into that paper and its text is the listing's: "
        f"replace 'title' and 'abstract' with 'paper: {FA2}'",
    ]
    assert curate(note(text)).notes[FA2].rating == 5  # the note is the seed paper's


def test_any_note_may_set_bibliographic_fields():
    text = (f"---\npaper: {FA2}\nauthors: [Tri Dao]\ndate: 2023-07\nvenue: ICLR 2024\n"
            "doi: https://doi.org/10.48550/arXiv.2307.08691\narxiv: https://huggingface.co/papers/2307.08691\n"
            "links: {code: 'https://github.com/Dao-AILab/flash-attention'}\nrating: 5\n---\n")
    papers, (correction,), problems = curator_papers(note(text))
    assert (papers, problems) == ((), ())
    assert correction == Correction(
        "content/notes/x.md", 2, FA2, ("Tri Dao",), PaperDate(2023, 7), "ICLR 2024", "10.48550/arXiv.2307.08691",
        "2307.08691", (ExternalLink("code", "https://github.com/Dao-AILab/flash-attention"),))
    assert report(note(text)) == [] and curate(note(text)).notes[FA2].rating == 5


def test_bibliographic_field_errors_are_located_once():
    text = f"---\npaper: {FA2}\nauthors: 6\ndate: 2023-13\ndoi: not-a-doi\narxiv: 12345\nvenue: [a]\n---\n"
    _, corrections, problems = curator_papers(note(text))
    assert corrections == ()
    assert [str(d) for d in problems] == [
        "content/notes/x.md:3: error: 'authors' must be a list of author names, got 6 "
        "(a count belongs to papers from elsewhere; name the authors)",
        "content/notes/x.md:4: error: 'date' must be a date written YYYY-MM-DD, YYYY-MM or YYYY, got '2023-13' "
        "(no such month)",
        "content/notes/x.md:5: error: 'doi' must be a DOI (10.NNNN/...) or a doi.org URL, got 'not-a-doi'",
        "content/notes/x.md:6: error: 'arxiv' must be an arXiv id (2307.08691) or an arXiv or Hugging Face paper "
        "URL, got 12345 (put it in quotes to make it text)",
        "content/notes/x.md:7: error: 'venue' must be a non-empty string, got a list",
    ]
    assert report(note(text)) == [str(d) for d in problems]  # attach_notes adds nothing


def test_paper_and_title_together_are_refused():
    text = f"---\npaper: {FA2}\ntitle: Other\nabstract: Text.\ndate: 2024-01-01\n---\n"
    assert curator_papers(note(text)) == ((), (), ())
    assert report(note(text)) == [
        "content/notes/x.md:2: error: 'title', 'abstract' describe a paper from elsewhere, but 'paper' names one "
        "in the catalog: keep 'paper', or drop it and give 'title' and 'abstract'",
    ]


# --- errors with places --------------------------------------------------------------------


def test_note_without_a_paper():
    assert report(note("---\nstatus: read\n---\nText.\n")) == [
        "content/notes/x.md:2: error: a note names its paper: add 'paper: SLUG' "
        "(or 'title' and 'abstract' for a paper from elsewhere)",
    ]
    assert report(note("---\npaper: ~\n---\n")) == [
        "content/notes/x.md:2: error: a note names its paper: add 'paper: SLUG' "
        "(or 'title' and 'abstract' for a paper from elsewhere)",
    ]
    assert report(note("Just text.\n")) == [
        "content/notes/x.md:1: error: a note names its paper: add 'paper: SLUG' "
        "(or 'title' and 'abstract' for a paper from elsewhere)",
    ]


def test_unknown_paper_suggests_up_to_three_close_titles(seed_files):
    files = note("---\nstatus: read\npaper: 'FlashAttention-4: Faster Attention with Better Parallelism'\n---\n")
    curation = attach_notes(files, build_catalog(seed_files, {}), TAXONOMY, Settings(), paper_url)
    assert [str(d) for d in curation.diagnostics] == [
        "content/notes/x.md:3: error: no paper matches 'FlashAttention-4: Faster Attention with Better "
        f"Parallelism'; closest: {FA2_TITLE!r} [{FA2}]; "
        f"'FlashAttention-3: Fast and Accurate Attention with Asynchrony and Low-precision' [{FA3}]",
    ]


def test_unknown_paper_without_close_titles_points_to_the_list():
    assert report(note("---\npaper: zzz\n---\n")) == [
        "content/notes/x.md:2: error: no paper matches 'zzz' (`sitegen papers` lists every slug and title)",
    ]


def test_two_notes_on_one_paper_name_both_files():
    files = files_of(("content/notes/a.md", f"---\npaper: {FA2}\nrating: 2\n---\n"),
                     ("content/notes/b/c.md", f"---\nstatus: read\npaper: \"{FA2_TITLE}\"\n---\n"))
    curation = curate(files)
    assert [str(d) for d in curation.diagnostics] == [
        f"content/notes/b/c.md:3: error: a second note on {FA2_TITLE!r}: content/notes/a.md already has one; "
        "keep one note per paper",
    ]
    assert curation.notes[FA2].rating == 2


def test_two_papers_from_elsewhere_with_one_title_are_two_notes_on_one_paper():
    text = "---\ntitle: New Paper\nabstract: Text.\n---\n"
    files = files_of(("content/notes/a.md", text), ("content/notes/b.md", text))
    assert report(files) == [
        "content/notes/b.md:2: error: a second note on 'New Paper': content/notes/a.md already has one; "
        "keep one note per paper",
    ]


def test_invalid_yaml_is_located():
    [message] = report(note(f"---\npaper: {FA2}\nrating: [4\n---\n"))
    assert message.startswith("content/notes/x.md:3: error: invalid YAML: ")  # where the text ends; then PyYAML's words


def test_unclosed_front_matter():
    assert report(note(f"---\npaper: {FA2}\n")) == [
        "content/notes/x.md:1: error: front matter opened with '---' is never closed (end it with a '---' line)",
    ]


def test_wrong_types_are_each_reported_at_their_line():
    text = (f"---\npaper: {FA2}\nstatus: done\nrating: 6\npick: yes please\nsummary: 3\ntags: kernels\n"
            "stauts: read\n---\n")
    assert report(note(text)) == [
        "content/notes/x.md:3: error: 'status' must be one of 'to-read', 'reading', 'read', got 'done'",
        "content/notes/x.md:4: error: 'rating' must be an integer from 1 to 5, got 6",
        "content/notes/x.md:5: error: 'pick' must be true or false, got 'yes please'",
        "content/notes/x.md:6: error: 'summary' must be a non-empty string, got 3 (put it in quotes to make it text)",
        "content/notes/x.md:7: error: 'tags' must be a list of non-empty strings, got 'kernels'",
        "content/notes/x.md:8: warning: unknown key 'stauts' (did you mean 'status'?)",
    ]


def test_links_must_be_known_kinds_and_web_urls():
    base = f"---\npaper: {FA2}\nlinks:\n"
    described = "'links' must be a mapping of link kinds (arxiv, pdf, code, slides, video, project) to http(s) URLs"
    assert report(note(base + "  slide: https://x.org/a.pdf\n---\n")) == [
        f"content/notes/x.md:3: error: {described}, got a mapping (unknown kind 'slide', did you mean 'slides'?)"]
    assert report(note(base + "  code: javascript:alert(1)\n---\n")) == [
        f"content/notes/x.md:3: error: {described}, got a mapping (the 'code' link is not an http(s) URL)"]


def test_unknown_override_ids_are_errors_at_their_key_and_drop_the_override():
    text = f"---\npaper: {FA2}\ntopics:\n  add: [kv-cach]\nhardware: {{remove: [H100], add: [tpu]}}\n---\n"
    curation = curate(note(text))
    assert [str(d) for d in curation.diagnostics] == [
        "content/notes/x.md:3: error: unknown topic 'kv-cach' (did you mean 'kv-cache'?)",
        "content/notes/x.md:5: error: unknown hardware 'H100' (did you mean 'h100'?)",
        "content/notes/x.md:5: error: unknown hardware 'tpu'",
    ]
    assert curation.overrides == {} and FA2 in curation.notes


def test_override_section_must_be_add_and_remove_lists():
    assert report(note(f"---\npaper: {FA2}\ntopics: [kv-cache]\nhardware: {{add: amd, drop: [x]}}\n---\n")) == [
        "content/notes/x.md:3: error: 'topics' must be a mapping, got a list",
        "content/notes/x.md:4: error: 'hardware.add' must be a list of non-empty strings, got 'amd'",
        "content/notes/x.md:4: warning: unknown key 'hardware.drop'",
    ]


def test_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(6))
    assert report(note(f"---\npaper: {FA2}\n{bomb}---\n")) == [
        "content/notes/x.md:2: error: YAML expands to more than 100,000 nodes (alias bomb?); refused",
    ]


def test_unknown_paper_link_in_the_body_is_located_with_suggestions():
    assert report(note(f"---\npaper: {FA2}\n---\nFine.\n\nSee [[SnapKV: LLM Knows What You Look for]].\n")) == [
        "content/notes/x.md:6: error: no paper matches 'SnapKV: LLM Knows What You Look for'; closest: "
        "'SnapKV: LLM Knows What You are Looking for Before Generation' "
        "[snapkv-llm-knows-what-you-are-looking-for-before-generation]",
    ]


def test_raw_html_follows_the_site_setting():
    files = note(f"---\npaper: {FA2}\n---\n<b>bold</b>\n")
    assert curate(files).notes[FA2].body_html == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n"
    assert curate(files, allow_html=True).notes[FA2].body_html == "<p><b>bold</b></p>\n"


def test_reading_problems_are_part_of_the_curation():
    from sitegen.content import ContentFiles
    from sitegen.diagnostics import error

    unreadable = error("content/notes/bad.md", 3, "not UTF-8 text (byte 0xff); save the file as UTF-8")
    curation = attach_notes(ContentFiles((), (unreadable,)), make_catalog(), TAXONOMY, Settings(), paper_url)
    assert curation.diagnostics == (unreadable,)


# --- robustness ------------------------------------------------------------------------------

_FRONT_LINES = st.sampled_from([
    f"paper: {FA2}", "paper: [1", "title: X", "abstract: Y", "date: 2024-02-30", "status: read", "rating: 9",
    "pick: true", "tags: [a, b]", "tags: {a: 1}", "topics: {add: [kv-cache]}", "hardware: {remove: [zzz]}",
    "topics: 3", "hardware: {add: 1}",
    "links: {code: 'https://x.org'}", "links: [1]", "a: &x [1, 2]", "b: *x", "? [a]\n: 1", "summary: |",
    "  text", "- item", "\t", "'", "{", "paper: ~", "...", "---",
])


_CURATOR_FILES = st.sampled_from([
    "content/notes/x.md", "content/paths/x.md", "content/topics/kv-cache.md", "content/hardware/h100.md",
    "content/pages/x.md", "content/home.md",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CURATOR_FILES, st.one_of(
    st.text(max_size=300),
    st.lists(_FRONT_LINES, max_size=8).map(lambda lines: "---\n" + "\n".join(lines) + "\n---\n[[x]] body\n"),
    st.lists(st.sampled_from([f"[[{FA2}]]", f"[[{FA3}]]", "[[nope]]", "```", "text", "", "# h", "[^1]: x"]),
             max_size=10).map(lambda lines: "---\ntitle: T\n---\n" + "\n".join(lines)),
))
def test_any_curator_text_gives_a_curation_and_located_diagnostics(path, text):
    files = files_of((path, text))
    papers, _, paper_problems = curator_papers(files)
    curation = attach_notes(files, make_catalog(papers), TAXONOMY, Settings(), paper_url)
    line_count = text.count("\n") + text.count("\r") + 2
    for problem in (*paper_problems, *curation.diagnostics):
        assert problem.path == path
        assert problem.line is None or 1 <= problem.line <= line_count


# --- the shipped content ---------------------------------------------------------------------


def test_shipped_content_loads_without_problems(project_root):
    files = read_content(project_root)
    settings, _ = load_settings(project_root)
    extra, _, paper_problems = curator_papers(files)
    catalog = load_catalog(project_root, settings)  # seeds and curator papers
    taxonomy = load_taxonomy(project_root / "content" / "taxonomy.yaml")
    curation = attach_notes(files, catalog, taxonomy, settings, paper_url)
    assert [str(d) for d in (*files.diagnostics, *paper_problems, *curation.diagnostics)] == []
    # Every feature is demonstrated.
    notes = curation.notes.values()
    assert len(curation.notes) >= 6 and {n.status for n in notes} >= {"to-read", "reading", "read"}
    assert any(n.pick for n in notes) and any(n.tags for n in notes) and any(n.links for n in notes)
    assert any(o.add_topics or o.add_hardware for o in curation.overrides.values())
    assert any(o.remove_topics or o.remove_hardware for o in curation.overrides.values())
    assert len(extra) >= 1 and all(paper.slug in curation.notes for paper in extra)
    assert curation.paths and all(len(path.steps) >= 5 for path in curation.paths)
    assert len(curation.topic_intros) >= 2 and len(curation.hardware_intros) >= 2
    assert {page.slug for page in curation.pages} >= {"about", "contributing"} and curation.home_intro
