"""Incremental rebuilds inside one long-lived process, as `sitegen watch` runs them.

A `sitegen.incremental.Builder` does a full build, then, per run: a rebuild with nothing
changed, one after editing a curator note, one after editing an abstract in a seed file.
Each edit really changes bytes (a sentence is appended, then taken away on the next run),
and the files are restored at the end. When the builder does not exist yet the result says
so instead of failing.

Usage: python -m benchmarks.rebuilds PROJECT OUTPUT NOTE SEED_FILE RUNS   (prints JSON)
       python -m benchmarks.rebuilds --seed-site [RUNS]
           (a scratch copy of this repository's seeds, content and templates; prints medians)
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import toggle_edit

ABSTRACT_CHARS = 200  # a seed line this long is an abstract (see sitegen.sources.listing)


def measure(root: Path, output: Path, note: Path, seed_file: Path, runs: int) -> dict:
    try:
        from sitegen.incremental import Builder
        from sitegen.pipeline import Overrides
    except ImportError as exc:
        return {"available": False, "reason": f"sitegen.incremental is not available ({exc})"}
    builder = Builder(root, Overrides(search=False, output=str(output)))
    # The builder API as briefed (full/rebuild) or as written (build).
    full = getattr(builder, "full", None) or builder.build
    rebuild = getattr(builder, "rebuild", None) or builder.build
    start = time.perf_counter()
    full()
    getattr(builder, "settle", lambda: None)()
    result = {"available": True, "full_ms": (time.perf_counter() - start) * 1000,
              "no-op": [], "one note": [], "one seed file": []}
    edits = (("no-op", None, 0), ("one note", note, 1), ("one seed file", seed_file, ABSTRACT_CHARS))
    for _ in range(runs):
        for name, path, min_chars in edits:
            if path is not None:
                toggle_edit(path, min_chars)
            result[name].append(_timed(rebuild, frozenset({path}) if path else frozenset()))
            getattr(builder, "settle", lambda: None)()  # as the watch loop does between saves
    if runs % 2:
        toggle_edit(note, 1)
        toggle_edit(seed_file, ABSTRACT_CHARS)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    return result


def _timed(rebuild, changed: frozenset[Path]) -> dict:
    start = time.perf_counter()
    report = rebuild(changed)
    wall = (time.perf_counter() - start) * 1000
    return {"ms": wall, "reported_ms": getattr(report, "milliseconds", getattr(report, "ms", None)),
            "rendered": getattr(report, "rendered", None), "written": getattr(report, "written", None),
            "removed": getattr(report, "removed", None)}


def seed_site(runs: int) -> dict:
    """`measure` on a scratch copy of the repository's seed site (its first note and seed file)."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="sitegen-rebuilds-") as scratch:
        root = Path(scratch)
        for folder in ("seeds", "content", "templates"):
            shutil.copytree(repo / folder, root / folder)
        note = sorted((root / "content" / "notes").glob("*.md"))[0]
        seed_file = sorted((root / "seeds").glob("*.txt"))[0]
        return measure(root, root / "_site", note, seed_file, runs)


def summary(result: dict) -> str:
    """One line per kind of rebuild: median and range of the build time, pages rendered/written."""
    lines = [f"full build: {result['full_ms']:.0f} ms"]
    for name in ("no-op", "one note", "one seed file"):
        runs = result[name]
        times = [run["reported_ms"] or run["ms"] for run in runs]
        lines.append(f"{name}: median {statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f}, "
                     f"{len(times)} runs), {runs[-1]['rendered']} rendered, {runs[-1]['written']} written")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--seed-site"]:
        result = seed_site(int(argv[1]) if len(argv) > 1 else 20)
        print(summary(result) if result["available"] else result["reason"])
        return 0
    root, output, note, seed_file = (Path(arg).resolve() for arg in argv[:4])
    print(json.dumps(measure(root, output, note, seed_file, int(argv[4]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
