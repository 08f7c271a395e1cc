"""Stage 4, notes: the curator's files under `content/`, read, checked and tied to the catalog.

- `content`: every file under `content/` read once (`ContentFiles`), front matter split, the
  Markdown renderer's context and its memo of rendered texts;
- `note_files`: each note read once into a `NoteFile`; the papers and corrections notes add
  before the catalog exists;
- `note_fields`: the keys a note may have and their types;
- `notes`: notes attached to the catalog's papers (`attach_notes` -> `Curation`: notes,
  overrides, backlinks, tags, reading paths, intros and pages);
- `reading_paths`: `content/paths/*.md`, an ordered walk through papers;
- `intros`: `content/{home,topics/*,hardware/*}.md` intros and `content/pages/*.md` pages;
- `site_links`: wiki links (`[[topic:ID]]` ...) and site-absolute Markdown links.
"""
