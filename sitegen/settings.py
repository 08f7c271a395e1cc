"""Site settings from `content/site.yaml`, validated once with every problem reported together.

Unknown keys are warnings (with a "did you mean"); wrong values are errors. A missing file
means all defaults. Command-line options override the file (`with_overrides`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from sitegen.diagnostics import Diagnostic, SitegenError, error, raise_if_errors, warning
from sitegen.text.frontmatter import FLAG, TEXT, TEXT_MAP, FieldSpec, integer, read_fields
from sitegen.sources.inputfiles import read_regular
from sitegen.text.yamlsafe import load_yaml

SETTINGS_PATH = "content/site.yaml"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the curator configures about the site as a whole."""

    title: str = "GPU & ML Systems Reading List"
    description: str = "A curated reading list of GPU and ML-systems research."
    base_url: str = "/"  # "https://user.github.io/repo/" or a path "/repo/"; always ends in "/"
    author: str = "The curator"
    language: str = "en"
    output: str = "_site"
    search: bool = True
    allow_html: bool = False
    latest_count: int = 12  # papers in the home page's "latest" list
    feed_size: int = 50  # entries per Atom feed
    page_size: int = 200  # papers per listing page; longer listings get /page/N/
    capture_dates: tuple[tuple[str, dt.date], ...] = ()  # ("seeds/NAME", day the page was saved)
    epoch: int | None = None  # SOURCE_DATE_EPOCH from the environment (`source_date_epoch`); None: unset

    @property
    def base_path(self) -> str:
        """The path part of the base URL: "/" or "/repo/"."""
        return urlsplit(self.base_url).path or "/"

    def capture_date_map(self) -> dict[str, dt.date]:
        return dict(self.capture_dates)


DEFAULTS = Settings()

_SPECS = (
    FieldSpec("title", TEXT, default=DEFAULTS.title),
    FieldSpec("description", TEXT, default=DEFAULTS.description),
    FieldSpec("base_url", TEXT, default=DEFAULTS.base_url),
    FieldSpec("author", TEXT, default=DEFAULTS.author),
    FieldSpec("language", TEXT, default=DEFAULTS.language),
    FieldSpec("output", TEXT, default=DEFAULTS.output),
    FieldSpec("search", FLAG, default=DEFAULTS.search),
    FieldSpec("allow_html", FLAG, default=DEFAULTS.allow_html),
    FieldSpec("latest_count", integer(1, 1000), default=DEFAULTS.latest_count),
    FieldSpec("feed_size", integer(1, 10_000), default=DEFAULTS.feed_size),
    FieldSpec("page_size", integer(10, 100_000), default=DEFAULTS.page_size),
    FieldSpec("capture_dates", TEXT_MAP, default={}),
)


def load_settings(root: Path) -> tuple[Settings, tuple[Diagnostic, ...]]:
    """Read `content/site.yaml` under `root`; raise `SitegenError` listing every error."""
    path = root / SETTINGS_PATH
    if not path.exists():
        return Settings(), ()
    try:
        text = read_regular(path).decode("utf-8-sig")  # never opens a FIFO: it would block
    except (OSError, UnicodeDecodeError) as exc:
        raise SitegenError([error(SETTINGS_PATH, None, f"cannot read settings: {exc}")]) from None
    return parse_settings(text, root)


def parse_settings(text: str, root: Path) -> tuple[Settings, tuple[Diagnostic, ...]]:
    data = load_yaml(text, SETTINGS_PATH)
    if not isinstance(data, dict):
        raise SitegenError([error(SETTINGS_PATH, 1, "settings must be a mapping of keys to values")])
    values, problems = read_fields(data, SETTINGS_PATH, _SPECS)
    problems = list(problems)
    base_url, url_problem = normalise_base_url(values["base_url"])
    if url_problem:
        problems.append(error(SETTINGS_PATH, data.line_of("base_url"), url_problem))
    dates_line = data.get("capture_dates")
    captures = _capture_dates(values["capture_dates"], dates_line, root, problems)
    raise_if_errors(problems)
    settings = Settings(
        title=values["title"], description=values["description"], base_url=base_url,
        author=values["author"], language=values["language"], output=values["output"],
        search=values["search"], allow_html=values["allow_html"],
        latest_count=values["latest_count"], feed_size=values["feed_size"],
        page_size=values["page_size"], capture_dates=captures,
    )
    return settings, tuple(problems)


def _capture_dates(raw: dict[str, str], node, root: Path, problems: list[Diagnostic]):
    found = []
    for name, value in sorted(raw.items()):
        line = node.line_of(name) if hasattr(node, "line_of") else None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            problems.append(error(SETTINGS_PATH, line, f"capture date for {name!r} must be YYYY-MM-DD, got {value!r}"))
            continue
        label = name if name.startswith("seeds/") else f"seeds/{name}"
        if not (root / label).is_file():
            problems.append(error(SETTINGS_PATH, line, f"capture date given for {label}, which does not exist"))
            continue
        found.append((label, day))
    return tuple(found)


_URL_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"  # one label of a DNS name (lower case)
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){HOST_LABEL}(?:\.{HOST_LABEL})*")
_LOOKS_LIKE_HOST = re.compile(rf"{HOST_LABEL}(?:\.{HOST_LABEL})+(?::\d+)?(?:/|$)")  # example.org/..., no scheme


def normalise_base_url(value: str) -> tuple[str, str | None]:
    """Accept `https://host/path/` or `/path/`; add the trailing slash. Returns (url, problem)."""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return DEFAULTS.base_url, f"base_url must look like https://user.github.io/repo/, got {value!r}"
    if parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            return DEFAULTS.base_url, f"base_url must look like https://user.github.io/repo/, got {value!r}"
        problem = _host_problem(parts)
        if problem:
            return DEFAULTS.base_url, f"base_url {value!r}: {problem}"
    elif _LOOKS_LIKE_HOST.match(value.lower()):
        return DEFAULTS.base_url, (f"base_url {value!r} lacks its https:// at the start;"
                                   f" write https://{value.rstrip('/')}/")
    path = parts.path or "/"
    if not _URL_PATH.match(path) or "//" in path or "/../" in path + "/":
        return DEFAULTS.base_url, f"base_url path must be like /repo/, got {value!r}"
    if not path.endswith("/"):
        path += "/"
    return (f"{parts.scheme}://{parts.netloc}{path}" if parts.scheme else path), None


def _host_problem(parts: SplitResult) -> str | None:
    """What is wrong with the host (and port) of a base URL, or None."""
    if "@" in parts.netloc:
        return "a user name or password does not belong in a base URL"
    try:
        parts.port  # raises ValueError for a port that is no number or out of range
    except ValueError:
        return "the port must be a number from 0 to 65535"
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if not _HOST_NAME.fullmatch(host):
        return f"{host!r} is not a host name (letters, digits and hyphens, in labels separated by dots)"
    return None


def is_absolute(base_url: str) -> bool:
    """True for a base URL with scheme and host (what feeds, sitemap and a published site need)."""
    return base_url.startswith(("https://", "http://"))


def relative_base_url_warning(settings: Settings, given: str | None) -> Diagnostic | None:
    """A warning when the base URL has no scheme and host: feeds and sitemap need absolute links.

    `given` is the `--base-url` option (None: the value came from the settings file).
    """
    if is_absolute(settings.base_url):
        return None
    return warning("--base-url" if given is not None else SETTINGS_PATH, None,
                   f"base_url {settings.base_url!r} has no https://HOST: the feeds and sitemap.xml need absolute"
                   " links, so this build is for local preview only and `sitegen publish` refuses it;"
                   " use e.g. --base-url https://USER.github.io/REPO/ for a site to publish")


LAST_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a feed or commit date can name


def source_date_epoch(value: str | None) -> int | None:
    """The reproducible-builds SOURCE_DATE_EPOCH (whole seconds since 1970, UTC); None when unset.

    `build` (feed dates) and `publish` (commit dates) both read it through here, so both refuse
    the same values with the same message.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        shown = repr(value)
        problem = f"must be a whole number of seconds since 1970, not {shown if len(shown) <= 42 else shown[:40] + '...'}"
    elif len(text) > len(str(LAST_EPOCH)) or int(text) > LAST_EPOCH:
        problem = f"{text[:20]}{'...' if len(text) > 20 else ''} is after the year 9999"
    else:
        return int(text)
    raise SitegenError([error("SOURCE_DATE_EPOCH", None, f"{problem}; unset it or fix it")])


def with_overrides(settings: Settings, *, base_url: str | None = None, output: str | None = None,
                   search: bool | None = None) -> Settings:
    """Settings with command-line options applied (None means "not given")."""
    changes = {}
    if base_url is not None:
        url, problem = normalise_base_url(base_url)
        if problem:
            raise SitegenError([error("--base-url", None, problem)])
        changes["base_url"] = url
    if output is not None:
        changes["output"] = output
    if search is not None:
        changes["search"] = search
    return replace(settings, **changes)
