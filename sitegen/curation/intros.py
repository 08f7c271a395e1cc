"""Intros and standalone pages: curator Markdown shown atop a page or as a page of its own.

- `content/topics/ID.md`, `content/hardware/ID.md`: the intro of a topic page or of a
  hardware page (vendor, family or model); ID must be a taxonomy id. Front matter optional:
  `title` replaces the taxonomy's title on that page.
- `content/home.md`: the intro of the home page (front matter optional: `title`).
- `content/pages/SLUG.md`: a standalone page (about, contributing). Front matter: `title`
  (required), `summary` (one line, for the meta description), `nav: true` to link it from
  the site navigation, `nav_title` (a short label for that link; the title otherwise, which
  soon makes the navigation too long for one line), `order` (an integer; navigation and lists
  sort by it, then title).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sitegen.content import MarkdownContext, SourceText, file_slug, read_ordered, read_slugged, split_source
from sitegen.diagnostics import Diagnostic, error
from sitegen.text.frontmatter import FLAG, TEXT, FieldSpec, did_you_mean, integer, read_fields


@dataclass(frozen=True, slots=True)
class Intro:
    """Curator text shown atop a topic, hardware or home page."""

    id: str  # the taxonomy id ("kv-cache", "nvidia-hopper") or "home"
    title: str | None  # replaces the page's usual title when given
    html: str
    path: str
    paper_slugs: tuple[str, ...]  # papers it links to, first mention first


@dataclass(frozen=True, slots=True)
class StandalonePage:
    """A page of its own written by the curator."""

    slug: str  # from the file name
    title: str
    summary: str | None
    html: str
    path: str
    in_nav: bool
    nav_title: str  # the navigation's label: `nav_title`, or the title
    order: int
    paper_slugs: tuple[str, ...]


_INTRO_SPECS = (FieldSpec("title", TEXT),)
_PAGE_SPECS = (
    FieldSpec("title", TEXT, required=True),
    FieldSpec("summary", TEXT),
    FieldSpec("nav", FLAG, default=False),
    FieldSpec("nav_title", TEXT),
    FieldSpec("order", integer(-1000, 1000), default=0),
)


def read_intros(sources: Iterable[SourceText], known_ids: Collection[str], kind: str,
                context: MarkdownContext) -> tuple[dict[str, Intro], list[Diagnostic]]:
    """Intros by id; a file whose name is no `kind` id of the taxonomy is an error."""
    intros, problems = {}, []
    for source in sources:
        entry_id = file_slug(source.path)
        if entry_id not in known_ids:
            hint = did_you_mean(entry_id, known_ids)
            problems.append(error(source.path, None, f"no {kind} {entry_id!r} in the taxonomy{hint}; "
                                                     f"an intro file is named after the {kind} id"))
            continue
        intro = read_intro(source, entry_id, context, problems)
        if intro is not None:
            intros[entry_id] = intro
    return intros, problems


def read_intro(source: SourceText, intro_id: str, context: MarkdownContext,
               problems: list[Diagnostic]) -> Intro | None:
    """One intro, or None when its front matter is unreadable (the reason goes to `problems`)."""
    front, split_problems = split_source(source)
    problems.extend(split_problems)
    if front is None:
        return None
    values, field_problems = read_fields(front.data, source.path, _INTRO_SPECS)
    problems.extend(field_problems)
    rendered = context.render(front.body, source.path, front.body_line)
    problems.extend(rendered.diagnostics)
    return Intro(intro_id, values["title"], rendered.html, source.path, context.slugs_of(rendered.paper_refs))


def read_pages(sources: Iterable[SourceText], context: MarkdownContext
               ) -> tuple[tuple[StandalonePage, ...], list[Diagnostic]]:
    """Standalone pages sorted by (order, title, slug)."""
    return read_ordered(sources, lambda source, problems: _read_page(source, context, problems))


def _read_page(source: SourceText, context: MarkdownContext, problems: list[Diagnostic]) -> StandalonePage | None:
    read = read_slugged(source, _PAGE_SPECS, problems)
    if read is None:
        return None
    front, values = read
    rendered = context.render(front.body, source.path, front.body_line)
    problems.extend(rendered.diagnostics)
    if values["title"] is None:
        return None
    return StandalonePage(
        slug=file_slug(source.path), title=values["title"], summary=values["summary"], html=rendered.html,
        path=source.path, in_nav=values["nav"], nav_title=values["nav_title"] or values["title"], order=values["order"],
        paper_slugs=context.slugs_of(rendered.paper_refs),
    )
