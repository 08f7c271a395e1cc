"""What the search index holds: one `SearchRecord` per paper page, from the data the planner
plans from (papers, tags, notes), never from planned or rendered pages.

Pure, and computed before planning: the build indexes these records first, so the plan is
made knowing whether search works (the search page says so) and nothing edits it afterwards.
Labels, dates, the most specific hardware and the code mark come from the helpers the paper
pages and cards use (`plan`, `views`), so a result shows what the page shows.
"""

from __future__ import annotations

from markupsafe import Markup

from sitegen import urls as routes
from sitegen.catalog.records import Paper
from sitegen.curation.notes import Note
from sitegen.plan.context import has_code, hardware_title, model_name, most_specific, topic_title
from sitegen.plan.records import SiteData
from sitegen.search import SearchRecord
from sitegen.taxonomy import Tags, Taxonomy
from sitegen.views import date_labels, linkify


def search_records(data: SiteData, reuse: dict | None = None) -> tuple[SearchRecord, ...]:
    """One record per paper, in the order of the paper pages' output paths.

    `reuse` (the watch loop's, kept between rebuilds while the taxonomy and the base URL stay
    the same) maps a paper's slug to its record's inputs and the record, so only papers whose
    text, tags or note changed are recomputed; it is left holding this call's records."""
    urls = routes.Urls(data.settings.base_url, data.settings.base_path)
    found = {}
    for paper in sorted(data.papers, key=lambda p: routes.output_path(routes.paper(p.slug))):
        inputs = (paper, data.tags[paper.slug], data.curation.notes.get(paper.slug))
        last = reuse.get(paper.slug) if reuse is not None else None
        record = last[1] if last is not None and last[0] == inputs else _record(
            data.taxonomy, urls.href(routes.paper(paper.slug)), *inputs)
        found[paper.slug] = (inputs, record)
    if reuse is not None:
        reuse.clear()
        reuse.update(found)
    return tuple(record for _, record in found.values())


def _record(taxonomy: Taxonomy, url: str, paper: Paper, tags: Tags, note: Note | None) -> SearchRecord:
    date, date_iso = date_labels(paper.date)
    hardware = [hardware_title(taxonomy, t.id) for t in tags.hardware]
    models = [model_name(taxonomy, t.id) for t in tags.models]
    return SearchRecord(
        url=url, title=paper.title, abstract=linkify(paper.abstract).striptags(),
        summary=Markup(note.summary_html).striptags() if note else "", date=date, date_iso=date_iso,
        upvotes=paper.upvotes, has_code=has_code(paper), status=note.status or "" if note else "",
        topics=_unique(topic_title(taxonomy, t.id) for t in tags.topics), hardware=_unique(hardware + models),
        # what a listing card shows: models, then the most specific hardware
        hardware_chips=_unique(models + [hardware_title(taxonomy, i) for i in most_specific(taxonomy, tags.hardware)]),
    )


def _unique(labels) -> tuple[str, ...]:
    return tuple(dict.fromkeys(labels))
