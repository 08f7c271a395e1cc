"""BibTeX sources: entry types, LaTeX decoding, names, identifiers, located problems."""

from __future__ import annotations

from pathlib import Path

from sitegen.sources.bibtex import parse_bib, parse_bib_bytes, parse_names, read_bib_dir

FIXTURE = Path(__file__).parents[1] / "fixtures" / "bib" / "library.bib"


def library():
    return parse_bib(FIXTURE.read_text(encoding="utf-8"), "seeds/library.bib")


def test_every_exported_entry_type_is_read_and_the_malformed_one_is_located():
    parsed = library()
    assert [(e.key, e.entry_type, e.line) for e in parsed.entries] == [
        ("mueller2021tiles", "article", 4), ("shared2022", "inproceedings", 15),
        ("arxivexport2023", "misc", 26), ("report2019", "techreport", 35), ("thesis2018", "phdthesis", 43)]
    [problem] = parsed.diagnostics
    assert str(problem).startswith("seeds/library.bib:22: error: malformed entry skipped: ")


def test_latex_is_decoded_and_case_braces_dropped():
    tiles = library().entries[0]
    assert tiles.title == "GPU Tiles for Müller–Łukasiewicz Kernels: Café and École"
    assert tiles.authors == ("Jörg Müller", "Jan Łukasiewicz", "María García")
    assert tiles.abstract == "We tile GPU kernels — carefully — and measure 50% gains."
    assert (tiles.year, tiles.month, tiles.venue) == (2021, 3, "Journal of Imaginary Systems")
    assert tiles.keywords == ("gpu", "kernels")


def test_names_in_both_orders_and_and_others():
    assert parse_names("Lovelace, Ada and Charles Babbage and others") == (("Ada Lovelace", "Charles Babbage"), True)
    assert parse_names("de la Fuente, Ana and Smith, Jr., John") == (("Ana de la Fuente", "John Smith, Jr."), False)
    shared = library().entries[1]
    assert (shared.authors, shared.more_authors, shared.venue) == (
        ("Ada Lovelace", "Charles Babbage"), True, "Proceedings of the Imaginary Conference")


def test_identifiers_come_from_doi_eprint_and_urls():
    tiles, shared, export, report, thesis = library().entries
    assert tiles.doi == "10.1234/JIS.2021.42"
    assert export.arxiv == "2307.08691"  # version dropped
    assert report.arxiv == "1901.00001" and report.venue == "Imaginary Lab"
    assert thesis.arxiv is None and thesis.venue == "Imaginary University"  # a note field is no identifier
    assert shared.doi is None and shared.arxiv is None


def test_an_entry_without_title_and_a_duplicate_key_are_errors_and_the_rest_is_kept():
    parsed = parse_bib("@misc{a, author={X}}\n@misc{b, title={B}}\n@misc{b, title={Again}}\n"
                       "@misc{c, title={C}, year={20x3}}\n", "seeds/x.bib")
    assert [e.key for e in parsed.entries] == ["b", "c"]
    assert [str(d) for d in parsed.diagnostics] == [
        "seeds/x.bib:1: error: entry 'a' has no title; skipped",
        "seeds/x.bib:3: error: a second entry with the key 'b'; keys must be unique",
        "seeds/x.bib:4: warning: entry 'c': year '20x3' is not four digits; left out",
    ]


def test_binary_and_legacy_encodings_are_reported_not_raised():
    assert [str(d) for d in parse_bib_bytes(b"\x00\x01", "seeds/x.bib").diagnostics] == [
        "seeds/x.bib: error: binary file (NUL bytes), not a listing; remove it or fix its encoding"]
    parsed = parse_bib_bytes("@misc{a, title={Caf\xe9}}".encode("cp1252"), "seeds/x.bib")
    assert parsed.entries[0].title == "Café" and "not valid UTF-8" in str(parsed.diagnostics[0])


def test_seed_directory_reads_bib_files_beside_listings(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "b.bib").write_text("@misc{k, title={T}}\n")
    (tmp_path / "seeds" / "a.txt").write_text("not bibtex\n")
    [found] = read_bib_dir(tmp_path / "seeds", tmp_path)
    assert found.path == "seeds/b.bib" and found.entries[0].line == 1
