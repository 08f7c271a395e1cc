"""Curator content: read `content/**/*.md` (the I/O edge), and what every kind of curator
file shares: front matter split off safely, Markdown rendered with one paper resolver.

Layout read by `read_content`:
- `content/notes/**/*.md`: notes on papers (sub-folders allowed, the file name is free);
- `content/paths/*.md`, `content/pages/*.md`: reading paths and standalone pages (the file
  name is the URL slug);
- `content/topics/ID.md`, `content/hardware/ID.md`: intros of taxonomy pages;
- `content/home.md`: the intro of the home page.
Hidden files (`.x.md`, editor droppings) are skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sitegen.catalog.records import Catalog, Paper
from sitegen.diagnostics import Diagnostic, SitegenError, error
from sitegen.text.frontmatter import FrontMatter, read_fields, split_front_matter
from sitegen.sources.inputfiles import label_of, name_problem, read_regular
from sitegen.curation.site_links import LinkTargets, wiki_kind
from sitegen.text.markdown import PaperLink, RenderedMarkdown, is_site_absolute, render_markdown
from sitegen.text.repair import slugify

T = TypeVar("T")

NOTES_DIR = "content/notes"
PATHS_DIR = "content/paths"
PAGES_DIR = "content/pages"
TOPICS_DIR = "content/topics"
HARDWARE_DIR = "content/hardware"
HOME_PATH = "content/home.md"

_FLAT_DIRS = (PATHS_DIR, PAGES_DIR, TOPICS_DIR, HARDWARE_DIR)  # the file name is an id


@dataclass(frozen=True, slots=True)
class SourceText:
    """One curator file as read from disk."""

    path: str  # project-relative POSIX path, e.g. "content/notes/vllm.md"
    text: str


@dataclass(frozen=True, slots=True)
class ContentFiles:
    """Every curator Markdown file, sorted by path, and the problems met reading them."""

    files: tuple[SourceText, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    def under(self, folder: str) -> tuple[SourceText, ...]:
        """The files inside `folder` (a project-relative path), in path order."""
        prefix = folder.rstrip("/") + "/"
        return tuple(source for source in self.files if source.path.startswith(prefix))

    def get(self, path: str) -> SourceText | None:
        return next((source for source in self.files if source.path == path), None)


def read_content(root: Path) -> ContentFiles:
    """Read every curator Markdown file under `root`; unreadable files become diagnostics."""
    files, problems = [], []
    for file in _content_paths(root):
        source = name_problem(file, root) or _read_source(file, label_of(file, root))
        if isinstance(source, Diagnostic):
            problems.append(source)
        else:
            files.append(source)
    return ContentFiles(tuple(sorted(files, key=lambda s: s.path)), tuple(problems))


def _content_paths(root: Path) -> list[Path]:
    found = list((root / NOTES_DIR).rglob("*.md"))
    for folder in _FLAT_DIRS:
        found.extend((root / folder).glob("*.md"))
    found.append(root / HOME_PATH)
    # Anything but a folder is read (a FIFO or a device is then refused, located); a dangling
    # symlink is skipped like a missing file.
    return sorted(
        path for path in found
        if path.exists() and not path.is_dir()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def _read_source(file: Path, relative: str) -> SourceText | Diagnostic:
    try:
        data = read_regular(file)
    except OSError as exc:
        return error(relative, None, f"cannot read the file: {exc.strerror or exc}")
    try:
        return SourceText(relative, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return error(relative, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8")


# --- shared by every kind of curator file ---------------------------------------------


@functools.lru_cache(maxsize=4096)  # every file is split twice per build, and again on each watch rebuild
def split_source(source: SourceText) -> tuple[FrontMatter | None, tuple[Diagnostic, ...]]:
    """Front matter and body, or None and the located reason the front matter is unreadable.

    The result is shared between callers (it is cached): read it, never change it.
    """
    try:
        return split_front_matter(source.text, source.path), ()
    except SitegenError as refusal:
        return None, refusal.diagnostics


def file_slug(path: str) -> str:
    """The id a file name gives: `content/paths/gpu-basics.md` -> `gpu-basics`."""
    return path.rsplit("/", 1)[-1].removesuffix(".md")


def slug_problem(path: str) -> Diagnostic | None:
    """An error when a file name that becomes a URL is not already a clean slug."""
    name = file_slug(path)
    wanted = slugify(name)
    if name == wanted:
        return None
    advice = f"rename it to '{wanted}.md'" if wanted else "use letters, digits and hyphens"
    return error(path, None, f"the file name becomes a URL and must be a lower-case slug: {advice}")


_MAX_CANDIDATES = 8


def unknown_paper_message(ref: str, catalog: Catalog) -> str:
    """`no paper matches 'x'` with the three closest titles (and their slugs) as suggestions;
    every candidate when several titles start with `ref`."""
    candidates = catalog.starting_with(ref)
    if len(candidates) > 1:
        listed = "; ".join(f"{paper.title!r} [{paper.slug}]" for paper in candidates[:_MAX_CANDIDATES])
        more = f" and {len(candidates) - _MAX_CANDIDATES} more" if len(candidates) > _MAX_CANDIDATES else ""
        return f"{ref!r} starts {len(candidates)} titles, say which: {listed}{more}"
    suggestions = catalog.suggest(ref, limit=3)
    if not suggestions:
        return f"no paper matches {ref!r} (`sitegen papers` lists every slug and title)"
    closest = "; ".join(f"{paper.title!r} [{paper.slug}]" for paper in suggestions)
    return f"no paper matches {ref!r}; closest: {closest}"


def read_slugged(source: SourceText, specs, problems: list[Diagnostic]) -> tuple[FrontMatter, dict] | None:
    """Front matter and typed fields of a file named after its slug (a page, a reading path);
    None when it cannot be used, the reasons added to `problems`."""
    front, split_problems = split_source(source)
    problems.extend(split_problems)
    bad_name = slug_problem(source.path)
    if bad_name is not None:
        problems.append(bad_name)
    if front is None or bad_name is not None:
        return None
    values, field_problems = read_fields(front.data, source.path, specs)
    problems.extend(field_problems)
    return front, values


def read_ordered(sources: Iterable[SourceText], read_one: Callable[[SourceText, list[Diagnostic]], T | None]
                 ) -> tuple[tuple[T, ...], list[Diagnostic]]:
    """Every file read with `read_one`, sorted by (order, title, slug), and all problems."""
    found, problems = [], []
    for source in sources:
        item = read_one(source, problems)
        if item is not None:
            found.append(item)
    return tuple(sorted(found, key=lambda item: (item.order, item.title, item.slug))), problems


class RenderedTexts:
    """Rendered curator Markdown kept between watch rebuilds.

    A text renders the same while its words, place and HTML switch are the same and every paper
    reference in it resolves as before (same link, or same refusal): those references are
    recorded at render time and re-resolved on reuse, which costs a dictionary lookup each.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple, tuple[RenderedMarkdown, tuple]] = {}
        self._used: dict[tuple, tuple[RenderedMarkdown, tuple]] = {}

    def render(self, context: "MarkdownContext", text: str, path: str, first_line: int,
               inline: bool = False) -> RenderedMarkdown:
        key = (text, path, first_line, context.allow_html, inline)
        found = self._entries.get(key) or self._used.get(key)
        if found is None or any(context.outcome(ref) != outcome for ref, outcome in found[1]):
            looked_up: dict[str, PaperLink | str] = {}

            def resolve(ref: str) -> PaperLink:
                outcome = looked_up[ref] = context.outcome(ref)
                if isinstance(outcome, str):
                    raise LookupError(outcome)
                return outcome

            found = (render_markdown(text, path=path, first_line=first_line, allow_html=context.allow_html,
                                     resolve_paper=resolve, inline=inline), tuple(looked_up.items()))
        self._used[key] = found
        return found[0]

    def end_round(self) -> None:
        self._entries, self._used = self._used, {}


@dataclass(frozen=True, slots=True)
class MarkdownContext:
    """How curator Markdown is rendered: the site's HTML switch and one paper resolver."""

    catalog: Catalog
    paper_url: Callable[[str], str]  # paper slug -> URL of its page
    allow_html: bool
    rendered: RenderedTexts | None = None  # the watch loop's; None renders every text afresh
    targets: LinkTargets | None = None  # topics, paths, pages...; None: papers only, site paths as written

    def find(self, ref: str) -> Paper:
        """The paper `ref` (slug or title) names; LookupError with suggestions otherwise."""
        paper = self.catalog.find(ref)
        if paper is None:
            raise LookupError(unknown_paper_message(ref, self.catalog))
        return paper

    def resolve(self, ref: str) -> PaperLink:
        """A paper, a `kind:name` wiki target or a site path (`/x/`); LookupError when unknown."""
        if is_site_absolute(ref):
            if self.targets is None:
                return PaperLink(ref, "")
            link, doubt = self.targets.site_path(ref)
            return PaperLink(link, "", doubt or "")
        kind = wiki_kind(ref)
        if kind is not None and self.targets is not None:
            return self.targets.wiki(*kind)
        paper = self.find(ref)
        return PaperLink(self.paper_url(paper.slug), paper.title)

    def outcome(self, ref: str) -> PaperLink | str:
        """What `ref` resolves to, or the message refusing it."""
        try:
            return self.resolve(ref)
        except LookupError as refusal:
            return str(refusal.args[0])

    def render(self, text: str, path: str, first_line: int, inline: bool = False) -> RenderedMarkdown:
        """`text` as HTML; `inline` for one line such as a summary (no paragraph around it)."""
        if self.rendered is not None:
            return self.rendered.render(self, text, path, first_line, inline)
        return render_markdown(text, path=path, first_line=first_line, allow_html=self.allow_html,
                               resolve_paper=self.resolve, inline=inline)

    def slugs_of(self, refs: tuple[str, ...]) -> tuple[str, ...]:
        """The paper slugs of resolved references, without repeats, in order."""
        return tuple(dict.fromkeys(self.find(ref).slug for ref in refs
                                   if not is_site_absolute(ref) and (self.targets is None or wiki_kind(ref) is None)))
