"""The benchmark corpus generator: deterministic, N distinct papers, the three real layouts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `benchmarks` is a folder of scripts, not an installed package

from benchmarks.corpus import LAYOUTS, generate  # noqa: E402
from sitegen.catalog.merge import build_catalog  # noqa: E402
from sitegen.text.frontmatter import split_front_matter  # noqa: E402
from sitegen.pipeline import compute_site, read_inputs  # noqa: E402
from sitegen.sources.listing import parse_listing  # noqa: E402
from sitegen.sources.listing_files import read_seed_dir  # noqa: E402
from sitegen.text.repair import match_key, repair_text  # noqa: E402

N = 300
PER_FILE = 50


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate(N, tmp_path_factory.mktemp("corpus") / "site", per_file=PER_FILE)


def test_same_arguments_write_the_same_bytes(corpus, tmp_path):
    again = generate(N, tmp_path / "again", per_file=PER_FILE)
    assert tree(again.root) == tree(corpus.root)


def test_another_seed_writes_another_corpus(corpus, tmp_path):
    other = generate(N, tmp_path / "other", per_file=PER_FILE, seed=1234)
    assert {p.title for p in other.papers} != {p.title for p in corpus.papers}


@pytest.mark.parametrize("n", [1, 7, 120])
def test_n_is_the_number_of_papers_after_merging(n, tmp_path):
    made = generate(n, tmp_path / "site", per_file=PER_FILE)
    catalog = build_catalog(read_seed_dir(made.root / "seeds", made.root), {})
    assert len(catalog.papers) == n


def test_titles_are_distinct_and_some_papers_are_listed_twice(corpus):
    keys = {match_key(repair_text(p.title)) for p in corpus.papers}
    assert len(keys) == N
    entries = sum(len(listing.entries) for listing in corpus.listings)
    assert entries > N  # the duplicates merging has to fold
    assert all(len(p.title) <= 160 and not p.title.endswith(".") for p in corpus.papers)


def test_files_hold_about_per_file_entries_in_all_three_layouts(corpus):
    assert len(corpus.listings) == N // PER_FILE
    assert {listing.layout for listing in corpus.listings} == set(LAYOUTS)
    for listing in corpus.listings:
        text = (corpus.root / "seeds" / listing.name).read_text(encoding="utf-8")
        parsed = parse_listing(text, listing.name)
        assert parsed.layout is listing.layout
        assert parsed.diagnostics == ()
        assert [e.title for e in parsed.entries] == [p.title for p in listing.entries]
        assert PER_FILE <= len(parsed.entries) <= PER_FILE * 1.2


def test_abstracts_reuse_real_sentences(corpus):
    real = " ".join(e.abstract for f in read_seed_dir(ROOT / "seeds", ROOT) for e in f.entries)
    first_sentences = [p.abstract.split(". ")[0] for p in corpus.papers[:20]]
    assert sum(sentence in real for sentence in first_sentences) >= 15  # a made-up name may replace a word


def test_notes_name_generated_papers_by_their_catalog_slugs(corpus):
    slugs = {p.slug for p in build_catalog(read_seed_dir(corpus.root / "seeds", corpus.root), {}).papers}
    assert 3 <= len(corpus.notes) <= 25
    for note in corpus.notes:
        front = split_front_matter((corpus.root / note).read_text(encoding="utf-8"), note)
        assert front.data["paper"] in slugs


def test_the_project_builds_without_diagnostics(corpus):
    site = compute_site(read_inputs(corpus.root))
    assert site.diagnostics == ()
    assert len(site.catalog.papers) == N
    assert len(site.curation.notes) == len(corpus.notes)


def test_rebuild_measurement_edits_really_and_restores_the_project(corpus, tmp_path):
    from benchmarks.rebuilds import measure, summary

    root = corpus.root
    before = tree(root)
    note, seed_file = root / corpus.notes[0], sorted((root / "seeds").glob("*.txt"))[0]
    result = measure(root, tmp_path / "out", note, seed_file, runs=3)
    assert [run["written"] for run in result["no-op"]] == [0, 0, 0]
    assert all(run["rendered"] >= 1 and run["written"] >= 1 for run in result["one note"] + result["one seed file"])
    assert tree(root) == before  # every edit undone
    assert "one note: median" in summary(result)


# --- the report: small synthetic results, so that the table and the targets are checked without a run

def _numbers(ms: dict[str, float] | None = None, **fields):
    from benchmarks.results import Series, SitegenNumbers

    one = Series((1.0,))
    made = dict(papers=416, files=1000, list_pages=400, startup=Series((0.05,)), cold=one, cold_cpu=one, warm=one,
                peak_rss=Series((50.0,)), stages={}, stages_cpu={}, search=None, search_note="",
                incremental={name: Series((value,)) for name, value in (ms or {}).items()},
                incremental_counts={name: "1 rendered, 1 written" for name in ms or {}}, incremental_note="",
                watch_rss=None)
    return SitegenNumbers(**{**made, **fields})


def _hugo(server_ms: float | None = 200.0, cold: float = 1.0):
    from benchmarks.results import HugoNumbers, Series, series

    return HugoNumbers(pages=1200, list_pages=400, cold=Series((cold,)), cold_cpu=Series((cold,)), warm=Series((cold,)),
                       peak_rss=Series((100.0,)), server_rebuild=series([server_ms]))


def _size(label: str, sitegen, hugo=None):
    from benchmarks.results import SizeResult

    return SizeResult(label, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0), 1, sitegen, hugo)


def test_the_table_shows_every_incremental_kind_measured():
    from benchmarks.rebuilds import KINDS
    from benchmarks.report import table

    ms = {name: 10.0 + number for number, name in enumerate(KINDS)}
    rows = table([_size("seeds", _numbers(ms), _hugo())]).splitlines()
    for number, name in enumerate(KINDS):
        assert f"| incremental: {name} (ms) | {10 + number} [1 rendered, 1 written] |" in rows
