"""Stage 1, sources: read the input files and parse them into located records.

- `listing`: listing dumps in `seeds/*.txt` -> `SeedEntry` records;
- `bibtex`: BibTeX libraries in `seeds/*.bib` -> `BibEntry` records;
- `inputfiles`: the one reader every input goes through (names, regular files only, memo);
- `identifiers`: arXiv ids and DOIs, recognised wherever a source writes them.
"""
