"""Watch source folders and report each burst of edits as one set of changed paths.

Editors save in many ways (write in place, write a temp file and rename it over the target,
rename the target to a backup first), and a single save can fire a dozen filesystem events.
`Watcher` turns all of that into one `on_change(paths)` call per burst, made from a single
worker thread so rebuilds never overlap; events that arrive during a rebuild wait for the next.

Reported paths are spelled under the root they were found in, as that root was given. A path
may name a directory (a folder moved or deleted as a whole); treat it as covering everything
beneath it. A watched root that disappears, reappears or is replaced by another folder is
reported as changed itself, and watched again once it exists.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

logger = logging.getLogger(__name__)

# Only events that can change what a build reads; opens, reads and a folder's own
# "modified" (fired for every change of a child, which is reported by itself) are left out.
_RELEVANT_EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileAttribEvent,  # chmod can make a seed unreadable
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirAttribEvent,
    DirDeletedEvent,
    DirMovedEvent,
]

_NOISE_NAMES = frozenset({"4913"})  # vim writes and deletes "4913" to probe a folder
_NOISE_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", "~", ".kate-swp", "___jb_tmp___", "___jb_old___")


def is_noise(path: Path) -> bool:
    """Whether an edit of `path` (relative to a watched root) can be ignored.

    Noise is editor and OS litter: swap files, `~` backups, vim's `4913` probe, emacs
    `.#lock` and `#autosave#` files, `*.tmp`, `.DS_Store`, and anything hidden (a name
    starting with a dot, such as `.git/`) or inside a hidden folder.
    """
    if any(part.startswith(".") for part in path.parts):
        return True
    name = path.name
    return (
        name in _NOISE_NAMES
        or name.endswith(_NOISE_SUFFIXES)
        or (len(name) > 1 and name.startswith("#") and name.endswith("#"))
    )


@dataclass(frozen=True, slots=True)
class _FolderIdentity:
    """What makes a watched root the same folder: its device and inode."""

    device: int
    inode: int


def _identity_of(root: Path) -> _FolderIdentity | None:
    """The identity of the folder at `root`, or None when no folder is there."""
    try:
        info = root.stat()
    except OSError:
        return None
    return _FolderIdentity(info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


class _WatchedRoot:
    """One root folder: how it was named, where it really is, and its current watch."""

    def __init__(self, given: Path):
        self.given = Path(os.path.abspath(given))
        self.real = Path(os.path.realpath(self.given))
        self.identity: _FolderIdentity | None = None
        self.watch: ObservedWatch | None = None

    def spelled(self, real_path: Path) -> Path | None:
        """`real_path` re-spelled under `given`, or None when it is outside this root."""
        if not real_path.is_relative_to(self.real):
            return None
        return self.given / real_path.relative_to(self.real)


class _EventCollector(FileSystemEventHandler):
    """Feeds every relevant path of a watchdog event to the watcher (runs in watchdog's thread)."""

    def __init__(self, watcher: Watcher):
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [event.src_path, event.dest_path] if event.dest_path else [event.src_path]
        # A name that comes into being (created, or a move's target) may be an editor's temp file.
        born = event.dest_path if event.dest_path else event.src_path if event.event_type == "created" else None
        self._watcher._collect((Path(os.fsdecode(p)) for p in paths),
                               born=Path(os.fsdecode(born)) if born else None)

    def on_deleted(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            self._watcher._forget_if_root(Path(os.fsdecode(event.src_path)))


class Watcher:
    """Call `on_change(paths)` once per burst of edits under `roots`, from one worker thread.

    `ignore` lists folders (the output folder, staging folders) whose contents are never
    reported. A burst ends after `quiet_period` seconds without a new relevant event.
    Roots are checked every `rearm_interval` seconds and watched again when they were
    renamed away and back, replaced, or created after `start()`.
    """

    def __init__(
        self,
        roots: Sequence[Path],
        on_change: Callable[[frozenset[Path]], None],
        *,
        ignore: Sequence[Path] = (),
        quiet_period: float = 0.1,
        rearm_interval: float = 1.0,
    ):
        self._roots = [_WatchedRoot(root) for root in roots]
        self._ignored = [Path(os.path.realpath(os.path.abspath(folder))) for folder in ignore]
        self._on_change = on_change
        self._quiet_period = quiet_period
        self._rearm_interval = rearm_interval
        self._handler = _EventCollector(self)
        self._observer: BaseObserver = Observer()
        self._pending: set[Path] = set()
        self._born: set[Path] = set()  # pending paths that did not exist before this burst
        self._last_event = 0.0
        self._stopping = False
        self._wakeup = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="sitegen-watch", daemon=True)

    def start(self) -> None:
        """Begin watching; roots that do not exist yet are watched once they appear."""
        for root in self._roots:
            self._arm(root)
        self._observer.start()
        self._worker.start()

    def stop(self) -> None:
        """Stop watching and wait for the threads; edits not yet reported are dropped."""
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify_all()
        if self._worker.is_alive():
            self._worker.join()
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _collect(self, real_paths: Iterable[Path], born: Path | None = None) -> None:
        """Add the reportable ones among `real_paths` to the pending burst."""
        found = {path for path in map(self._reportable, real_paths) if path is not None}
        if found:
            self._add_pending(found, born=self._reportable(born) if born else None)

    def _add_pending(self, paths: set[Path], born: Path | None = None) -> None:
        with self._wakeup:
            if born is not None and born not in self._pending:
                self._born.add(born)
            self._pending |= paths
            self._last_event = time.monotonic()
            self._wakeup.notify_all()

    def _forget_if_root(self, real_path: Path) -> None:
        """A root folder was deleted: re-arm at the next check even if a new folder reuses its inode."""
        for root in self._roots:
            if root.real == real_path:
                root.identity = None

    def _reportable(self, real_path: Path) -> Path | None:
        """The path to report for an event on `real_path`, or None when it is ignored."""
        if any(real_path.is_relative_to(folder) for folder in self._ignored):
            return None
        for root in self._roots:
            spelled = root.spelled(real_path)
            if spelled is not None:
                return None if is_noise(spelled.relative_to(root.given)) else spelled
        return None

    def _run(self) -> None:
        """The worker: wait for a quiet burst, report it, re-arm moved roots, repeat."""
        next_root_check = time.monotonic() + self._rearm_interval
        while True:
            burst = self._next_burst(next_root_check)
            if burst is None:
                return
            if burst:
                self._report(burst)
            if time.monotonic() >= next_root_check:
                self._rearm_changed_roots()
                next_root_check = time.monotonic() + self._rearm_interval

    def _next_burst(self, deadline: float) -> frozenset[Path] | None:
        """Wait until a burst is quiet (its paths) or `deadline` passes (empty); None on stop."""
        with self._wakeup:
            while not self._stopping:
                now = time.monotonic()
                if self._pending and now - self._last_event >= self._quiet_period:
                    # A name born and gone within the burst (sed -i's `sedXXXXXX`, an editor's
                    # temp file renamed over the target) changed nothing a build reads.
                    transient = {path for path in self._born if not os.path.lexists(path)}
                    burst = frozenset(self._pending - transient)
                    self._pending.clear()
                    self._born.clear()
                    if not burst:
                        continue
                    return burst
                if now >= deadline:
                    return frozenset()
                quiet_at = self._last_event + self._quiet_period if self._pending else deadline
                self._wakeup.wait(min(quiet_at, deadline) - now)
            return None

    def _report(self, burst: frozenset[Path]) -> None:
        try:
            self._on_change(burst)
        except Exception:  # a failing callback must not end the watch
            logger.exception("the change handler failed for %d paths", len(burst))

    def _rearm_changed_roots(self) -> None:
        """Watch again every root whose folder vanished, came back or was replaced."""
        for root in self._roots:
            if _identity_of(root.given) != root.identity:
                self._disarm(root)
                self._arm(root)
                self._add_pending({root.given})

    def _arm(self, root: _WatchedRoot) -> None:
        root.real = Path(os.path.realpath(root.given))
        root.identity = _identity_of(root.given)
        if root.identity is None:
            return
        try:
            root.watch = self._observer.schedule(
                self._handler, str(root.real), recursive=True, event_filter=_RELEVANT_EVENTS
            )
        except OSError as problem:  # vanished again; the next check retries
            logger.debug("cannot watch %s yet: %s", root.given, problem)
            root.identity = None

    def _disarm(self, root: _WatchedRoot) -> None:
        if root.watch is not None:
            try:
                self._observer.unschedule(root.watch)
            except KeyError:  # watchdog already dropped it
                pass
            root.watch = None
