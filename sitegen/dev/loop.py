"""`sitegen watch` and `sitegen serve`: rebuild on every save, and tell open tabs.

A failed rebuild prints its located diagnostics, keeps the last good site on disk and in
the browser (with an error overlay), and the loop goes on; the next good save clears it.
Warnings are printed when they first appear (all of them at start-up), never again while
they stay, and open tabs list them in a panel that does not block the page.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable

from sitegen.diagnostics import Diagnostic, SitegenError, sorted_diagnostics
from sitegen.dev.rebuild import Builder, RebuildReport
from sitegen.output.guard import check_output_dir
from sitegen.output.staging import scratch_folders
from sitegen.pipeline import Overrides, Project
from sitegen.settings import Settings, effective_settings
from sitegen.dev.server import PreviewServer
from sitegen.dev.watcher import Watcher

QUIET_PERIOD = 0.1  # seconds without events before a burst of saves becomes one rebuild


class Loop:
    """The rebuild half of watch/serve: build once, then once per burst of changes."""

    def __init__(self, builder: Builder, output: Path, on_success: Callable[[RebuildReport], None],
                 on_failure: Callable[[tuple[Diagnostic, ...]], None],
                 on_new_warnings: Callable[[tuple[Diagnostic, ...]], None] = lambda warnings: None):
        self.builder = builder
        self.output = output
        self.on_success = on_success
        self.on_failure = on_failure
        self.on_new_warnings = on_new_warnings
        self.warnings: tuple[Diagnostic, ...] = ()  # of the last rebuild, failed or not

    def rebuild(self, changed: frozenset[Path] = frozenset()) -> RebuildReport | None:
        try:
            report = self.builder.build(changed)
        except SitegenError as exc:
            report = None
            self._warnings_now(exc.warnings)
            self.on_failure(tuple(sorted_diagnostics(exc.diagnostics)))
        else:
            self._warnings_now(report.warnings)
            self.on_success(report)
        self.builder.settle()  # once the tabs are told: between saves, off the rebuild's clock
        return report

    def _warnings_now(self, warnings: tuple[Diagnostic, ...]) -> None:
        """Pass on the warnings the last rebuild did not have (every one, the first time)."""
        known = set(self.warnings)
        self.warnings = tuple(sorted_diagnostics(warnings))
        new = tuple(w for w in self.warnings if w not in known)
        if new:
            self.on_new_warnings(new)

    def watcher(self) -> Watcher:
        project = Project(self.builder.root)
        return Watcher([project.seeds, project.content, project.templates], self.rebuild,
                       ignore=[self.output, *scratch_folders(self.output)], quiet_period=QUIET_PERIOD)


def _settings(root: Path, overrides: Overrides) -> Settings:
    """Settings for where to write and serve; if the file is broken the first build says why."""
    return effective_settings(root, overrides, defaults_if_broken=True)[0]


def _print_report(report: RebuildReport) -> None:
    print(report.line(), file=sys.stderr, flush=True)


def _print_warnings(warnings: tuple[Diagnostic, ...]) -> None:
    for diagnostic in warnings:
        print(diagnostic, file=sys.stderr)
    print(f"{len(warnings)} new warning(s)", file=sys.stderr, flush=True)


def _print_failure(diagnostics: tuple[Diagnostic, ...], output: Path) -> None:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    kept = ("keeping the last good site" if has_site(output)
            else "there is no earlier good site to show")
    print(f"build failed; {kept} (fix the file and save again)", file=sys.stderr, flush=True)


def has_site(output: Path) -> bool:
    """Whether an earlier build left a site to show (this run's or a previous one's)."""
    return (output / "index.html").is_file()


def preview_folder(root: Path) -> Path:
    """Where `serve` builds its preview: a cache folder of this project, outside its tree.

    Never the output folder that `build` and `publish` use, so a build for another base URL
    cannot mix into the preview and a publish cannot pick up a preview built for "/". The
    folder is named after the project's path (`$XDG_CACHE_HOME/sitegen/NAME-HASH/site`, by
    default under `~/.cache`), so each project keeps its own and a restart reuses it.
    """
    project = root.resolve()
    cache = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(cache):  # the XDG rule: a relative value is ignored
        home = os.environ.get("HOME", "")
        cache = os.path.join(home, ".cache") if os.path.isabs(home) else tempfile.gettempdir()
    digest = hashlib.blake2b(os.fsencode(project), digest_size=6).hexdigest()
    return Path(cache) / "sitegen" / f"{project.name or 'root'}-{digest}" / "site"


def watch(root: Path, overrides: Overrides) -> int:
    """Rebuild into the output folder on every change until Ctrl-C."""
    output = Project(root).output(_settings(root, overrides))
    check_output_dir(output, root)  # refuses before the first build, so nothing is watched either
    loop = Loop(Builder(root, overrides), output, _print_report,
                lambda diagnostics: _print_failure(diagnostics, output), _print_warnings)
    try:
        loop.rebuild()
        with loop.watcher():
            print("watching seeds/, content/ and templates/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    print("stopped", file=sys.stderr)
    return 0


def serve(root: Path, overrides: Overrides, host: str, port: int) -> int:
    """Build, watch and serve with live reload until Ctrl-C.

    The preview goes to `--output` when given, else to `preview_folder(root)`; never to the
    folder `build` writes. A folder the guard refuses is neither built into nor served.
    """
    settings = _settings(root, overrides)
    output = root / overrides.output if overrides.output else preview_folder(root)
    check_output_dir(output, root)
    overrides = replace(overrides, output=str(output.absolute()))
    server = PreviewServer(output, base_path=settings.base_path, host=host, port=port)

    def succeeded(report: RebuildReport) -> None:
        _print_report(report)
        if report.written or report.removed or server.status.failed:
            server.notify_reload(report.warnings)
        elif report.warnings != server.status.warnings:  # e.g. a typo key: the pages are the same
            server.notify_warnings(report.warnings)

    def failed(diagnostics: tuple[Diagnostic, ...]) -> None:
        _print_failure(diagnostics, output)
        server.notify_error(diagnostics, loop.warnings)

    loop = Loop(Builder(root, overrides), output, succeeded, failed, _print_warnings)
    try:
        loop.rebuild()
        if server.exposure_warning:
            print(f"warning: {server.exposure_warning}", file=sys.stderr)
        with loop.watcher():
            print(f"serving {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
            server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C before serve_forever took over its own handling
        pass
    finally:
        server.shutdown()
    print("stopped", file=sys.stderr)
    return 0
