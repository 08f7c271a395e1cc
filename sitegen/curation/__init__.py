"""Curator content besides notes: reading paths, intros and standalone pages, and the
links curator Markdown may make inside the site.

- `reading_paths`: `content/paths/*.md`, an ordered walk through papers;
- `intros`: `content/{home,topics/*,hardware/*}.md` intros and `content/pages/*.md` pages;
- `site_links`: wiki links (`[[topic:ID]]` ...) and site-absolute Markdown links.
"""
