"""Authors: one person per name across sources, cards, paper pages, feeds, JSON-LD, author pages."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from sitegen.catalog.authors import author_label, index_authors, name_key
from sitegen.catalog.records import Occurrence, Paper

ATOM = "{http://www.w3.org/2005/Atom}"
HOPPER = "flashattention-on-hopper-fast-kv-cache-attention-with-h100s"


def paper(slug: str, *names: str, more: bool = False, count: int | None = None) -> Paper:
    return Paper(slug=slug, title=slug, abstract="", raw_title="", raw_abstract="", date=None, authors=count,
                 organization=None, upvotes=None, links=(), occurrences=(Occurrence("seeds/a.txt", 1),),
                 author_names=names, more_authors=more)


def test_accents_case_and_initials_fold_to_one_author_when_unambiguous():
    index = index_authors([paper("a", "Jörg Müller", "Tri Dao"), paper("b", "JORG MULLER", "T. Dao"),
                           paper("c", "Jan Łukasiewicz"), paper("d", "Jan Lukasiewicz")])
    assert {slug: a.papers for slug, a in index.authors.items()} == {
        "jan-lukasiewicz": ("c", "d"), "jorg-muller": ("a", "b"), "tri-dao": ("a", "b")}
    assert index.authors["jorg-muller"].name == "Jörg Müller"  # ties: the fuller spelling
    assert index.of_paper["b"] == ("jorg-muller", "tri-dao")


def test_an_initial_with_two_candidates_stays_its_own_author():
    index = index_authors([paper("a", "Tri Dao"), paper("b", "Tuan Dao"), paper("c", "T. Dao")])
    assert sorted(index.authors) == ["t-dao", "tri-dao", "tuan-dao"]
    assert index.authors["t-dao"].papers == ("c",)


def test_a_middle_initial_must_fit_and_a_suffix_is_not_a_given_name():
    index = index_authors([paper("a", "John Ronald Smith"), paper("b", "J. R. Smith"), paper("c", "J. Q. Smith")])
    assert index.authors["john-ronald-smith"].papers == ("a", "b")
    assert index.authors["j-q-smith"].papers == ("c",)
    assert name_key("John Smith, Jr.") == name_key("John Smith")
    # "John Smith, Jr." is a second John Smith candidate for "J. R. Smith": no guess.
    ambiguous = index_authors([paper("a", "John Ronald Smith"), paper("b", "J. R. Smith"), paper("d", "John Smith, Jr.")])
    assert ambiguous.authors["j-r-smith"].papers == ("b",)


def test_card_label_shows_three_names_then_et_al_or_a_count():
    assert author_label(paper("a", "A B", "C D", "E F", "G H")) == "A B, C D, E F et al."
    assert author_label(paper("a", "A B", "C D", more=True)) == "A B, C D et al."
    assert author_label(paper("a", "A B")) == "A B"
    assert author_label(paper("a", count=6)) == "6 authors" and author_label(paper("a")) == ""


def test_paper_page_names_every_author_and_links_their_pages(bib_site):
    page = bib_site[f"papers/{HOPPER}/index.html"].decode()
    authors = re.search(r'<dd class="authors">(.*?)</dd>', page).group(1)
    assert authors == ('<a href="/list/authors/jorg-muller/">Jörg Müller</a>, <a href="/list/authors/tri-dao/">'
                       'Tri Dao</a>, Seán O&#39;Brien, Jan Łukasiewicz, <a href="/list/authors/ann-smith/">Ann Smith</a>')
    assert "<dt>Venue</dt><dd>Journal of Imaginary Kernels</dd>" in page
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    about = json.loads(block)["about"]
    assert about["author"][:2] == [{"@type": "Person", "name": "Jörg Müller"}, {"@type": "Person", "name": "Tri Dao"}]
    assert about["identifier"] == {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.1234/jik.2024.7"}
    assert "https://arxiv.org/abs/2402.00001" in about["sameAs"]


def test_cards_show_three_names_then_et_al(bib_site):
    listing = bib_site["papers/index.html"].decode()
    assert '<p class="card-authors">Jörg Müller, Tri Dao, Seán O&#39;Brien et al.</p>' in listing
    assert '<p class="card-authors">T. Dao, Ann Smith et al.</p>' in listing  # `and others` in BibTeX


def test_author_index_and_pages_with_feeds_for_two_or_more_papers(bib_site):
    index = bib_site["authors/index.html"].decode()
    assert re.findall(r'<a href="/list/authors/([^/]+)/">', index) == ["tri-dao", "jorg-muller", "ann-smith"]
    assert "authors/sean-o-brien/index.html" not in bib_site  # one paper: no page
    tri = bib_site["authors/tri-dao/index.html"].decode()
    assert tri.count('<article class="card') == 4  # "Tri Dao", "T. Dao" and "Dao, T." are one person
    feed = ET.fromstring(bib_site["authors/tri-dao/feed.xml"])
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title").startswith("FlashAttention"))
    assert [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")] == [
        "Jörg Müller", "Tri Dao", "Seán O'Brien", "Jan Łukasiewicz", "Ann Smith"]
