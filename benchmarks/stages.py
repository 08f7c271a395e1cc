"""Per-stage timings of one real `pipeline.build`, run in a fresh interpreter by the runner.

Rather than re-implementing the pipeline, the stage functions the pipeline calls are wrapped
with a timer (by name, in the modules that call them) and `pipeline.build` runs unchanged,
so the numbers follow the pipeline as it evolves. A nested call of a function of the same
stage counts once; a nested call of another stage's function counts in that stage, not in
the outer one (the writer renders each page as it writes it, and rendering is reported as
render). A hook whose function no longer exists is reported
missing rather than guessed (a stage lists old and new names while the pipeline moves); whatever no stage covers is reported as "other".

Usage: python -m benchmarks.stages PROJECT OUTPUT   (prints one JSON object)
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from pathlib import Path

# Stage name -> the functions it covers, as (module the pipeline looks them up in, name).
STAGES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("read inputs", (("sitegen.pipeline", "effective_settings"), ("sitegen.pipeline", "load_taxonomy"),
                     ("sitegen.pipeline", "read_content"), ("sitegen.pipeline", "read_static"))),
    ("parse", (("sitegen.pipeline", "read_seed_dir"),)),
    ("merge", (("sitegen.kept", "build_catalog"),)),
    ("notes", (("sitegen.pipeline", "read_notes"), ("sitegen.pipeline", "curator_papers"),
               ("sitegen.curation.notes", "attach_notes"))),
    ("classify", (("sitegen.kept", "classify"),)),
    ("related", (("sitegen.kept", "related_papers"), ("sitegen.kept", "documents_of"))),
    ("plan", (("sitegen.pipeline", "plan_site"),)),
    ("render", (("sitegen.pipeline", "make_environment"), ("sitegen.pipeline", "render_site"),
                ("sitegen.render", "render_page"))),
    ("write", (("sitegen.pipeline", "check_output_dir"), ("sitegen.pipeline", "write_site"))),
)


class StageClock:
    """Wall and CPU seconds spent inside the wrapped functions, per stage (outermost call only)."""

    def __init__(self):
        self.seconds: dict[str, float] = {name: 0.0 for name, _ in STAGES}
        self.cpu_seconds: dict[str, float] = {name: 0.0 for name, _ in STAGES}
        self.missing: list[str] = []
        self._running: list[str] = []  # the stages whose functions are running, outermost first

    def install(self) -> None:
        for stage, hooks in STAGES:
            for module_name, attribute in hooks:
                module = importlib.import_module(module_name)
                function = getattr(module, attribute, None)
                if function is None:
                    self.missing.append(f"{module_name}.{attribute}")
                    continue
                setattr(module, attribute, self._timed(stage, function))

    def _timed(self, stage: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            if self._running and self._running[-1] == stage:
                return function(*args, **kwargs)
            self._running.append(stage)
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
                self._running.pop()
                self.seconds[stage] += seconds
                self.cpu_seconds[stage] += cpu_seconds
                if self._running:  # not the outer stage's own time
                    self.seconds[self._running[-1]] -= seconds
                    self.cpu_seconds[self._running[-1]] -= cpu_seconds
        return timed


def measure(root: Path, output: Path) -> dict:
    """Build `root` into `output` once (search off) with stage timers installed."""
    start = time.perf_counter()
    from sitegen import pipeline  # the first import of sitegen in this interpreter

    import_seconds = time.perf_counter() - start
    from sitegen import background

    background.ENABLED = False  # one stage at a time, so each is timed on its own
    clock = StageClock()
    clock.install()
    start, cpu_start = time.perf_counter(), time.process_time()
    result = pipeline.build(root, pipeline.Overrides(search=False, output=str(output)))
    total, cpu_total = time.perf_counter() - start, time.process_time() - cpu_start
    pages = result.site.plan.pages
    return {
        "import": import_seconds,
        "stages": clock.seconds,
        "stages_cpu": clock.cpu_seconds,
        "other": total - sum(clock.seconds.values()),
        "other_cpu": cpu_total - sum(clock.cpu_seconds.values()),
        "total": total,
        "total_cpu": cpu_total,
        "missing": clock.missing,
        "papers": len(result.site.catalog.papers),
        "pages": len(pages),
        "list_pages": sum(page.template == "list.html" for page in pages),
        "files": result.files,
        "build_timings": dict(result.timings),
    }


def main(argv: list[str]) -> int:
    root, output = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    print(json.dumps(measure(root, output)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
