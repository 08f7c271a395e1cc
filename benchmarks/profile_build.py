"""Profile one in-process build (and optionally the incremental rebuilds) of a project.

With pyinstrument installed (`.venv/bin/pip install pyinstrument`) it prints pyinstrument's
call tree; otherwise cProfile's top functions by own time and by cumulative time.

Usage: python -m benchmarks.profile_build PROJECT [--rebuild-note NOTE] [--top 30]
       (a generated project: python -m benchmarks.corpus 10000 /tmp/p10k first)
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import pstats
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from benchmarks.measure import toggle_edit


def profile(work: Callable[[], object], top: int) -> str:
    """The profile of `work()` as text."""
    if importlib.util.find_spec("pyinstrument") is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
        work()
        profiler.stop()
        return profiler.output_text(unicode=True, color=False, show_all=False)
    profiler = cProfile.Profile()
    profiler.runcall(work)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile a build of PROJECT.")
    parser.add_argument("project", type=Path)
    parser.add_argument("--rebuild-note", type=Path, help="also profile a watch rebuild after editing this note")
    parser.add_argument("--top", type=int, default=30, help="cProfile rows (without pyinstrument)")
    args = parser.parse_args(argv)
    from sitegen.pipeline import Overrides, build

    root = args.project.resolve()
    with tempfile.TemporaryDirectory(dir=root) as scratch:  # inside the project: the writer's rules
        output = str(Path(scratch) / "out")
        print(profile(lambda: build(root, Overrides(search=False, output=output)), args.top))
        if args.rebuild_note:
            from sitegen.dev.rebuild import Builder

            builder = Builder(root, Overrides(search=False, output=output + "-watch"))
            builder.build()
            toggle_edit(args.rebuild_note)
            try:
                print(profile(lambda: builder.build(frozenset({args.rebuild_note.resolve()})), args.top))
            finally:
                toggle_edit(args.rebuild_note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
