"""The site-wide view every page's layout shows: title, navigation and footer links."""

from __future__ import annotations

from sitegen import urls as routes
from sitegen.views import Link, SiteView
from sitegen.plan.context import Planner


def site_view(p: Planner) -> SiteView:
    settings, curation = p.data.settings, p.data.curation
    nav = [("papers", Link("Papers", p.href(routes.papers_list("date")))),
           ("topics", Link("Topics", p.href(routes.topics_index()))),
           ("hardware", Link("Hardware", p.href(routes.hardware_index()))),
           ("reading", Link("Picks", p.href(routes.picks())))]
    if curation.paths:
        nav.append(("paths", Link("Paths", p.href(routes.paths_index()))))
    nav += [(page.slug, Link(page.nav_title, p.href(routes.standalone(page.slug)))) for page in curation.pages
            if page.in_nav]
    footer = (Link("Atom feed", p.href(routes.feed())), Link("papers.json", p.href("papers.json")),
              Link("papers.csv", p.href("papers.csv")), Link("Tags", p.href(routes.tags_index())),
              Link("Authors", p.href(routes.authors_index())),
              Link("Reading queue", p.href(routes.reading_list("to-read"))))
    return SiteView(settings.title, settings.description, settings.language, p.href(routes.home()),
                    p.href("static/style.css"), p.href(routes.feed()),
                    p.href(routes.search()) if settings.search else None, tuple(nav), footer)
