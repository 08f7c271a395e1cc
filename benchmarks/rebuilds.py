"""Incremental rebuilds inside one long-lived process, as `sitegen watch` runs them.

A `sitegen.dev.rebuild.Builder` does a full build, then, per run: a rebuild with nothing
changed, one after editing a curator note, one after editing an abstract in a seed file, one
after adding a new listing file of `NEW_PAPERS` papers to `seeds/`, and one after a taxonomy
edit that adds one alias to a hardware model. Each edit really changes bytes (a sentence is
appended, a file or alias added, then taken away on the next run), and the files are
restored at the end. When the builder does not exist yet the result says so instead of
failing.

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
NEW_PAPERS = 20  # papers in the listing file the "new listing file" edit adds
NEW_LISTING = "zz_benchmark_new_listing.txt"  # sorts last, like a freshly saved listing
ALIASES = "aliases: ["  # the first model's alias list in the taxonomy gets one more
NEW_ALIAS = "Benchmark Alias 9000, "
KINDS = ("no-op", "one note", "one seed file", "new listing file", "taxonomy alias")


def measure(root: Path, output: Path, note: Path, seed_file: Path, runs: int) -> dict:
    try:
        from sitegen.dev.rebuild import Builder
        from sitegen.pipeline import Overrides
    except ImportError as exc:
        return {"available": False, "reason": f"sitegen.dev.rebuild is not available ({exc})"}
    builder = Builder(root, Overrides(search=False, output=str(output)))
    # The builder API as briefed (full/rebuild) or as written (build).
    full = getattr(builder, "full", None) or builder.build
    rebuild = getattr(builder, "rebuild", None) or builder.build
    start = time.perf_counter()
    full()
    getattr(builder, "settle", lambda: None)()
    result = {"available": True, "full_ms": (time.perf_counter() - start) * 1000, **{kind: [] for kind in KINDS}}
    listing, taxonomy = seed_file.parent / NEW_LISTING, root / "content" / "taxonomy.yaml"
    edits = (("no-op", None, lambda: None), ("one note", note, lambda: toggle_edit(note, 1)),
             ("one seed file", seed_file, lambda: toggle_edit(seed_file, ABSTRACT_CHARS)),
             ("new listing file", listing, lambda: toggle_listing(listing)),
             ("taxonomy alias", taxonomy, lambda: toggle_alias(taxonomy)))
    for _ in range(runs):
        for name, path, edit in edits:
            edit()
            result[name].append(_timed(rebuild, frozenset({path}) if path else frozenset()))
            getattr(builder, "settle", lambda: None)()  # as the watch loop does between saves
    if runs % 2:
        for _, _, edit in edits:
            edit()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    return result


def toggle_listing(path: Path) -> None:
    """Add a listing file of `NEW_PAPERS` papers no other listing has, or remove it again."""
    if path.exists():
        path.unlink()
        return
    papers = (f"Benchmark Listing Paper {n}: Streaming Kernels for Sparse Attention on Edge GPUs\n"
              f"We study paper {n} of a freshly saved listing, a kernel for sparse attention that streams "
              f"key and value blocks through shared memory on edge GPUs, and compare it against dense "
              f"attention baselines on long-context inference with quantised caches.\n"
              for n in range(1, NEW_PAPERS + 1))
    path.write_text("".join(papers), encoding="utf-8")


def toggle_alias(path: Path) -> None:
    """Add one alias to the taxonomy's first alias list, or take it away again."""
    text = path.read_text(encoding="utf-8")
    added = ALIASES + NEW_ALIAS
    path.write_text(text.replace(added, ALIASES, 1) if added in text else text.replace(ALIASES, added, 1),
                    encoding="utf-8")


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
    for name in KINDS:
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
