"""How long the taxonomy costs a build: loading `content/taxonomy.yaml` (parse, validate,
compile) and classifying every paper of the catalog the first time (which includes
building the rule index), each run in a fresh interpreter so that nothing compiled or
cached by an earlier run is reused. Prints medians over several runs, wall-clock and CPU
time (CPU time is steadier on a busy machine).

Usage: python -m benchmarks.classify [PROJECT] [--runs 7]   (PROJECT defaults to the repo root)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STEPS = ("load", "classify")


def measure_once(root: Path) -> dict:
    """One run in this interpreter: wall and CPU seconds to load the taxonomy and to
    classify the catalog."""
    from sitegen.pipeline import TAXONOMY_PATH, load_catalog
    from sitegen.taxonomy import classify, load_taxonomy

    papers = load_catalog(root).papers
    clocks = [(time.perf_counter(), time.process_time())]
    tax = load_taxonomy(root / TAXONOMY_PATH, TAXONOMY_PATH)
    clocks.append((time.perf_counter(), time.process_time()))
    for paper in papers:
        classify(tax, paper.title, paper.abstract)
    clocks.append((time.perf_counter(), time.process_time()))
    result: dict = {"papers": len(papers)}
    for step, before, after in zip(STEPS, clocks, clocks[1:]):
        result[step] = after[0] - before[0]
        result[step + "_cpu"] = after[1] - before[1]
    return result


def measure(root: Path, runs: int) -> list[dict]:
    """`measure_once` in `runs` fresh interpreters."""
    argv = [sys.executable, "-m", "benchmarks.classify", str(root), "--once"]
    return [json.loads(subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout)
            for _ in range(runs)]


def summary(root: Path, results: list[dict]) -> str:
    """One line: the medians, in milliseconds."""
    def median(key: str) -> float:
        return statistics.median(r[key] for r in results) * 1000

    steps = ", ".join(f"{step} {median(step):.1f} ms (CPU {median(step + '_cpu'):.1f})" for step in STEPS)
    return f"{root}: {results[0]['papers']} papers, median of {len(results)} fresh runs: {steps}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Median taxonomy load and classify times of a project.")
    parser.add_argument("project", nargs="?", type=Path, default=REPO_ROOT)
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters to run (default: 7)")
    parser.add_argument("--once", action="store_true", help="one run in this process, printed as JSON")
    args = parser.parse_args(argv)
    root = args.project.resolve()
    if args.once:
        print(json.dumps(measure_once(root)))
        return 0
    print(summary(root, measure(root, max(1, args.runs))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
