"""The `sitegen` command line: argument parsing and printing only; work happens in stages.

Each command imports the stages it runs inside its own function: importing all of them
(Jinja, markdown-it, PyYAML, watchdog, the HTTP server) is most of a short command's time,
and `sitegen --version` or `sitegen build` should not pay for the server and the watcher.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NoReturn, Sequence

from sitegen import __version__
from sitegen.diagnostics import Diagnostic, Severity, SitegenError, error, sorted_diagnostics

if TYPE_CHECKING:
    from sitegen.catalog.records import Catalog, Paper
    from sitegen.pipeline import Overrides

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a program ended by SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _run(argv)
        sys.stdout.flush()  # inside the guard: a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:
        # The reader went away (`sitegen papers | head -1`): stop quietly, as `cat` would.
        _discard_output()
        return EXIT_BROKEN_PIPE


def run() -> NoReturn:
    """The `sitegen` program: `main`, then leave without tearing the interpreter down.

    A build's data is hundreds of thousands of objects; freeing them one by one at exit took
    0.15-0.2 s of a 3 s cold seed build, for nothing: the process ends. Every file the command
    wrote is closed by then; only the standard streams still need their flush.
    """
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a reader gone: main already chose the status
        pass
    os._exit(status)


def _run(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, a usage error: flush while we can report it
        sys.stdout.flush()
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except SitegenError as exc:
        report(exc.diagnostics + exc.warnings)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _discard_output() -> None:
    """Point stdout and stderr at /dev/null, so the interpreter's last flush finds no closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):  # a stream that is not a file (tests capture them)
            pass
    os.close(devnull)


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
    site_options = [
        (("--output",), {"metavar": "DIR", "help": "output folder (default: 'output' in content/site.yaml, _site)"}),
        (("--base-url",), {"metavar": "URL", "help": "published URL, e.g. https://USER.github.io/REPO/ "
                                                    "(default: 'base_url' in content/site.yaml)"}),
        (("--no-search",), {"action": "store_true", "help": "skip the Pagefind search index"}),
    ]
    _command(commands, "build", _build, "build the site into the output folder", site_options + [
        (("--strict",), {"action": "store_true", "help": "fail on warnings too"})])
    _command(commands, "serve", _serve, "build, watch and serve the site with live reload", site_options[:2] + [
        (("--host",), {"default": "127.0.0.1", "help": "address to listen on (default: 127.0.0.1, this machine only)"}),
        (("--port",), {"type": int, "default": 8000, "help": "port to listen on (default: 8000)"})])
    _command(commands, "watch", _watch, "rebuild the site on every change to seeds, content or templates",
             site_options[:2])
    _command(commands, "check", _check, "run every stage without writing; exit 1 on errors",
             [(("--strict",), {"action": "store_true", "help": "treat warnings as errors"})])
    _command(commands, "papers", _papers, "list the merged paper catalog",
             [(("--json",), {"action": "store_true", "help": "print a JSON array, one object per paper"})])
    _command(commands, "explain", _explain, "show why a paper got each topic and hardware tag",
             [(("paper",), {"metavar": "PAPER", "help": "slug or title"})])
    _command(commands, "new", _new, "write a note skeleton for a paper (never overwrites)",
             [(("kind",), {"choices": ["note"], "help": "what to create"}),
              (("paper",), {"metavar": "PAPER", "help": "slug or title of the paper"})])
    _command(commands, "publish", _publish, "commit the built site to a gh-pages branch (git plumbing)", [
        (("--output",), {"metavar": "DIR", "help": "built site folder (default: from content/site.yaml)"}),
        (("--base-url",), {"metavar": "URL", "help": "the absolute URL the site was built for "
                                                    "(default: 'base_url' in content/site.yaml)"}),
        (("--branch",), {"default": "gh-pages", "help": "branch to commit to (default: gh-pages)"}),
        (("--push",), {"action": "store_true", "help": "push the branch afterwards"}),
        (("--remote",), {"default": "origin", "help": "remote to push to (default: origin)"}),
        (("--cname",), {"metavar": "DOMAIN", "help": "custom domain: writes a CNAME file into the branch"}),
        (("--message",), {"metavar": "MSG", "help": "commit message (default names the source commit)"})])
    return parser


def _command(commands, name: str, run: Callable, summary: str, options: list) -> argparse.ArgumentParser:
    sub = commands.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".")
    for flags, kwargs in options:
        sub.add_argument(*flags, **kwargs)
    sub.set_defaults(run=run)
    return sub


def _root(args) -> Path:
    root = args.root.resolve()
    if not root.is_dir():
        raise SitegenError([error(str(args.root), None, "project folder does not exist")])
    return root


def _overrides(args) -> Overrides:
    from sitegen.pipeline import Overrides

    return Overrides(base_url=args.base_url, output=args.output, search=False if args.no_search else None)


def _build(args) -> int:
    from sitegen.pipeline import build

    result = build(_root(args), _overrides(args))
    report(result.site.diagnostics)
    written = result.report
    took = sum(seconds for _, seconds in result.timings) * 1000
    print(f"built {result.files} files into {result.output} in {took:.0f} ms "
          f"({written.written} written, {written.unchanged} unchanged, {written.removed} removed)", file=sys.stderr)
    return EXIT_ERRORS if args.strict and result.site.diagnostics else EXIT_OK


def _serve(args) -> int:
    from sitegen.dev import loop
    from sitegen.pipeline import Overrides

    return loop.serve(_root(args), Overrides(base_url=args.base_url, output=args.output), args.host, args.port)


def _watch(args) -> int:
    from sitegen.dev import loop
    from sitegen.pipeline import Overrides

    return loop.watch(_root(args), Overrides(base_url=args.base_url, output=args.output))


def _check(args) -> int:
    from sitegen.pipeline import assemble

    site = assemble(_root(args), write=False).site  # the build's own path, rendering but not writing
    diagnostics = site.diagnostics
    report(diagnostics)
    failed = args.strict and bool(diagnostics)
    print(f"checked {len(site.catalog.papers)} papers, {len(site.plan.pages)} pages: "
          f"{'problems found' if failed else 'ok'}", file=sys.stderr)
    return EXIT_ERRORS if failed else EXIT_OK


def _papers(args) -> int:
    from sitegen.exports import paper_record, to_json
    from sitegen.pipeline import classify_site, read_inputs
    from sitegen.urls import Urls

    inputs = read_inputs(_root(args))
    site = classify_site(inputs)
    report(site.diagnostics)
    if args.json:
        urls = Urls(inputs.settings.base_url, inputs.settings.base_path)
        records = [paper_record(p, site.taxonomy, site.tags[p.slug], site.curation.notes.get(p.slug), urls)
                   for p in site.catalog.papers]
        sys.stdout.write(to_json(records))
        return EXIT_OK
    for paper in site.catalog.papers:
        date = paper.date.iso() if paper.date else "-"
        print(f"{date:<10}  {paper.slug}\n            {paper.title}")
    print(f"{len(site.catalog.papers)} papers", file=sys.stderr)
    return EXIT_OK


def _find_paper(catalog: Catalog, ref: str) -> Paper:
    from sitegen.curation.content import unknown_paper_message

    paper = catalog.find(ref)
    if paper is None:
        raise SitegenError([error("sitegen", None, unknown_paper_message(ref, catalog))])
    return paper


def _explain(args) -> int:
    from sitegen.pipeline import classify_site, read_inputs
    from sitegen.taxonomy import explain

    site = classify_site(read_inputs(_root(args)))
    paper = _find_paper(site.catalog, args.paper)
    print(explain(site.taxonomy, paper.title, paper.abstract, site.tags[paper.slug]))
    return EXIT_OK


def _new(args) -> int:
    from sitegen.newnote import note_skeleton, write_new_note
    from sitegen.pipeline import classify_site, read_inputs

    root = _root(args)
    site = classify_site(read_inputs(root))
    paper = _find_paper(site.catalog, args.paper)
    existing = site.curation.notes.get(paper.slug)
    if existing:
        raise SitegenError([error(existing.path, existing.line, "a note on this paper already exists; edit it")])
    path = write_new_note(root, paper, note_skeleton(paper, site.tags[paper.slug]))
    print(f"wrote {path.relative_to(root)}", file=sys.stderr)
    return EXIT_OK


def _publish(args) -> int:
    from sitegen.pipeline import Project
    from sitegen.publish import publish
    from sitegen.settings import Overrides, effective_settings

    root = _root(args)
    settings, _ = effective_settings(root, Overrides(base_url=args.base_url, output=args.output))
    result = publish(Project(root).output(settings), root, base_url=settings.base_url, branch=args.branch,
                     push=args.push, remote=args.remote, cname=args.cname, message=args.message)
    state = "unchanged" if result.unchanged else f"{len(result.files)} files"
    print(f"published {state} to {result.branch} at {result.commit[:7]}"
          + (f", pushed to {args.remote}" if result.pushed else ""), file=sys.stderr)
    return EXIT_OK
