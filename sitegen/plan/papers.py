"""Paper pages (with their links, authors, structured data), legacy-slug redirects and author pages."""

from __future__ import annotations

from collections import defaultdict

from markupsafe import Markup

from sitegen import urls as routes
from sitegen.sources import identifiers
from sitegen.catalog.authors import author_label, author_slug_of, name_key
from sitegen.catalog.records import Paper, legacy_paper_slug
from sitegen.views import (Count, IndexView, Link, NoteView, PaperView, PathNav, RedirectView, RelatedView, json_ld,
                           linkify)
from sitegen.plan.context import Planner, clip, html, topic_title
from sitegen.plan.feeds import plan_feed
from sitegen.plan.listings import paged_list
from sitegen.plan.records import PagePlan, page_plan


CITE_SCRIPT = "static/cite.js"

def paper_pages(p: Planner) -> None:
    pages = p.reuse.family("paper-page", p.slugs, lambda slug: _paper_page(p, p.by_slug[slug]))
    p.pages.extend(pages.values())


def _paper_page(p: Planner, paper: Paper) -> PagePlan:
    data, curation = p.data, p.data.curation
    chips = p.chips[paper.slug]
    note = curation.notes.get(paper.slug)
    view = PaperView(
        card=p.cards[paper.slug], abstract=linkify(paper.abstract), authors=_author_links(p, paper),
        more_authors=paper.more_authors, venue=paper.venue or "", disagreements=_disagreements(paper),
        links=_paper_links(paper),
        topics=chips.topics, hardware=chips.hardware, models=chips.models, tags=chips.tags,
        occurrences=tuple(f"{o.file}:{o.line}" for o in paper.occurrences) or (f"added in {paper.added_by}",),
        variants=len(paper.abstract_variants),
        note=NoteView(note.status or "", note.rating, note.pick, Markup(note.summary_html), html(note.body_html),
                      note.path)
        if note else None,
        related=tuple(RelatedView(p.cards[r.slug], r.shared_terms) for r in data.related.get(paper.slug, ())),
        path_nav=tuple(_path_nav(p, position) for position in curation.path_positions.get(paper.slug, ())),
        backlinks=tuple(Link(b.title, _backlink_href(p, b)) for b in curation.backlinks.get(paper.slug, ())),
        cite=p.bibtex[paper.slug], cite_href=p.href(routes.cite(paper.slug)), cite_script_href=p.href(CITE_SCRIPT),
    )
    route = routes.paper(paper.slug)
    # A paper known only from BibTeX may have no abstract; its description still says what it is.
    description = clip(paper.abstract or " ".join(filter(None, (paper.title, author_label(paper), paper.venue))), 200)
    meta = p.meta(paper.title, description, route, og_type="article",
                  json_ld=json_ld(_paper_json_ld(p, paper, route)))
    return page_plan(route, "paper.html", "papers", meta, view)


def redirects(p: Planner) -> None:
    """The URL of every paper whose slug the first slug rule spelled otherwise sends to its page."""
    # One recorded value per paper: a seed edit spells again only the titles it touched.
    pages = p.reuse.family("redirect", p.slugs, lambda slug: _redirect(p, p.by_slug[slug]))
    p.pages.extend(page for page in pages.values() if page is not None)


def _redirect(p: Planner, paper: Paper) -> PagePlan | None:
    old = legacy_paper_slug(paper.title)
    if old == paper.slug or old in p.by_slug:
        return None
    target = routes.paper(paper.slug)
    return page_plan(routes.paper(old), "redirect.html", "", p.meta(paper.title, paper.title, target, noindex=True),
                     RedirectView(paper.title, p.href(target)))


def author_pages(p: Planner) -> None:
    """/authors/ and a page (with a feed) per author of two or more papers."""
    for author in _with_pages(p):
        p.emit("author", author.slug, lambda slug=author.slug: _author(p, slug))
    p.emit("authors-index", None, lambda: (_authors_index(p),))


def _with_pages(p: Planner) -> list:
    authors = [a for a in p.authors.authors.values() if a.has_page]
    authors.sort(key=lambda a: (name_key(a.name), a.slug))
    return authors


def _author(p: Planner, slug: str) -> tuple[PagePlan, ...]:
    author = p.authors.authors[slug]
    slugs = p.by_date(author.papers)
    return paged_list(p, lambda page: routes.author(slug, page), slugs, section="authors",
                      title=author.name, kicker="Author", description=f"Papers by {author.name} in the reading list.",
                      crumbs=(Link("Authors", p.href(routes.authors_index())),),
                      feed_route=routes.feed(f"authors/{slug}/"), bib_route=routes.bibtex(f"authors/{slug}/")) + (
        plan_feed(p, f"authors/{slug}/", f"{p.data.settings.title}: {author.name}", routes.author(slug), slugs),)


def _authors_index(p: Planner) -> PagePlan:
    authors = _with_pages(p)
    others = len(p.authors.authors) - len(authors)
    return page_plan(routes.authors_index(), "index.html", "authors",
                     p.meta("Authors", "The people who wrote the papers.", routes.authors_index()),
                     IndexView("Authors", f"Authors of two or more papers in the reading list, by family name; "
                               f"{others} other{'s' if others != 1 else ''} appear{'s' if others == 1 else ''}"
                               " on one paper each.",
                               tuple(Count(a.name, p.href(routes.author(a.slug)), len(a.papers)) for a in authors)))


def _path_nav(p: Planner, position) -> PathNav:
    def link(slug):
        return Link(p.by_slug[slug].title, p.href(routes.paper(slug))) if slug else None
    return PathNav(position.path_title, p.href(routes.reading_path(position.path_slug)),
                   f"{position.index + 1} of {position.length}", link(position.previous), link(position.next))


def _backlink_href(p: Planner, backlink) -> str:
    route = {"note": lambda s: routes.paper(s), "path": routes.reading_path, "page": routes.standalone,
             "topic": routes.topic, "hardware": routes.hardware, "home": lambda s: routes.home()}[backlink.kind]
    return p.href(route(backlink.target_slug))


def _paper_links(paper: Paper) -> tuple[Link, ...]:
    """Every link of a paper, then its arXiv abstract and PDF and its DOI page if not among them."""
    links = [Link(_link_label(link.kind, link.url), link.url) for link in paper.links]
    if paper.arxiv:
        links += [Link(f"arXiv abstract ({paper.arxiv})", identifiers.arxiv_abs_url(paper.arxiv)),
                  Link(f"PDF (arXiv {paper.arxiv})", identifiers.arxiv_pdf_url(paper.arxiv))]
    if paper.doi:
        links.append(Link(f"DOI {paper.doi}", identifiers.doi_url(paper.doi)))
    distinct: dict[str, Link] = {}
    for link in links:
        distinct.setdefault(link.href, link)  # a listing's or note's own label wins
    return tuple(distinct.values())


def _author_links(p: Planner, paper: Paper) -> tuple[Link, ...]:
    """The paper's names as written, each linking to its author's page when there is one."""
    index = p.authors
    with_pages = {slug for slug in index.of_paper.get(paper.slug, ()) if index.authors[slug].has_page}
    links = []
    for name in paper.author_names:
        slug = author_slug_of(index, paper.slug, name)
        links.append(Link(name, p.href(routes.author(slug)) if slug in with_pages else ""))
    return tuple(links)


def _disagreements(paper: Paper) -> tuple[str, ...]:
    """One line per field the sources disagree on: each value, where it came from, which is shown."""
    fields: dict[str, list[str]] = defaultdict(list)
    for source in paper.provenance:
        fields[source.field].append(f"{source.value} ({source.origin}{', shown' if source.chosen else ''})")
    return tuple(f"{name}: " + "; ".join(values) for name, values in fields.items())


def _link_label(kind: str, url: str) -> str:
    labels = {"code": "Code", "project": "Project page", "arxiv": "arXiv", "pdf": "PDF", "slides": "Slides",
              "video": "Video", "doi": "DOI"}
    host = url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    return f"{labels.get(kind, kind.title())} ({host})"


def _paper_json_ld(p: Planner, paper: Paper, route: str) -> dict:
    """schema.org: the page is about the paper; it does not claim to be or author it."""
    article = {"@type": "ScholarlyArticle", "name": paper.title}
    if paper.abstract:
        article["abstract"] = paper.abstract
    if paper.author_names:
        article["author"] = [{"@type": "Person", "name": name} for name in paper.author_names]
    if paper.date and paper.date.year:
        article["datePublished"] = paper.date.iso()
    if paper.venue:
        article["isPartOf"] = {"@type": "Periodical" if paper.entry_type == "article" else "CreativeWork",
                               "name": paper.venue}
    if paper.doi:
        article["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": paper.doi}
    same_as = [link.href for link in _paper_links(paper)]
    if same_as:
        article["sameAs"] = same_as
    topics = p.tags_of(paper.slug).topics
    if topics:
        article["keywords"] = [topic_title(p.data.taxonomy, t.id) for t in topics]
    return {"@context": "https://schema.org", "@type": "WebPage", "url": p.urls.absolute(route),
            "name": paper.title, "about": article}
