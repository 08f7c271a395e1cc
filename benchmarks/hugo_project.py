"""The same papers as a Hugo project, for a side-by-side build of the same work.

One content file per paper (JSON front matter: title, date, summary, upvotes, the related
papers sitegen shows, and the taxonomies `topics`, `hardware` and `cells`), taken from one
in-process `compute_site` of the sitegen project: the records are the ones `sitegen papers
--json` prints, so both sites show the same classification.
`cells` (topic--hardware pairs) gives Hugo the topic × hardware pages sitegen has; the
sections `by-upvotes/` and `by-title/` give it sitegen's other two sort orders of the full
list. Pagination uses sitegen's page size, so both sites have about the same number of list
pages (the runner reports both counts). The layouts in `hugo_layouts/` show what ours show
(head metadata, navigation, cards with chips, pager, abstract, related papers).

Related papers are handed to Hugo precomputed (the list on sitegen's paper page) rather
than computed by Hugo's `.Related`: Hugo does less work than sitegen here, so the comparison
leans its way.

Usage: python -m benchmarks.hugo_project SITEGEN_PROJECT OUT_DIR [--page-size N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from sitegen.exports import paper_record
from sitegen.pipeline import compute_site, read_inputs
from sitegen.settings import DEFAULTS
from sitegen.urls import Urls

LAYOUTS = Path(__file__).resolve().parent / "hugo_layouts"
SORT_SECTIONS = (("by-upvotes", "All papers (most upvoted)"), ("by-title", "All papers (title A–Z)"))
SUMMARY_CHARS = 200
TAXONOMIES = ("topics", "hardware", "cells")


@dataclass(frozen=True, slots=True)
class HugoPaper:
    """The front matter and body of one paper's content file."""

    slug: str
    title: str
    date: str | None  # YYYY-MM-DD; None when the listing gave no (full) date
    summary: str
    abstract: str
    upvotes: int | None
    topics: tuple[str, ...]
    hardware: tuple[str, ...]  # hardware ids and model names
    cells: tuple[str, ...]  # "topic--hardware" for every pair the paper sits in
    related: tuple[str, ...]  # slugs

    def front_matter(self) -> dict:
        front = {"title": self.title, "slug": self.slug, "summary": self.summary, "topics": list(self.topics),
                 "hardware": list(self.hardware), "cells": list(self.cells), "related": list(self.related)}
        if self.date:
            front["date"] = self.date
        if self.upvotes is not None:
            front["upvotes"] = self.upvotes
        return front


def site_papers(sitegen_root: Path) -> list[HugoPaper]:
    """Every paper of the project with its tags (as `sitegen papers --json` exports them) and
    the related papers its page lists."""
    inputs = read_inputs(sitegen_root)
    site = compute_site(inputs)
    urls = Urls(inputs.settings.base_url, inputs.settings.base_path)
    related = {page.view.card.slug: tuple(item.card.slug for item in page.view.related)
               for page in site.plan.pages if page.template == "paper.html"}
    return [_hugo_paper(paper_record(paper, site.taxonomy, site.tags[paper.slug], site.curation.notes.get(paper.slug),
                                     urls), related)
            for paper in site.catalog.papers]


def _hugo_paper(record: dict, related: Mapping[str, tuple[str, ...]]) -> HugoPaper:
    date = record["date"] if record["date"] and not record["date"].startswith("-") else None
    abstract = record["abstract"]
    summary = abstract if len(abstract) <= SUMMARY_CHARS else abstract[:SUMMARY_CHARS - 1].rstrip() + "…"
    return HugoPaper(
        slug=record["slug"], title=record["title"], date=date, summary=summary, abstract=abstract,
        upvotes=record["upvotes"], topics=tuple(record["topics"]),
        hardware=tuple(record["hardware"]) + tuple(record["models"]),
        cells=tuple(f"{t}--{h}" for t in record["topics"] for h in record["hardware"]),
        related=related.get(record["slug"], ()),
    )


def config_toml(title: str, page_size: int) -> str:
    """Site config: the three taxonomies, sitegen's page size and feed size, no related index."""
    feed = DEFAULTS.feed_size
    return "\n".join([
        'baseURL = "https://example.org/"',
        f"title = {json.dumps(title)}",
        'languageCode = "en"',
        f"paginate = {page_size}",
        f"rssLimit = {feed}",
        "disableHugoGeneratorInject = true",
        "[pagination]", f"  pagerSize = {page_size}",
        "[services.rss]", f"  limit = {feed}",
        "[params]", '  description = "A curated reading list of GPU and ML-systems research."',
        "[taxonomies]", '  topic = "topics"', '  hardware = "hardware"', '  cell = "cells"',
        "",
    ])


def write_hugo_project(papers: Sequence[HugoPaper], out_dir: Path, *, title: str,
                       page_size: int = DEFAULTS.page_size, stylesheet: Path | None = None) -> None:
    """Write config, layouts, static assets and one content file per paper into `out_dir`."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    content = out_dir / "content"
    (content / "papers").mkdir(parents=True)
    (out_dir / "config.toml").write_text(config_toml(title, page_size), encoding="utf-8")
    shutil.copytree(LAYOUTS, out_dir / "layouts")
    if stylesheet is not None and stylesheet.is_file():
        (out_dir / "static" / "static").mkdir(parents=True)
        shutil.copyfile(stylesheet, out_dir / "static" / "static" / "style.css")
    (content / "papers" / "_index.md").write_text(_front({"title": "All papers"}), encoding="utf-8")
    for section, heading in SORT_SECTIONS:
        (content / section).mkdir()
        (content / section / "_index.md").write_text(_front({"title": heading}), encoding="utf-8")
    for paper in papers:
        (content / "papers" / f"{paper.slug}.md").write_text(_front(paper.front_matter()) + paper.abstract + "\n",
                                                           encoding="utf-8")


def content_file(hugo_root: Path, slug: str) -> Path:
    """Where a paper's content file is (the runner edits one to time Hugo's server rebuild)."""
    return hugo_root / "content" / "papers" / f"{slug}.md"


def list_pages(destination: Path, slugs: Sequence[str]) -> int:
    """Built listing pages (sections, terms and their pager pages), counted like sitegen's:
    not the home page, the taxonomy indexes, paper pages or Hugo's page/1/ redirects."""
    skip = {"index.html", *(f"{taxonomy}/index.html" for taxonomy in TAXONOMIES)}
    skip.update(f"papers/{slug}/index.html" for slug in slugs)
    return sum(1 for page in destination.rglob("index.html")
               if (route := page.relative_to(destination).as_posix()) not in skip
               and not route.endswith("/page/1/index.html"))


def _front(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n\n"


def write_from_sitegen(sitegen_root: Path, out_dir: Path, *, page_size: int = DEFAULTS.page_size) -> list[HugoPaper]:
    """The Hugo twin of a sitegen project; returns the papers written."""
    papers = site_papers(sitegen_root)
    write_hugo_project(papers, out_dir, title="Reading list (Hugo twin)", page_size=page_size,
                       stylesheet=sitegen_root / "templates" / "static" / "style.css")
    return papers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the Hugo twin of a sitegen project.")
    parser.add_argument("sitegen_root", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--page-size", type=int, default=DEFAULTS.page_size)
    args = parser.parse_args(argv)
    papers = write_from_sitegen(args.sitegen_root.resolve(), args.out_dir, page_size=args.page_size)
    print(json.dumps({"papers": len(papers), "slugs": [p.slug for p in papers]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
