"""The planner's records: what the stage reads (`SiteData`) and what it decides (`SitePlan`:
every page with its view, every file with its bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Mapping

from sitegen import urls as routes
from sitegen.catalog.records import Paper
from sitegen.curation.notes import Curation
from sitegen.related import Related
from sitegen.settings import Settings
from sitegen.taxonomy import Tags, Taxonomy
from sitegen.taxonomy.index import RuleIndex
from sitegen.taxonomy.model import Reading
from sitegen.views import Chip, Meta, SiteView


@dataclass(frozen=True, slots=True)
class SiteData:
    """Everything the plan needs, produced by the earlier stages."""

    settings: Settings
    papers: tuple[Paper, ...]
    taxonomy: Taxonomy
    tags: Mapping[str, Tags]  # paper slug -> tags after the curator's overrides
    curation: Curation
    related: Mapping[str, tuple[Related, ...]]
    search: bool  # whether a search index will exist


def shown_taxonomy(tax: Taxonomy) -> Taxonomy:
    """The taxonomy as pages read it: the entries, their titles, descriptions and hierarchy,
    without what only classifying reads (rules, model aliases, the reading of names) or
    what no page shows (file lines, warnings). The planner is handed this, so that the watch
    loop's recorded plan sees a rule or alias edit only through the tags it changes."""
    return replace(tax, topics=tuple(replace(t, line=0) for t in tax.topics),
                   hardware=tuple(replace(h, line=0) for h in tax.hardware),
                   models=tuple(replace(m, aliases=(), line=0) for m in tax.models),
                   rules=(), warnings=(), reading=Reading(), aliases=MappingProxyType({}), index=RuleIndex(()))


@dataclass(frozen=True)  # not slotted: see views.py
class PagePlan:
    """One page to render: its route, the template and the data the template shows."""

    route: str
    output: str
    template: str
    section: str  # which navigation entry is current
    meta: Meta
    view: object
    source: str | None = None  # the content file whose name chose this route, for messages


@dataclass(frozen=True, slots=True)
class FilePlan:
    """An output file whose bytes are already known (exports, robots.txt, .nojekyll)."""

    output: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SitePlan:
    pages: tuple[PagePlan, ...]
    files: tuple[FilePlan, ...]
    site: SiteView


@dataclass(frozen=True, slots=True)
class PaperChips:
    """A paper's chips, built once and shared by its card and its page."""

    topics: tuple[Chip, ...]
    hardware: tuple[Chip, ...]
    models: tuple[Chip, ...]
    tags: tuple[Chip, ...]
    specific_hardware: tuple[Chip, ...]  # without entries a more specific chip implies

@dataclass(frozen=True, slots=True)
class PaperOrders:
    """The catalog's three list orders (slugs), and each paper's place in the newest-first one."""

    newest: tuple[str, ...]
    upvotes: tuple[str, ...]
    title: tuple[str, ...]
    rank: Mapping[str, int]


def page_plan(route: str, template: str, section: str, meta: Meta, view, source: str | None = None) -> PagePlan:
    return PagePlan(route, routes.output_path(route), template, section, meta, view, source)
