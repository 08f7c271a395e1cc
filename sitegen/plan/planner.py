"""Stage 5, plan: decide every page of the site (route, template, view data) from the data.

Nothing here renders or writes. `plan_site` runs every page builder and returns the complete
list of pages and files; two outputs claiming one path is an error, caught before anything is
written.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Sequence

from sitegen.diagnostics import Diagnostic, SitegenError, error
from sitegen.tracking import Recorded, Unrecorded
from sitegen.plan.context import NAVIGABLE, Planner
from sitegen.plan.curation import curation_pages, utility_pages
from sitegen.plan.exports import site_files
from sitegen.plan.feeds import plan_feeds_and_sitemap
from sitegen.plan.listings import all_papers, hardware_pages, home_page, intersections_and_matrix, topic_pages
from sitegen.plan.navigation import site_view
from sitegen.plan.papers import author_pages, paper_pages, redirects
from sitegen.plan.records import FilePlan, PagePlan, SiteData, SitePlan


def plan_site(data: SiteData, reuse: Recorded | None = None) -> SitePlan:
    """Every page and file of the site.

    With `reuse` (the watch loop's, kept between rebuilds) pages and files whose recorded
    reads did not change are the previous plan's objects; without it everything is planned
    afresh, untracked.
    """
    if reuse is not None:
        reuse.navigable = NAVIGABLE
    planner = Planner(data, reuse if reuse is not None else Unrecorded())
    for build in PAGE_BUILDERS:
        build(planner)
    plan_feeds_and_sitemap(planner)
    files = site_files(planner)
    _refuse_collisions(planner.pages, files)
    planner.reuse.end_round()
    return SitePlan(tuple(sorted(planner.pages, key=attrgetter("output"))),
                    tuple(sorted(files, key=attrgetter("output"))), site_view(planner))


def _refuse_collisions(pages: Sequence[PagePlan], files: Sequence[FilePlan]) -> None:
    if len({p.output for p in pages} | {f.output for f in files}) == len(pages) + len(files):
        return  # the usual case, checked in C
    seen: dict[str, PagePlan | FilePlan] = {}
    problems = []
    for item in [*pages, *files]:
        first = seen.setdefault(item.output, item)
        if first is not item:
            problems.append(_collision(first, item))
    if problems:
        raise SitegenError(problems)


def _collision(first: PagePlan | FilePlan, second: PagePlan | FilePlan) -> Diagnostic:
    """Two plans for one output path; blamed on the content file whose name chose the route, if any."""
    def owner(item: PagePlan | FilePlan) -> str:
        return f"{item.template} {item.route}" if isinstance(item, PagePlan) else "file"

    chosen = [item for item in (second, first) if isinstance(item, PagePlan) and item.source]
    if not chosen:
        return error(first.output, None, f"two outputs for one path: {owner(first)} and {owner(second)}")
    page, other = chosen[0], first if chosen[0] is second else second
    what = f"sitegen's own page from {other.template}" if isinstance(other, PagePlan) else "a file of the site"
    return error(page.source, 1, f"this file's name gives the page /{page.route}, which is already {what}"
                                 f" ({other.output}); rename the file")


PAGE_BUILDERS = (home_page, all_papers, topic_pages, hardware_pages, intersections_and_matrix, paper_pages,
                 redirects, curation_pages, author_pages, utility_pages)
