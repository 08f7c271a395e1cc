"""The benchmarks of issues 9 and 16 in one command: sitegen against Hugo on the same papers.

    .venv/bin/python benchmarks/run.py [--sizes seeds,2000,5000,10000,50000] [--runs 3] [--quick]

For each size (the repository's own project, or a generated corpus of N papers, plus its
Hugo twin) it measures, each in a fresh process: whole-process `sitegen build --no-search`
and `hugo` builds with an empty output and over the previous output (wall and CPU time, peak
memory; the tools take turns so that all meet the same load), the cold sitegen build also
as CI runs it (`PYTHONDONTWRITEBYTECODE=1`, no bytecode); `sitegen --version` (start-up
alone); the stage times of an in-process build; the search index; the rebuilds of a
long-lived `sitegen.dev.rebuild.Builder` (`benchmarks.rebuilds.KINDS`) and that process's
peak memory; and `hugo server`'s rebuild after editing one content file. Medians and min–max
over `--runs` (one run at 50,000 papers and above). The Markdown result, with the targets of
both issues, goes to stdout and (unless --no-docs) into docs/benchmarks.md between its
markers, the raw numbers into benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import datetime as dt
import importlib.util
import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # run as a script: make `benchmarks` importable

from benchmarks import corpus, hugo_project, report  # noqa: E402
from benchmarks.measure import (ProcessRun, hugo_build, hugo_pages, hugo_server_rebuilds, hugo_version,  # noqa: E402
                                install_hugo, remove_tree, run_measured)
from benchmarks.results import HugoNumbers, Series, SitegenNumbers, SizeResult, machine, series  # noqa: E402
from sitegen.output.staging import scratch_folders  # noqa: E402
from sitegen.settings import load_settings  # noqa: E402

DEFAULT_SIZES = "seeds,2000,5000,10000,50000"
LARGE = 50_000  # at and above this many papers every measurement runs once
BOUNDED = f"not measured at {LARGE:,} papers and above, to keep the run bounded (no target needs these)"
DOC = REPO_ROOT / "docs" / "benchmarks.md"
RESULTS_JSON = REPO_ROOT / "benchmarks" / "results" / "latest.json"
PYTHON = sys.executable
SNAPSHOT = ("sitegen", "benchmarks", "templates", "content", "seeds")  # what the children read from the repository
SOURCE_ONLY = "source-only"  # in the snapshot: a copy of sitegen/ that never gets bytecode (the CI-like builds)
NO_BYTECODE = "sitegen PYTHONDONTWRITEBYTECODE=1"


# --- sitegen ---------------------------------------------------------------------------------

def sitegen(*args: str) -> list[str]:
    return [PYTHON, "-m", "sitegen", *args]


def checked(run: ProcessRun, what: str) -> ProcessRun:
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    return run


def clear_output(output: Path) -> None:
    """An empty output: the folder and the writer's scratch siblings."""
    for folder in (output, *scratch_folders(output)):
        remove_tree(folder)


def log(label: str, message: str) -> None:
    """Progress on stderr, with the clock time: where a long run spends it."""
    print(f"[{dt.datetime.now():%H:%M:%S} {label}] {message}", file=sys.stderr, flush=True)


def worker(module: str, *args: str) -> dict:
    """Run a benchmarks worker module in a fresh interpreter; its JSON result."""
    run = checked(run_measured([PYTHON, "-m", module, *args], cwd=REPO_ROOT), module)
    return json.loads(run.stdout)


@dataclass(frozen=True, slots=True)
class Tool:
    """A site generator to time: how to empty its output and how to build."""

    name: str
    clear: Callable[[], None]
    build: Callable[[], ProcessRun]
    warm: bool = True  # also timed over its previous output


@dataclass(frozen=True, slots=True)
class Builds:
    cold: tuple[ProcessRun, ...]
    warm: tuple[ProcessRun, ...]


def timed_builds(label: str, tools: Sequence[Tool], runs: int, warm_runs: int) -> dict[str, Builds]:
    """`runs` cold builds, then `warm_runs` builds over the previous output, the tools taking
    turns so that all meet the same load on a shared machine."""
    cold: dict[str, list[ProcessRun]] = {tool.name: [] for tool in tools}
    warm: dict[str, list[ProcessRun]] = {tool.name: [] for tool in tools}
    for number in range(runs):
        for tool in tools:
            tool.clear()
            cold[tool.name].append(checked(tool.build(), tool.name))
            log(label, f"{tool.name} cold build {number + 1}/{runs}: {cold[tool.name][-1].seconds:.2f} s, "
                       f"{cold[tool.name][-1].peak_rss_mb:.0f} MB")
    for _ in range(warm_runs):
        for tool in filter(lambda tool: tool.warm, tools):
            warm[tool.name].append(checked(tool.build(), tool.name))
    if warm_runs:
        log(label, "warm builds (s): " + "; ".join(
            f"{name} " + ", ".join(f"{r.seconds:.2f}" for r in found) for name, found in warm.items() if found))
    return {tool.name: Builds(tuple(cold[tool.name]), tuple(warm[tool.name])) for tool in tools}


def _seconds(found: Sequence[ProcessRun]) -> Series:
    return Series(tuple(r.seconds for r in found))


def measure_sitegen(label: str, site: Path, work: Path, builds: Builds, no_bytecode: Sequence[ProcessRun],
                    runs: int, large: bool) -> SitegenNumbers:
    """The timed builds' numbers, and everything else: start-up, search (not for large sizes),
    stages, incremental rebuilds."""
    startup = [checked(run_measured(sitegen("--version")), "sitegen --version").seconds for _ in range(runs)]
    search, search_note = (None, BOUNDED) if large \
        else measure_search(site, site / "_site", work, _seconds(builds.warm), runs)
    stage_runs = []
    for _ in range(runs):
        clear_output(site / "_stages")
        stage_runs.append(worker("benchmarks.stages", str(site), str(site / "_stages")))
    clear_output(site / "_stages")
    last = stage_runs[-1]
    stages, stages_cpu = ({name: Series(tuple(run[key][name] for run in stage_runs)) for name in last[key]}
                          for key in ("stages", "stages_cpu"))
    stages["other"], stages_cpu["other"] = (Series(tuple(run[key] for run in stage_runs)) for key in ("other", "other_cpu"))
    log(label, "stages (last run, ms): " + ", ".join(f"{k} {v * 1000:.0f}" for k, v in last["stages"].items()))
    stages_note = last["missing"] and "stage functions not found (counted as other): " + ", ".join(last["missing"])
    return SitegenNumbers(
        papers=last["papers"], files=last["files"], list_pages=last["list_pages"], startup=Series(tuple(startup)),
        cold=_seconds(builds.cold), cold_no_bytecode=series(r.seconds for r in no_bytecode),
        cold_cpu=Series(tuple(r.cpu_seconds for r in builds.cold)),
        warm=series(r.seconds for r in builds.warm), peak_rss=Series(tuple(r.peak_rss_mb for r in builds.cold)),
        stages=stages, stages_cpu=stages_cpu, search=search, search_note=search_note,
        stages_note=stages_note or "", **measure_incremental(label, site, runs))


def measure_search(site: Path, output: Path, work: Path, without: Series, runs: int) -> tuple[Series | None, str]:
    """The search index's cost: `build` minus `build --no-search` once the build runs Pagefind;
    until then, the Pagefind CLI on the built site."""
    with_search = checked(run_measured(sitegen("--root", str(site), "build")), "sitegen build (search on)")
    if (output / "pagefind").is_dir():
        extra = [with_search.seconds - without.median]
        extra += [checked(run_measured(sitegen("--root", str(site), "build")), "sitegen build").seconds
                  - without.median for _ in range(runs - 1)]
        return Series(tuple(extra)), "`sitegen build` minus `sitegen build --no-search` (existing output)"
    if importlib.util.find_spec("pagefind") is None:
        return None, "Pagefind is not installed"
    bundle = work / "pagefind"
    times = []
    for _ in range(runs):
        remove_tree(bundle)
        command = [PYTHON, "-m", "pagefind", "--site", str(output), "--output-path", str(bundle)]
        times.append(checked(run_measured(command), "pagefind").seconds)
    remove_tree(bundle)
    return Series(tuple(times)), "Pagefind CLI run on the built site (`sitegen build` does not run it yet)"


def measure_incremental(label: str, site: Path, runs: int) -> dict:
    """The rebuild numbers of a long-lived Builder, or why there are none."""
    note = sorted((site / "content" / "notes").glob("*.md"))[0]
    seed_file = sorted((site / "seeds").glob("*.txt"))[0]
    output = site / "_watch"
    clear_output(output)
    found = worker("benchmarks.rebuilds", str(site), str(output), str(note), str(seed_file), str(runs))
    clear_output(output)
    if not found["available"]:
        log(label, f"incremental: {found['reason']}")
        return {"incremental": {}, "incremental_counts": {}, "incremental_note": found["reason"], "watch_rss": None}
    samples = {name: found[name] for name in report.INCREMENTAL}
    log(label, "incremental (ms): " + ", ".join(
        name + " " + "/".join(f"{sample['ms']:.0f}" for sample in runs_of) for name, runs_of in samples.items()))
    return {
        "incremental": {name: Series(tuple(s["ms"] for s in runs_of)) for name, runs_of in samples.items()},
        "incremental_counts": {name: _counts(runs_of[-1]) for name, runs_of in samples.items()},
        "incremental_note": "", "watch_rss": found["peak_rss_mb"],
    }


def _counts(sample: dict) -> str:
    return f"{sample['rendered']} rendered, {sample['written']} written"


# --- Hugo ------------------------------------------------------------------------------------

def hugo_twin(site: Path, hugo_root: Path) -> list[str]:
    """Write the Hugo project of the same papers; their slugs."""
    remove_tree(hugo_root)
    page_size = load_settings(site)[0].page_size
    return worker("benchmarks.hugo_project", str(site), str(hugo_root), "--page-size", str(page_size))["slugs"]


def measure_hugo(label: str, hugo_root: Path, destination: Path, slugs: Sequence[str], builds: Builds,
                 runs: int) -> HugoNumbers:
    """Hugo's numbers: the timed builds, its list pages, and its server rebuild after one edit."""
    list_pages = hugo_project.list_pages(destination, slugs)
    remove_tree(destination)
    try:
        # The server builds the whole site in memory before it serves: allow for a slow build.
        rebuilds = hugo_server_rebuilds(hugo_root, hugo_project.content_file(hugo_root, slugs[0]), runs,
                                        timeout=max(600.0, 4 * max(r.seconds for r in builds.cold)))
        note = ""
    except (TimeoutError, RuntimeError) as exc:
        rebuilds, note = [], f"hugo server: {exc}"
    log(label, f"hugo server rebuilds (ms): {rebuilds}")
    return HugoNumbers(pages=hugo_pages(builds.cold[-1].stdout) or 0, list_pages=list_pages,
                       cold=_seconds(builds.cold), cold_cpu=Series(tuple(r.cpu_seconds for r in builds.cold)),
                       warm=series(r.seconds for r in builds.warm),
                       peak_rss=Series(tuple(r.peak_rss_mb for r in builds.cold)),
                       server_rebuild=series(rebuilds), note=note)


# --- one size --------------------------------------------------------------------------------

def snapshot(into: Path) -> Path:
    """A copy of the code and inputs measured, used by every child process: edits made in the
    working tree during a long run (several people share it) must not leak into the numbers.
    PYTHONSAFEPATH keeps `python -m` from importing the working directory's sitegen first.

    Users run sitegen with its bytecode on disk (pip compiles it; an editable install's first
    run writes it), so the snapshot is compiled and the children may write bytecode. CI sets
    PYTHONDONTWRITEBYTECODE on a fresh checkout, so each of its processes compiles sitegen from
    source: `no_bytecode_env` imports a second copy that never gets any."""
    remove_tree(into)
    for name in SNAPSHOT:
        shutil.copytree(REPO_ROOT / name, into / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "sitegen", into / SOURCE_ONLY / "sitegen", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(into / "sitegen", quiet=1)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONSAFEPATH"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(into), os.environ.get("PYTHONPATH"))))
    return into


def no_bytecode_env(source: Path) -> dict[str, str]:
    """The environment of a CI-like build: PYTHONDONTWRITEBYTECODE set, sitegen imported from
    the snapshot's copy without bytecode."""
    path = os.pathsep.join((str(source / SOURCE_ONLY), os.environ["PYTHONPATH"]))
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=path)


def prepare(label: str, site: Path, source: Path) -> str:
    """Write the project to measure; a remark on it for the report ("" if none)."""
    remove_tree(site)
    if label != "seeds":
        corpus.generate(int(label), site, source_root=source)
        return ""
    added = corpus.copy_real_site(site, source)
    return (f"seeds: the repository's seeds/, content/ and templates/, plus {len(added)} generated curator "
            "notes (the repository has none yet) so that a note edit can be timed") if added else ""


def build_tools(site: Path, source: Path, large: bool) -> list[Tool]:
    """`sitegen build --no-search` as users run it, and (below `LARGE`) as CI runs it."""
    build = sitegen("--root", str(site), "build", "--no-search")
    tools = [Tool("sitegen", lambda: clear_output(site / "_site"), lambda: run_measured(build))]
    if not large:  # compiling sitegen costs the same at every size; 2 minutes of the run at 50,000
        tools.append(Tool(NO_BYTECODE, lambda: clear_output(site / "_site"),
                          lambda: run_measured(build, env=no_bytecode_env(source)), warm=False))
    return tools


def hugo_tool(hugo_root: Path, destination: Path) -> Tool:
    return Tool("hugo", lambda: remove_tree(destination), lambda: hugo_build(hugo_root, destination))


def measure_size(label: str, work: Path, runs: int, with_hugo: bool, source: Path) -> SizeResult:
    large = label != "seeds" and int(label) >= LARGE
    runs = 1 if large else runs
    site, hugo_root, hugo_output = work / "site", work / "hugo", work / "hugo_out"
    project_note = prepare(label, site, source)
    slugs = hugo_twin(site, hugo_root) if with_hugo else []
    load_before = os.getloadavg()
    log(label, f"projects ready in {work}; load {load_before[0]:.2f}")
    tools = build_tools(site, source, large) + ([hugo_tool(hugo_root, hugo_output)] if with_hugo else [])
    # Over the previous output the builds took 5 minutes of the run at 50,000 papers.
    builds = timed_builds(label, tools, runs, warm_runs=0 if large else runs)
    numbers = measure_sitegen(label, site, work, builds["sitegen"],
                              builds[NO_BYTECODE].cold if NO_BYTECODE in builds else (), runs, large)
    hugo = measure_hugo(label, hugo_root, hugo_output, slugs, builds["hugo"], runs) if with_hugo else None
    hugo_note = (hugo.note if hugo else "Hugo not installed")
    notes = (project_note, large and f"builds over existing output and with `PYTHONDONTWRITEBYTECODE=1`: {BOUNDED}",
             numbers.search_note and f"search: {numbers.search_note}", numbers.stages_note,
             numbers.incremental_note and f"incremental: {numbers.incremental_note}", hugo_note and f"Hugo: {hugo_note}")
    return SizeResult(label, load_before, os.getloadavg(), runs, numbers, hugo, tuple(n for n in notes if n))


# --- the command -----------------------------------------------------------------------------

def parse_sizes(text: str, quick: bool) -> list[str]:
    sizes = []
    for item in text.split(","):
        item = item.strip().replace("_", "")
        if item != "seeds" and not re.fullmatch(r"[1-9]\d*", item):
            raise SystemExit(f"bad size {item!r}: use 'seeds' or a paper count")
        if not (quick and item != "seeds" and int(item) >= LARGE):
            sizes.append(item)
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark sitegen against Hugo (issues 9 and 16).")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"'seeds' and/or paper counts (default {DEFAULT_SIZES})")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (one at 50,000 and above)")
    parser.add_argument("--quick", action="store_true", help="skip sizes of 50,000 papers and above")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sitegen-bench"), help="scratch folder (emptied)")
    parser.add_argument("--no-hugo", action="store_true", help="skip Hugo (no install either)")
    parser.add_argument("--no-docs", action="store_true",
                        help="print only; leave docs/benchmarks.md and benchmarks/results/latest.json alone")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes, args.quick)
    hugo = None if args.no_hugo else hugo_version() or install_hugo()
    found = machine(hugo, REPO_ROOT, dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
    source = snapshot(args.workdir / "snapshot")
    results = []
    for label in sizes:
        work = args.workdir / label
        try:
            results.append(measure_size(label, work, max(1, args.runs), hugo is not None, source))
        finally:
            remove_tree(work)
    remove_tree(source)
    command = "benchmarks/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    notes = list(dict.fromkeys(note for r in results for note in r.notes))  # each once, in order
    text = report.results_markdown(found, results, command.strip(), notes)
    print(text)
    if not args.no_docs:  # the raw numbers go with the table they back
        RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_JSON.write_text(json.dumps({"machine": dataclasses.asdict(found),
                                            "results": [dataclasses.asdict(r) for r in results]}, indent=1) + "\n")
        report.splice(DOC, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
