"""The `sitegen` command line: argument parsing and printing only; work happens in stages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from sitegen import __version__
from sitegen.diagnostics import Diagnostic, Severity, SitegenError, sorted_diagnostics
from sitegen.exports import paper_record, to_json
from sitegen.pipeline import load_catalog
from sitegen.settings import load_settings

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except SitegenError as exc:
        report(exc.diagnostics)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def report(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr in a stable order, then a one-line summary."""
    diagnostics = sorted_diagnostics(diagnostics)
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if diagnostics:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitegen",
        description="Turn scraped paper listings (seeds/) and curator notes (content/) into a "
                    "static reading-list site.",
        epilog="Run 'sitegen COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    parser.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                        help="project folder holding seeds/, content/ and templates/ (default: .)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _command(commands, "check", _check, "run every stage without writing; exit 1 on errors",
             [(("--strict",), {"action": "store_true", "help": "treat warnings as errors"})])
    _command(commands, "papers", _papers, "list the merged paper catalog",
             [(("--json",), {"action": "store_true", "help": "print a JSON array, one object per paper"})])
    return parser


def _command(commands, name: str, run: Callable, summary: str, options: list) -> argparse.ArgumentParser:
    sub = commands.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".")
    for flags, kwargs in options:
        sub.add_argument(*flags, **kwargs)
    sub.set_defaults(run=run)
    return sub


def _check(args) -> int:
    root = args.root.resolve()
    settings, warnings = load_settings(root)
    catalog = load_catalog(root, settings)
    diagnostics = list(warnings) + list(catalog.diagnostics)
    report(diagnostics)
    failed = any(d.severity is Severity.ERROR or args.strict for d in diagnostics)
    print(f"checked {len(catalog.papers)} papers: {'problems found' if failed else 'ok'}", file=sys.stderr)
    return EXIT_ERRORS if failed else EXIT_OK


def _papers(args) -> int:
    root = args.root.resolve()
    catalog = load_catalog(root)
    report(catalog.diagnostics)
    if args.json:
        sys.stdout.write(to_json([paper_record(p) for p in catalog.papers]))
        return EXIT_OK
    for paper in catalog.papers:
        date = paper.date.iso() if paper.date else "-"
        print(f"{date:<10}  {paper.slug}\n            {paper.title}")
    print(f"{len(catalog.papers)} papers", file=sys.stderr)
    return EXIT_OK
