"""Incremental rebuilds for `watch` and `serve`: the same stages with state kept in between.

Every rebuild re-reads all inputs (cheap) and reuses what their bytes say is unchanged:
parsed seed files and taxonomy (`ByContent`), the catalog, classifications, related papers,
rendered curator Markdown and every planned page whose inputs compare equal (`Memo`). A page
is rendered again only when its plan differs from last time's (the planner hands back the very
object when nothing it reads changed, so most checks are one identity test), or when the
site-wide view or any template changed. The writer then touches only files whose bytes differ.
The result is byte-identical to a clean `sitegen build`, which the randomised equivalence test
checks.
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from sitegen.diagnostics import Diagnostic, Severity
from sitegen.sources.inputfiles import label_of
from sitegen.memo import ByContent
from sitegen.output.guard import check_output_dir
from sitegen.output.livetree import Stamp
from sitegen.output.writer import write_site
from sitegen.pipeline import Memo, Overrides, Project, Site, compute_site, read_inputs
from sitegen.plan import PagePlan
from sitegen.render import make_environment, render_page
from sitegen.search import SearchMemo, plan_with_search


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What one rebuild did, for the one-line log."""

    changed: tuple[str, ...]  # project-relative paths that triggered it
    pages: int
    rendered: int
    written: int
    removed: int
    milliseconds: float
    warnings: tuple[Diagnostic, ...] = ()  # every warning of the build, shown or not yet

    def line(self) -> str:
        what = ", ".join(self.changed[:3]) + (f" (+{len(self.changed) - 3} more)" if len(self.changed) > 3 else "")
        return (f"rebuilt{' after ' + what if what else ''}: {self.rendered}/{self.pages} pages rendered, "
                f"{self.written} files written, {self.removed} removed in {self.milliseconds:.0f} ms")


class Builder:
    """Builds one project again and again, reusing everything its inputs leave unchanged."""

    def __init__(self, root: Path, overrides: Overrides = Overrides()):
        self.root = root
        self.overrides = overrides
        self.parsed = ByContent()
        self.memo = Memo()
        self.search_memo = SearchMemo()
        self.env: jinja2.Environment | None = None
        self.templates_key = b""
        self.site_view: object = None  # the site-wide view the cached pages were rendered with
        self.pages: dict[str, tuple[PagePlan, bytes]] = {}  # output -> (plan, bytes) last rendered
        self.output: Path | None = None
        self.site: Site | None = None
        self.written: dict[str, bytes] = {}  # what the last successful build wrote
        self.stamps: Mapping[str, Stamp] = {}  # and what the writer saw of each file then
        self.last_inputs: tuple = ()  # (Inputs, templates digest) of the last successful build

    def build(self, changed: frozenset[Path] = frozenset()) -> RebuildReport:
        """Rebuild and write; raises `SitegenError` (the last good output stays)."""
        start = time.perf_counter()
        inputs = read_inputs(self.root, self.overrides, self.parsed)
        templates_key = _templates_key(Project(self.root).templates)
        if self.site is not None and (inputs, templates_key) == self.last_inputs:
            # A save that changed nothing (same bytes everywhere): nothing to plan or write.
            return RebuildReport(self._labels(changed), len(self.site.plan.pages), 0, 0, 0,
                                 (time.perf_counter() - start) * 1000, _warnings(self.site))
        output = Project(self.root).output(inputs.settings)
        check_output_dir(output, self.root)
        site = compute_site(inputs, search=inputs.settings.search, memo=self.memo)
        plan, search = plan_with_search(site.plan, inputs.settings, self.search_memo)
        site = replace(site, plan=plan, diagnostics=site.diagnostics + search.diagnostics)
        files, rendered = self._render(site, templates_key)
        files.update(search.files)
        files.update((asset.output, asset.data) for asset in inputs.static)
        known = self.written if output == self.output else None
        report = write_site(files, output, self.root, atomic=False, known=known, stamps=self.stamps,
                            base_url=inputs.settings.base_url)
        self.output, self.site, self.written, self.stamps = output, site, files, report.stamps
        self.last_inputs = (inputs, templates_key)
        return RebuildReport(self._labels(changed), len(site.plan.pages), rendered, report.written,
                             report.removed, (time.perf_counter() - start) * 1000, _warnings(site))

    def settle(self) -> None:
        """Collect garbage now, between rebuilds, and set what survives aside.

        The memos keep about a million objects alive; Python's full collections otherwise scan
        all of them during some later rebuild, doubling its time. Collecting here, then freezing
        the survivors (`gc.freeze`: no later collection scans them), keeps that work off the
        rebuild. Unfreezing first lets this collection free what the last rebuild dropped.
        """
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def _render(self, site: Site, key: bytes) -> tuple[dict[str, bytes], int]:
        """Render the pages whose plan changed; the bytes of the others are last time's."""
        if self.env is None or key != self.templates_key:
            self.env, self.templates_key, self.pages = make_environment(Project(self.root).templates), key, {}
        if site.plan.site != self.site_view:  # every page shows it (navigation, title)
            self.site_view, self.pages = site.plan.site, {}
        last, pages = self.pages, {page.output: page for page in site.plan.pages}
        stale = [page for output, page in pages.items() if last.get(output, (None,))[0] is not page]
        bytes_of = {output: entry[1] for output, entry in last.items() if output in pages}
        rendered = 0
        for page in stale:
            cached = last.get(page.output)
            if cached is None or cached[0] != page:
                bytes_of[page.output], rendered = render_page(self.env, site.plan, page), rendered + 1
        self.pages = {output: (page, bytes_of[output]) for output, page in pages.items()}
        files = {f.output: f.data for f in site.plan.files}
        files.update(bytes_of)
        return files, rendered

    def _labels(self, changed: frozenset[Path]) -> tuple[str, ...]:
        root = self.root.resolve()
        return tuple(label_of(path.resolve(), root) for path in sorted(changed))


def _warnings(site: Site) -> tuple[Diagnostic, ...]:
    return tuple(d for d in site.diagnostics if d.severity is Severity.WARNING)


def _templates_key(templates: Path) -> bytes:
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
