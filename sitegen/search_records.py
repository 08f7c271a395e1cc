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
from sitegen.memo import ByInput
from sitegen.plan.context import has_code, hardware_title, model_name, most_specific, topic_title
from sitegen.plan.records import SiteData
from sitegen.search import SearchRecord
from sitegen.taxonomy import Tags, Taxonomy
from sitegen.views import date_labels, linkify


def search_records(data: SiteData, reuse: ByInput | None = None) -> tuple[SearchRecord, ...]:
    """One record per paper, in the order of the paper pages' output paths.

    `_record` is a pure function of its arguments, so `reuse` (the watch loop's) keeps each
    paper's record by exactly those arguments: a paper is redone when its text, tags, note, the
    taxonomy or its URL changed, and no input can be forgotten."""
    urls = routes.Urls(data.settings.base_url, data.settings.base_path)
    records = []
    for paper in sorted(data.papers, key=lambda p: routes.output_path(routes.paper(p.slug))):
        args = (data.taxonomy, urls.href(routes.paper(paper.slug)), paper, data.tags[paper.slug],
                data.curation.notes.get(paper.slug))
        records.append(_record(*args) if reuse is None else reuse.get(paper.slug, args, lambda: _record(*args)))
    if reuse is not None:
        reuse.end_round()
    return tuple(records)


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
