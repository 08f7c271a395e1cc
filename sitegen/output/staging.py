"""Atomic builds: assemble the next site beside the live one, then swap the two in one step.

- The new site is assembled in the sibling scratch folder `.<name>.sitegen-staging`.
  Unchanged files are hard-linked from the live site and the rest are written fresh. The
  scratch folder is flushed to disk, then swapped with the live folder by one
  `renameat2(RENAME_EXCHANGE)`. A build killed at any moment leaves either the previous
  complete site or the new one. After the swap the scratch folder holds the previous site,
  and it is kept: the next build only updates what differs instead of creating every folder
  again, which costs far more on ext4 than linking a file. Where the exchange is
  unavailable, three renames through `.<name>.sitegen-old` are used instead, and the next
  build restores the previous site if a build died between them.
- One writer at a time: every write holds an `flock` on `.<name>.sitegen-lock` beside the
  output; a second command writing the same output meanwhile is refused with a message.
- Scratch folders that prove themselves: a new staging folder is empty, then holds the
  identity file `.sitegen-staging`, then its marker, so a build killed at any moment leaves
  one that the next build recognises as its own and reuses; a folder with that name and none
  of these is a stranger's and is refused.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

from sitegen import background
from sitegen.output import files
from sitegen.output.guard import (LOCK_SUFFIX, MARKER, OLD_SUFFIX, STAGING_IDENTITY, STAGING_SUFFIX, TEMP_SUFFIX,
                                  has_entries, refusal)
from sitegen.output.livetree import holds, parent_folders, walk
from sitegen.output.survey import Job, WriteReport


def scratch_folders(out_dir: Path) -> tuple[Path, Path]:
    """The staging and old-site siblings of `out_dir`; a watcher should ignore both."""
    target = out_dir.resolve()
    return (
        target.with_name(f".{target.name}{STAGING_SUFFIX}"),
        target.with_name(f".{target.name}{OLD_SUFFIX}"),
    )


def lock_file(out_dir: Path) -> Path:
    """The file beside `out_dir` that the command writing it holds locked."""
    target = out_dir.resolve()
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


@contextmanager
def only_writer(target: Path, out_dir: Path) -> Iterator[None]:
    """Hold the output's lock file for the whole write; refuse if another command holds it.

    Two writers at once (two builds, a build and a watch loop) would each take the other's
    half-made staging folder for a stranger's. The lock is an `flock` on a file beside the
    output, so it is released when its holder ends in any way, a SIGKILL included; the file
    itself stays (removing it would race with a writer that has just opened it).
    """
    os.makedirs(target.parent, exist_ok=True)
    fd = os.open(lock_file(target), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise refusal(out_dir, f"another sitegen command is writing this output folder right now (it holds"
                                    f" {lock_file(target).name}); wait for it to finish and run again") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def write_staged(job: Job) -> WriteReport:
    """Bring the staging folder to the new site beside the live one, then swap the two.

    The staging folder is ours whatever it holds, so a build that stops halfway (a render
    error, Ctrl-C) may leave it as it is; only a failed write removes it, to free the space.
    """
    target = job.target
    staging, _ = scratch_folders(target)
    kept = _kept(walk(target), job.previous)
    os.makedirs(target, exist_ok=True)  # so there is always something to swap with
    try:
        staged, missing = _prepare_staging(staging, target, job, kept)
        for path in kept.entries:
            _stage_link(target, staging, path, staged, None)
        written, unchanged = _stage_new_files(job, staging, staged, missing)
        changed = bool(written or job.pruned or not job.same_marker)
        if changed:  # else the live site stays as it is, and staging now mirrors it
            _flush_to_disk(staging)
            _swap_in(staging, target)
            with suppress(OSError):  # the folder a first build swapped out: empty, so not worth keeping
                os.rmdir(staging)
    except OSError:
        with suppress(OSError):  # frees the space after a full disk; the next build starts afresh
            _remove_scratch(staging)
        raise
    if changed:
        with suppress(OSError):  # the new site is live either way; only durability is at stake
            _fsync_folder(target.parent)
    return WriteReport(written, unchanged, len(job.pruned))


@dataclass(frozen=True, slots=True)
class _Kept:
    """What of the live output the last build did not write; the new site keeps it."""

    entries: tuple[str, ...]  # files, symlinks...: hard-linked into the new site
    empty_folders: frozenset[str]  # made again (the ones pruning empties go)


def _kept(live: Mapping[str, os.DirEntry], previous: frozenset[str]) -> _Kept:
    """The live entries (by relative path) that the new site keeps though it does not list them."""
    folders = {path for path, entry in live.items() if entry.is_dir(follow_symlinks=False)}
    entries = []
    for path, entry in live.items():
        ours = path in previous and entry.is_file(follow_symlinks=False)
        bookkeeping = path == MARKER or entry.name.endswith(TEMP_SUFFIX)
        if not (path in folders or ours or bookkeeping):
            entries.append(path)
    return _Kept(tuple(entries), frozenset(folders - parent_folders(live)))


def _prepare_staging(staging: Path, target: Path, job: Job, kept: _Kept) -> tuple[dict[str, os.DirEntry], set[str]]:
    """Remove from `staging` what the new site does not have; make the folders that the
    kept entries need.

    Returns the files left in it by an earlier build at paths the new site has (each is
    checked, and kept or replaced, when its new bytes come) and the folders the new site
    needs that are still missing (`_stage_new_files` makes them).
    """
    identity = f"{staging}/{STAGING_IDENTITY}"
    if not os.path.lexists(staging):
        os.mkdir(staging)
        files.write_new_file(identity, b"")  # an empty folder, then this file, then the marker: ours at every step
    os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))
    files.replace_file(f"{staging}/{MARKER}", job.marker(job.paths))  # first, and never absent after: marks it as ours
    with suppress(FileNotFoundError):  # the marker says it from now on, and must not go live with the site
        os.unlink(identity)
    wanted = frozenset(job.paths).union(kept.entries)
    folders = parent_folders(wanted) | parent_folders(kept.empty_folders) | kept.empty_folders
    present = walk(staging)
    present.pop(MARKER)
    reusable, folders_present = {}, set()
    for path in sorted(present, reverse=True):  # children before their folders
        entry = present[path]
        if entry.is_dir(follow_symlinks=False):
            if path in folders:
                folders_present.add(path)
            else:
                os.rmdir(entry.path)
        elif path in wanted:
            reusable[path] = entry
        else:
            os.unlink(entry.path)
    missing = folders - folders_present
    # the new files' folders are made with them, but for those the kept entries need first
    now = missing - (parent_folders(job.paths) - parent_folders(kept.entries))
    now |= parent_folders(now) & missing
    _make_folders(staging, now)
    return reusable, missing - now


def _make_folders(staging: Path, folders: set[str]) -> None:
    for folder in sorted(folders):  # parents sort first
        os.mkdir(f"{staging}/{folder}")


def _stage_new_files(job: Job, staging: Path, reusable: dict[str, os.DirEntry], missing: set[str]) -> tuple[int, int]:
    """Stage every new file; the second half (in path order) in a forked worker where possible.

    Making a folder or a file costs a cold build far more system time than rendering the
    page costs Python time (docs/benchmarks.md), so each half is rendered, and its folders
    and files made, on its own core. A folder both halves need is made before the fork. The
    worker's errors are raised here as it raised them; a worker that dies fails the write
    like a full disk would, and if this half fails the worker is stopped: either way the
    live site is not touched.
    """
    cut = len(job.paths) // 2
    first, second = job.paths[:cut], job.paths[cut:]
    own, others = parent_folders(first), parent_folders(second)
    _make_folders(staging, missing & own & others)
    worker = background.alongside(lambda: _stage_part(replace(job, paths=second), staging, reusable,
                                                      missing & others - own))
    try:
        mine = _stage_part(replace(job, paths=first), staging, reusable, missing & own - others)
    except BaseException:
        worker.cancel()
        raise
    theirs = worker.wait()
    return mine[0] + theirs[0], mine[1] + theirs[1]


def _stage_part(job: Job, staging: Path, reusable: dict[str, os.DirEntry], folders: set[str]) -> tuple[int, int]:
    """Make `folders`, then stage `job`'s files; the numbers written and unchanged."""
    _make_folders(staging, folders)
    written = unchanged = 0
    for path, data, same in job.new_files():
        if same:
            _stage_link(job.target, staging, path, reusable, data)
        else:
            _stage_file(staging, path, reusable, data)
        written, unchanged = written + (not same), unchanged + same
    return written, unchanged


def _stage_link(target: Path, staging: Path, path: str, reusable: dict[str, os.DirEntry],
                data: bytes | None) -> None:
    """Make staging's `path` a hard link to the live entry there, unless it is one already."""
    source = f"{target}/{path}"
    entry = reusable.pop(path, None)
    if entry is not None:
        if entry.inode() == os.lstat(source).st_ino:
            return
        os.unlink(entry.path)
    _link(source, f"{staging}/{path}", data)


def _stage_file(staging: Path, path: str, reusable: dict[str, os.DirEntry], data: bytes) -> None:
    """Make staging's `path` a file holding `data`, unless it holds those bytes already."""
    entry = reusable.pop(path, None)
    if entry is not None:
        if holds(entry.path, data):
            return
        os.unlink(entry.path)
    files.write_new_file(f"{staging}/{path}", data)


def _link(source: str, destination: str, data: bytes | None) -> None:
    """Hard-link a live entry (a symlink stays a symlink, never followed); copy if we cannot."""
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError:  # e.g. a filesystem without hard links
        if data is None:
            shutil.copy2(source, destination, follow_symlinks=False)
        else:
            files.write_new_file(destination, data)


def _swap_in(staging: Path, target: Path) -> None:
    """Put `staging` live at `target`; the previous site moves to `staging`."""
    if _exchange(staging, target):
        return
    _, old = scratch_folders(target)
    os.rename(target, old)
    try:
        os.rename(staging, target)  # a build killed just before this is undone by the next one
    except BaseException:
        os.rename(old, target)
        raise
    with suppress(OSError):  # the new site is live; the next build finishes this
        os.rename(old, staging)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# errno values meaning "this system cannot exchange", not "this exchange failed"
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM}


def _libc_function(name: str, argtypes: list) -> Callable[..., int] | None:
    """A function of the C library, or None where there is no such function."""
    try:
        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = argtypes
    return function


_RENAMEAT2 = _libc_function("renameat2", [ctypes.c_int, ctypes.c_char_p] * 2 + [ctypes.c_uint])
_SYNCFS = _libc_function("syncfs", [ctypes.c_int])


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step; False where the system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(second))


def _flush_to_disk(folder: Path) -> None:
    """Make the staged files durable before they go live: one syncfs, not an fsync each."""
    if _SYNCFS is None:
        os.sync()
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if _SYNCFS(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(folder))
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside `folder` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover_killed_build(target: Path) -> None:
    """Finish or undo a swap that a killed build left halfway (fallback swap only)."""
    staging, old = scratch_folders(target)
    if os.path.lexists(old):
        _require_scratch(old)
        if not os.path.lexists(target):  # killed between the first two renames
            os.rename(old, target)
        elif not os.path.lexists(staging):  # killed before the last rename
            os.rename(old, staging)
        else:
            _remove_scratch(old)
    if os.path.lexists(staging):
        _require_scratch(staging)


def _require_scratch(folder: Path) -> None:
    """Refuse to touch a folder with one of our scratch names that sitegen did not make.

    Sitegen's own is empty (just made), or holds the identity file (made, marker not yet
    written), the marker's temp file (a writer killed while writing the marker) or the marker.
    """
    if stat.S_ISDIR(os.lstat(folder).st_mode):
        for proof in (MARKER, STAGING_IDENTITY, f".{MARKER}{TEMP_SUFFIX}"):
            with suppress(FileNotFoundError):
                if stat.S_ISREG(os.lstat(folder / proof).st_mode):
                    return
        if not has_entries(folder):
            return
    raise refusal(
        folder,
        "is in the way: sitegen uses this name for its scratch folder but did not make it;"
        " move it away",
    )


def _remove_scratch(folder: Path) -> None:
    """Delete a scratch folder of ours; the marker goes last, so a half-deleted one stays ours."""
    with os.scandir(folder) as scan:
        children = [child for child in scan if child.name != MARKER]
    for child in children:
        if child.is_dir(follow_symlinks=False):
            shutil.rmtree(child.path)  # rmtree never follows symlinks out of the tree
        else:
            os.unlink(child.path)
    with suppress(FileNotFoundError):
        os.unlink(folder / MARKER)
    os.rmdir(folder)
