"""Citations out: BibTeX entries and CSL-JSON items for papers (pure functions).

Keys are readable and depend only on the paper itself: the first author's family name,
the year and the first word of the title (`dao2023flashattention2`), or, without an author
or a year, the first words of the slug. Adding or removing other papers never changes a
key, with one exception that cannot be avoided without numbering: when two papers yield
the same key, both carry a suffix from their own slug (`-a1b2`); `disambiguated` does that.

Every text value is escaped for BibTeX (`\\ { } % & $ # _ ~ ^`), so an export always parses
back to the same text (tests/test_citations.py round-trips them with bibtexparser and pybtex).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Iterable, Mapping

from bibtexparser.middlewares.names import parse_single_name_into_parts

from sitegen.sources import identifiers
from sitegen.catalog.authors import name_key
from sitegen.catalog.records import Paper
from sitegen.text.repair import slugify

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Where each BibTeX type keeps the venue, and the CSL type it is.
VENUE_FIELD = {"article": "journal", "inproceedings": "booktitle", "incollection": "booktitle",
               "conference": "booktitle", "techreport": "institution", "phdthesis": "school",
               "mastersthesis": "school"}
CSL_TYPE = {"article": "article-journal", "inproceedings": "paper-conference", "conference": "paper-conference",
            "incollection": "chapter", "book": "book", "techreport": "report", "phdthesis": "thesis",
            "mastersthesis": "thesis"}
_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$",
            "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
# Title words too common to name a paper by ("a", "on"): the key takes the first other one.
_STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "towards", "toward", "is"})


def cite_key(paper: Paper) -> str:
    """`dao2023flashattention2` when an author and a year are known, else slug-based."""
    year = paper.date.year if paper.date and paper.date.year else None
    words = (w.replace("-", "") for w in map(slugify, paper.title.split()))
    first = next((w for w in words if w), "")
    title_word = first if first not in _STOP_WORDS else next((w for w in words if w and w not in _STOP_WORDS), first)
    family = slugify(name_key(paper.author_names[0]).family).replace("-", "") if paper.author_names else ""
    if family and year:
        return f"{family}{year}{title_word}"
    words = "".join(paper.slug.split("-")[:3])
    return f"{words}{year or ''}"


def disambiguated(keys: Mapping[str, str]) -> dict[str, str]:
    """Paper slug -> `cite_key` made unique: keys two papers share get each paper's own suffix."""
    shared = Counter(keys.values())
    return {slug: key if shared[key] == 1 else f"{key}-{hashlib.sha1(slug.encode()).hexdigest()[:4]}"
            for slug, key in keys.items()}


def escape(text: str) -> str:
    """Text as a BibTeX value: special characters escaped, braces always balanced, and
    hyphen runs kept as hyphens (LaTeX reads `--` as an en dash)."""
    return text.translate(_ESCAPE_TABLE).replace("--", "-{}-").replace("--", "-{}-")


def bibtex_entry(paper: Paper, key: str, page_url: str) -> str:
    """One entry, fields in a fixed order; the title is braced whole so its case is kept."""
    entry_type = paper.entry_type or "misc"
    fields = [("title", "{" + escape(paper.title) + "}")]
    if paper.author_names:
        names = [_bibtex_name(name) for name in paper.author_names] + (["others"] if paper.more_authors else [])
        fields.append(("author", " and ".join(names)))
    if paper.date and paper.date.year:
        fields.append(("year", str(paper.date.year)))
        if paper.date.month:
            fields.append(("month", None, MONTHS[paper.date.month - 1]))
    if paper.venue:
        fields.append((VENUE_FIELD.get(entry_type, "howpublished"), escape(paper.venue)))
    if paper.doi:
        fields.append(("doi", paper.doi))  # verbatim in biblatex; identifiers.doi admits no braces
    if paper.arxiv:
        fields += [("eprint", paper.arxiv), ("archiveprefix", "arXiv")]
    fields.append(("url", page_url))
    lines = [f"@{entry_type}{{{key},"]
    for field in fields:
        name, value = field[0], field[1]
        lines.append(f"  {name} = {field[2]}," if value is None else f"  {name} = {{{value}}},")
    return "\n".join(lines) + "\n}\n"


def _bibtex_name(name: str) -> str:
    """A shown name ("First von Last, Jr") as BibTeX reads it unambiguously: "von Last, Jr, First"."""
    parts = parse_single_name_into_parts(name, strict=False)
    first, last = " ".join(parts.first), " ".join((*parts.von, *parts.last))
    jr = " ".join(parts.jr)
    protected = [escape(part).replace(" and ", " {and} ") for part in (last, jr, first)]
    last, jr, first = protected
    return ", ".join(p for p in (last, jr, first) if p) if jr else (f"{last}, {first}" if first else last)


def bibtex_file(entries: Iterable[str]) -> bytes:
    """Entries joined by blank lines, UTF-8."""
    return "\n".join(entries).encode("utf-8")


def csl_item(paper: Paper, key: str, page_url: str) -> dict:
    """A CSL-JSON item (what Zotero and Pandoc read)."""
    item = {"id": key, "type": CSL_TYPE.get(paper.entry_type or "", "article"), "title": paper.title}
    if paper.author_names:
        item["author"] = [_csl_name(name) for name in paper.author_names]
    if paper.date and paper.date.year:
        parts = [paper.date.year] + [n for n in (paper.date.month, paper.date.day) if n is not None]
        item["issued"] = {"date-parts": [parts[:1] if paper.date.month is None else parts]}
    if paper.venue:
        item["container-title"] = paper.venue
    if paper.doi:
        item["DOI"] = paper.doi
    if paper.arxiv:
        item["number"] = f"arXiv:{paper.arxiv}"
        item["archive"] = "arXiv"
    item["URL"] = identifiers.arxiv_abs_url(paper.arxiv) if paper.arxiv else page_url
    if paper.abstract:
        item["abstract"] = paper.abstract
    return item


def _csl_name(name: str) -> dict:
    parts = parse_single_name_into_parts(name, strict=False)
    found = {"family": " ".join(parts.last), "given": " ".join(parts.first),
             "non-dropping-particle": " ".join(parts.von), "suffix": " ".join(parts.jr)}
    return {field: value for field, value in found.items() if value} if found["family"] else {"literal": name}


def csl_element(item: dict) -> bytes:
    """One item as it stands in papers.csl.json, UTF-8 (`csl_json` joins them)."""
    # Indented one level deeper than on its own; a newline inside JSON is only ever indentation.
    return json.dumps(item, ensure_ascii=False, indent=1).replace("\n", "\n ").encode("utf-8")


def csl_json(elements: Iterable[bytes]) -> bytes:
    """papers.csl.json from its items (`csl_element`): what `json.dumps(items, indent=1)` writes."""
    joined = b",\n ".join(elements)
    return (b"[\n " + joined + b"\n]\n") if joined else b"[]\n"
