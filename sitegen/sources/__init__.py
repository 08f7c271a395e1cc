"""Stage 1, sources: read the input files and parse them into located records.

- `listing`: the grammar of listing dumps (`seeds/*.txt`) -> `SeedEntry` records (pure);
- `listing_files`: reading and decoding those files, the disk edge of `listing`;
- `bibtex`: BibTeX libraries in `seeds/*.bib` -> `BibEntry` records;
- `inputfiles`: the one reader every input goes through (names, regular files only, memo);
- `identifiers`: arXiv ids and DOIs, recognised wherever a source writes them.
"""
