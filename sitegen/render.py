"""Stage 6, render: Jinja turns each planned page into bytes (pure: no files are written).

Pages are rendered when the writer looks them up, one at a time (`OutputFiles`), so a large
site is never held in memory whole.

Autoescape is on for HTML and XML and undefined names are errors, so a typo in a template
fails the build with `templates/NAME:LINE: message` instead of silently rendering nothing.
"""

from __future__ import annotations

import functools
import operator
import os
from contextlib import suppress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import jinja2

from sitegen.diagnostics import Diagnostic, SitegenError, error
from sitegen.memo import ByInput
from sitegen.output.survey import Digest
from sitegen.plan import PagePlan, SitePlan

TEMPLATES_LABEL = "templates"


@dataclass(frozen=True, slots=True)
class StaticFile:
    """An asset copied verbatim (e.g. templates/static/style.css -> static/style.css)."""

    output: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Templates:
    """The template folder as read once, at the start of a build: every page of that build is
    compiled from these bytes, and `digest` says whether a kept environment still fits them.

    Compiling from the folder itself (templates load lazily) let a template edited while a
    rebuild ran, and put back before the next, stay compiled from the bytes between, under
    the digest of the ones around it: a stale page no later rebuild would fix."""

    folder: Path
    sources: Mapping[str, bytes]  # name under the folder ("base.html", "partials/x.html") -> bytes
    digest: bytes


class _SnapshotLoader(jinja2.BaseLoader):
    """Serves `Templates.sources`; file names are the real paths, so errors stay located."""

    def __init__(self, templates: Templates):
        self.templates = templates

    def get_source(self, environment: jinja2.Environment, template: str):
        data = self.templates.sources.get(template)
        if data is None:
            raise jinja2.TemplateNotFound(template)
        filename = os.path.normpath(os.path.join(self.templates.folder, *template.split("/")))
        return data.decode("utf-8"), filename, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.templates.sources)


def make_environment(templates: Templates) -> jinja2.Environment:
    """The one Jinja environment of a build; templates are compiled once and cached."""
    env = jinja2.Environment(
        loader=_SnapshotLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the sources never change: new bytes make a new environment
    )
    env.globals["card"] = _memoised_macro(env, "_macros.html", "card")
    return env


def _memoised_macro(env: jinja2.Environment, template: str, name: str):
    """A macro called with the same (frozen, hashable) arguments renders once per build.

    A paper's card appears in many lists (all papers three ways, topics, hardware, tags...);
    rendering it once instead of on every list is most of the render stage's time.
    """
    @functools.lru_cache(maxsize=1 << 16)
    def call(*args):
        return getattr(env.get_template(template).module, name)(*args)

    return call


def render_page(env: jinja2.Environment, plan: SitePlan, page: PagePlan) -> bytes:
    """One page's bytes; template problems become located diagnostics."""
    try:
        template = env.get_template(page.template)
        text = template.render(site=plan.site, page=page, meta=page.meta, view=page.view)
    except jinja2.TemplateSyntaxError as exc:
        raise SitegenError([error(_label(exc.filename, exc.name), exc.lineno, f"template syntax error: {exc.message}")]) from None
    except jinja2.TemplateNotFound as exc:
        raise SitegenError([error(f"{TEMPLATES_LABEL}/{exc.name}", None, f"template not found (needed for {page.route or 'home'})")]) from None
    except jinja2.UndefinedError as exc:
        path, line = _template_frame(exc, page.template)
        raise SitegenError([error(path, line, f"undefined value in template: {exc.message}")]) from None
    except (TypeError, ValueError, AttributeError) as exc:
        path, line = _template_frame(exc, page.template)
        raise SitegenError([error(path, line, f"template error: {exc}")]) from None
    return text.encode("utf-8")


def load_templates(env: jinja2.Environment) -> None:
    """Compile every template now (pages' and the ones they extend, include or import, not the
    assets under static/): once, before the writer's worker forks, rather than once in each
    process (compiling is a fifth of a cold seed build's render time).

    A template that does not compile is left for its first page's lookup to report, located,
    exactly as without this.
    """
    for name in env.list_templates(filter_func=lambda name: name.endswith((".html", ".xml", ".txt"))
                                   and not name.startswith("static/")):
        with suppress(jinja2.TemplateError):
            env.get_template(name)


class OutputFiles(Mapping[str, bytes]):
    """Every output file of the site by output path; a page is rendered when it is looked up.

    Each output path has exactly one owner: a page, a planned file (exports, feeds' companions,
    robots.txt), a static asset or a search-index file. Any overlap, and any file standing where
    another output needs a folder, is refused with a located error (`refuse_overlaps`), so there
    is no precedence to remember and `build` and `watch` cannot differ.

    Nothing rendered is kept: the writer looks each path up once, so it holds one page at a time
    (50,000 papers make about 1.7 GB of pages). With a `cache` (watch, serve), the digest of each
    rendered page is kept with what it was made from: its plan, the site-wide view every page
    shows (navigation, title) and the Jinja environment (made anew when a template changes). A
    page whose three are the same next time is `vouched` for: the writer, finding its file as it
    left it, neither renders nor compares it. This round's digests join the cache only through
    `keep_rendered`, once the write has succeeded: a page rendered for a write that then failed
    (a full disk) may not be on disk. The planner hands back the very objects when
    nothing they read changed, so most checks are identity tests. With `verdicts` (watch,
    serve), the overlap check is made again only when some path changed (`_claims`).
    """

    def __init__(self, env: jinja2.Environment, plan: SitePlan, static: Iterable[StaticFile],
                 search_files: Mapping[str, bytes], cache: ByInput | None = None, verdicts: ByInput | None = None):
        static = tuple(static)
        if verdicts is None:
            refuse_overlaps(plan, static, search_files)
        else:  # a refusal raises, so only a passed check is kept
            verdicts.get("overlaps", _claims(plan, static, search_files),
                         lambda: refuse_overlaps(plan, static, search_files) or True)
        self._env, self._plan, self._cache = env, plan, cache
        self._digests: dict[str, Digest] = {}  # pages rendered in this round (with a cache)...
        self._made: dict[str, tuple] = {}  # ...and what each was made from (`_made_from`)
        self._pages = {page.output: page for page in plan.pages}
        self._files = {file.output: file.data for file in plan.files}
        self._files.update((asset.output, asset.data) for asset in static)
        self._files.update(search_files)
        self._paths = tuple(sorted([*self._files, *self._pages]))
        self.rendered = 0  # pages rendered so far
        if cache is None:  # a clean build renders every page (watch, serve: few, with their templates loaded)
            load_templates(env)

    def __getitem__(self, path: str) -> bytes:
        page = self._pages.get(path)
        if page is None:
            return self._files[path]
        self.rendered += 1
        data = render_page(self._env, self._plan, page)
        if self._cache is not None:
            self._digests[path], self._made[path] = Digest.of(data), self._made_from(page)
        return data

    def keep_rendered(self) -> None:
        """Vouch for the pages rendered this round from now on: call once they are written."""
        for path, made_from in self._made.items():
            self._cache.get(path, made_from, lambda: self._digests[path])

    def vouched(self, path: str) -> bool:
        """True for a page rendered earlier from the very same plan, view and templates: its
        bytes are those the writer wrote then, so it need not be rendered (or compared) again."""
        page = self._pages.get(path)
        return page is not None and self._cache is not None and self._cache.peek(path, self._made_from(page)) is not None

    def fingerprint(self, path: str) -> bytes | Digest:
        """What the watch loop keeps of a file it wrote: a page's digest (pages are most of the
        site's bytes: 1.7 GB at 50,000 papers), another file's bytes, which the plan holds anyway."""
        page = self._pages.get(path)
        if page is None:
            return self._files[path]
        kept = self._cache.peek(path, self._made_from(page)) if self._cache is not None else None
        return kept if kept is not None else Digest.of(self[path])

    def fingerprints(self, last: Mapping[str, bytes | Digest]) -> dict[str, bytes | Digest]:
        """`fingerprint` of every path, after a write that was given `last` (the previous
        round's) as what it wrote before: a page it did not look up was vouched for, so its digest
        is the one kept last round; only the pages rendered now are looked at one by one."""
        fingerprints = {path: last.get(path) or self.fingerprint(path) for path in self._pages if path not in self._digests}
        fingerprints.update(self._digests)
        fingerprints.update(self._files)
        return fingerprints

    def _made_from(self, page: PagePlan) -> tuple:
        return page, self._plan.site, self._env

    def __contains__(self, path: object) -> bool:
        return path in self._pages or path in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def render_site(env: jinja2.Environment, plan: SitePlan, static: Iterable[StaticFile],
                search_files: Mapping[str, bytes] = MappingProxyType({}), cache: ByInput | None = None,
                verdicts: ByInput | None = None) -> OutputFiles:
    """Every output file of the site, by output path, rendered on lookup (see `OutputFiles`)."""
    return OutputFiles(env, plan, static, search_files, cache, verdicts)


# --- one owner per output path ----------------------------------------------------------------

SEARCH_INDEX = "the search index"

@dataclass(frozen=True, slots=True)
class _Owner:
    """Who makes an output path, said so that a curator can find it."""

    output: str
    what: str  # "sitegen's own page from list.html", "the asset templates/static/x.css", ...
    blame: str | None = None  # the project file to rename, when one of the curator's files chose the path
    route: str | None = None  # for a page


def refuse_overlaps(plan: SitePlan, static: Iterable[StaticFile], search_files: Mapping[str, bytes]) -> None:
    """Raise a located error for every output path claimed twice, or claimed as a file where
    another output needs a folder; the search index owns its whole folder (`pagefind/`)."""
    site = [*map(_page_owner, plan.pages), *(_Owner(f.output, "a file sitegen exports") for f in plan.files),
            *(_Owner(a.output, f"the asset {TEMPLATES_LABEL}/{a.output}", f"{TEMPLATES_LABEL}/{a.output}")
              for a in static)]
    search = [_Owner(path, SEARCH_INDEX) for path in search_files]
    folders = {path.rsplit("/", 1)[0] + "/" for path in search_files if "/" in path}
    problems = _overlaps(site + search, folders)
    if problems:
        raise SitegenError(problems)


_OUTPUT = operator.attrgetter("output")


def _claims(plan: SitePlan, static: tuple[StaticFile, ...], search_files: Mapping[str, bytes]) -> tuple:
    """The paths `refuse_overlaps` checks, by kind of owner: whether it refuses depends on them
    alone (who owns a path only words a refusal, and a refusal is never kept), so while they
    are equal, so is its verdict. Every note or abstract edit makes new page plans, not new paths."""
    return (tuple(map(_OUTPUT, plan.pages)), tuple(map(_OUTPUT, plan.files)), tuple(map(_OUTPUT, static)),
            tuple(search_files))


def _page_owner(page: PagePlan) -> _Owner:
    if page.source is None:
        return _Owner(page.output, f"sitegen's own page from {page.template}", route=page.route)
    return _Owner(page.output, f"the page /{page.route} from {page.source}", page.source, page.route)


def _folder_of(path: str, folders: set[str]) -> str | None:
    """The reserved folder `path` lies in, if any."""
    return min((folder for folder in folders if path.startswith(folder)), key=len, default=None)


def _parents(path: str) -> Iterator[str]:
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        yield path


def _overlaps(owners: list[_Owner], search_folders: set[str]) -> list[Diagnostic]:
    by_path: dict[str, _Owner] = {}
    problems = []
    for owner in owners:
        first = by_path.setdefault(owner.output, owner)
        if first is not owner:
            problems.append(_overlap(owner, first, owner.output))
        elif owner.what != SEARCH_INDEX and (folder := _folder_of(owner.output, search_folders)):
            problems.append(_overlap(owner, _Owner(folder, "the search index's folder", None), folder))
    for owner in by_path.values():
        for parent in _parents(owner.output):
            if parent in by_path:
                problems.append(_overlap(owner, by_path[parent], parent))
    return problems


def _overlap(second: _Owner, first: _Owner, where: str) -> Diagnostic:
    """Blamed on the curator's file that chose the path when there is one, else on the path."""
    mine, other = (second, first) if second.blame or not first.blame else (first, second)
    if mine.blame is None:
        return error(where, None, f"two outputs for one path: {first.what} and {second.what}")
    if mine.route is not None:
        return error(mine.blame, 1, f"this file's name gives the page /{mine.route}, which is already {other.what}"
                                    f" ({where}); rename the file")
    return error(mine.blame, None, f"this asset is published as {mine.output}, which is already {other.what}"
                                   f" ({where}); rename the file")


def _label(filename: str | None, name: str | None) -> str:
    if name:
        return f"{TEMPLATES_LABEL}/{name}"
    return filename or TEMPLATES_LABEL


def _template_frame(exc: BaseException, fallback: str) -> tuple[str, int | None]:
    """The innermost template file and line in the traceback (Jinja keeps real line numbers)."""
    found = (f"{TEMPLATES_LABEL}/{fallback}", None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt")) and TEMPLATES_LABEL in Path(filename).parts:
            parts = Path(filename).parts
            found = ("/".join(parts[parts.index(TEMPLATES_LABEL):]), tb.tb_lineno)
        tb = tb.tb_next
    return found
