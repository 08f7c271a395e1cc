"""Curator Markdown: fixture pairs (`X.md` -> `X.html`), paper links, located errors, safety."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from html_structure import html_structure

from sitegen.text.frontmatter import split_front_matter
from sitegen.text.markdown import MAX_TEXT_CHARS, Heading, PaperLink, _parser, is_safe_url, render_markdown

FIXTURES = Path(__file__).parents[1] / "fixtures" / "markdown"

FLASH = PaperLink("/papers/flash-attention/", "FlashAttention: Fast and Memory-Efficient Exact Attention")
VLLM = PaperLink("/papers/vllm/", "Efficient Memory Management for LLM Serving with PagedAttention")
CATALOG = {"flash-attention": FLASH, FLASH.title: FLASH, "vllm": VLLM}


def resolve(ref: str) -> PaperLink:
    if ref in CATALOG:
        return CATALOG[ref]
    raise LookupError(f"no paper matches {ref!r}; closest: 'flash-attention', 'vllm'")


def render(text: str, *, first_line: int = 1, allow_html: bool = False):
    return render_markdown(
        text, path="content/notes/x.md", first_line=first_line, allow_html=allow_html,
        resolve_paper=resolve,
    )


def errors(result) -> list[str]:
    return [str(d) for d in result.diagnostics]


def test_a_text_over_the_cap_is_a_located_error_not_rendered():
    line = "A line of a very long note about GPU kernels, [[flash-attention]].\n"
    text = line * (MAX_TEXT_CHARS // len(line) + 1)
    result = render(text, first_line=5)
    cap_line = 5 + MAX_TEXT_CHARS // len(line)  # the line the 200,000th character is on
    assert errors(result) == [f"content/notes/x.md:{cap_line}: error: the text is longer than 200,000 characters "
                              "(from this line on); split it or shorten it"]
    assert (result.html, result.paper_refs) == ("", ())
    assert render(text[:MAX_TEXT_CHARS]).diagnostics == ()  # exactly at the cap: rendered


# --- fixtures: every feature with its HTML (compared as structure, not markdown-it's bytes) ---


@pytest.mark.parametrize("source", sorted(FIXTURES.glob("*.md")), ids=lambda p: p.stem)
def test_fixture_renders_to_expected_html(source: Path):
    # Fixtures named *_allowed.md render with raw HTML allowed.
    result = render(source.read_text(encoding="utf-8"), allow_html=source.stem.endswith("_allowed"))
    assert html_structure(result.html) == html_structure(source.with_suffix(".html").read_text(encoding="utf-8"))
    assert result.diagnostics == ()


# --- paper links ---------------------------------------------------------------------------


def test_wiki_link_without_text_shows_the_paper_title():
    assert html_structure(render("[[vllm]]").html) == html_structure(
        '<p><a href="/papers/vllm/" class="paper-link">'
        "Efficient Memory Management for LLM Serving with PagedAttention</a></p>\n"
    )


def test_wiki_link_text_is_escaped():
    assert html_structure(render("[[vllm|<b>&</b>]]").html) == html_structure(
        '<p><a href="/papers/vllm/" class="paper-link">&lt;b&gt;&amp;&lt;/b&gt;</a></p>\n'
    )


def test_paper_refs_keep_first_use_order_without_duplicates_or_failures():
    result = render("[[vllm]] [[missing]] [x](paper:flash-attention) [[vllm|again]]\n\n[[flash-attention]]")
    assert result.paper_refs == ("vllm", "flash-attention")


def test_refs_are_given_to_the_resolver_trimmed_and_with_spaces_collapsed():
    seen = []

    def recording(ref: str) -> PaperLink:
        seen.append(ref)
        return VLLM

    render_markdown(
        "[[  a\n   b  |text]] [x](<paper:c%20%20d>)", path="x.md", resolve_paper=recording
    )
    assert seen == ["a b", "c d"]


def test_each_distinct_ref_is_resolved_once_per_document():
    calls = []

    def counting(ref: str) -> PaperLink:
        calls.append(ref)
        raise LookupError(f"no paper {ref!r}")

    result = render_markdown("[[a]] [[a]]\n\n[[a]] [[b]]", path="x.md", resolve_paper=counting)
    assert calls == ["a", "b"]
    assert len(result.diagnostics) == 4  # yet every use is reported at its own place


def test_unresolved_links_render_their_text_unlinked():
    result = render("[[nope]] [[nope|shown]] [kept *text*](paper:nope)")
    assert html_structure(result.html) == html_structure("<p>nope shown kept <em>text</em></p>\n")
    assert result.paper_refs == ()


def test_resolver_message_becomes_the_error():
    assert errors(render("[[nope]]")) == [
        "content/notes/x.md:1: error: no paper matches 'nope'; closest: 'flash-attention', 'vllm'"
    ]


def test_resolver_raising_key_error_or_bare_lookup_error_still_gives_a_message():
    def key_error(ref: str) -> PaperLink:
        raise KeyError(f"unknown paper {ref}")

    def bare(ref: str) -> PaperLink:
        raise LookupError

    assert str(render_markdown("[[z]]", path="p.md", resolve_paper=key_error).diagnostics[0]) == (
        "p.md:1: error: unknown paper z"
    )
    assert str(render_markdown("[[z]]", path="p.md", resolve_paper=bare).diagnostics[0]) == (
        "p.md:1: error: no paper matches 'z'"
    )


def test_empty_paper_link_is_an_error():
    result = render("[empty](paper:)")
    assert html_structure(result.html) == html_structure("<p>empty</p>\n")
    assert errors(result) == [
        "content/notes/x.md:1: error: a paper link needs a slug or a title after 'paper:'"
    ]


def test_paper_link_in_a_heading_feeds_its_id_and_text():
    result = render("## Reading [[vllm|PagedAttention]]")
    assert result.headings == (Heading(2, "reading-pagedattention", "Reading PagedAttention"),)


# --- located errors ----------------------------------------------------------------------


def test_errors_carry_the_file_line_of_each_reference():
    text = "\n".join([
        "# Title [[h1-missing]]",  # 1
        "",  # 2
        "A paragraph that wraps",  # 3
        "over lines; [[wrapped-missing]]",  # 4
        "and [link](paper:link-missing) here.",  # 5
        "",  # 6
        "> quoted",  # 7
        "> [[quote-missing]]",  # 8
        "",  # 9
        "- item",  # 10
        "- [[list-missing]]",  # 11
        "",  # 12
        "| a | b |",  # 13
        "|---|---|",  # 14
        "| x | [[cell-missing]] |",  # 15
        "",  # 16
        "See [ref][r] and ![alt [[alt-missing]]](i.png).",  # 17
        "",  # 18
        "[r]: paper:ref-missing",  # 19
        "",  # 20
        "Note[^1].",  # 21
        "",  # 22
        "[^1]: In a footnote [[foot-missing]].",  # 23
    ])
    result = render(text, first_line=10)
    located = {d.message.split("'")[1]: d.line for d in result.diagnostics}
    assert located == {
        "h1-missing": 10, "wrapped-missing": 13, "link-missing": 14, "quote-missing": 17,
        "list-missing": 20, "cell-missing": 24, "ref-missing": 26, "alt-missing": 26,
        "foot-missing": 32,
    }


def test_errors_in_a_body_after_front_matter_carry_the_file_line():
    text = (FIXTURES.parent / "frontmatter" / "note.md").read_text(encoding="utf-8")
    front = split_front_matter(text, "content/notes/note.md")
    result = render_markdown(
        front.body, path="content/notes/note.md", first_line=front.body_line, resolve_paper=resolve
    )
    lines = text.split("\n")
    assert [d.line for d in result.diagnostics] == [
        number for number, line in enumerate(lines, 1) if "[[no-such-paper]]" in line
    ] == [12]


# --- headings ------------------------------------------------------------------------------


def test_headings_list_level_unique_id_and_plain_text():
    result = render("# A *b* `c`\n\n## A b c\n\ntext\n\n### ![x](i.png) y")
    assert result.headings == (
        Heading(1, "a-b-c", "A b c"), Heading(2, "a-b-c-2", "A b c"), Heading(3, "x-y", "x y"),
    )


def test_heading_ids_are_stable_whatever_the_number_of_repeats():
    result = render("# a\n" * 50 + "# a-2\n")
    ids = [heading.id for heading in result.headings]
    assert ids[:3] == ["a", "a-2", "a-3"] and ids[-1] == "a-2-2"
    assert len(set(ids)) == len(ids)


# --- safety ------------------------------------------------------------------------------


class _Attributes(HTMLParser):
    """Collects every tag and attribute of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


XSS_VECTORS = [
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#x0A;ascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](&#106&#97;vascript:alert(1))",
    "[x](javascript%3Aalert(1))",
    "[x](%20javascript:alert(1))",
    "[x](<\x01javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "![x](DATA:image/png;base64,AAAA)",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[[x|javascript:alert(1)]]",
    '[x](https://ok.org "\\" onmouseover=\\"alert(1)")',
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_no_script_reaches_the_page(vector: str):
    page = _Attributes()
    page.feed(render(vector).html)
    assert set(page.tags) <= {"p", "a", "img"}
    for name, value in page.attributes:
        assert not name.startswith("on")
        if name in ("href", "src"):
            assert value in ("https://ok.org",)


@pytest.mark.parametrize("vector", [v for v in XSS_VECTORS if not v.startswith(("<", "[[x|"))])
def test_markdown_links_stay_filtered_when_raw_html_is_allowed(vector: str):
    page = _Attributes()
    page.feed(render(vector, allow_html=True).html)
    assert all(value in ("https://ok.org",) for name, value in page.attributes if name in ("href", "src"))


def test_raw_html_is_trusted_when_allowed():
    assert html_structure(render('<a href="javascript:go()">x</a>', allow_html=True).html) == html_structure(
        '<p><a href="javascript:go()">x</a></p>\n'
    )


@pytest.mark.parametrize("url, safe", [
    ("https://example.org/a?b=javascript:c", True),
    ("relative/page/", True),
    ("#anchor", True),
    ("mailto:a@b.org", True),
    ("paper:slug", True),
    ("javascript:alert(1)", False),
    (" JaVaScRiPt:alert(1)", False),
    ("java\tscript:alert(1)", False),
    ("java%09script:alert(1)", False),
    ("java&#x09;script:alert(1)", False),
    ("\x00javascript:alert(1)", False),
    ("vbscript:x", False),
    ("data:image/png;base64,AAAA", False),
    ("file:///etc/passwd", False),
])
def test_is_safe_url(url: str, safe: bool):
    assert is_safe_url(url) is safe


# --- robustness ----------------------------------------------------------------------------


def test_parser_is_built_once_per_option_set():
    assert _parser(False) is _parser(False)
    assert _parser(True) is not _parser(False)


_MARKDOWN_PIECES = st.sampled_from([
    "[", "]", "[[", "]]", "|", "(", ")", "!", "<", ">", ":", "paper:", "^", "[^1]", "[^1]: ",
    "*", "_", "`", "#", "# ", "-", "- ", "> ", "    ", "\n", "\n\n", "\r", " ", "\t", "\\", "&",
    "&#x09;", "javascript:", "vllm", "nope", "a", "| a | b |\n|---|---|\n", "<div>", "~~",
    "www.x.org", "https://x.org",
])


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.lists(_MARKDOWN_PIECES, max_size=40).map("".join), st.text(max_size=200)),
    allow_html=st.booleans(),
    first_line=st.integers(1, 50),
)
def test_rendering_never_fails_and_errors_stay_inside_the_text(text, allow_html, first_line):
    result = render(text, first_line=first_line, allow_html=allow_html)
    last_line = first_line + len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")) - 1
    assert all(first_line <= d.line <= last_line for d in result.diagnostics)
    assert all(ref in CATALOG for ref in result.paper_refs)


@pytest.mark.parametrize("source, shown", [
    ("costs $\\mathcal{O}(n^2)$ memory", "<p>costs 𝒪(n²) memory</p>\n"),
    ("$x_{ij} \\leq \\alpha$ and `$\\beta$`", "<p>xᵢⱼ ≤ α and <code>$\\beta$</code></p>\n"),
    ("between $5 and $10, or \\$\\alpha$", "<p>between $5 and $10, or $\\alpha$</p>\n"),
])
def test_inline_tex_is_shown_as_unicode_text(source, shown):
    assert html_structure(render(source).html) == html_structure(shown)
