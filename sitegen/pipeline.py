"""The build as a flat list of steps: read inputs, run the stages, write the output.

    read_inputs   (I/O)  settings, seeds, content, taxonomy, templates' static assets
    classify_site (pure) catalog -> taxonomy -> notes: papers and tags, as `papers`, `explain`, `new note` print
    compute_site         the same -> related (weighing topics) -> search index -> plan; pure but
                         for the Pagefind run (in a private temporary folder, see `search`)
    render_site   (pure) Jinja -> {path: bytes}, each page rendered when the writer asks;
                         every output path has one owner (`render.refuse_overlaps`)
    write_site    (I/O)  atomic, only into the output folder

`assemble` runs them all and is the one path of `build`, `check` (without writing), `watch`
and `serve`: the watch loop only hands it what it kept from the last build (`Kept`), so a
rebuild can differ from a clean build in speed only.

Gather everything first, then write: nothing is written while anything is still being read
or decided. Pages are rendered as they are written, into a staging folder that goes live
only once complete, so a failing build (a template error too) leaves the previous site
untouched. Every command but `publish` goes through here and sees the same data and
diagnostics; `papers`, `explain` and `new note` stop at `classify_site`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, TypeVar

from sitegen.curation import notes as notes_stage
from sitegen.curation.note_files import curator_papers, read_notes
from sitegen.curation.notes import Curation
from sitegen.sources.bibtex import BibFile, read_bib_dir
from sitegen.catalog.merge import build_catalog
from sitegen.catalog.records import Catalog
from sitegen.curation.content import ContentFiles, read_content
from sitegen.diagnostics import Diagnostic, SitegenError, error, raise_if_errors
from sitegen.kept import Kept, Memo
from sitegen.sources.inputfiles import label_of, name_problem, read_regular
from sitegen.memo import ByInput
from sitegen.output.guard import check_output_dir
from sitegen.output.survey import WriteReport
from sitegen.output.writer import write_site
from sitegen.plan import SiteData, SitePlan, plan_site
from sitegen.render import StaticFile, Templates, make_environment, render_site
from sitegen.search import NO_SEARCH, SearchResult, index_records
from sitegen.settings import Overrides, Settings, effective_settings, relative_base_url_warning
from sitegen.sources.listing import SeedFile
from sitegen.sources.listing_files import read_seed_dir
from sitegen.taxonomy import Taxonomy, Tags, load_taxonomy
from sitegen import urls as routes

TAXONOMY_PATH = "content/taxonomy.yaml"

T = TypeVar("T")


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
    search: SearchResult = NO_SEARCH  # the index the plan was made with


@dataclass(frozen=True, slots=True)
class BuildResult:
    site: Site
    files: int
    report: WriteReport
    output: Path
    rendered: int  # pages rendered; the others came from the watch loop's cache
    timings: tuple[tuple[str, float], ...] = field(default=())


# --- reading (I/O edge) ---------------------------------------------------------------------

def read_inputs(root: Path, overrides: Overrides = Overrides(), memo: ByInput | None = None) -> Inputs:
    """Read every input; raise `SitegenError` with all located errors found.

    With a `memo` (watch, serve), files whose bytes did not change are not parsed again.
    """
    project = Project(root)
    settings, warnings = effective_settings(root, overrides)
    taxonomy = _read_taxonomy(root / TAXONOMY_PATH, memo)
    inputs = Inputs(settings, warnings, read_seed_dir(project.seeds, root, memo),
                    read_bib_dir(project.seeds, root, memo), read_content(root), taxonomy,
                    read_static(project.static, root))
    if memo is not None:
        memo.end_round()
    return inputs


def _read_taxonomy(path: Path, memo: ByInput | None) -> Taxonomy:
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
        settings, _ = effective_settings(root)
    extra, corrections, _ = curator_papers(read_notes(read_content(root)))
    seeds = Project(root).seeds
    return build_catalog(read_seed_dir(seeds, root), settings.capture_date_map(), extra, read_bib_dir(seeds, root),
                         corrections)


# --- computing (pure) -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Classified:
    """The papers, their tags (the curator's corrections included) and the curation, checked:
    all that `papers`, `explain` and `new note` print, without planning a single page."""

    catalog: Catalog
    taxonomy: Taxonomy
    tags: Mapping[str, Tags]
    curation: Curation
    diagnostics: tuple[Diagnostic, ...]


def classify_site(inputs: Inputs, memo: Memo | None = None) -> Classified:
    """catalog -> taxonomy -> notes; raises on any error (planning's own errors are not met)."""
    classified, _ = _classify(inputs, memo or Memo(), lambda catalog, tags: lambda: None)
    return classified


def compute_site(inputs: Inputs, search: bool = False, memo: Memo | None = None,
                 index: ByInput | None = None) -> Site:
    """catalog -> taxonomy -> notes -> related -> search index -> plan; raises on any error.

    With `search` (and search on in the settings) the index is built from the data before
    planning, so the plan knows whether search works and nothing edits it afterwards; `index`
    (the watch loop's) reuses the last index while no record changes.
    """
    recorded = memo.plan if memo is not None else None  # a clean build plans untracked (tracking.Unrecorded)
    memo = memo or Memo()
    # Related papers are computed meanwhile, on another core when possible.
    classified, related = _classify(inputs, memo, memo.related_papers)
    data = SiteData(inputs.settings, classified.catalog.papers, memo.shown_taxonomy(inputs.taxonomy), classified.tags,
                    classified.curation, related, search=False)
    found = NO_SEARCH
    if search and inputs.settings.search:
        records, language = memo.search_records(data), inputs.settings.language
        found = (index or ByInput()).get("search index", (records, language), lambda: index_records(records, language))
    try:
        plan = plan_site(replace(data, search=found.available), recorded)
    except SitegenError as refusal:
        raise refusal.with_warnings(classified.diagnostics) from None
    return Site(plan, classified.catalog, inputs.taxonomy, classified.tags, classified.curation,
                classified.diagnostics, found)


def _classify(inputs: Inputs, memo: Memo, meanwhile: Callable[[Catalog, Mapping[str, Tags]], Callable[[], T]]
              ) -> tuple[Classified, T]:
    """The checked papers, tags and curation, and what `meanwhile` (started once the classifier's
    own tags are known, waited for once the notes are read) gave."""
    settings = inputs.settings
    note_files = read_notes(inputs.content, memo.curator)
    extra, corrections, problems = curator_papers(note_files)
    catalog = memo.build_catalog(inputs.seed_files, settings.capture_date_map(), extra, inputs.bib_files,
                                 corrections)
    urls = routes.Urls(settings.base_url, settings.base_path)
    # Related papers weigh the classifier's own topics, so they can start before the notes are read.
    pending = meanwhile(catalog, memo.classify(inputs.taxonomy, catalog))
    try:
        curation = notes_stage.attach_notes(inputs.content, note_files, catalog, inputs.taxonomy, settings,
                                            lambda slug: urls.href(routes.paper(slug)), memo.markdown)
        memo.markdown.end_round()
    finally:
        alongside = pending()  # also reaps a child process when the lines above raised
    tags = memo.classify(inputs.taxonomy, catalog, curation)
    # The curation carries the content files' reading problems: adding them again doubled each.
    diagnostics = (tuple(inputs.settings_warnings) + inputs.taxonomy.warnings + catalog.diagnostics + tuple(problems)
                   + curation.diagnostics)
    raise_if_errors(diagnostics)
    return Classified(catalog, inputs.taxonomy, tags, curation, diagnostics), alongside


# --- the whole build -----------------------------------------------------------------------

def build(root: Path, overrides: Overrides = Overrides()) -> BuildResult:
    """A clean build: nothing kept, written atomically (the live site is swapped in whole)."""
    return assemble(root, overrides)


def assemble(root: Path, overrides: Overrides = Overrides(), kept: Kept | None = None, *,
             write: bool = True) -> BuildResult:
    """Read, compute, render and write the site: the one path of `build`, `watch`, `serve` and
    `check` (which passes `write=False`: every page is rendered, nothing is written or checked
    on disk).

    Without `kept` this is a clean build: pages are rendered as the writer asks for them and
    dropped (memory does not grow with the output, issue #9), and the new site goes live
    atomically. With `kept` (the watch loop's), unchanged work is reused and only files whose
    bytes differ are replaced in place; a save that changed no input's bytes does nothing.
    Raises `SitegenError` with every located problem; the last good output then stays.
    """
    clock = _Clock()
    inputs = read_inputs(root, overrides, kept.parsed if kept else None)
    templates = read_templates(Project(root).templates, root)
    if kept is not None and kept.result is not None and (inputs, templates.digest) == kept.last:
        clock.lap("read")
        return replace(kept.result, rendered=0, report=WriteReport(0, kept.result.files, 0), timings=tuple(clock.laps))
    clock.lap("read")
    output = Project(root).output(inputs.settings)
    if write:
        check_output_dir(output, root)
    site = compute_site(inputs, search=inputs.settings.search, memo=kept.memo if kept else None,
                        index=kept.search if kept else None)
    plan, search = site.plan, site.search
    warnings = search.diagnostics + tuple(filter(None, [relative_base_url_warning(inputs.settings, overrides.base_url)]))
    site = replace(site, diagnostics=site.diagnostics + warnings)
    clock.lap("compute and search")
    env = _environment(templates, kept)
    files = render_site(env, plan, inputs.static, search.files, kept.pages if kept else None,
                        kept.verdicts if kept else None)
    if write:
        known = kept.written if kept is not None and kept.result is not None and kept.result.output == output else None
        report = write_site(files, output, root, atomic=kept is None, known=known,
                            stamps=kept.stamps if kept else None, base_url=inputs.settings.base_url,
                            vouched=files.vouched, verdicts=kept.verdicts if kept else None)
    else:
        report = WriteReport(0, 0, 0)
        for path in files:
            files[path]  # rendering is the check: a template error raises here
    clock.lap("render and write" if write else "render")
    # a clean build renders every page, some of them in the writer's worker process (`output.staging`)
    rendered = files.rendered if kept is not None else len(plan.pages)
    result = BuildResult(site, len(files), report, output, rendered, tuple(clock.laps))
    if kept is not None and write:
        kept.written, kept.stamps = files.fingerprints(known or {}), report.stamps
        files.keep_rendered()
        kept.pages.end_round()  # pages the site no longer has are forgotten
        kept.verdicts.end_round()
        kept.last, kept.result = (inputs, templates.digest), result
    return result


def _environment(templates: Templates, kept: Kept | None):
    """The Jinja environment for these templates, kept while their bytes are the same."""
    if kept is not None and kept.environment is not None and kept.environment[0] == templates.digest:
        return kept.environment[1]
    env = make_environment(templates)
    if kept is not None:
        kept.environment = (templates.digest, env)
    return env


def read_templates(folder: Path, root: Path) -> Templates:
    """Every template's bytes (not the assets under static/, read with the inputs) and a digest
    of their names and bytes: any template edit re-renders every page."""
    sources: dict[str, bytes] = {}
    digest = hashlib.blake2b(digest_size=16)
    static = folder / "static"
    for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
        name = path.relative_to(folder).as_posix()
        if path.is_relative_to(static) or any(part.startswith(".") for part in name.split("/")) \
                or not path.is_file():
            continue  # assets, editors' hidden files, folders
        try:
            sources[name] = read_regular(path)
        except FileNotFoundError:
            continue  # gone since the listing (an editor's temporary file)
        except OSError as exc:
            raise SitegenError([error(label_of(path, root), None,
                                      f"cannot read template: {exc.strerror or exc}")]) from None
        digest.update(name.encode() + b"\0" + hashlib.blake2b(sources[name], digest_size=16).digest())
    return Templates(folder, MappingProxyType(sources), digest.digest())


class _Clock:
    """Stage timings for the build summary (never written into the site)."""

    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now
