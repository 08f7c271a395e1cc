"""Stage 4, notes: the curator's notes on papers, and `attach_notes`, which gathers every
curator file (notes, reading paths, intros, pages) into one `Curation` for the plan.

A note is `content/notes/ANY-NAME.md`; its body (Markdown) is shown on the paper's page.
Front matter, every key optional except the paper:

    paper: vattention-dynamic-memory-management-for-serving-llms-without-pagedattention
                                # the paper: its slug or exact title (`sitegen papers` lists them)
    status: read                # to-read | reading | read
    rating: 4                   # 1 to 5
    pick: true                  # one of the curator's picks
    summary: One line on why it matters.
    tags: [memory, must-read]   # free tags; each gets a page /tags/SLUG/
    topics: {add: [kv-cache], remove: [llm-serving]}    # correct the classifier for this paper
    hardware: {add: [amd], remove: [nvidia-hopper]}     # (taxonomy ids)
    links: {arxiv: https://arxiv.org/abs/..., pdf: ..., code: ..., slides: ..., video: ..., project: ...}
    authors: [Tri Dao]          # bibliographic facts; they win over the listings and BibTeX
    date: 2023-07-17            # YYYY-MM-DD, YYYY-MM or YYYY
    venue: ICLR 2024
    doi: 10.48550/arXiv.2307.08691
    arxiv: 2307.08691           # or an arxiv.org / huggingface.co/papers URL

A paper from elsewhere (not in the seeds) is written as a note without `paper` but with
`title` and `abstract` and the same bibliographic keys (`authors` may also be a count).
`curator_papers` makes these into catalog papers, and the bibliographic keys of the other
notes into `Correction`s, before the catalog is built; it reports problems with those keys
only. `attach_notes` reports everything else, including front matter that cannot be read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sitegen import urls as routes
from sitegen.sources import identifiers
from sitegen.catalog.merge import first_identifier
from sitegen.catalog.records import Catalog, Correction, Paper, paper_slug
from sitegen.content import (
    HARDWARE_DIR, HOME_PATH, NOTES_DIR, PAGES_DIR, PATHS_DIR, TOPICS_DIR, ContentFiles, MarkdownContext,
    RenderedTexts, SourceText, file_slug, split_source,
)
from sitegen.diagnostics import Diagnostic, Severity, error, sorted_diagnostics, warning
from sitegen.text.frontmatter import read_fields
from sitegen.curation.site_links import LinkTargets, site_routes
from sitegen.notefields import (
    LINKS_SPEC, METADATA_KEYS, METADATA_SPECS, NOTE_SPECS, PAPER_KEYS, PAPER_SPECS, Tag, curator_title, make_tags,
    paper_keys_in, select_keys,
)
from sitegen.curation.intros import Intro, StandalonePage, read_intro, read_intros, read_pages
from sitegen.curation.reading_paths import PathPosition, ReadingPath, path_positions, read_paths
from sitegen.settings import Settings
from sitegen.taxonomy import Override, Taxonomy, check_override
from sitegen.text.repair import repair_text
from sitegen.text.weblinks import ExternalLink, extract_links
from sitegen.text.yamlsafe import YamlMap


@dataclass(frozen=True, slots=True)
class Note:
    """The curator's note on one paper."""

    path: str
    line: int  # line of the key naming the paper
    paper_slug: str
    status: str | None  # "to-read" | "reading" | "read"
    rating: int | None  # 1 to 5
    pick: bool
    summary: str | None
    summary_html: str  # the summary's inline Markdown rendered; "" without a summary
    tags: tuple[Tag, ...]  # free tags, in the order written, without repeats
    links: tuple[ExternalLink, ...]  # kinds from LINK_KINDS, in that order
    body_html: str
    mentions: tuple[str, ...]  # other papers the body links to


@dataclass(frozen=True, slots=True)
class Backlink:
    """A curator text that links to a paper."""

    title: str  # what to show: the annotated paper's, path's or page's title, or the entry's
    kind: str  # "note" | "path" | "page" | "topic" | "hardware" | "home"
    source_path: str
    target_slug: str  # note: the annotated paper; path/page: its slug; topic/hardware: the id; home: ""


@dataclass(frozen=True, slots=True)
class Curation:
    """Everything the curator wrote, checked against the catalog and the taxonomy."""

    notes: Mapping[str, Note]  # paper slug -> note
    paths: tuple[ReadingPath, ...]  # by (order, title)
    topic_intros: Mapping[str, Intro]  # topic id -> intro
    hardware_intros: Mapping[str, Intro]  # hardware id or model slug -> intro
    pages: tuple[StandalonePage, ...]  # by (order, title)
    home_intro: Intro | None
    backlinks: Mapping[str, tuple[Backlink, ...]]  # paper slug -> texts linking to it
    path_positions: Mapping[str, tuple[PathPosition, ...]]  # paper slug -> its places in paths
    overrides: Mapping[str, Override]  # paper slug -> the note's topic/hardware corrections
    tag_labels: Mapping[str, str]  # tag slug -> the spelling most notes use
    diagnostics: tuple[Diagnostic, ...]  # including the reading problems of the files


# --- papers from elsewhere -----------------------------------------------------------------


def curator_papers(files: ContentFiles, reuse: dict | None = None
                   ) -> tuple[tuple[Paper, ...], tuple[Correction, ...], tuple[Diagnostic, ...]]:
    """Papers from notes with `title` and `abstract`, the bibliographic corrections of notes
    with `paper`, and the problems with those fields (every key of `PAPER_SPECS`).

    `reuse` (the watch loop's, kept between rebuilds) maps each note's text to what it gave
    last time, so only edited notes are read again; it is left holding this round's notes."""
    papers, corrections, problems = [], [], []
    found = {}
    for source in files.under(NOTES_DIR):
        paper, correction, source_problems = found[source] = (
            reuse[source] if reuse is not None and source in reuse else _curator_fields(source))
        papers += [paper] if paper is not None else []
        corrections += [correction] if correction is not None else []
        problems += source_problems
    if reuse is not None:
        reuse.clear()
        reuse.update(found)
    return tuple(papers), tuple(corrections), tuple(sorted_diagnostics(problems))


def _curator_fields(source: SourceText) -> tuple[Paper | None, Correction | None, tuple[Diagnostic, ...]]:
    """What one note says about its paper: a paper from elsewhere, or a correction."""
    front, _ = split_source(source)  # attach_notes reports unreadable front matter
    if front is None:
        return None, None, ()
    data = front.data
    if data.get("paper") is None and paper_keys_in(data):
        values, problems = read_fields(select_keys(data, PAPER_KEYS.__contains__), source.path, PAPER_SPECS)
        complete = values["title"] is not None and values["abstract"] is not None
        return _curator_paper(source.path, data, values) if complete else None, None, problems
    if isinstance(data.get("paper"), str) and not paper_keys_in(data):
        values, problems = read_fields(select_keys(data, METADATA_KEYS.__contains__), source.path, METADATA_SPECS)
        links = _given_links(source.path, data)
        if links or any(values.values()):
            return None, Correction(
                source.path, data.line_of("paper"), data["paper"], values["authors"] or (), values["date"],
                values["venue"], values["doi"], values["arxiv"], links, values["organization"]), problems
        return None, None, problems
    return None, None, ()


def _given_links(path: str, data: YamlMap) -> tuple[ExternalLink, ...]:
    # `links` belongs to the note (attach_notes reports its problems); here it only feeds the paper.
    given, _ = read_fields(select_keys(data, {"links"}.__contains__), path, (LINKS_SPEC,))
    return given["links"]


def _curator_paper(path: str, data: YamlMap, values: dict[str, object]) -> Paper:
    title, abstract = repair_text(values["title"]), repair_text(values["abstract"])
    by_url: dict[str, ExternalLink] = {}
    for link in (*_given_links(path, data), *extract_links(abstract)):  # the curator's kind wins
        by_url.setdefault(link.url, link)
    authors = values["authors"]
    names = authors if isinstance(authors, tuple) else ()
    links = tuple(by_url.values())
    return Paper(
        slug=paper_slug(title), title=title, abstract=abstract,
        raw_title=values["title"], raw_abstract=values["abstract"], date=values["date"],
        authors=len(names) if names else authors, organization=values["organization"], upvotes=None,
        links=links, occurrences=(), added_by=path, author_names=names, venue=values["venue"],
        doi=values["doi"] or first_identifier(identifiers.doi, links),
        arxiv=values["arxiv"] or first_identifier(identifiers.arxiv_id, links),
    )


# --- notes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _NoteReader:
    """What reading a note needs beyond the note itself."""

    context: MarkdownContext
    taxonomy: Taxonomy

    def read(self, source: SourceText, problems: list[Diagnostic]) -> tuple[Note, Override | None] | None:
        """The note and its override, or None when it is about no known paper (reported)."""
        front, split_problems = split_source(source)
        problems.extend(split_problems)
        if front is None:
            return None
        data = front.data
        values, field_problems = read_fields(select_keys(data, lambda key: key not in PAPER_KEYS), source.path,
                                             NOTE_SPECS)
        problems.extend(field_problems)
        rendered = self.context.render(front.body, source.path, front.body_line)
        problems.extend(rendered.diagnostics)
        summary = self.context.render(values["summary"] or "", source.path, data.line_of("summary"), inline=True)
        problems.extend(summary.diagnostics)
        paper = self._paper(source.path, data, values["paper"], problems)
        override = self._override(source.path, data, values, problems)
        if paper is None:
            return None
        note = Note(
            path=source.path, line=data.line_of("paper" if "paper" in data else "title"), paper_slug=paper.slug,
            status=values["status"], rating=values["rating"], pick=values["pick"], summary=values["summary"],
            summary_html=summary.html, tags=make_tags(values["tags"]), links=values["links"],
            body_html=rendered.html,
            mentions=tuple(s for s in self.context.slugs_of(summary.paper_refs + rendered.paper_refs)
                           if s != paper.slug),
        )
        return note, override

    def _paper(self, path: str, data: YamlMap, ref: str | None, problems: list[Diagnostic]) -> Paper | None:
        """The paper a note is about; None (with the reason reported once) when there is none."""
        extra_keys = paper_keys_in(data)
        if data.get("paper") is not None and extra_keys:
            listed = ", ".join(repr(key) for key in extra_keys)
            verb = "describes" if len(extra_keys) == 1 else "describe"
            problems.append(error(path, data.line_of("paper"), (
                f"{listed} {verb} a paper from elsewhere, but 'paper' names one in the catalog: "
                "keep 'paper', or drop it and give 'title' and 'abstract'")))
            return None
        if extra_keys:
            return self._elsewhere_paper(path, data, problems)
        if data.get("paper") is None:
            problems.append(error(path, data.line, "a note names its paper: add 'paper: SLUG' "
                                                   "(or 'title' and 'abstract' for a paper from elsewhere)"))
            return None
        if ref is None:  # present but not text: read_fields reported it
            return None
        try:
            return self.context.find(ref)
        except LookupError as refusal:
            problems.append(error(path, data.line_of("paper"), refusal.args[0]))
            return None

    def _elsewhere_paper(self, path: str, data: YamlMap, problems: list[Diagnostic]) -> Paper | None:
        title = curator_title(data)
        seed = self.context.catalog.seed_paper(title) if title is not None else None
        if seed is not None:  # the catalog merged the note's fields into the seed paper
            first = seed.occurrences[0]
            problems.append(warning(path, data.line_of("title"), (
                f"{title!r} is also in {first.file}:{first.line}; this note's authors, date and links are "
                f"merged into that paper and its text is the listing's: replace 'title' and 'abstract' "
                f"with 'paper: {seed.slug}'")))
            return seed
        paper = self.context.catalog.by_title(title) if title is not None else None
        # None when curator_papers refused the paper (and said why).
        return paper if paper is not None and paper.added_by is not None else None

    def _override(self, path: str, data: YamlMap, values: dict, problems: list[Diagnostic]) -> Override | None:
        """The note's topic/hardware corrections; None when it has none or they name unknown ids."""
        topics, hardware = values["topics"], values["hardware"]
        found = []  # each key checked on its own, so a problem points at its line
        found += check_override(self.taxonomy, Override(topics["add"], topics["remove"], (), ()),
                                path, data.line_of("topics"))
        found += check_override(self.taxonomy, Override((), (), hardware["add"], hardware["remove"]),
                                path, data.line_of("hardware"))
        problems.extend(found)
        ids = (topics["add"], topics["remove"], hardware["add"], hardware["remove"])
        if not any(ids) or any(d.severity is Severity.ERROR for d in found):
            return None
        return Override(*ids)


def _read_notes(sources: tuple[SourceText, ...], reader: _NoteReader
                ) -> tuple[dict[str, Note], dict[str, Override], list[Diagnostic]]:
    """Notes and their overrides by paper slug; a second note on one paper is an error."""
    notes: dict[str, Note] = {}
    overrides: dict[str, Override] = {}
    problems: list[Diagnostic] = []
    for source in sources:
        read = reader.read(source, problems)
        if read is None:
            continue
        note, override = read
        if note.paper_slug in notes:
            title = reader.context.catalog.get(note.paper_slug).title
            problems.append(error(note.path, note.line, (
                f"a second note on {title!r}: {notes[note.paper_slug].path} already has one; "
                "keep one note per paper")))
            continue
        notes[note.paper_slug] = note
        if override is not None:
            overrides[note.paper_slug] = override
    return notes, overrides, problems


# --- everything together ---------------------------------------------------------------------


def attach_notes(files: ContentFiles, catalog: Catalog, taxonomy: Taxonomy, settings: Settings,
                 paper_url: Callable[[str], str], rendered: RenderedTexts | None = None) -> Curation:
    """Check every curator file against the catalog and the taxonomy and gather them.

    `catalog` must already hold the papers of `curator_papers(files)`. Nothing raises: every
    problem, the files' reading problems included, is in `Curation.diagnostics`. `rendered`
    (the watch loop's) saves rendering Markdown that has not changed.
    """
    context = MarkdownContext(catalog, paper_url, settings.allow_html, rendered,
                              _link_targets(files, catalog, taxonomy, settings))
    reader = _NoteReader(context, taxonomy)
    notes, overrides, problems = _read_notes(files.under(NOTES_DIR), reader)
    paths, found = read_paths(files.under(PATHS_DIR), context)
    problems += found
    topic_titles, hardware_titles = _entry_titles(taxonomy)
    topic_intros, found = read_intros(files.under(TOPICS_DIR), topic_titles, "topic", context)
    problems += found
    hardware_intros, found = read_intros(files.under(HARDWARE_DIR), hardware_titles, "hardware entry", context)
    problems += found
    pages, found = read_pages(files.under(PAGES_DIR), context)
    problems += found
    home = files.get(HOME_PATH)
    home_intro = read_intro(home, "home", context, problems) if home is not None else None
    mentions = [
        *((Backlink(catalog.get(n.paper_slug).title, "note", n.path, n.paper_slug), n.mentions)
          for n in notes.values()),
        *((Backlink(p.title, "path", p.path, p.slug), p.mentions) for p in paths),
        *((Backlink(p.title, "page", p.path, p.slug), p.paper_slugs) for p in pages),
        *((Backlink(i.title or topic_titles[i.id], "topic", i.path, i.id), i.paper_slugs)
          for i in topic_intros.values()),
        *((Backlink(i.title or hardware_titles[i.id], "hardware", i.path, i.id), i.paper_slugs)
          for i in hardware_intros.values()),
        *([(Backlink(home_intro.title or settings.title, "home", home_intro.path, ""), home_intro.paper_slugs)]
          if home_intro is not None else []),
    ]
    return Curation(
        notes=dict(sorted(notes.items())), paths=paths,
        topic_intros=dict(sorted(topic_intros.items())), hardware_intros=dict(sorted(hardware_intros.items())),
        pages=pages, home_intro=home_intro, backlinks=_backlinks(mentions), path_positions=path_positions(paths),
        overrides=dict(sorted(overrides.items())), tag_labels=_tag_labels(notes.values()),
        diagnostics=tuple(sorted_diagnostics([*files.diagnostics, *problems])),
    )


def _link_targets(files: ContentFiles, catalog: Catalog, taxonomy: Taxonomy, settings: Settings) -> LinkTargets:
    """What wiki links and site paths may name, known before any Markdown is rendered: titles
    and tags come from the front matter alone (read once, cached; problems reported later)."""
    def titles(folder: str) -> dict[str, str]:
        found = {}
        for source in files.under(folder):
            front = split_source(source)[0]
            title = front.data.get("title") if front is not None else None
            found[file_slug(source.path)] = title if isinstance(title, str) else file_slug(source.path)
        return found

    labels = []
    for source in files.under(NOTES_DIR):
        front = split_source(source)[0]
        listed = front.data.get("tags") if front is not None else None
        labels += [label for label in listed if isinstance(label, str)] if isinstance(listed, list) else []
    topics, hardware = _entry_titles(taxonomy)
    paths, pages = titles(PATHS_DIR), titles(PAGES_DIR)
    tags = {tag.slug: tag.label for tag in make_tags(tuple(labels))}
    return LinkTargets(routes.Urls(settings.base_url, settings.base_path).href, topics, hardware, paths, pages, tags,
                       site_routes([p.slug for p in catalog.papers], topics, hardware, paths, pages, tags,
                                   settings.search))


def _entry_titles(taxonomy: Taxonomy) -> tuple[dict[str, str], dict[str, str]]:
    """Topic id -> title, and hardware id or model slug -> title (the pages intros sit on)."""
    topics = {topic.id: topic.title for topic in taxonomy.topics}
    hardware = {entry.id: entry.title for entry in taxonomy.hardware}
    hardware.update((model.slug, model.name) for model in taxonomy.models)
    return topics, hardware


_KIND_ORDER = ("note", "path", "page", "topic", "hardware", "home")


def _backlinks(mentions: list[tuple[Backlink, tuple[str, ...]]]) -> dict[str, tuple[Backlink, ...]]:
    """Paper slug -> every text linking to it, notes first, then paths, pages and intros."""
    found: dict[str, set[Backlink]] = defaultdict(set)
    for backlink, slugs in mentions:
        for slug in slugs:
            found[slug].add(backlink)
    order = lambda b: (_KIND_ORDER.index(b.kind), b.title, b.source_path)  # noqa: E731
    return {slug: tuple(sorted(links, key=order)) for slug, links in sorted(found.items())}


def _tag_labels(notes) -> dict[str, str]:
    """Tag slug -> the spelling most notes use (ties: the first in code-point order)."""
    spellings: dict[str, Counter] = defaultdict(Counter)
    for note in notes:
        for tag in note.tags:
            spellings[tag.slug][tag.label] += 1
    return {slug: min(labels, key=lambda label: (-labels[label], label)) for slug, labels in sorted(spellings.items())}
