"""What the live output holds, looked up without ever following a symlink inside it.

One scan per folder answers for all its entries (`LiveTree`); a file's stamp (device, inode,
size, mtime) tells the watch loop, without reading the file back, that it is still the very
file its last quick write left (`trusted`); `holds` compares a file with new bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Mapping
from contextlib import suppress
from enum import Enum
from pathlib import Path

Stamp = tuple[int, int, int, int]  # what lstat says of a file: device, inode, size, mtime in ns


class Found(Enum):
    """What the live output holds where the new site puts a file."""

    NOTHING = "nothing"
    OURS = "a file the last build wrote"  # compared byte for byte when the new bytes come
    FOREIGN = "something sitegen did not write"


class LiveTree:
    """Lookups in the live output that never follow a symlink inside it."""

    def __init__(self, root: str):
        self.root = root
        self._is_folder: dict[str, bool | None] = {"": True}  # None: nothing there
        self._listings: dict[str, dict[str, os.DirEntry]] = {}

    def find(self, path: str, previous: frozenset[str], prunable: frozenset[str]) -> Found:
        """What is at `path` now, where the new site puts a file."""
        blocker = self.blocker(path)
        if blocker in prunable:
            return Found.NOTHING  # an old file of ours where a folder must go: pruned first
        if blocker != path:
            return Found.FOREIGN
        entry = self._entry(path)
        if entry is None:
            return Found.NOTHING
        if path in previous and entry.is_file(follow_symlinks=False):
            return Found.OURS
        return Found.FOREIGN  # a file we did not write, or a folder, symlink, pipe...

    def is_regular_file(self, path: str) -> bool:
        """True when `path` is a regular file reached through real folders."""
        entry = self._entry(path)
        return entry is not None and entry.is_file(follow_symlinks=False)

    def blocker(self, path: str) -> str:
        """The first folder on the way to `path` that exists but is not a real folder, else `path`."""
        cut = path.find("/")
        while cut != -1:
            if self._folder(path[:cut]) is False:
                return path[:cut]
            cut = path.find("/", cut + 1)
        return path

    def _entry(self, path: str) -> os.DirEntry | None:
        """The entry at `path` when every folder on the way is a real folder, else None."""
        parent, _, name = path.rpartition("/")
        return self._listing(parent).get(name) if self._folder(parent) is True else None

    def _folder(self, folder: str) -> bool | None:
        """True for a real folder, False for anything else (symlinks too), None for nothing."""
        if folder not in self._is_folder:
            parent, _, name = folder.rpartition("/")
            kind = self._folder(parent)
            if kind is True:
                entry = self._listing(parent).get(name)
                kind = None if entry is None else entry.is_dir(follow_symlinks=False)
            self._is_folder[folder] = kind
        return self._is_folder[folder]

    def _listing(self, folder: str) -> dict[str, os.DirEntry]:
        """The entries of a real folder: one scan answers for all its entries at once."""
        if folder not in self._listings:
            try:
                with os.scandir(f"{self.root}/{folder}" if folder else self.root) as scan:
                    self._listings[folder] = {entry.name: entry for entry in scan}
            except FileNotFoundError:
                self._listings[folder] = {}
        return self._listings[folder]


def trusted(target: Path, known: Mapping[str, bytes], stamps: Mapping[str, Stamp],
             previous: frozenset[str]) -> dict[str, Stamp]:
    """The files of `known` that are still on disk as the caller's last quick write left them."""
    real_folders = {"": True}
    return {path: stamp for path, stamp in stamps.items()
            if path in known and path in previous and _still_there(str(target), path, stamp, real_folders)}


def _still_there(target: str, path: str, stamp: Stamp, real_folders: dict[str, bool]) -> bool:
    """True when `path` is the very file that had `stamp`, reached through real folders only.

    One lstat per file and per folder (remembered in `real_folders`), instead of reading the
    file back: a file deleted, replaced or edited since has another stamp, and a folder on the
    way that became a symlink is no real folder, so either is checked afresh by the caller.
    """
    if not _real_folder(target, path.rpartition("/")[0], real_folders):
        return False
    try:
        info = os.lstat(f"{target}/{path}")
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and stamp_of(info) == stamp


def _real_folder(target: str, folder: str, real_folders: dict[str, bool]) -> bool:
    """True when `folder` and every folder above it are real folders, not symlinks."""
    if folder not in real_folders:
        real = _real_folder(target, folder.rpartition("/")[0], real_folders)
        if real:
            try:
                real = stat.S_ISDIR(os.lstat(f"{target}/{folder}").st_mode)
            except OSError:
                real = False
        real_folders[folder] = real
    return real_folders[folder]


def stamp_of(info: os.stat_result) -> Stamp:
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def holds(path: str, data: bytes) -> bool:
    """True when the regular file at `path` (never followed if a symlink) holds exactly `data`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink: not something sitegen writes
            return False
        raise
    try:
        with suppress(OSError):  # a folder or a pipe cannot be read: it holds no bytes of ours
            return os.read(fd, len(data) + 1) == data
        return False
    finally:
        os.close(fd)


def parent_folders(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of `paths`, at any depth (the root itself excluded)."""
    folders = set()
    for path in paths:
        cut = path.rfind("/")
        while cut != -1 and path[:cut] not in folders:
            folders.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    return folders


def walk(root: Path) -> dict[str, os.DirEntry]:
    """Every entry under `root` by relative path, parents first, never following symlinks."""
    entries: dict[str, os.DirEntry] = {}

    def visit(folder: str, prefix: str) -> None:
        with os.scandir(folder) as scan:
            children = sorted(scan, key=lambda entry: entry.name)
        for child in children:
            entries[prefix + child.name] = child
            if child.is_dir(follow_symlinks=False):
                visit(child.path, f"{prefix}{child.name}/")

    if root.is_dir():
        visit(str(root), "")
    return entries
