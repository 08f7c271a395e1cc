"""How long the taxonomy costs a build: loading `content/taxonomy.yaml` (parse, validate,
compile) and classifying every paper of the catalog, each run in a fresh interpreter (so
nothing compiled or cached by an earlier run is reused), as medians over several runs.

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


def measure_once(root: Path) -> dict:
    """One run in this interpreter: seconds to load the taxonomy and to classify the catalog."""
    from sitegen.pipeline import TAXONOMY_PATH, load_catalog
    from sitegen.taxonomy import classify, load_taxonomy

    papers = load_catalog(root).papers
    start = time.perf_counter()
    tax = load_taxonomy(root / TAXONOMY_PATH, TAXONOMY_PATH)
    loaded = time.perf_counter()
    for paper in papers:
        classify(tax, paper.title, paper.abstract)
    classified = time.perf_counter()
    return {"load": loaded - start, "classify": classified - loaded, "papers": len(papers)}


def measure(root: Path, runs: int) -> list[dict]:
    """`measure_once` in `runs` fresh interpreters."""
    argv = [sys.executable, "-m", "benchmarks.classify", str(root), "--once"]
    return [json.loads(subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout)
            for _ in range(runs)]


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
    results = measure(root, max(1, args.runs))
    load = statistics.median(r["load"] for r in results) * 1000
    classify = statistics.median(r["classify"] for r in results) * 1000
    print(f"{root}: {results[0]['papers']} papers, median of {len(results)} fresh runs: "
          f"load_taxonomy {load:.1f} ms, classify {classify:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
