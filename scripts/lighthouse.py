"""Run Lighthouse on the home, a topic and a paper page of the seed site and print the scores.

    npm ci && .venv/bin/python scripts/lighthouse.py [--base-url URL] [--json]

Without --base-url it builds the seed site and serves it under /repo/ itself. Lighthouse
comes from node_modules (package.json pins it) and drives Debian's Chromium (CHROME_PATH).
Exit status 1 when a score is under its target: 100 for accessibility, best practices and
SEO, 95 for performance (Lighthouse's default mobile run, throttling simulated).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from seedsite import CHROMIUM_ARGS, CHROMIUM_PATH, PAGE_TYPES, ROOT, served_seed_site

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
PAGES = ("home", "topic", "paper")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}


@dataclass(frozen=True, slots=True)
class PageScores:
    """Lighthouse's verdict on one page: score per category and the audits that cost points."""

    name: str
    url: str
    scores: dict[str, int]  # category id -> 0..100
    lost: dict[str, list[str]]  # category id -> "audit-id (score)" for audits below 1

    def misses(self) -> list[str]:
        return [f"{self.name} {category}: {score} < {TARGETS[category]} ({', '.join(self.lost[category])})"
                for category, score in self.scores.items() if score < TARGETS[category]]


def run_lighthouse(url: str, report: Path) -> dict:
    """One Lighthouse run (fresh headless Chromium) on `url`; the parsed JSON report."""
    flags = " ".join(("--headless=new", *CHROMIUM_ARGS))
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
               f"--only-categories={','.join(TARGETS)}", f"--chrome-flags={flags}"]
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, "CHROME_PATH": str(CHROMIUM_PATH)})
    if result.returncode != 0 or not report.exists():
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stdout}{result.stderr}")
    return json.loads(report.read_text(encoding="utf-8"))


def page_scores(name: str, url: str, report: dict) -> PageScores:
    scores, lost = {}, {}
    for category_id, category in report["categories"].items():
        scores[category_id] = round((category["score"] or 0) * 100)
        lost[category_id] = [f"{ref['id']} ({report['audits'][ref['id']]['score']})"
                             for ref in category["auditRefs"]
                             if ref["weight"] > 0 and (report["audits"][ref["id"]]["score"] or 0) < 1]
    return PageScores(name, url, scores, lost)


def score_pages(base_url: str, workdir: Path) -> list[PageScores]:
    """Lighthouse on each page of PAGES, one after the other (parallel runs skew performance)."""
    results = []
    for name in PAGES:
        url = base_url + PAGE_TYPES[name]
        results.append(page_scores(name, url, run_lighthouse(url, workdir / f"{name}.json")))
    return results


def print_table(results: list[PageScores]) -> None:
    print(f"{'page':<8}" + "".join(f"{category:>16}" for category in TARGETS))
    for result in results:
        print(f"{result.name:<8}" + "".join(f"{result.scores[c]:>16}" for c in TARGETS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="root of an already served site (default: build and serve the seed site)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON instead of a table")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        print(f"lighthouse is not installed at {LIGHTHOUSE.relative_to(ROOT)}: run `npm ci` in {ROOT}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sitegen-lighthouse-") as workdir:
        if args.base_url:
            results = score_pages(args.base_url, Path(workdir))
        else:
            with served_seed_site(Path(workdir) / "www") as site:
                results = score_pages(site.base_url, Path(workdir))
    if args.json:
        print(json.dumps([{"page": r.name, "url": r.url, "scores": r.scores} for r in results], indent=2))
    else:
        print_table(results)
    misses = [miss for result in results for miss in result.misses()]
    for miss in misses:
        print(f"below target: {miss}", file=sys.stderr)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
