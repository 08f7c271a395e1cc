"""Citations out: keys, BibTeX escaping, and every export parsed back by two parsers."""

from __future__ import annotations

import html
import json
import re

import bibtexparser
from pybtex.database import parse_string as pybtex_parse

from sitegen.sources.bibtex import decode_latex, parse_bib
from sitegen.catalog.records import Occurrence, Paper, PaperDate
from sitegen.citations import bibtex_entry, cite_key, csl_element, csl_item, csl_json, disambiguated, escape
from sitegen.pipeline import load_catalog
from sitegen.text.repair import repair_text

from conftest import ROOT

def unique_keys(papers) -> dict[str, str]:
    return disambiguated({paper.slug: cite_key(paper) for paper in papers})


HOPPER = "flashattention-on-hopper-fast-kv-cache-attention-with-h100s"
# Text as the catalog holds it (already repaired: no inline TeX left), with every BibTeX special.
NASTY = r"50% of $5 & x_i {braces} #1 ~ ^ \ back -- and --- “quotes” Café"


def paper(title: str, *names: str, year: int | None = 2023, slug: str | None = None, **extra) -> Paper:
    slug = slug or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return Paper(slug=slug, title=title, abstract="", raw_title=title, raw_abstract="",
                 date=PaperDate(year, 7) if year else None, authors=None, organization=None, upvotes=None, links=(),
                 occurrences=(Occurrence("seeds/a.txt", 1),), author_names=names, **extra)


def test_keys_are_readable_and_fall_back_to_the_slug():
    fa2 = paper("FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning", "Tri Dao")
    assert cite_key(fa2) == "dao2023flashattention2"
    assert cite_key(paper("A Study of Things", "Jörg Müller", "X Y")) == "muller2023study"  # "A" is no name
    assert cite_key(paper("On Łódź", "Jan Łukasiewicz", year=2020)) == "lukasiewicz2020lodz"
    assert cite_key(paper("Efficient Memory Management for LLM Serving")) == "efficientmemorymanagement2023"
    assert cite_key(paper("Efficient Memory Management for LLM Serving", "Ann Smith", year=None)) == \
        "efficientmemorymanagement"


def test_keys_never_depend_on_other_papers_unless_two_papers_share_one():
    first, other = paper("Tiles", "Ann Smith"), paper("Something Else", "Bob Jones")
    assert unique_keys([first])[first.slug] == unique_keys([first, other])[first.slug] == "smith2023tiles"
    twin = paper("Tiles Again", "Ann Smith")
    keys = unique_keys([first, other, twin])
    assert keys[first.slug] != keys[twin.slug] and keys[first.slug].startswith("smith2023tiles-")
    assert keys[twin.slug] == unique_keys([twin, first])[twin.slug]  # its own suffix, whatever the order


def test_escaping_round_trips_through_both_parsers():
    assert repair_text(NASTY) == NASTY
    entry = bibtex_entry(paper(NASTY, "O'Brien, Seán", "Ada & Bob", venue="Proc. 100% {A}", doi="10.1234/x_y",
                               entry_type="inproceedings"), "k", "https://example.org/a%20b/")
    [parsed] = parse_bib(entry, "x.bib").entries
    assert (parsed.title, parsed.venue, parsed.doi) == (NASTY, "Proc. 100% {A}", "10.1234/x_y")
    assert parsed.authors == ("Seán O'Brien", "Ada & Bob")
    other = pybtex_parse(entry, "bibtex").entries["k"]
    assert [str(p) for p in other.persons["author"]] == ["O'Brien, Seán", r"Bob, Ada \&"]
    assert decode_latex(other.fields["title"]) == NASTY and other.fields["url"] == "https://example.org/a%20b/"
    assert escape("a--b") == "a-{}-b" and escape("---") == "-{}-{}-"


def _bib_files(site: dict[str, bytes]) -> dict[str, str]:
    return {path: data.decode("utf-8") for path, data in site.items() if path.endswith(".bib")}


def test_every_bib_export_parses_back_with_bibtexparser_and_pybtex(bib_site):
    files = _bib_files(bib_site)
    assert {"papers.bib", f"papers/{HOPPER}/cite.bib", "topics/kv-cache/papers.bib", "hardware/h100/papers.bib",
            "tags/kernels/papers.bib", "authors/tri-dao/papers.bib"} <= set(files)
    everything = parse_bib(files["papers.bib"], "papers.bib")
    assert everything.diagnostics == () and len(everything.entries) == 5
    for path, text in files.items():
        library = bibtexparser.parse_string(text)
        assert library.failed_blocks == [], path
        assert set(pybtex_parse(text, "bibtex").entries) == {e.key for e in library.entries}, path
    hopper = parse_bib(files[f"papers/{HOPPER}/cite.bib"], "cite.bib").entries[0]
    assert (hopper.key, hopper.title, hopper.authors[1], hopper.year, hopper.month, hopper.doi, hopper.arxiv) == (
        "muller2024flashattention", "FlashAttention on Hopper: Fast KV Cache Attention with H100s", "Tri Dao",
        2024, 2, "10.1234/jik.2024.7", "2402.00001")


def test_each_listing_links_its_own_bib_file(bib_site):
    for page, bib in (("topics/kv-cache/index.html", "topics/kv-cache/papers.bib"), ("papers/index.html", "papers.bib"),
                      ("tags/kernels/index.html", "tags/kernels/papers.bib"),
                      ("authors/tri-dao/index.html", "authors/tri-dao/papers.bib")):
        assert f'href="/list/{bib}" download>' in bib_site[page].decode(), page
    kv = parse_bib(bib_site["topics/kv-cache/papers.bib"].decode(), "x.bib").entries
    assert HOPPER in {e.url.rsplit("/", 2)[-2] for e in kv}


def test_csl_json_carries_the_same_keys_and_names(bib_site):
    items = {item["id"]: item for item in json.loads(bib_site["papers.csl.json"])}
    bib_keys = {e.key for e in parse_bib(bib_site["papers.bib"].decode(), "x.bib").entries}
    assert set(items) == bib_keys
    hopper = items["muller2024flashattention"]
    assert hopper["type"] == "article-journal" and hopper["issued"] == {"date-parts": [[2024, 2, 21]]}
    assert hopper["author"][2] == {"family": "O'Brien", "given": "Seán"} and hopper["DOI"] == "10.1234/jik.2024.7"


def test_cite_block_is_text_without_javascript(bib_site):
    page = bib_site[f"papers/{HOPPER}/index.html"].decode()
    block = re.search(r'<section class="cite".*?</section>', page, re.S).group(0)
    entry = re.search(r"<code>(.*?)</code>", block, re.S).group(1)
    assert html.unescape(entry) == bib_site[f"papers/{HOPPER}/cite.bib"].decode()
    assert "<button" not in block  # the copy button is added by cite.js where it can work
    assert f'href="/list/papers/{HOPPER}/cite.bib" download' in block


def test_seed_site_exports_parse_back(seed_site):
    text = (seed_site["/"] / "papers.bib").read_text(encoding="utf-8")
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == [] and len(library.entries) >= 416
    assert len(pybtex_parse(text, "bibtex").entries) == len(library.entries)
    keys = [e.key for e in library.entries]
    assert len(keys) == len(set(keys))


def test_csl_json_joined_from_its_items_reads_back_as_the_items():
    """papers.csl.json is joined from items encoded one by one (a watch rebuild re-encodes
    only the papers it touched); the join is the one-level indented list of the items."""
    items = [csl_item(paper, f"key{n}", f"https://example.org/{paper.slug}/")
             for n, paper in enumerate(load_catalog(ROOT).papers[:40])]
    joined = csl_json(map(csl_element, items))
    assert json.loads(joined) == items
    assert joined == (json.dumps(items, ensure_ascii=False, indent=1) + "\n").encode()
    assert csl_json([]) == b"[]\n"
