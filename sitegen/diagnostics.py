"""Located problems: every bad input is reported as `path:line: severity: message`.

Stages never print; they return diagnostics (warnings) or raise `SitegenError` carrying all
the errors found at once, so the command line, the watcher and the server can show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem in one input file."""

    path: str  # project-relative POSIX path, e.g. "seeds/001_x.txt"
    line: int | None  # 1-based line, None when the whole file is concerned
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.severity.value}: {self.message}"


def error(path: str, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(path, line, Severity.ERROR, message)


def warning(path: str, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(path, line, Severity.WARNING, message)


class SitegenError(Exception):
    """A stage refused its input; carries every located error it found, and the warnings
    found beside them (shown with the errors, so fixing one never hides the other)."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...],
                 warnings: list[Diagnostic] | tuple[Diagnostic, ...] = ()):
        self.diagnostics = tuple(diagnostics)
        self.warnings = tuple(warnings)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __reduce__(self):  # pickled whole: a forked writer sends its errors back (`background.alongside`)
        return SitegenError, (self.diagnostics, self.warnings)

    def with_warnings(self, earlier: tuple[Diagnostic, ...] | list[Diagnostic]) -> SitegenError:
        """The same errors, with warnings an earlier stage found added to this one's."""
        return SitegenError(self.diagnostics, sorted_diagnostics(set(earlier) | set(self.warnings)))


def errors_in(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]


def raise_if_errors(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    """Raise `SitegenError` with all errors (warnings stay with the caller)."""
    found = errors_in(diagnostics)
    if found:
        raise SitegenError(sorted(found, key=_sort_key),
                           sorted_diagnostics(d for d in diagnostics if d.severity is Severity.WARNING))


def _sort_key(d: Diagnostic) -> tuple:
    return (d.path, d.line or 0, d.message)


def sorted_diagnostics(diagnostics) -> list[Diagnostic]:
    """A total order, so reports are deterministic."""
    return sorted(diagnostics, key=_sort_key)
