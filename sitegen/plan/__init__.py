"""Stage 5, plan: decide every page of the site (route, template, view data) from the data.

The package is split by page family: `records` (what the stage reads and decides), `planner`
(`plan_site`, the collision check), `context` (the state page builders share), `listings`,
`papers`, `curation`, `feeds`, `exports` and `navigation`. What other stages use is re-exported
here.
"""

from sitegen.plan.planner import plan_site
from sitegen.plan.records import FilePlan, PagePlan, PaperChips, SiteData, SitePlan, shown_taxonomy

__all__ = ["FilePlan", "PagePlan", "PaperChips", "SiteData", "SitePlan", "plan_site", "shown_taxonomy"]
