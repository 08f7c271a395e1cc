"""Shared by the notes-stage tests: a small catalog, the fixture taxonomy, curation in one call."""

from __future__ import annotations

from pathlib import Path

from sitegen.catalog.records import Catalog, Occurrence, Paper, paper_slug
from sitegen.content import ContentFiles, SourceText
from sitegen.diagnostics import sorted_diagnostics
from sitegen.notes import Curation, attach_notes, curator_papers
from sitegen.settings import Settings
from sitegen.taxonomy import parse_taxonomy

FIXTURES = Path(__file__).parent / "fixtures" / "notes"
TAXONOMY = parse_taxonomy((FIXTURES / "taxonomy.yaml").read_text(encoding="utf-8"), "content/taxonomy.yaml")

FA2_TITLE = "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning"
FA3_TITLE = "FlashAttention-3: Fast and Accurate Attention with Asynchrony and Low-precision"
VATT_TITLE = "vAttention: Dynamic Memory Management for Serving LLMs without PagedAttention"
SNAP_TITLE = "SnapKV: LLM Knows What You are Looking for Before Generation"
SPLIT_TITLE = "Splitwise: Efficient generative LLM inference using phase splitting"
SEED_TITLES = (FA2_TITLE, FA3_TITLE, VATT_TITLE, SNAP_TITLE, SPLIT_TITLE)
FA2, FA3, VATT, SNAP, SPLIT = (paper_slug(title) for title in SEED_TITLES)
PAGED = "efficient-memory-management-for-large-language-model-serving-with-pagedattention"


def seed_paper(title: str, line: int) -> Paper:
    return Paper(
        slug=paper_slug(title), title=title, abstract=f"About {title}.", raw_title=title, raw_abstract="",
        date=None, authors=None, organization=None, upvotes=None, links=(),
        occurrences=(Occurrence("seeds/001_x.txt", line),),
    )


def make_catalog(extra: tuple[Paper, ...] = ()) -> Catalog:
    papers = [seed_paper(title, 10 * number) for number, title in enumerate(SEED_TITLES, 1)]
    return Catalog(tuple(sorted([*papers, *extra], key=lambda p: p.slug)), ())


def paper_url(slug: str) -> str:
    return f"/papers/{slug}/"


def files_of(*sources: tuple[str, str]) -> ContentFiles:
    """ContentFiles from (path, text) pairs, as `read_content` would give them."""
    return ContentFiles(tuple(sorted((SourceText(path, text) for path, text in sources), key=lambda s: s.path)))


def curate(files: ContentFiles, allow_html: bool = False) -> Curation:
    """The pipeline's order: curator papers join the catalog, then everything is attached."""
    extra, _, problems = curator_papers(files)
    curation = attach_notes(files, make_catalog(extra), TAXONOMY, Settings(allow_html=allow_html), paper_url)
    assert not set(problems) & set(curation.diagnostics), "a problem was reported twice"
    return curation


def report(files: ContentFiles, allow_html: bool = False) -> list[str]:
    """Every problem both calls of the stage find, as printed, in order."""
    _, _, paper_problems = curator_papers(files)
    curation = curate(files, allow_html)
    return [str(d) for d in sorted_diagnostics([*paper_problems, *curation.diagnostics])]


def note(text: str, name: str = "x.md") -> ContentFiles:
    return files_of((f"content/notes/{name}", text))
