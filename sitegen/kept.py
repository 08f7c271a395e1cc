"""What the watch loop keeps between builds: the stages' memos (`Memo`) and the whole
assembly's (`Kept`: parses, memos, rendered page digests, what was written).

A fresh `Kept()` keeps nothing, and `pipeline.assemble` with it is exactly a clean build; each
memo is keyed by exactly the inputs of the function it stands for (see `sitegen.memo`), so
reusing one can never change the output, which the equivalence tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from sitegen import background
from sitegen.catalog.merge import MergeMemo, build_catalog
from sitegen.catalog.records import Catalog, Correction, Paper
from sitegen.curation.content import RenderedTexts
from sitegen.curation.notes import Curation
from sitegen.memo import ByInput
from sitegen.output.livetree import Stamp
from sitegen.output.survey import Digest
from sitegen.plan import SiteData, shown_taxonomy
from sitegen.related import RelatedIndex, documents_of, related_papers
from sitegen.search import SearchRecord
from sitegen.search_records import search_records
from sitegen.taxonomy import Taxonomy, Tags, classify
from sitegen.taxonomy.reach import edit_reach, reaches
from sitegen.tracking import Recorded

if TYPE_CHECKING:
    from sitegen.pipeline import BuildResult


@dataclass(slots=True)
class Memo:
    """Results of pure stages kept between rebuilds of one process (watch, serve).

    Each memo is keyed by exactly the inputs of the function it stands for, so reusing
    them can never change the output; a fresh `Memo()` (the default) memoises nothing useful.
    """

    taxonomy: Taxonomy | None = None
    related_key: tuple = ()
    related: dict = field(default_factory=dict)
    catalogs: ByInput = field(default_factory=ByInput)  # the catalog, while its inputs are the same
    merged: MergeMemo = field(default_factory=MergeMemo)  # merged title groups (see catalog.merge)
    classified: dict[tuple, tuple] = field(default_factory=dict)  # overrides -> (catalog, slug -> tags)
    # (title, abstract, override, its note) -> Tags, of the last two `classify` calls
    recent: tuple[dict, dict] = field(default_factory=lambda: ({}, {}))
    related_catalog: Catalog | None = None
    related_taxonomy: Taxonomy | None = None  # the taxonomy whose topics `related` weighed
    related_index: RelatedIndex = field(default_factory=RelatedIndex)  # updated in place (see related)
    plan: Recorded = field(default_factory=Recorded)  # planned pages and files (see sitegen.tracking)
    markdown: RenderedTexts = field(default_factory=RenderedTexts)
    curator: ByInput = field(default_factory=ByInput)  # each note's NoteFile (see note_files.read_notes)
    records: ByInput = field(default_factory=ByInput)  # paper slug -> its search record
    shown: tuple = (None, None)  # (a taxonomy, what pages read of it)

    def build_catalog(self, seed_files, capture_dates: dict, extra: tuple[Paper, ...], bib_files=(),
                      corrections: tuple[Correction, ...] = ()) -> Catalog:
        # Tuple equality checks identity first, so unchanged (cached) seed files compare fast.
        key = (tuple(seed_files), tuple(sorted(capture_dates.items())), tuple(extra), tuple(bib_files),
               tuple(corrections))
        return self.catalogs.get("catalog", key, lambda: build_catalog(seed_files, capture_dates, extra, bib_files,
                                                                       corrections, self.merged))

    def classify(self, taxonomy: Taxonomy, catalog: Catalog, curation: Curation | None = None) -> Mapping[str, Tags]:
        """Tags for every paper; with a `curation`, each note's topic/hardware override goes to
        the classifier with its paper's text. Only (text, override) pairs new since the last
        calls are classified; read the result, never change it (it is kept)."""
        if taxonomy is not self.taxonomy:
            self._forget_reached(taxonomy)
        overrides = {slug: (override, curation.notes[slug].path) for slug, override in curation.overrides.items()
                     } if curation is not None else {}
        key = tuple(overrides.items())
        last = self.classified.get(key)
        if last is not None and last[0] is catalog:
            return last[1]
        found, texts = {}, {}
        for paper in catalog.papers:
            override, source = overrides.get(paper.slug, (None, ""))
            text = (paper.title, paper.abstract, override, source)
            texts[text] = found[paper.slug] = (
                self.recent[1].get(text) or self.recent[0].get(text)
                or classify(taxonomy, paper.title, paper.abstract, override, source))
        self.classified = {k: v for k, v in self.classified.items() if v[0] is catalog} | {key: (catalog, found)}
        # Every round asks twice (without, then with the overrides): keep what the last two calls used.
        self.recent = (self.recent[1], texts)
        return found

    def _forget_reached(self, taxonomy: Taxonomy) -> None:
        """Forget the tags a taxonomy edit can change: those of texts a changed rule can
        reach and of papers with an override, or all when the edit is not local (see
        `edit_reach`)."""
        reach = edit_reach(self.taxonomy, taxonomy) if self.taxonomy is not None else None
        if reach is None:
            self.recent = ({}, {})
        else:
            reached: dict[tuple, bool] = {}  # (title, abstract) -> reached: both calls share texts

            def kept(text: tuple) -> bool:
                key = text[:2]
                if key not in reached:
                    reached[key] = reaches(taxonomy, reach, *key)
                return text[2] is None and not reached[key]

            self.recent = tuple({text: tags for text, tags in found.items() if kept(text)} for found in self.recent)
        self.taxonomy, self.classified = taxonomy, {}

    def shown_taxonomy(self, taxonomy: Taxonomy) -> Taxonomy:
        """What pages read of `taxonomy` (see `plan.shown_taxonomy`), made once per taxonomy."""
        if taxonomy is not self.shown[0]:
            self.shown = (taxonomy, shown_taxonomy(taxonomy))
        return self.shown[1]

    def settle(self) -> None:
        """Between rebuilds (off their clock): build the related index a forked child left behind,
        so that the first edit after a start updates related papers locally, as every later one
        does, instead of computing them all again (seconds at 10,000 papers). The index then
        holds exactly what a first-round update in this process would have made."""
        if self.unindexed:
            related_papers(self.unindexed, self.related_index)

    @property
    def unindexed(self) -> tuple:
        """The documents of the last related papers when the kept index does not hold them (a
        forked child computed them), else ()."""
        return self.related_key if self.related_index.documents != self.related_key else ()

    def search_records(self, data: SiteData) -> tuple[SearchRecord, ...]:
        """The search records; only papers whose text, tags or note changed are made again."""
        return search_records(data, self.records)

    def related_papers(self, catalog: Catalog, tags: dict[str, Tags]) -> Callable[[], dict]:
        """Call the result for the related papers (which weigh the classifier's topics). The
        first time they are computed on another core meanwhile, if the process may fork (see
        `background`); later rounds update the kept index locally, which costs little."""
        if catalog is self.related_catalog and self.taxonomy is self.related_taxonomy:
            return lambda: self.related
        self.related_taxonomy = self.taxonomy
        title = self.taxonomy.title_of
        documents = documents_of(catalog.papers, {slug: [title(t.id) for t in found.topics] for slug, found in tags.items()})
        key = tuple(documents)
        if key == self.related_key:
            self.related_catalog = catalog
            return lambda: self.related
        if self.related_key:  # a later round: update the kept index here, locally (see related)
            related = related_papers(documents, self.related_index)
            pending = lambda: related  # noqa: E731
        else:  # the first: all of it, on another core (the child's index is lost with it: see `settle`)
            pending = background.start(lambda: related_papers(documents, self.related_index))

        def result() -> dict:
            self.related_catalog, self.related_key, self.related = catalog, key, pending()
            return self.related

        return result


@dataclass(slots=True)
class Kept:
    """What a long-running process (watch, serve) keeps between builds of one project.

    `assemble` with a fresh `Kept` is exactly a clean build; with last build's, every stage
    reuses what its inputs leave unchanged (see `Memo`, `render.OutputFiles`), and the writer
    trusts files it wrote itself (see `output.write_site`).
    """

    parsed: ByInput = field(default_factory=ByInput)
    memo: Memo = field(default_factory=Memo)
    search: ByInput = field(default_factory=ByInput)  # the index, while no record changes
    pages: ByInput = field(default_factory=ByInput)  # rendered pages (see render.OutputFiles)
    verdicts: ByInput = field(default_factory=ByInput)  # path checks passed, by what they read
    environment: tuple[bytes, object] | None = None  # (templates digest, its Jinja environment)
    last: tuple = ()  # (inputs, templates digest) of the last successful build
    result: BuildResult | None = None  # and what it made
    written: dict[str, bytes | Digest] = field(default_factory=dict)  # what it wrote (pages: digests)
    stamps: Mapping[str, Stamp] = field(default_factory=dict)  # what the writer saw of each file then
