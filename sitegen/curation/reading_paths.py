"""Reading paths: an ordered walk through papers with the curator's text between them.

A path is one Markdown file, `content/paths/SLUG.md` (the file name is the URL slug):

    ---
    title: From FlashAttention to serving
    summary: One line for lists and the meta description.   # optional
    order: 1                                                # optional; lists sort by it, then title
    ---
    Why this path, and who it is for.                       <- the intro

    [[flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning]]

    What to take from it, and why the next paper follows.   <- said before step 2

    [[Efficient Memory Management for Large Language Model Serving with PagedAttention]]

    Where to go from here.                                  <- the closing words

A step is a line holding nothing but `[[slug or exact title]]` (not `[[topic:ID]]` and the
other kinds of site link, which stay text), starting in the first
column and outside code blocks. Anywhere else (in a sentence, as `[[ref|text]]` or
`[text](paper:ref)`) a paper link is an ordinary mention. Each paper is a step of a path
at most once, so "previous" and "next" on its page are never ambiguous.

The body is rendered as one Markdown document (footnotes and heading anchors work across
steps) and then cut at the steps.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from markdown_it import MarkdownIt

from sitegen.content import MarkdownContext, SourceText, file_slug, read_ordered, read_slugged
from sitegen.diagnostics import Diagnostic, error
from sitegen.text.frontmatter import TEXT, FieldSpec, integer
from sitegen.curation.site_links import wiki_kind


@dataclass(frozen=True, slots=True)
class PathStep:
    """One paper of a reading path and the curator's text leading to it."""

    paper_slug: str
    html_before: str  # the text between the previous step and this one ("" for the first)
    line: int  # file line of the step


@dataclass(frozen=True, slots=True)
class ReadingPath:
    """An ordered list of papers with the curator's text around them, shown as one page."""

    slug: str  # from the file name
    title: str
    summary: str | None
    order: int
    intro_html: str  # the text before the first step
    steps: tuple[PathStep, ...]
    closing_html: str  # the text after the last step (footnotes end up here)
    path: str
    mentions: tuple[str, ...]  # papers linked from the text that are not steps of this path


@dataclass(frozen=True, slots=True)
class PathPosition:
    """Where a paper sits in one reading path, for previous/next links on its page."""

    path_slug: str
    path_title: str
    index: int  # 0-based position of the paper among the steps
    length: int  # number of steps in the path
    previous: str | None  # paper slug of the step before, None for the first
    next: str | None  # paper slug of the step after, None for the last


_SPECS = (
    FieldSpec("title", TEXT, required=True),
    FieldSpec("summary", TEXT),
    FieldSpec("order", integer(-1000, 1000), default=0),
)
_STEP = re.compile(r"\[\[([^\[\]|]+)\]\][ \t]*")


def read_paths(sources: Iterable[SourceText], context: MarkdownContext
               ) -> tuple[tuple[ReadingPath, ...], list[Diagnostic]]:
    """Reading paths sorted by (order, title, slug), and every problem found in them."""
    return read_ordered(sources, lambda source, problems: read_path(source, context, problems))


def read_path(source: SourceText, context: MarkdownContext, problems: list[Diagnostic]) -> ReadingPath | None:
    """One reading path, or None when it cannot be shown (the reasons go to `problems`)."""
    read = read_slugged(source, _SPECS, problems)
    if read is None:
        return None
    front, values = read
    steps = _find_steps(front.body, front.body_line, source.path, context, problems)
    if not steps:
        problems.append(error(source.path, None, "a reading path needs steps: lines holding nothing "
                                                 "but [[slug or title]] of a paper"))
    pieces = _render_cut(front.body, front.body_line, source.path, steps, context, problems)
    if values["title"] is None or not steps or pieces is None:
        return None
    html, mentions = pieces
    step_slugs = [slug for _, slug in steps]
    return ReadingPath(
        slug=file_slug(source.path), title=values["title"], summary=values["summary"], order=values["order"],
        intro_html=html[0],
        steps=tuple(PathStep(slug, before, front.body_line + index)
                    for (index, slug), before in zip(steps, ["", *html[1:-1]])),
        closing_html=html[-1], path=source.path,
        mentions=tuple(slug for slug in mentions if slug not in step_slugs),
    )


def _find_steps(body: str, body_line: int, path: str, context: MarkdownContext,
                problems: list[Diagnostic]) -> list[tuple[int, str]]:
    """(body line index, paper slug) of each step.

    A step naming no known paper is left in the text: rendering reports it, with suggestions.
    """
    steps: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}
    for index, ref in _step_lines(body, context.allow_html):
        paper = context.catalog.find(ref)
        if paper is None:
            continue
        if paper.slug in first_seen:
            problems.append(error(path, body_line + index, (
                f"{paper.title!r} is already step {first_seen[paper.slug]} of this path "
                f"(line {body_line + steps[first_seen[paper.slug] - 1][0]}); a paper is a step once per path")))
            continue
        steps.append((index, paper.slug))
        first_seen[paper.slug] = len(steps)
    return steps


@functools.lru_cache(maxsize=256)  # a pure function of two strings; watch rebuilds ask again
def _step_lines(body: str, allow_html: bool) -> tuple[tuple[int, str], ...]:
    """(line index, reference) of every line that is a step, skipping code and raw HTML."""
    verbatim = set()
    for token in _block_parser(allow_html).parse(body):
        if token.type in ("fence", "code_block", "html_block") and token.map:
            verbatim.update(range(*token.map))
    found = []
    for index, line in enumerate(body.split("\n")):
        match = _STEP.fullmatch(line)
        # `[[topic:ID]]` and the like link other pages: on a line of their own they are text.
        if match and index not in verbatim and match[1].strip() and wiki_kind(match[1]) is None:
            found.append((index, " ".join(match[1].split())))
    return tuple(found)


@functools.cache
def _block_parser(allow_html: bool) -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": allow_html})


def _render_cut(body: str, body_line: int, path: str, steps: list[tuple[int, str]], context: MarkdownContext,
                problems: list[Diagnostic]) -> tuple[list[str], tuple[str, ...]] | None:
    """Render the body once with a marker heading in place of each step, then cut at the markers.

    Returns the HTML pieces (intro, text before step 2, ..., closing) and the papers mentioned.
    A heading, unlike a paragraph, ends whatever block precedes it, so every marker stands alone.
    """
    marker = "sitegen-step-" + hashlib.sha1(body.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    lines = body.split("\n")
    for number, (index, _) in enumerate(steps):
        lines[index] = f"###### {marker}-{number}"
    rendered = context.render("\n".join(lines), path, body_line)
    problems.extend(rendered.diagnostics)
    pieces = re.split(rf'<h6 id="[^"]*">{marker}-\d+</h6>\n', rendered.html)
    if len(pieces) != len(steps) + 1:
        problems.append(error(path, None, "could not cut the text at every step: "
                                          "put a blank line before and after each [[step]] line"))
        return None
    return pieces, context.slugs_of(rendered.paper_refs)


def path_positions(paths: Iterable[ReadingPath]) -> dict[str, tuple[PathPosition, ...]]:
    """Paper slug -> its place in each path that has it as a step, in path order."""
    positions: dict[str, list[PathPosition]] = defaultdict(list)
    for path in paths:
        slugs = [step.paper_slug for step in path.steps]
        for index, slug in enumerate(slugs):
            positions[slug].append(PathPosition(
                path.slug, path.title, index, len(slugs),
                previous=slugs[index - 1] if index > 0 else None,
                next=slugs[index + 1] if index + 1 < len(slugs) else None,
            ))
    return {slug: tuple(found) for slug, found in sorted(positions.items())}
