"""`sitegen new note`: a note skeleton prefilled from the paper, written without overwriting.

The skeleton is a valid note as it stands (it loads with no diagnostics); the optional keys
are there as comments showing their form, so the curator only uncomments and fills in.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from sitegen.catalog.records import Paper
from sitegen.content import NOTES_DIR
from sitegen.diagnostics import SitegenError, error
from sitegen.taxonomy import Tags


def note_skeleton(paper: Paper, tags: Tags) -> str:
    """The text of a new note on `paper`; `tags` (its classification) are shown as comments so
    the curator sees what a `topics`/`hardware` correction would change."""
    topics = [tag.id for tag in tags.topics]
    hardware = [tag.id for tag in tags.hardware]
    lines = [
        "---",
        f"# {paper.title}",
        "# Only `paper` is required. The body below the closing line is Markdown, shown on the",
        "# paper's page; [[slug or title]] links to another paper.",
        f"paper: {_yaml_text(paper.slug)}",
        "status: to-read          # to-read | reading | read",
        "# rating: 4              # 1 to 5, once read",
        "pick: false              # true lists it among the curator's picks",
        "# summary: One line on why this paper matters.",
        "tags: []                 # free tags, e.g. [memory, must-read]",
        f"# Classified as topics: {', '.join(topics) or 'none'}; hardware: {', '.join(hardware) or 'none'}.",
        "# To correct that for this paper only (taxonomy ids):",
        f"# topics: {{add: [topic-id], remove: [{topics[0] if topics else 'topic-id'}]}}",
        f"# hardware: {{add: [hardware-id], remove: [{hardware[0] if hardware else 'hardware-id'}]}}",
        *_links_lines(paper),
        *_bibliography_lines(paper),
        "---",
        "",
    ]
    return "\n".join(lines)


def _links_lines(paper: Paper) -> list[str]:
    """The paper's first code and project links, or a commented example."""
    chosen = {}
    for link in paper.links:
        chosen.setdefault(link.kind, link.url)
    if not chosen:
        return ["# links: {arxiv: https://arxiv.org/abs/..., code: https://github.com/...}"]
    return ["links:                   # arxiv, pdf, code, slides, video, project",
            *(f"  {kind}: {_yaml_text(url)}" for kind, url in sorted(chosen.items()))]


def _bibliography_lines(paper: Paper) -> list[str]:
    """The paper's bibliographic facts as they stand, commented: uncommented, a value wins over
    the listings and BibTeX (for a correction); known values are shown so the curator sees them."""
    names = paper.author_names or ("First Last", "Last, First")
    authors = ", ".join(json.dumps(name, ensure_ascii=False) if "," in name else _yaml_text(name) for name in names)
    return [
        "# Bibliographic facts; set one to correct or complete what the listings and BibTeX say:",
        f"# authors: [{authors}]",
        f"# date: {paper.date.iso() if paper.date and paper.date.year else 'YYYY-MM-DD'}   # or YYYY-MM, or YYYY",
        f"# venue: {_yaml_text(paper.venue or 'Conference or journal')}",
        f"# doi: {_yaml_text(paper.doi or '10.NNNN/...')}",
        f"# arxiv: \"{paper.arxiv or '2307.08691'}\"   # quoted: a bare 2307.10000 would read as a number",
    ]


def _yaml_text(value: str) -> str:
    """`value` as a YAML scalar that reads back as the same string (quoted only when needed)."""
    try:
        plain_ok = yaml.safe_load(value) == value and "#" not in value
    except yaml.YAMLError:
        plain_ok = False
    return value if plain_ok else json.dumps(value, ensure_ascii=False)  # JSON strings are YAML


def write_new_note(root: Path, paper: Paper, text: str) -> Path:
    """Create `content/notes/SLUG.md` under `root` holding `text`; never replace a file."""
    relative = f"{NOTES_DIR}/{paper.slug}.md"
    target = root / relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SitegenError([error(NOTES_DIR, None, f"cannot create the folder: {exc.strerror or exc}")]) from None
    try:
        with target.open("x", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except FileExistsError:
        raise SitegenError([error(relative, None, "a note already exists here; edit it instead "
                                                  "(sitegen never overwrites a note)")]) from None
    except OSError as exc:
        raise SitegenError([error(relative, None, f"cannot write the note: {exc.strerror or exc}")]) from None
    return target
