"""Stage 2, catalog: one `Paper` per paper, merged from every listing and BibTeX entry.

- `merge`: repair text, group entries by match key and merge each group;
- `authors`: one person per author name, however each source spelled it.
"""
