"""Rebuilds for `watch` and `serve`: `pipeline.assemble`, the build's own path, with state kept.

Every rebuild re-reads all inputs (cheap) and reuses what their bytes say is unchanged (see
`kept.Kept`): parsed seed files and taxonomy, the catalog, classifications, related papers,
rendered curator Markdown, planned pages and rendered pages. The writer then touches only files
whose bytes differ. The result is byte-identical to a clean `sitegen build`, which the
randomised equivalence test checks.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

from sitegen.diagnostics import Diagnostic, Severity
from sitegen.sources.inputfiles import label_of
from sitegen.kept import Kept
from sitegen.pipeline import Overrides, Site, assemble


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
    """Builds one project again and again through `pipeline.assemble`, keeping what it may reuse."""

    def __init__(self, root: Path, overrides: Overrides = Overrides()):
        self.root = root
        self.overrides = overrides
        self.kept = Kept()

    @property
    def site(self) -> Site | None:
        """The last successful build's site (None before the first)."""
        return self.kept.result.site if self.kept.result is not None else None

    @property
    def output(self) -> Path | None:
        """Where the last successful build wrote."""
        return self.kept.result.output if self.kept.result is not None else None

    def build(self, changed: frozenset[Path] = frozenset()) -> RebuildReport:
        """Rebuild and write; raises `SitegenError` (the last good output stays)."""
        start = time.perf_counter()
        result = assemble(self.root, self.overrides, self.kept)
        return RebuildReport(self._labels(changed), len(result.site.plan.pages), result.rendered,
                             result.report.written, result.report.removed, (time.perf_counter() - start) * 1000,
                             tuple(d for d in result.site.diagnostics if d.severity is Severity.WARNING))

    def settle(self) -> None:
        """Do the work a rebuild can leave for later (`Memo.settle`), then collect garbage now,
        between rebuilds, and set what survives aside.

        The memos keep about a million objects alive; Python's full collections otherwise scan
        all of them during some later rebuild, doubling its time. Collecting here, then freezing
        the survivors (`gc.freeze`: no later collection scans them), keeps that work off the
        rebuild. Unfreezing first lets this collection free what the last rebuild dropped.
        """
        self.kept.memo.settle()
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def _labels(self, changed: frozenset[Path]) -> tuple[str, ...]:
        root = self.root.resolve()
        return tuple(label_of(path.resolve(), root) for path in sorted(changed))
