"""Links out of the site found in scraped text: URLs cleaned of the prose around them, and
what each points to (code host or project page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

URL_CHARS = r"[^\s<>\"'{}]"  # characters a URL in prose may hold
_URL = re.compile(r"https?://" + URL_CHARS + r"+")
_TRAILING = ".,;:!?'\"*"
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sourceforge.net")


@dataclass(frozen=True, slots=True, order=True)
class ExternalLink:
    """A URL found in an abstract (or given by a curator), with what it points to."""

    kind: str  # "code" | "project" (curator links add "arxiv", "pdf", "slides", "video", ...)
    url: str


def clean_url(url: str) -> str:
    """Drop trailing punctuation and unbalanced closing brackets the prose put after a URL.

    Linear in the URL: brackets are counted once (trimming never removes an opening one) and
    the end moves back without copying, so 200 KB of `)` after a URL costs no more than prose.
    """
    closing = {")": url.count(")"), "]": url.count("]")}
    opening = {")": url.count("("), "]": url.count("[")}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in closing and closing[last] > opening[last]:
            closing[last] -= 1
            end -= 1
        else:
            break
    url = url[:end]
    if url.endswith(".git"):
        url = url[: -len(".git")]
    return url


def link_kind(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    host = host.removeprefix("www.")
    return "code" if host in _CODE_HOSTS and url.count("/") >= 4 else "project"


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """(start, end, cleaned url) for every URL in `text`, in order."""
    found = []
    for match in _URL.finditer(text):
        url = clean_url(match.group(0))
        if "." in url.split("://", 1)[1]:
            found.append((match.start(), match.start() + len(url), url))
    return found


def extract_links(text: str) -> tuple[ExternalLink, ...]:
    """Distinct links in order of appearance."""
    seen: dict[str, ExternalLink] = {}
    for _, _, url in find_urls(text):
        seen.setdefault(url, ExternalLink(link_kind(url), url))
    return tuple(seen.values())


