"""What the search index holds: one `SearchRecord` per paper page, from the data the planner
plans from (papers, tags, notes), never from planned or rendered pages.

Pure, and computed before planning: the build indexes these records first, so the plan is
made knowing whether search works (the search page says so) and nothing edits it afterwards.
Chips come from `plan.paper_chips`, dates from `views.date_labels`, the same helpers the
paper pages and cards use, so a result shows what the page shows.
"""

from __future__ import annotations

from markupsafe import Markup

from sitegen import urls as routes
from sitegen.plan import SiteData, has_code, paper_chips
from sitegen.search import SearchRecord
from sitegen.views import date_labels, linkify


def search_records(data: SiteData) -> tuple[SearchRecord, ...]:
    """One record per paper, in the order of the paper pages' output paths."""
    urls = routes.Urls(data.settings.base_url, data.settings.base_path)
    notes = data.curation.notes
    records = []
    for paper in sorted(data.papers, key=lambda p: routes.output_path(routes.paper(p.slug))):
        note = notes.get(paper.slug)
        chips = paper_chips(data.taxonomy, data.tags[paper.slug], note, urls.href)
        date, date_iso = date_labels(paper.date)
        records.append(SearchRecord(
            url=urls.href(routes.paper(paper.slug)), title=paper.title, abstract=linkify(paper.abstract).striptags(),
            summary=Markup(note.summary_html).striptags() if note else "", date=date, date_iso=date_iso,
            upvotes=paper.upvotes, has_code=has_code(paper), status=note.status or "" if note else "",
            topics=_labels(chips.topics), hardware=_labels(chips.hardware + chips.models),
            # a listing card's hardware chips: the most specific ones
            hardware_chips=_labels(chips.models + chips.specific_hardware),
        ))
    return tuple(records)


def _labels(chips) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chip.label for chip in chips))
