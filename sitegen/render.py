"""Stage 6, render: Jinja turns each planned page into bytes (pure: no files are written).

Pages are rendered when the writer looks them up, one at a time (`SiteFiles`), so a large
site is never held in memory whole.

Autoescape is on for HTML and XML and undefined names are errors, so a typo in a template
fails the build with `templates/NAME:LINE: message` instead of silently rendering nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import jinja2

from sitegen.diagnostics import SitegenError, error
from sitegen.plan import PagePlan, SitePlan

TEMPLATES_LABEL = "templates"


@dataclass(frozen=True, slots=True)
class StaticFile:
    """An asset copied verbatim (e.g. templates/static/style.css -> static/style.css)."""

    output: str
    data: bytes


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """The one Jinja environment of a build; templates are compiled once and cached."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the incremental builder makes a new environment when templates change
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


class SiteFiles(Mapping[str, bytes]):
    """Every output file of the site by output path; a page is rendered each time it is looked up.

    Nothing rendered is kept, so the writer, which looks each path up once, holds one page at
    a time: 50,000 papers make about 1.7 GB of pages. The paths are known without rendering.
    """

    def __init__(self, env: jinja2.Environment, plan: SitePlan, static: Iterable[StaticFile],
                 extra: Mapping[str, bytes]):
        self._env, self._plan = env, plan
        self._extra = extra  # made elsewhere (the search index); wins over a page or file
        self._pages = {page.output: page for page in plan.pages}
        self._files = {file.output: file.data for file in plan.files}
        self._files.update((asset.output, asset.data) for asset in static)
        self._paths = tuple(dict.fromkeys([*self._files, *self._pages, *extra]))

    def __getitem__(self, path: str) -> bytes:
        if path in self._extra:
            return self._extra[path]
        page = self._pages.get(path)
        if page is not None:
            return render_page(self._env, self._plan, page)
        return self._files[path]

    def __contains__(self, path: object) -> bool:
        return path in self._extra or path in self._pages or path in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def render_site(env: jinja2.Environment, plan: SitePlan, static: Iterable[StaticFile],
                extra: Mapping[str, bytes] = MappingProxyType({})) -> SiteFiles:
    """Every output file of the site, by output path, rendered on lookup; `extra` files win."""
    return SiteFiles(env, plan, static, extra)


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
