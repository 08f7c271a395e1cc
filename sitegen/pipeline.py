"""The build as a flat list of steps: read inputs, run the stages, write the output.

    read_inputs   (I/O)  settings, seeds, content, taxonomy, templates' static assets
    compute_site  (pure) catalog -> taxonomy -> related (weighing topics) and notes -> plan
    render_site   (pure) Jinja -> {path: bytes}, each page rendered when the writer asks
    write_site    (I/O)  atomic, only into the output folder

Gather everything first, then write: nothing is written while anything is still being read
or decided. Pages are rendered as they are written, into a staging folder that goes live
only once complete, so a failing build (a template error too) leaves the previous site
untouched. Every command (papers, check, build, watch, serve) goes through here and sees
the same data and diagnostics.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping

from sitegen import background, notes as notes_stage
from sitegen.notes import Curation
from sitegen.sources.bibtex import BibFile, read_bib_dir
from sitegen.catalog.merge import build_catalog
from sitegen.catalog.records import Catalog, Correction, Paper
from sitegen.content import ContentFiles, RenderedTexts, read_content
from sitegen.diagnostics import Diagnostic, SitegenError, error, raise_if_errors
from sitegen.sources.inputfiles import label_of, name_problem, read_regular
from sitegen.memo import ByContent, ByInputs
from sitegen.output.guard import check_output_dir
from sitegen.output.livetree import Stamp
from sitegen.output.survey import WriteReport
from sitegen.output.writer import write_site
from sitegen.plan import SiteData, SitePlan, plan_site
from sitegen.related import documents_of, related_papers
from sitegen.render import PageCache, StaticFile, make_environment, render_site
from sitegen.search import SearchMemo, plan_with_search
from sitegen.settings import Settings, load_settings, relative_base_url_warning, source_date_epoch, with_overrides
from sitegen.sources.listing import SeedFile
from sitegen.sources.listing_files import read_seed_dir
from sitegen.taxonomy import Taxonomy, Tags, apply_override, classify, load_taxonomy
from sitegen import urls as routes

TAXONOMY_PATH = "content/taxonomy.yaml"


@dataclass(frozen=True, slots=True)
class Project:
    """Where a project's inputs live."""

    root: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def static(self) -> Path:
        return self.root / "templates" / "static"

    def output(self, settings: Settings) -> Path:
        return self.root / settings.output  # an absolute `output` replaces the root


@dataclass(frozen=True, slots=True)
class Overrides:
    """Command-line options that win over content/site.yaml (None: not given)."""

    base_url: str | None = None
    output: str | None = None
    search: bool | None = None


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything a build reads from disk."""

    settings: Settings
    settings_warnings: tuple[Diagnostic, ...]
    seed_files: tuple[SeedFile, ...]
    bib_files: tuple[BibFile, ...]
    content: ContentFiles
    taxonomy: Taxonomy
    static: tuple[StaticFile, ...]


@dataclass(frozen=True, slots=True)
class Site:
    """The computed site: the plan and every warning met on the way."""

    plan: SitePlan
    catalog: Catalog
    taxonomy: Taxonomy
    tags: Mapping[str, Tags]
    curation: Curation
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class BuildResult:
    site: Site
    files: int
    report: WriteReport
    output: Path
    rendered: int  # pages rendered; the others came from the watch loop's cache
    timings: tuple[tuple[str, float], ...] = field(default=())


# --- reading (I/O edge) ---------------------------------------------------------------------

def read_inputs(root: Path, overrides: Overrides = Overrides(), memo: ByContent | None = None) -> Inputs:
    """Read every input; raise `SitegenError` with all located errors found.

    With a `memo` (watch, serve), files whose bytes did not change are not parsed again.
    """
    project = Project(root)
    settings, warnings = load_settings(root)
    settings = replace(with_overrides(settings, base_url=overrides.base_url, output=overrides.output,
                                      search=overrides.search),
                       epoch=source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH")))
    taxonomy = _read_taxonomy(root / TAXONOMY_PATH, memo)
    inputs = Inputs(settings, warnings, read_seed_dir(project.seeds, root, memo),
                    read_bib_dir(project.seeds, root, memo), read_content(root), taxonomy,
                    read_static(project.static, root))
    if memo is not None:
        memo.end_round()
    return inputs


def _read_taxonomy(path: Path, memo: ByContent | None) -> Taxonomy:
    if memo is None:
        return load_taxonomy(path, TAXONOMY_PATH)
    try:
        data = read_regular(path)
    except OSError:
        return load_taxonomy(path, TAXONOMY_PATH)  # reports the problem, located
    return memo.get(TAXONOMY_PATH, data, lambda: load_taxonomy(path, TAXONOMY_PATH))


def read_static(static_dir: Path, root: Path) -> tuple[StaticFile, ...]:
    """Assets under templates/static/, published under static/."""
    if not static_dir.is_dir():
        return ()
    found = []
    for path in sorted(static_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            bad_name = name_problem(path, root)
            if bad_name is not None:
                raise SitegenError([bad_name])
            try:
                found.append(StaticFile("static/" + path.relative_to(static_dir).as_posix(), read_regular(path)))
            except OSError as exc:
                raise SitegenError([error(label_of(path, root), None,
                                          f"cannot read asset: {exc.strerror or exc}")]) from None
    return tuple(found)


def load_catalog(root: Path, settings: Settings | None = None) -> Catalog:
    """Seeds -> catalog (with curator papers), for commands that need no site."""
    if settings is None:
        settings, _ = load_settings(root)
    extra, corrections, _ = notes_stage.curator_papers(read_content(root))
    seeds = Project(root).seeds
    return build_catalog(read_seed_dir(seeds, root), settings.capture_date_map(), extra, read_bib_dir(seeds, root),
                         corrections)


# --- computing (pure) -----------------------------------------------------------------------

@dataclass(slots=True)
class Memo:
    """Results of pure stages kept between rebuilds of one process (watch, serve).

    Each memo is keyed by exactly the inputs of the function it stands for, so reusing
    them can never change the output; a fresh `Memo()` (the default) memoises nothing useful.
    """

    taxonomy: Taxonomy | None = None
    tags: dict[tuple[str, str], Tags] = field(default_factory=dict)  # (title, abstract) -> Tags
    related_key: tuple = ()
    related: dict = field(default_factory=dict)
    catalog_key: tuple = ()
    catalog: Catalog | None = None
    classified_catalog: Catalog | None = None
    classified: dict[str, Tags] = field(default_factory=dict)  # slug -> tags of classified_catalog
    related_catalog: Catalog | None = None
    related_taxonomy: Taxonomy | None = None  # the taxonomy whose topics `related` weighed
    plan: ByInputs = field(default_factory=ByInputs)  # planned pages and files (see plan.py)
    markdown: RenderedTexts = field(default_factory=RenderedTexts)
    curator: dict = field(default_factory=dict)  # note source -> its paper, correction, problems

    def build_catalog(self, seed_files, capture_dates: dict, extra: tuple[Paper, ...], bib_files=(),
                      corrections: tuple[Correction, ...] = ()) -> Catalog:
        # Tuple equality checks identity first, so unchanged (cached) seed files compare fast.
        key = (tuple(seed_files), tuple(sorted(capture_dates.items())), tuple(extra), tuple(bib_files),
               tuple(corrections))
        if self.catalog is None or key != self.catalog_key:
            self.catalog_key, self.catalog = key, build_catalog(seed_files, capture_dates, extra, bib_files,
                                                                corrections)
        return self.catalog

    def classify(self, taxonomy: Taxonomy, catalog: Catalog) -> dict[str, Tags]:
        """Tags for every paper (before curator overrides); only new texts are classified."""
        if taxonomy is self.taxonomy and catalog is self.classified_catalog:
            return dict(self.classified)  # a copy: the caller applies the overrides to it
        if taxonomy is not self.taxonomy:
            self.taxonomy, self.tags = taxonomy, {}
        fresh = {}
        for paper in catalog.papers:
            key = (paper.title, paper.abstract)
            fresh[key] = self.tags.get(key) or classify(taxonomy, paper.title, paper.abstract)
        self.tags, self.classified_catalog = fresh, catalog
        self.classified = {paper.slug: fresh[paper.title, paper.abstract] for paper in catalog.papers}
        return dict(self.classified)

    def related_papers(self, catalog: Catalog, tags: dict[str, Tags]) -> Callable[[], dict]:
        """Call the result for the related papers (which weigh the classifier's topics);
        when they are new they are computed on another core meanwhile, if the process may
        fork (see `background`)."""
        if catalog is self.related_catalog and self.taxonomy is self.related_taxonomy:
            return lambda: self.related
        self.related_taxonomy = self.taxonomy
        title = self.taxonomy.title_of
        documents = documents_of(catalog.papers, {slug: [title(t.id) for t in found.topics] for slug, found in tags.items()})
        key = tuple(documents)
        if key == self.related_key:
            self.related_catalog = catalog
            return lambda: self.related
        pending = background.start(lambda: related_papers(documents))

        def result() -> dict:
            self.related_catalog, self.related_key, self.related = catalog, key, pending()
            return self.related

        return result


def compute_site(inputs: Inputs, search: bool = False, memo: Memo | None = None) -> Site:
    """catalog -> taxonomy -> notes -> related -> plan; raises on any error."""
    memo = memo or Memo()
    settings = inputs.settings
    extra, corrections, problems = notes_stage.curator_papers(inputs.content, memo.curator)
    catalog = memo.build_catalog(inputs.seed_files, settings.capture_date_map(), extra, inputs.bib_files,
                                 corrections)
    urls = routes.Urls(settings.base_url, settings.base_path)
    tags = memo.classify(inputs.taxonomy, catalog)
    pending_related = memo.related_papers(catalog, tags)  # meanwhile, on another core when possible
    try:
        curation = notes_stage.attach_notes(inputs.content, catalog, inputs.taxonomy, settings,
                                            lambda slug: urls.href(routes.paper(slug)), memo.markdown)
        memo.markdown.end_round()
        for slug, override in curation.overrides.items():
            tags[slug] = apply_override(inputs.taxonomy, tags[slug], override, curation.notes[slug].path)
    finally:
        related = pending_related()  # also reaps the child when the lines above raised
    # The curation carries the content files' reading problems: adding them again doubled each.
    diagnostics = (tuple(inputs.settings_warnings) + inputs.taxonomy.warnings + catalog.diagnostics + tuple(problems)
                   + curation.diagnostics)
    raise_if_errors(diagnostics)
    data = SiteData(settings, catalog.papers, inputs.taxonomy, tags, curation, related, search)
    try:
        plan = plan_site(data, memo.plan)
    except SitegenError as refusal:
        raise refusal.with_warnings(diagnostics) from None
    return Site(plan, catalog, inputs.taxonomy, tags, curation, diagnostics)


# --- the whole build -----------------------------------------------------------------------

@dataclass(slots=True)
class Kept:
    """What a long-running process (watch, serve) keeps between builds of one project.

    `assemble` with a fresh `Kept` is exactly a clean build; with last build's, every stage
    reuses what its inputs leave unchanged (see `Memo`, `render.PageCache`), and the writer
    trusts files it wrote itself (see `output.write_site`).
    """

    parsed: ByContent = field(default_factory=ByContent)
    memo: Memo = field(default_factory=Memo)
    search: SearchMemo = field(default_factory=SearchMemo)
    pages: PageCache = field(default_factory=PageCache)
    environment: tuple[bytes, object] | None = None  # (templates digest, its Jinja environment)
    last: tuple = ()  # (inputs, templates digest) of the last successful build
    result: BuildResult | None = None  # and what it made
    written: dict[str, bytes] = field(default_factory=dict)  # the bytes it wrote, by output path
    stamps: Mapping[str, Stamp] = field(default_factory=dict)  # what the writer saw of each file then


def build(root: Path, overrides: Overrides = Overrides()) -> BuildResult:
    """A clean build: nothing kept, written atomically (the live site is swapped in whole)."""
    return assemble(root, overrides)


def assemble(root: Path, overrides: Overrides = Overrides(), kept: Kept | None = None) -> BuildResult:
    """Read, compute, render and write the site: the one path of `build`, `watch` and `serve`.

    Without `kept` this is a clean build: pages are rendered as the writer asks for them and
    dropped (memory does not grow with the output, issue #9), and the new site goes live
    atomically. With `kept` (the watch loop's), unchanged work is reused and only files whose
    bytes differ are replaced in place; a save that changed no input's bytes does nothing.
    Raises `SitegenError` with every located problem; the last good output then stays.
    """
    clock = _Clock()
    inputs = read_inputs(root, overrides, kept.parsed if kept else None)
    templates = Project(root).templates
    templates_key = templates_digest(templates)
    if kept is not None and kept.result is not None and (inputs, templates_key) == kept.last:
        clock.lap("read")
        return replace(kept.result, rendered=0, report=WriteReport(0, kept.result.files, 0), timings=tuple(clock.laps))
    clock.lap("read")
    output = Project(root).output(inputs.settings)
    check_output_dir(output, root)
    site = compute_site(inputs, search=inputs.settings.search, memo=kept.memo if kept else None)
    clock.lap("compute")
    plan, search = plan_with_search(site.plan, inputs.settings, kept.search if kept else None)
    warnings = search.diagnostics + tuple(filter(None, [relative_base_url_warning(inputs.settings, overrides.base_url)]))
    site = replace(site, plan=plan, diagnostics=site.diagnostics + warnings)
    clock.lap("search")
    env = _environment(templates, templates_key, kept)
    if kept is not None:
        kept.pages.begin(templates_key, plan.site)
    files = render_site(env, plan, inputs.static, search.files, kept.pages if kept else None)
    known = kept.written if kept is not None and kept.result is not None and kept.result.output == output else None
    report = write_site(files, output, root, atomic=kept is None, known=known,
                        stamps=kept.stamps if kept else None, base_url=inputs.settings.base_url)
    clock.lap("render and write")
    result = BuildResult(site, len(files), report, output, files.rendered, tuple(clock.laps))
    if kept is not None:
        kept.pages.keep_only(page.output for page in plan.pages)
        kept.written, kept.stamps = {path: files[path] for path in files}, report.stamps
        kept.last, kept.result = (inputs, templates_key), result
    return result


def _environment(templates: Path, key: bytes, kept: Kept | None):
    """The Jinja environment for these templates, kept while their digest is unchanged."""
    if kept is not None and kept.environment is not None and kept.environment[0] == key:
        return kept.environment[1]
    env = make_environment(templates)
    if kept is not None:
        kept.environment = (key, env)
    return env


def templates_digest(templates: Path) -> bytes:
    """A digest of every template's name and bytes: any template edit re-renders every page."""
    digest = hashlib.blake2b(digest_size=16)
    if templates.is_dir():
        for path in sorted(templates.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(templates).as_posix().encode() + b"\0")
                try:
                    digest.update(path.read_bytes())
                except OSError:
                    digest.update(b"\1unreadable")
    return digest.digest()


class _Clock:
    """Stage timings for the build summary (never written into the site)."""

    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now
