"""Files whose bytes the planner decides: papers.json/csv, BibTeX and CSL-JSON citation files,
robots.txt and .nojekyll.
"""

from __future__ import annotations

from typing import Sequence

from sitegen import urls as routes
from sitegen.citations import bibtex_file, csl_element, csl_item, csl_json
from sitegen.exports import csv_bytes, csv_row, json_bytes, json_item, paper_record
from sitegen.plan.context import Planner
from sitegen.plan.records import FilePlan


def export_files(p: Planner) -> list[FilePlan]:
    p.reuse.publish("records", p.reuse.family("records", p.slugs, lambda slug: _export_record(p, slug)))
    # Each paper's encoded JSON element and CSV row, redone only when its record changed: a
    # watch rebuild re-encodes the papers an edit touched and joins the others' bytes.
    p.reuse.publish("export-rows", p.reuse.family("export-rows", p.slugs, lambda slug: _encoded(p, slug)))
    robots = "User-agent: *\nAllow: /\n"
    if p.urls.has_host:
        robots += f"Sitemap: {p.urls.absolute('sitemap.xml')}\n"
    return [FilePlan(".nojekyll", b""), FilePlan("robots.txt", robots.encode()),
            *p.reuse.get("exports", None, lambda: _exports(list(p.reuse.root("export-rows").values()))),
            *_citation_files(p)]


def _encoded(p: Planner, slug: str) -> tuple[bytes, bytes]:
    record = dict(p.reuse.root("records")[slug].items())  # read whole: every field is encoded
    return json_item(record), csv_row(record)


def _exports(rows: list[tuple[bytes, bytes]]) -> tuple[FilePlan, ...]:
    return (FilePlan("papers.json", json_bytes(json for json, _ in rows)),
            FilePlan("papers.csv", csv_bytes(csv for _, csv in rows)))


def _citation_files(p: Planner) -> list[FilePlan]:
    """cite.bib per paper, papers.bib for the site and for every listing page that links one,
    and papers.csl.json: each file, and each paper's CSL item, kept until what it reads
    changes, so a seed edit remakes the files of the papers and listings it touched."""
    cite = p.reuse.family("cite-files", p.slugs, lambda slug: FilePlan(routes.cite(slug), bibtex_file([p.bibtex[slug]])))
    listed = p.reuse.get("bib-listings", None, lambda: {route: tuple(slugs) for route, slugs in _bib_listings(p)})
    listings = p.reuse.publish("bib-listings", listed)
    bibs = p.reuse.family("listing-bibs", tuple(listed), lambda route: FilePlan(
        route, bibtex_file(p.bibtex[slug] for slug in listings[route])))
    p.reuse.publish("csl-items", p.reuse.family("csl-items", p.slugs, lambda slug: csl_element(csl_item(
        p.by_slug[slug], p.cite_keys[slug], p.urls.absolute(routes.paper(slug))))))
    csl = p.reuse.get("csl-json", None, lambda: FilePlan(routes.csl_json(), csl_json(
        p.reuse.root("csl-items").values())))
    return [*cite.values(), *bibs.values(), csl]


def _bib_listings(p: Planner) -> list[tuple[str, Sequence[str]]]:
    """(papers.bib route, paper slugs) of the site and of each listing that links its own."""
    members, taxonomy = p.members, p.data.taxonomy
    listings = [(routes.bibtex(), p.orders.newest)]
    listings += [(routes.bibtex(f"topics/{t.id}/"), p.by_date(members["topics"].get(t.id, ())))
                 for t in taxonomy.topics]
    listings += [(routes.bibtex(f"hardware/{e.id}/"), p.by_date(members["hardware"].get(e.id, ())))
                 for e in taxonomy.hardware]
    listings += [(routes.bibtex(f"hardware/{m.slug}/"), p.by_date(members["models"].get(m.slug, ())))
                 for m in taxonomy.models]
    listings += [(routes.bibtex(f"tags/{tag}/"), p.by_date(slugs))
                 for tag, slugs in sorted(p.reuse.root("tag-members").items())]
    listings += [(routes.bibtex(f"authors/{a.slug}/"), p.by_date(a.papers))
                 for a in p.authors.authors.values() if a.has_page]
    return listings


def _export_record(p: Planner, slug: str) -> dict:
    return paper_record(p.by_slug[slug], p.data.taxonomy, p.tags_of(slug), p.data.curation.notes.get(slug), p.urls)
