"""Authors across sources: one person per name, however each source spelled it (pure).

Names are compared in a folded form: accents, letter case, dots and hyphens ignored, so
"Jörg Müller" and "Jorg Muller" are one author. A name whose given names are only initials
("T. Dao", "Dao, T.") is the same person as a full name with the same family name and
first initial ("Tri Dao") only when exactly one such full name exists in the catalog;
with two candidates ("Tri Dao" and "Tuan Dao") it stays an author of its own, because
guessing would credit one person's paper to another. The family name is the last word of
the name as shown ("First von Last"), which every source is normalised to.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable

from sitegen.sources.bibtex import ends_with_suffix
from sitegen.catalog.records import Paper
from sitegen.text.repair import fold_transliterated, slugify

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Author:
    """One person and the papers naming them, in catalog order."""

    slug: str
    name: str  # the fullest spelling the sources use
    papers: tuple[str, ...]  # paper slugs

    @property
    def has_page(self) -> bool:
        """An author of two or more papers has a page (one paper's page already names them)."""
        return len(self.papers) >= 2


@dataclass(frozen=True, slots=True)
class AuthorIndex:
    authors: dict[str, Author]  # author slug -> author, by slug
    of_paper: dict[str, tuple[str, ...]]  # paper slug -> its authors' slugs, in the paper's order
    keys: dict[str, frozenset[NameKey]]  # author slug -> every folded name standing for them


@dataclass(frozen=True, slots=True, order=True)
class NameKey:
    """A name folded for comparison: family name and given names, lower case, no accents."""

    family: str
    given: tuple[str, ...]

    @property
    def initials_only(self) -> bool:
        return all(len(word) == 1 for word in self.given)


def name_key(name: str) -> NameKey:
    """ "Jörg Müller" -> NameKey("muller", ("jorg",)); "T. Dao" -> NameKey("dao", ("t",))."""
    # Names are shown "First von Last, Jr" (see `display_name`): a comma only comes before a suffix.
    words = _WORD.findall(fold_transliterated(name.split(",")[0] if ends_with_suffix(name) else name))
    if not words:
        return NameKey("", ())
    return NameKey(words[-1], tuple(words[:-1]))


def index_authors(papers: Iterable[Paper]) -> AuthorIndex:
    """Every author named by a paper, with the papers naming them."""
    papers = tuple(papers)
    spellings: dict[NameKey, Counter] = defaultdict(Counter)
    for paper in papers:
        for name in paper.author_names:
            key = name_key(name)
            if key.family:
                spellings[key][name] += 1
    person = _people(spellings)
    names: dict[NameKey, Counter] = defaultdict(Counter)
    for key, counter in spellings.items():
        names[person[key]].update(counter)
    slugs = _slugs({key: _shown_name(counter) for key, counter in names.items()})
    members: dict[NameKey, list[str]] = defaultdict(list)
    of_paper = {}
    for paper in papers:
        keys = tuple(dict.fromkeys(person[k] for k in map(name_key, paper.author_names) if k.family))
        of_paper[paper.slug] = tuple(slugs[k] for k in keys)
        for key in keys:
            members[key].append(paper.slug)
    authors = {slugs[key]: Author(slugs[key], _shown_name(names[key]), tuple(members[key])) for key in names}
    keys: dict[str, set[NameKey]] = defaultdict(set)
    for key, target in person.items():
        keys[slugs[target]].add(key)
    return AuthorIndex(dict(sorted(authors.items())), of_paper, {slug: frozenset(k) for slug, k in keys.items()})


def _people(spellings: dict[NameKey, Counter]) -> dict[NameKey, NameKey]:
    """Each name key -> the key of the person it names (itself unless an unambiguous initial form)."""
    full_by_family: dict[str, list[NameKey]] = defaultdict(list)
    for key in sorted(spellings):
        if key.given and not key.initials_only:
            full_by_family[key.family].append(key)
    person = {}
    for key in spellings:
        person[key] = key
        if key.given and key.initials_only:
            matches = [full for full in full_by_family[key.family] if _initials_fit(key.given, full.given)]
            if len(matches) == 1:
                person[key] = matches[0]
    return person


def _initials_fit(initials: tuple[str, ...], given: tuple[str, ...]) -> bool:
    """("t",) fits ("tri",); ("j", "r") fits ("john", "ronald") and ("john",) (a middle initial
    the full name leaves out); the first initial must always agree."""
    return given[0].startswith(initials[0]) and all(
        word.startswith(initial) for initial, word in zip(initials[1:], given[1:]))


def _shown_name(spellings: Counter) -> str:
    """The most used spelling; ties go to the one keeping accents, not in capitals, the longest
    (full given names), then code-point order."""
    return min(spellings, key=lambda name: (-spellings[name], -sum(ord(c) > 127 for c in name), name.isupper(),
                                            -len(name), name))


def _slugs(shown: dict[NameKey, str]) -> dict[NameKey, str]:
    """A URL slug per person from the shown name; two people whose names slug alike get a
    hash of their folded name, so a slug never depends on which other authors exist."""
    base = {key: slugify(name) for key, name in shown.items()}
    taken = Counter(base.values())
    result = {}
    for key, slug in base.items():
        if not slug or taken[slug] > 1:
            digest = hashlib.sha1(repr(key).encode("utf-8")).hexdigest()[:6]
            slug = f"{slug or 'author'}-{digest}"
        result[key] = slug
    return result


def author_slug_of(index: AuthorIndex, paper_slug: str, name: str) -> str | None:
    """The slug of the author a paper's `name` stands for."""
    key = name_key(name)
    return next((slug for slug in index.of_paper.get(paper_slug, ()) if key in index.keys[slug]), None)


def author_label(paper: Paper, shown: int = 3) -> str:
    """What a card says about the authors: the first three names then "et al.", or a count."""
    names = paper.author_names
    if names:
        more = len(names) > shown or paper.more_authors
        return ", ".join(names[:shown]) + (" et al." if more else "")
    if paper.authors:
        return f"{paper.authors} author{'s' if paper.authors != 1 else ''}"
    return ""
