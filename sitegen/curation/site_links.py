"""Where curator Markdown may link inside the site, besides papers.

- Wiki links by kind: `[[topic:ID]]`, `[[hardware:ID]]` (a vendor, family, category or
  model), `[[path:SLUG]]`, `[[page:SLUG]]` and `[[tag:NAME]]`; an unknown target is an error
  with the closest names, like an unknown paper.
- Site-absolute Markdown links, `[text](/paths/kv-cache/)`: written under the base path
  (`/repo/paths/kv-cache/`), so a sub-path deploy keeps them working; a link to no page of
  the site is a warning at its line.

Targets are known before any Markdown is rendered: taxonomy ids, the file names under
`content/paths/` and `content/pages/`, and the tags the notes' front matter names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from sitegen import urls as routes
from sitegen.text.frontmatter import did_you_mean
from sitegen.text.markdown import PaperLink
from sitegen.notefields import make_tags

WIKI_KINDS = ("topic", "hardware", "path", "page", "tag")
_PAGED = re.compile(r"page/\d+/$")
_INTERSECTION = re.compile(r"topics/([^/]+)/hardware/([^/]+)/")
_PATH_AND_REST = re.compile(r"([^?#]*)(.*)", re.DOTALL)  # the path, then any query and fragment


def wiki_kind(ref: str) -> tuple[str, str] | None:
    """("topic", "kv-cache") for `topic:kv-cache`; None for a paper reference."""
    kind, colon, name = ref.partition(":")
    return (kind.strip().lower(), name.strip()) if colon and kind.strip().lower() in WIKI_KINDS else None


@dataclass(frozen=True, slots=True)
class LinkTargets:
    """Every non-paper page curator Markdown can link to, with its title."""

    href: Callable[[str], str]  # route -> link under the base path
    topics: Mapping[str, str]  # id -> title
    hardware: Mapping[str, str]  # hardware id or model slug -> title
    paths: Mapping[str, str]  # slug -> title
    pages: Mapping[str, str]  # slug -> title
    tags: Mapping[str, str]  # slug -> the label as the curator first wrote it
    routes: frozenset[str]  # the site's routes, papers included, topic x hardware pages aside

    def wiki(self, kind: str, name: str) -> PaperLink:
        """The page `[[kind:name]]` names; LookupError with the closest names otherwise."""
        route_of, known = {
            "topic": (routes.topic, self.topics), "hardware": (routes.hardware, self.hardware),
            "path": (routes.reading_path, self.paths), "page": (routes.standalone, self.pages),
            "tag": (routes.tag, self.tags),
        }[kind]
        key = tag_slug(name) if kind == "tag" else name
        if key not in known:
            raise LookupError(f"no {kind} {name!r}{did_you_mean(key, known)}")
        return PaperLink(self.href(route_of(key)), known[key])

    def site_path(self, href: str) -> tuple[str, str | None]:
        """(the link under the base path, a warning when no page of the site is there)."""
        path, rest = _PATH_AND_REST.match(href).groups()
        route = unquote(path).lstrip("/")
        if not self._exists(route) and self._exists(route + "/"):
            route += "/"  # GitHub Pages would redirect `/paths/x` to `/paths/x/`
        link = self.href(route) + rest
        if self._exists(_PAGED.sub("", route)):
            return link, None
        return link, f"no page of the site at {path!r}{did_you_mean(route, self.routes)}"

    def _exists(self, route: str) -> bool:
        cell = _INTERSECTION.fullmatch(route)  # topic x hardware pages, not listed: there are thousands
        return route in self.routes or bool(cell and cell[1] in self.topics and cell[2] in self.hardware)


def tag_slug(name: str) -> str:
    """The URL slug of a tag label (the rule notes use)."""
    return make_tags((name,))[0].slug if name else ""


def site_routes(paper_slugs: list[str], topics: Mapping[str, str], hardware: Mapping[str, str],
                paths: Mapping[str, str], pages: Mapping[str, str], tags: Mapping[str, str],
                search: bool) -> frozenset[str]:
    """The routes a curator might link to by path, but listing pages after the first and the
    topic x hardware pages (`LinkTargets` recognises those by their shape)."""
    found = {routes.home(), routes.topics_index(), routes.hardware_index(), routes.matrix(), routes.tags_index(),
             routes.picks(), routes.paths_index(), routes.feed(), "papers.json", "papers.csv", "sitemap.xml"}
    found |= {routes.papers_list(sort) for sort in ("date", "upvotes", "title")}
    found |= {routes.reading_list(status) for status in ("to-read", "reading", "read")}
    found |= {routes.search()} if search else set()
    found |= {routes.paper(slug) for slug in paper_slugs}
    found |= {r for topic in topics for r in (routes.topic(topic), routes.feed(routes.topic(topic)))}
    found |= {r for entry in hardware for r in (routes.hardware(entry), routes.feed(routes.hardware(entry)))}
    found |= {routes.reading_path(slug) for slug in paths} | {routes.standalone(slug) for slug in pages}
    found |= {routes.tag(slug) for slug in tags}
    return frozenset(found)
