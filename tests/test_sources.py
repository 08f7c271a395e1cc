"""Listing parser: the three layouts, page chrome, metadata, diagnostics, robustness."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from hypothesis import given, settings, strategies as st

from sitegen.diagnostics import Severity
from sitegen.sources import MAX_ENTRIES, Layout, ListingDate, decode_listing, parse_listing, read_seed_dir, read_seed_file

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def parse_fixture(name: str):
    return read_seed_file(FIXTURES / name, FIXTURES.parent.parent.parent)


def test_compact_layout_strips_glued_chrome_from_first_title():
    parsed = parse_fixture("compact.txt")
    assert parsed.layout is Layout.COMPACT
    assert [e.title for e in parsed.entries] == ["First Paper on GPU Kernels", "Second Paper: Serving LLMs"]
    assert [e.line for e in parsed.entries] == [3, 5]
    assert parsed.entries[1].abstract_line == 6
    assert parsed.entries[0].file == "tests/fixtures/sources/compact.txt"
    assert parsed.diagnostics == ()


@pytest.mark.parametrize("title", ["<T>-Kernels on GPUs", "\"Quoted\" Kernels", "(Re)Scheduling Kernels",
                                   "[Draft] Kernels", "“Curly” Kernels"])
def test_glued_chrome_is_stripped_before_a_title_opening_with_a_bracket_or_quote(title):
    abstract = "An abstract long enough to be prose about GPU kernels and how they are scheduled. " * 3
    parsed = parse_listing(f"Subscribe{title}\n{abstract}\nnewer Kernels\n{abstract}\n", "seeds/a.txt")
    assert [entry.title for entry in parsed.entries] == [title, "newer Kernels"]


def test_spaced_layout_takes_date_heading_as_listing_date_not_a_paper():
    parsed = parse_fixture("spaced.txt")
    assert parsed.layout is Layout.SPACED
    assert parsed.heading_date == ListingDate(3, 12, None)
    assert [e.title for e in parsed.entries] == ["First Spaced Paper", "Second Spaced Paper"]
    assert all(e.date is None and e.authors is None for e in parsed.entries)


def test_metadata_layout_reads_authors_organisation_dates_and_upvotes():
    parsed = parse_fixture("metadata.txt")
    assert parsed.layout is Layout.SPACED_METADATA
    assert parsed.heading_date == ListingDate(11, 24, None)
    got = [(e.title, e.authors, e.organization, e.date, e.upvotes) for e in parsed.entries]
    assert got == [
        ("Metadata Paper One", 6, None, ListingDate(2, 20, 2024), None),
        ("Metadata Paper Two", 7, None, ListingDate(3, 11, 2024), 4),
        ("Organisation Paper", None, "deepseek-ai DeepSeek", ListingDate(5, 14, None), 5),
        ("Paper Without Metadata", None, None, None, None),
        ("Last Paper", 1, None, ListingDate(10, 21, None), None),
    ]
    assert parsed.diagnostics == ()


def test_layout_comes_from_content_not_file_name(tmp_path):
    copy = tmp_path / "compact.txt"
    copy.write_bytes((FIXTURES / "metadata.txt").read_bytes())
    assert read_seed_file(copy, tmp_path).layout is Layout.SPACED_METADATA


def test_title_without_abstract_is_a_located_warning():
    parsed = parse_fixture("truncated.txt")
    assert [e.title for e in parsed.entries] == ["A Complete Paper Title"]
    assert [str(d) for d in parsed.diagnostics] == [
        "tests/fixtures/sources/truncated.txt:1: warning: entry 'A Title Left Alone' has a title but no abstract; skipped",
        "tests/fixtures/sources/truncated.txt:4: warning: entry 'Truncated At The End' has a title but no abstract; skipped",
    ]


def test_stray_metadata_line_is_reported_as_unrecognised():
    text = "Title\n\n" + "A" * 250 + "\n\nFeb 20, 2024\nMar 3, 2024\n"
    parsed = parse_listing(text, "seeds/x.txt")
    assert [str(d) for d in parsed.diagnostics] == [
        "seeds/x.txt:6: warning: unrecognised line ignored: 'Mar 3, 2024'"]


def test_crlf_and_lone_cr_parse_like_lf():
    lf = (FIXTURES / "metadata.txt").read_text(encoding="utf-8")
    expected = parse_listing(lf, "x")
    assert parse_listing(lf.replace("\n", "\r\n"), "x") == expected
    assert parse_listing(lf.replace("\n", "\r"), "x") == expected


def test_decoding_bom_windows_1252_and_binary():
    assert decode_listing("\ufeffTitle".encode("utf-8"), "f") == ("Title", None)
    text, problem = decode_listing("Caf\u00e9 \u201cquoted\u201d\n".encode("cp1252"), "seeds/f.txt")
    assert text == "Caf\u00e9 \u201cquoted\u201d\n"
    assert str(problem) == "seeds/f.txt:1: warning: not valid UTF-8; decoded as cp1252"
    text, problem = decode_listing(b"\x89PNG\r\n\x1a\n\x00\x00", "seeds/f.txt")
    assert text is None and str(problem) == "seeds/f.txt: error: binary file (NUL bytes), not a listing; remove it or fix its encoding"


def test_unreadable_file_is_an_error_not_a_crash(tmp_path):
    parsed = read_seed_file(tmp_path / "missing.txt", tmp_path)
    assert parsed.entries == ()
    assert parsed.diagnostics[0].severity is Severity.ERROR
    assert parsed.diagnostics[0].message.startswith("cannot read file")


def test_a_file_name_that_is_not_utf8_is_a_located_error(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / os.fsdecode(b"seeds/caf\xe9.txt")).write_text("A Title\n\n" + "Prose. " * 40 + "\n")
    [parsed] = read_seed_dir(tmp_path / "seeds", tmp_path)
    assert parsed.path == "seeds/caf\\xe9.txt" and parsed.entries == ()
    assert [str(d) for d in parsed.diagnostics] == [
        "seeds/caf\\xe9.txt: error: the file name is not valid UTF-8 or holds a control character (shown as \\xNN); rename it"]
    str(parsed.diagnostics[0]).encode("utf-8")  # printable anywhere


@pytest.mark.parametrize("make, kind", [
    (lambda path: os.mkfifo(path), "a named pipe (FIFO)"),
    (lambda path: socket.socket(socket.AF_UNIX).bind(str(path)), "a socket"),
], ids=["fifo", "socket"])
def test_a_fifo_or_socket_is_refused_without_being_opened(tmp_path, make, kind):
    (tmp_path / "seeds").mkdir()
    make(tmp_path / "seeds" / "odd.txt")
    done = []
    # Opening a FIFO with no writer blocks for ever: read in a thread, so a hang is a failure.
    reader = threading.Thread(target=lambda: done.append(read_seed_dir(tmp_path / "seeds", tmp_path)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert done, "reading the listing folder hung"
    [parsed] = done[0]
    assert [str(d) for d in parsed.diagnostics] == [
        f"seeds/odd.txt: error: cannot read file: {kind}, not a regular file; sitegen reads only regular files"]


def test_a_listing_of_more_than_max_entries_is_refused_at_the_first_one_too_many():
    # A million two-character lines once became 500,000 papers; parsing now stops at the cap.
    parsed = parse_listing("ab\n" * 1_000_000, "seeds/huge.txt")
    assert len(parsed.entries) == MAX_ENTRIES == 10_000
    assert [str(d) for d in parsed.diagnostics] == [
        "seeds/huge.txt:20001: error: more than 10,000 papers in one listing; split the file "
        "(a listing page holds a few hundred)"]


def test_a_listing_of_exactly_max_entries_is_fine():
    parsed = parse_listing("ab\n" * (2 * MAX_ENTRIES), "seeds/full.txt")
    assert len(parsed.entries) == MAX_ENTRIES and parsed.diagnostics == ()


def test_real_seed_files(seed_files):
    counts = {f.path: (f.layout, len(f.entries)) for f in seed_files}
    assert counts == {
        "seeds/000_87e08c3f23ac0e87.txt": (Layout.COMPACT, 119),
        "seeds/001_d47c993c2d23155f.txt": (Layout.SPACED_METADATA, 69),
        "seeds/002_0a9d9077faa96869.txt": (Layout.COMPACT, 183),
        "seeds/003_ddf5b9f58775309f.txt": (Layout.COMPACT, 119),
        "seeds/004_820f401ebc758398.txt": (Layout.SPACED, 94),
    }
    assert all(f.diagnostics == () for f in seed_files)
    chrome = {"new", "Subscribe", "Daily Papers", "byAK and the research community", "Nov 24", "Mar 12"}
    for seed_file in seed_files:
        for entry in seed_file.entries:
            assert entry.title not in chrome
            assert not entry.title.startswith(("Subscribe", "Get trending"))
            assert len(entry.abstract) > 400


def test_real_seed_metadata(seed_files):
    listing = next(f for f in seed_files if f.path.startswith("seeds/001_"))
    by_title = {e.title: e for e in listing.entries}
    hopper = by_title["Benchmarking and Dissecting the Nvidia Hopper GPU Architecture"]
    assert (hopper.line, hopper.authors, hopper.date) == (13, 6, ListingDate(2, 20, 2024))
    assert by_title["Apriel-1.5-15b-Thinker"].organization == "ServiceNow-AI ServiceNow-AI"
    assert by_title["CUDA-L1: Improving CUDA Optimization via Contrastive Reinforcement Learning"].upvotes == 6
    assert sum(e.date is not None for e in listing.entries) == 68


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_parser_never_raises_on_arbitrary_text(text):
    parsed = parse_listing(text, "seeds/fuzz.txt")
    assert all(d.path == "seeds/fuzz.txt" for d in parsed.diagnostics)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Title Line", "", "A" * 260 + ".", "• 3 authors", "Oct 21",
                                 "Mar 11, 2024 4", "Subscribe", "deepseek-ai DeepSeek"]), max_size=30))
def test_parser_never_raises_on_shuffled_listing_lines(lines):
    parse_listing("\n".join(lines), "seeds/fuzz.txt")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_decoding_never_raises(data):
    decode_listing(data, "seeds/fuzz.txt")


def test_a_files_parse_does_not_depend_on_other_files(tmp_path, seed_files):
    (tmp_path / "seeds").mkdir()
    source = FIXTURES.parent.parent.parent / "seeds" / "004_820f401ebc758398.txt"
    (tmp_path / "seeds" / source.name).write_bytes(source.read_bytes())
    alone = read_seed_file(tmp_path / "seeds" / source.name, tmp_path)
    together = next(f for f in seed_files if f.path == alone.path)
    assert alone == together
