"""Result records of a benchmark run, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Series:
    """Repeated measurements of one quantity (seconds, milliseconds or MB)."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cell(self, digits: int = 2, scale: float = 1.0) -> str:
        """`median (min–max)`, or just the value when it was measured once."""
        shown = [round(v * scale, digits) for v in (self.median, min(self.values), max(self.values))]
        text = f"{shown[0]:.{digits}f}"
        return text if len(self.values) == 1 else f"{text} ({shown[1]:.{digits}f}–{shown[2]:.{digits}f})"


def series(values) -> Series | None:
    values = tuple(v for v in values if v is not None)
    return Series(values) if values else None


@dataclass(frozen=True, slots=True)
class SitegenNumbers:
    papers: int
    files: int  # files the build wrote
    list_pages: int
    startup: Series  # s: `sitegen --version`, interpreter and import
    cold: Series  # s: whole process, empty output, sitegen's bytecode on disk (as users run it)
    cold_no_bytecode: Series | None  # s: the same with PYTHONDONTWRITEBYTECODE=1 and no bytecode (as CI runs it)
    cold_cpu: Series  # s: user + system CPU of those builds (robust to a busy machine)
    warm: Series | None  # s: whole process, previous output present (not measured at the largest sizes)
    peak_rss: Series  # MB, cold builds
    stages: dict[str, Series]  # s, in-process wall time
    stages_cpu: dict[str, Series]  # s, in-process CPU time
    search: Series | None  # s: time of building the search index
    search_note: str
    incremental: dict[str, Series]  # ms, by kind of edit (benchmarks.rebuilds.KINDS)
    incremental_counts: dict[str, str]  # e.g. "1 rendered, 1 written"
    incremental_note: str
    watch_rss: float | None  # MB, peak of the watch-like process
    stages_note: str = ""  # the stage functions benchmarks.stages no longer finds (their time counts as "other")


@dataclass(frozen=True, slots=True)
class HugoNumbers:
    pages: int  # Hugo's own count
    list_pages: int
    cold: Series
    cold_cpu: Series
    warm: Series | None
    peak_rss: Series  # MB, cold builds
    server_rebuild: Series | None  # ms, "Total in" of the server after one edit
    note: str = ""


@dataclass(frozen=True, slots=True)
class SizeResult:
    label: str  # "seeds" or the paper count asked for
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    runs: int
    sitegen: SitegenNumbers
    hugo: HugoNumbers | None
    notes: tuple[str, ...] = ()  # remarks for the report: how the project was made, what is missing


@dataclass(frozen=True, slots=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    python: str
    system: str
    hugo: str
    sitegen_commit: str
    when: str
    notes: tuple[str, ...] = field(default=())


def machine(hugo: str | None, repo: Path, when: str) -> Machine:
    """The machine, the interpreter, Hugo and the commit measured."""
    return Machine(_cpu_model(), os.cpu_count() or 0, _ram_gb(), platform.python_version(),
                   platform.platform(terse=True), hugo or "not installed", _commit(repo), when)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) * 1024 / 1e9, 1)
    except OSError:
        pass
    return 0.0


def _commit(repo: Path) -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "sitegen", "templates")
    return f"{commit} + uncommitted changes in sitegen/ or templates/" if dirty else commit
