"""Every URL of the site in one place, so links, feeds and the sitemap always agree.

Pages live at pretty directory URLs ("papers/SLUG/") relative to the site root; the base
path ("/" or "/repo/") is added once, here, which is what makes a sub-path deploy work.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True, slots=True)
class Urls:
    """Builds site URLs for one base URL ("https://user.github.io/repo/" or "/repo/")."""

    base_url: str
    base_path: str

    def href(self, route: str) -> str:
        """Root-relative link for a route such as "papers/x/" or "static/style.css"."""
        return self.base_path + _quoted(route)

    def absolute(self, route: str) -> str:
        """Absolute URL when the base URL names a host; root-relative otherwise."""
        return self.base_url + _quoted(route) if "://" in self.base_url else self.href(route)

    @property
    def has_host(self) -> bool:
        return "://" in self.base_url


@functools.lru_cache(maxsize=1 << 16)
def _quoted(route: str) -> str:
    # Routes repeat across pages (every card links its chips); quoting is pure, so memoise it.
    return quote(route, safe="/-._~")


def output_path(route: str) -> str:
    """Where a route is written: directory routes get an index.html."""
    return route + "index.html" if route == "" or route.endswith("/") else route


# Routes: the single definition of the URL scheme.
def home() -> str:
    return ""


def paper(slug: str) -> str:
    return f"papers/{slug}/"


def papers_list(sort: str, page: int = 1) -> str:
    base = "papers/" if sort == "date" else f"papers/by-{sort}/"
    return base if page == 1 else f"{base}page/{page}/"


def topics_index() -> str:
    return "topics/"


def topic(topic_id: str, page: int = 1) -> str:
    return paged(f"topics/{topic_id}/", page)


def hardware_index() -> str:
    return "hardware/"


def hardware(hardware_id: str, page: int = 1) -> str:
    return paged(f"hardware/{hardware_id}/", page)


def intersection(topic_id: str, hardware_id: str, page: int = 1) -> str:
    return paged(f"topics/{topic_id}/hardware/{hardware_id}/", page)


def matrix() -> str:
    return "matrix/"


def tags_index() -> str:
    return "tags/"


def tag(name: str, page: int = 1) -> str:
    return paged(f"tags/{name}/", page)


def authors_index() -> str:
    return "authors/"


def author(slug: str, page: int = 1) -> str:
    return paged(f"authors/{slug}/", page)


def reading_list(status: str) -> str:
    return f"reading/{status}/"


def picks() -> str:
    return "picks/"


def reading_path(slug: str) -> str:
    return f"paths/{slug}/"


def paths_index() -> str:
    return "paths/"


def standalone(slug: str) -> str:
    return f"{slug}/"


def search() -> str:
    return "search/"


def feed(scope: str = "") -> str:
    """Atom feed: "feed.xml" for the site, "topics/ID/feed.xml" for a topic, etc."""
    return f"{scope}feed.xml"


def bibtex(scope: str = "") -> str:
    """BibTeX of a listing: "papers.bib" for the site, "topics/ID/papers.bib" for a topic, etc."""
    return f"{scope}papers.bib"


def cite(slug: str) -> str:
    """One paper's BibTeX entry."""
    return f"papers/{slug}/cite.bib"


def csl_json() -> str:
    return "papers.csl.json"


def paged(base: str, page: int) -> str:
    return base if page == 1 else f"{base}page/{page}/"
