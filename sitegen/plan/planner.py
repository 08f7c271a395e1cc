"""Stage 5, plan: decide every page of the site (route, template, view data) from the data.

Nothing here renders or writes. `plan_site` runs every page builder and returns the complete
list of pages and files. Whether every output path has one owner is checked where the pages
meet the static assets and the search index (`render.refuse_overlaps`), before anything is
rendered or written.
"""

from __future__ import annotations

from operator import attrgetter

from sitegen.tracking import Recorded, Unrecorded
from sitegen.plan.context import NAVIGABLE, Planner
from sitegen.plan.curation import curation_pages, utility_pages
from sitegen.plan.exports import export_files
from sitegen.plan.feeds import plan_feeds_and_sitemap
from sitegen.plan.listings import all_papers, hardware_pages, home_page, intersections_and_matrix, topic_pages
from sitegen.plan.navigation import site_view
from sitegen.plan.papers import author_pages, paper_pages, redirects
from sitegen.plan.records import SiteData, SitePlan


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
    files = export_files(planner)
    planner.reuse.end_round()
    return SitePlan(tuple(sorted(planner.pages, key=attrgetter("output"))),
                    tuple(sorted(files, key=attrgetter("output"))), site_view(planner))


PAGE_BUILDERS = (home_page, all_papers, topic_pages, hardware_pages, intersections_and_matrix, paper_pages,
                 redirects, curation_pages, author_pages, utility_pages)
