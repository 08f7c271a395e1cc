"""Shared by the tests that drive the watch loop (bad inputs during watch, churn): a
`sitegen.dev.loop.Loop` on a project copy, whose rebuilds a test can wait for."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from sitegen.diagnostics import Diagnostic
from sitegen.dev.rebuild import Builder, RebuildReport
from sitegen.dev.loop import Loop
from sitegen.pipeline import Overrides, build

TIMEOUT = 30.0  # generous: only reached when something is broken
SETTLED = 1.0  # seconds without a rebuild: ten quiet periods, as long as a root re-check


def tree(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` (the ownership marker included) by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# Without search: Pagefind's bundle differs from build to build, so no two sites with it
# compare equal (see tests/test_churn.py::test_search_index_is_deterministic).
OVERRIDES = Overrides(search=False)


def clean_build(root: Path, output: Path) -> dict[str, bytes]:
    """The site a one-off `sitegen build --no-search` makes of `root` now."""
    build(root, replace(OVERRIDES, output=str(output)))
    return tree(output)


Outcome = RebuildReport | tuple[Diagnostic, ...]


class Outcomes:
    """The loop's two callbacks: every rebuild's report, or its diagnostics when it failed."""

    def __init__(self) -> None:
        self.all: list[Outcome] = []
        self._last_at = time.monotonic()
        self._changed = threading.Condition()

    def succeeded(self, report: RebuildReport) -> None:
        self._add(report)

    def failed(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        self._add(diagnostics)

    def _add(self, outcome: Outcome) -> None:
        with self._changed:
            self.all.append(outcome)
            self._last_at = time.monotonic()
            self._changed.notify_all()

    def settle(self, since: int) -> Outcome:
        """Wait for a rebuild after the first `since`, then for the loop to go quiet; the last one."""
        deadline = time.monotonic() + TIMEOUT
        with self._changed:
            while len(self.all) <= since or time.monotonic() - self._last_at < SETTLED:
                assert time.monotonic() < deadline, f"no quiet rebuild within {TIMEOUT}s"
                self._changed.wait(0.1)
            return self.all[-1]


def start_loop(root: Path, output: Path) -> tuple[Loop, Outcomes]:
    """A loop building `root` into `output`, after its first (successful) build."""
    outcomes = Outcomes()
    loop = Loop(Builder(root, replace(OVERRIDES, output=str(output))), output, outcomes.succeeded, outcomes.failed)
    assert isinstance(loop.rebuild(), RebuildReport)
    return loop, outcomes


def messages(outcome: Outcome) -> list[str]:
    """A failed rebuild's diagnostics as printed ([] for a successful one)."""
    return [] if isinstance(outcome, RebuildReport) else [str(d) for d in outcome]
