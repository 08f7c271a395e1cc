"""Stage 2, catalog: one `Paper` per paper, merged from every listing and BibTeX entry.

- `records`: `Paper` and its parts, the `Catalog` of lookups, and paper slugs;
- `merge`: repair text, group entries by match key and merge each group (`build_catalog`);
- `authors`: one person per author name, however each source spelled it.
"""
