"""Merging listing entries into papers: duplicates, metadata, dates, unique slugs."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal

from hypothesis import given, settings, strategies as st

from sitegen.sources.bibtex import parse_bib
from sitegen.catalog.merge import build_catalog, resolve_date
from sitegen.catalog.records import Correction, Occurrence, Paper, PaperDate, paper_slug
from sitegen.sources.listing import ListingDate, MONTHS, parse_listing
from sitegen.text.weblinks import ExternalLink

CAPTURED = {"seeds/001_d47c993c2d23155f.txt": dt.date(2025, 11, 24)}
ABSTRACT = "An abstract long enough to be prose, describing a GPU system in some detail. " * 4


def listing(*entries: str) -> str:
    return "\n\n".join(entries) + "\n"


def test_real_seeds_merge_into_unique_papers(seed_files):
    catalog = build_catalog(seed_files, CAPTURED)
    assert len(catalog.papers) == 415
    assert sum(len(p.occurrences) for p in catalog.papers) == 584
    assert len({p.slug for p in catalog.papers}) == 415
    assert [p.slug for p in catalog.papers] == sorted(p.slug for p in catalog.papers)
    hopper = catalog.get("benchmarking-and-dissecting-the-nvidia-hopper-gpu-architecture")
    assert [o.file[6:9] for o in hopper.occurrences] == ["000", "001", "002", "003", "004"]
    assert (hopper.authors, hopper.date) == (6, PaperDate(2024, 2, 20))
    # Organisations without the account handle the listing prints before them.
    assert sorted(p.organization for p in catalog.papers if p.organization) == [
        "ByteDance Seed", "DeepSeek", "ServiceNow-AI"]


def test_mojibake_title_merges_with_its_clean_spelling(seed_files):
    catalog = build_catalog(seed_files, CAPTURED)
    melange = [p for p in catalog.papers if "lange: Cost Efficient" in p.title]
    assert len(melange) == 1
    paper = melange[0]
    assert paper.title.startswith("Mélange: ")
    assert paper.slug == "melange-cost-efficient-large-language-model-serving-by-exploiting-gpu"
    assert Occurrence("seeds/001_d47c993c2d23155f.txt", 374) in paper.occurrences
    assert len(paper.occurrences) == 3
    assert paper.date == PaperDate(2024, 4, 22)


def test_no_title_is_repeated_or_looks_like_chrome(seed_files):
    catalog = build_catalog(seed_files, CAPTURED)
    titles = [p.title.casefold() for p in catalog.papers]
    assert len(titles) == len(set(titles))
    assert not any("subscribe" in t or t.startswith("get trending") for t in titles)


def test_year_less_dates_resolve_against_capture_date(seed_files):
    catalog = build_catalog(seed_files, CAPTURED)
    cuda_l1 = catalog.find("CUDA-L1: Improving CUDA Optimization via Contrastive Reinforcement Learning")
    assert cuda_l1.date == PaperDate(2025, 7, 18) and cuda_l1.upvotes == 6
    analyzing = catalog.find("Analyzing Modern NVIDIA GPU cores")
    assert analyzing.date == PaperDate(2025, 3, 26)  # "Mar 26" before the Nov 24 capture
    unresolved = build_catalog(seed_files, {}).find("Analyzing Modern NVIDIA GPU cores")
    assert unresolved.date == PaperDate(None, 3, 26) and unresolved.date.iso() == "--03-26"


def test_resolve_date_takes_latest_day_not_after_capture():
    captured = dt.date(2025, 11, 24)
    assert resolve_date(ListingDate(11, 24, None), captured) == PaperDate(2025, 11, 24)
    assert resolve_date(ListingDate(11, 25, None), captured) == PaperDate(2024, 11, 25)
    assert resolve_date(ListingDate(2, 29, None), captured) == PaperDate(2024, 2, 29)
    assert resolve_date(ListingDate(5, 1, 2019), captured) == PaperDate(2019, 5, 1)


@contextlib.contextmanager
def finishes_within(seconds: float):
    """Turn a hang into a failure: SIGALRM interrupts the loop (main thread only)."""
    def give_up(signum, frame):
        raise AssertionError(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, give_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_year_less_date_before_year_one_stays_partial_with_a_located_warning():
    with finishes_within(5):
        assert resolve_date(ListingDate(12, 31, None), dt.date(1, 1, 1)) == PaperDate(None, 12, 31)
        assert resolve_date(ListingDate(2, 29, None), dt.date(3, 12, 31)) == PaperDate(None, 2, 29)
        assert resolve_date(ListingDate(2, 29, None), dt.date(4, 2, 29)) == PaperDate(4, 2, 29)
        seed = parse_listing(listing("A Paper", ABSTRACT, "Feb 29"), "seeds/a.txt")
        catalog = build_catalog([seed], {"seeds/a.txt": dt.date(2, 6, 1)})
    assert catalog.papers[0].date == PaperDate(None, 2, 29)
    assert [str(d) for d in catalog.diagnostics] == [
        "seeds/a.txt:1: warning: no Feb 29 falls on or before the capture date 0002-06-01"
        " (content/site.yaml capture_dates); the year stays unknown"]


MONTH_DAYS = st.tuples(st.integers(1, 12), st.integers(1, 31)).filter(
    lambda md: md[1] <= (29 if md[0] == 2 else 30 if md[0] in (4, 6, 9, 11) else 31))
EXTREME_DATES = st.one_of(st.dates(), st.dates(max_value=dt.date(12, 12, 31)),
                          st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2000, 2, 29)]))


@settings(max_examples=300, deadline=None, database=None)
@given(MONTH_DAYS | st.just((2, 29)), EXTREME_DATES)
def test_any_year_less_date_and_capture_date_resolve_at_once(month_day, captured):
    month, day = month_day
    with finishes_within(5):
        seed = parse_listing(listing("A Paper", ABSTRACT, f"{MONTHS[month - 1]} {day}"), "seeds/a.txt")
        catalog = build_catalog([seed], {"seeds/a.txt": captured})
    date = catalog.papers[0].date
    assert (date.month, date.day) == (month, day)
    if date.year is None:  # only when no such day exists in years 1..capture: said, at the entry's line
        assert [(d.path, d.line) for d in catalog.diagnostics] == [("seeds/a.txt", 1)]
    else:
        resolved = dt.date(date.year, month, day)
        assert resolved <= captured and not catalog.diagnostics
        # the latest such day: none in the years between it and the capture
        assert all(dt.date(year, month, day) > captured
                   for year in range(date.year + 1, captured.year + 1) if _exists(year, month, day))


def _exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def test_metadata_merge_prefers_complete_values():
    one = parse_listing(listing("Same Paper: A Study", ABSTRACT, "  • 3 authors", "Mar 11, 2024 4"), "seeds/a.txt")
    two = parse_listing(listing("SAME PAPER - a study", ABSTRACT + " Extra sentence.", "Mar 11 9"), "seeds/b.txt")
    three = parse_listing(listing("Same Paper: A Study", ABSTRACT[:-20]), "seeds/c.txt")
    catalog = build_catalog([one, two, three], {})
    (paper,) = catalog.papers
    assert paper.title == "Same Paper: A Study"
    assert paper.abstract.endswith("Extra sentence.")
    assert len(paper.abstract_variants) == 2
    assert (paper.authors, paper.upvotes, paper.date) == (3, 9, PaperDate(2024, 3, 11))
    assert paper.occurrences == (Occurrence("seeds/a.txt", 1), Occurrence("seeds/b.txt", 1),
                                 Occurrence("seeds/c.txt", 1))


def test_same_paper_twice_in_one_file_is_one_paper_with_two_occurrences():
    text = listing("Twice Listed", ABSTRACT, "Other Paper", ABSTRACT, "Twice Listed", ABSTRACT)
    catalog = build_catalog([parse_listing(text, "seeds/a.txt")], {})
    assert [len(p.occurrences) for p in catalog.papers] == [1, 2]


def test_slugs_do_not_depend_on_file_order_or_new_files(seed_files):
    forward = build_catalog(seed_files, CAPTURED)
    backward = build_catalog(list(reversed(seed_files)), CAPTURED)
    assert forward == backward
    extra = parse_listing(listing("A Brand New Paper", ABSTRACT), "seeds/999.txt")
    grown = build_catalog(list(seed_files) + [extra], CAPTURED)
    assert {p.slug for p in forward.papers} < {p.slug for p in grown.papers}


def test_a_hash_is_added_only_to_slugs_two_titles_share():
    a, b = "Word " * 30 + "alpha", "Word " * 30 + "beta"
    entries = [parse_listing(listing(title, ABSTRACT), f"seeds/{n}.txt") for n, title in enumerate((a, b, "Short"))]
    slugs = [p.slug for p in build_catalog(entries, CAPTURED).papers]
    assert len(set(slugs)) == 3 and "short" in slugs
    assert {s.rsplit("-", 1)[0] for s in slugs if s != "short"} == {paper_slug(a)}


def test_listing_with_undated_entries_and_no_capture_date_is_a_located_warning():
    abstract = "We write fast kernels for many GPUs and measure them carefully. " * 5
    text = f"Dated Paper\n\n{abstract}\n\n  • 2 authors\nMar 3, 2024\n\nYear-less Paper\n\n{abstract}\n\n  • 2 authors\nOct 21\n"
    seed = parse_listing(text, "seeds/a.txt")
    assert [str(d) for d in build_catalog([seed], {}).diagnostics] == [
        "seeds/a.txt:8: warning: 1 of 2 entries have no date or no year, and content/site.yaml has no "
        "capture date for this listing; add `capture_dates: {a.txt: YYYY-MM-DD}` (the day the page was "
        "saved) so their dates resolve and their feed dates never change"]
    assert build_catalog([seed], {"seeds/a.txt": dt.date(2025, 11, 24)}).diagnostics == ()
    assert build_catalog([parse_listing(text.split("Year-less")[0], "seeds/a.txt")], {}).diagnostics == ()


# --- BibTeX and curator corrections ------------------------------------------------------------

BIB = """@inproceedings{same,
  title = {{SAME} Paper: a Study},
  author = {Lovelace, Ada and Charles Babbage},
  booktitle = {Proc. Imaginary},
  year = {2023},
  doi = {10.1234/same},
}
@misc{only,
  title = {Only in {BibTeX}},
  author = {Hopper, Grace},
  year = {2020}, month = {jul},
  eprint = {2001.00001}, archivePrefix = {arXiv},
}
"""


def _listed():
    return parse_listing(listing("Same Paper: A Study", ABSTRACT + " https://arxiv.org/pdf/2403.00001v2",
                                 "  • 3 authors", "Mar 11, 2024 4"), "seeds/a.txt")


def test_bibtex_entry_merges_into_the_listing_paper_keeping_its_text():
    catalog = build_catalog([_listed()], {}, bib_files=[parse_bib(BIB, "seeds/lib.bib")])
    same, only = catalog.find("Same Paper: A Study"), catalog.find("Only in BibTeX")
    assert same.title == "Same Paper: A Study" and same.abstract.startswith(ABSTRACT.strip())
    assert (same.author_names, same.authors, same.venue, same.doi, same.entry_type) == (
        ("Ada Lovelace", "Charles Babbage"), 2, "Proc. Imaginary", "10.1234/same", "inproceedings")
    assert same.occurrences == (Occurrence("seeds/a.txt", 1), Occurrence("seeds/lib.bib", 1))
    assert same.arxiv == "2403.00001"  # from the abstract's link, version dropped
    # BibTeX's 2023 wins over the listing's Mar 11, 2024, and both are kept as provenance.
    assert same.date == PaperDate(2023, None)
    assert [(f.field, f.value, f.origin, f.chosen) for f in same.provenance] == [
        ("date", "2023", "seeds/lib.bib:1", True), ("date", "2024-03-11", "seeds/a.txt:1", False)]
    assert (only.slug, only.occurrences, only.date, only.arxiv, only.abstract) == (
        "only-in-bibtex", (Occurrence("seeds/lib.bib", 8),), PaperDate(2020, 7), "2001.00001", "")


def test_a_more_precise_date_that_agrees_is_kept_without_disagreement():
    bib = parse_bib("@misc{s, title={Same Paper: A Study}, year={2024}, month={mar}}", "seeds/lib.bib")
    same = build_catalog([_listed()], {}, bib_files=[bib]).papers[0]
    assert (same.date, same.provenance) == (PaperDate(2024, 3, 11), ())


def test_the_note_wins_and_every_source_is_named():
    correction = Correction("content/notes/s.md", 2, "same-paper-a-study", authors=("Ada King",),
                            date=PaperDate(2022, 5, 1), venue="Proc. Imaginary", doi="10.1234/SAME",
                            links=(ExternalLink("code", "https://github.com/a/b"),))
    catalog = build_catalog([_listed()], {}, bib_files=[parse_bib(BIB, "seeds/lib.bib")], corrections=[correction])
    same = catalog.find("same-paper-a-study")
    assert (same.author_names, same.date, same.doi) == (("Ada King",), PaperDate(2022, 5, 1), "10.1234/SAME")
    assert [(f.field, f.value, f.origin, f.chosen) for f in same.provenance] == [
        ("authors", "Ada King", "content/notes/s.md:2", True),
        ("authors", "Ada Lovelace, Charles Babbage", "seeds/lib.bib:1", False),
        ("date", "2022-05-01", "content/notes/s.md:2", True), ("date", "2023", "seeds/lib.bib:1", False),
        ("date", "2024-03-11", "seeds/a.txt:1", False)]  # the DOI differs only in case: no disagreement
    assert ExternalLink("code", "https://github.com/a/b") in same.links


def test_a_curator_paper_that_is_in_the_listings_becomes_one_paper_with_its_metadata():
    added = Paper(slug="same-paper-a-study", title="Same paper: a study", abstract="Mine.", raw_title="",
                  raw_abstract="", date=PaperDate(2024, 3, 11), authors=1, organization="Lab", upvotes=None,
                  links=(), occurrences=(), added_by="content/notes/s.md", author_names=("Ada King",))
    (paper,) = build_catalog([_listed()], {}, extra_papers=[added]).papers
    assert (paper.title, paper.added_by, paper.author_names, paper.organization) == (
        "Same Paper: A Study", None, ("Ada King",), "Lab")
    assert paper.abstract.startswith(ABSTRACT.strip())


def test_seed_library_bib_completes_seed_papers_and_adds_one(project_root):
    from sitegen.sources.bibtex import read_bib_dir
    from sitegen.pipeline import load_catalog

    [library] = read_bib_dir(project_root / "seeds", project_root)
    assert library.path == "seeds/library.bib" and library.diagnostics == ()
    catalog = load_catalog(project_root)
    fa2 = catalog.find("flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning")
    assert (fa2.author_names, fa2.arxiv, fa2.title) == (
        ("Tri Dao",), "2307.08691", "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning")
    splitwise = catalog.find("Splitwise: Efficient generative LLM inference using phase splitting")
    assert splitwise.author_names[4] == "Íñigo Goiri" and splitwise.title.endswith("using phase splitting")
    flash = catalog.find("FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness")
    assert (flash.occurrences, flash.added_by, flash.arxiv) == (
        (Occurrence("seeds/library.bib", 29),), None, "2205.14135")
