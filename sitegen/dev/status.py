"""How the last build went, shared by every open live-reload stream.

Whoever builds reports each build to the `StatusBoard`; every stream waits on it and sends the
change to its tab as one Server-Sent Event (`event_message`): build status only, never files.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sitegen.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class BuildStatus:
    """How the last build went, as every tab is told."""

    build_id: str  # changes with every successful build (and every server run)
    failed: bool
    diagnostics: tuple[Diagnostic, ...]  # of the failed build; empty after a success
    warnings: tuple[Diagnostic, ...] = ()  # of the last build, failed or not


def event_message(status: BuildStatus) -> bytes:
    """The Server-Sent Event announcing `status`: build status only, never file contents."""
    if status.failed:
        payload = _diagnostics_json(status.diagnostics + status.warnings)
        return b"event: build-error\ndata: " + json.dumps(payload).encode() + b"\n\n"
    payload = {"build": status.build_id, "warnings": _diagnostics_json(status.warnings)}
    return b"event: reload\ndata: " + json.dumps(payload).encode() + b"\n\n"


def _diagnostics_json(diagnostics: Sequence[Diagnostic]) -> list[dict]:
    return [{"path": d.path, "line": d.line, "severity": d.severity.value, "message": d.message}
            for d in diagnostics]


class StatusBoard:
    """The latest `BuildStatus`, with a version number streams wait on."""

    def __init__(self) -> None:
        self._run = secrets.token_hex(4)  # a restarted server makes every tab reload
        self._builds = 0
        self._version = 0
        self._status = BuildStatus(self._build_id(), False, ())
        self._closed = False
        self._changed = threading.Condition()

    def _build_id(self) -> str:
        return f"{self._run}-{self._builds}"

    def current(self) -> BuildStatus:
        with self._changed:
            return self._status

    def succeeded(self, warnings: Sequence[Diagnostic] = (), *, new_build: bool = True) -> None:
        with self._changed:
            self._builds += new_build
            self._publish(BuildStatus(self._build_id(), False, (), tuple(warnings)))

    def failed(self, diagnostics: Sequence[Diagnostic], warnings: Sequence[Diagnostic] = ()) -> None:
        with self._changed:
            self._publish(BuildStatus(self._status.build_id, True, tuple(diagnostics), tuple(warnings)))

    def _publish(self, status: BuildStatus) -> None:
        self._status = status
        self._version += 1
        self._changed.notify_all()

    def wait(self, seen_version: int | None, timeout: float) -> tuple[int, BuildStatus] | None:
        """The status once it differs from `seen_version` or `timeout` passes; None when closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._version != seen_version, timeout)
            return None if self._closed else (self._version, self._status)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
