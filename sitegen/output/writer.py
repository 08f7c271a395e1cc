"""Write the rendered site into the output folder without ever losing anything.

The build hands over the site as a mapping `{output-relative POSIX path: bytes}`; this
module is the only place that writes it. The mapping may make each file's bytes when it is
looked up (`render.SiteFiles` renders the page then): everything is checked and planned from
the paths alone, then each file is looked up once, in path order, compared, written or
linked, and dropped, so one page at a time is held in memory whatever the size of the site.

- Safety: `check_output_dir` refuses folders a build must never touch: `/`, `$HOME`, the
  project or anything containing it, and anything inside `seeds/`, `content/`,
  `templates/`, `sitegen/` or `.git/`. It also refuses any non-empty folder that has no
  marker file `.sitegen-output`.
- Ownership: the marker lists every file the last build wrote. Only those files are ever
  replaced or pruned. Anything else in the output (a user's `CNAME`, say) is kept, and a
  new page that would overwrite it is refused.
- Atomic builds (`atomic=True`): the new site is assembled in the sibling scratch folder
  `.<name>.sitegen-staging`. Unchanged files are hard-linked from the live site and the
  rest are written fresh. The scratch folder is flushed to disk, then swapped with the
  live folder by one `renameat2(RENAME_EXCHANGE)`. A build killed at any moment leaves
  either the previous complete site or the new one. After the swap the scratch folder
  holds the previous site, and it is kept: the next build only updates what differs
  instead of creating every folder again, which costs far more on ext4 than linking a
  file. Where the exchange is unavailable, three renames through `.<name>.sitegen-old`
  are used instead, and the next build restores the previous site if a build died between
  them.
- Quick rebuilds (`atomic=False`, for the watch loop): only files whose bytes differ are
  replaced (temp file `.<file>.sitegen-tmp` + `os.replace`). Identical files are not
  touched, so their mtime and inode stay the same.

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
import functools
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from sitegen.diagnostics import Diagnostic, SitegenError, error

MARKER = ".sitegen-output"  # at the top of the output: the manifest of the last build
STAGING_SUFFIX = ".sitegen-staging"  # sibling scratch folder the next site is assembled in
OLD_SUFFIX = ".sitegen-old"  # sibling briefly holding the live site (fallback swap only)
TEMP_SUFFIX = ".sitegen-tmp"  # temp file next to a file being replaced in place
LOCK_SUFFIX = ".sitegen-lock"  # sibling file locked (flock) by the one command writing the output
STAGING_IDENTITY = ".sitegen-staging"  # in a new staging folder until its marker is there: "sitegen made this"
PROTECTED_FOLDERS = ("seeds", "content", "templates", "sitegen", ".git")

_MARKER_FORMAT = "sitegen-output/1"
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_PLAIN_SEGMENT = r"(?!\.\.?(?:/|\Z))[^/\\\x00-\x1f\x7f]+"
_PLAIN_PATH = re.compile(rf"{_PLAIN_SEGMENT}(?:/{_PLAIN_SEGMENT})*")  # quick accept; see below
_JOINED_SEGMENT = r"(?!\.\.?(?:/|\n|\Z))[^/\\\x00-\x1f\x7f]+"  # as above, in newline-joined paths
_JOINED_PATH = rf"{_JOINED_SEGMENT}(?:/{_JOINED_SEGMENT})*"
_PLAIN_PATHS = re.compile(rf"{_JOINED_PATH}(?:\n{_JOINED_PATH})*")
_FOLDER_NOFOLLOW = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC  # one step of `_open_folder`
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# errno values meaning "this system cannot exchange", not "this exchange failed"
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM}


Stamp = tuple[int, int, int, int]  # what lstat says of a file: device, inode, size, mtime in ns


@dataclass(frozen=True, slots=True)
class WriteReport:
    """What one write changed in the live site (the marker file is not counted)."""

    written: int  # files created or replaced because their bytes changed
    unchanged: int  # files whose bytes were already there, left untouched
    removed: int  # files of the previous build that the new site no longer has
    stamps: Mapping[str, Stamp] = field(default_factory=dict, compare=False)  # quick writes: every file's


def scratch_folders(out_dir: Path) -> tuple[Path, Path]:
    """The staging and old-site siblings of `out_dir`; a watcher should ignore both."""
    target = out_dir.resolve()
    return (
        target.with_name(f".{target.name}{STAGING_SUFFIX}"),
        target.with_name(f".{target.name}{OLD_SUFFIX}"),
    )


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the marker of an output folder records about the last build."""

    files: frozenset[str]  # every file that build wrote (the marker itself excluded)
    base_url: str | None  # the base URL it was built for; None: not recorded, or nothing built yet
    marked: bool  # a marker is there: the folder holds a site sitegen built


_NOTHING_BUILT = Manifest(frozenset(), None, False)  # a missing or empty output folder


def lock_file(out_dir: Path) -> Path:
    """The file beside `out_dir` that the command writing it holds locked."""
    target = out_dir.resolve()
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


def check_output_dir(out_dir: Path, project_root: Path) -> Manifest:
    """The one guard of every command that reads or writes an output folder.

    Raises `SitegenError` unless `out_dir` is a safe place for a site: the placement
    refusals below, then a non-empty folder must carry sitegen's marker.
    """
    _refuse_unsafe_placement(out_dir, project_root)
    return _read_manifest(out_dir)


def built_site(out_dir: Path, project_root: Path, command: str) -> Manifest:
    """The guard for commands that use a built site as it is (`publish`): the marker is required."""
    manifest = check_output_dir(out_dir, project_root)
    if not manifest.marked:
        raise _refusal(out_dir, f"no site built by sitegen here (no {MARKER} marker); run `sitegen build`"
                                f" before `sitegen {command}`")
    return manifest


def damaged_files(out_dir: Path, manifest: Manifest) -> dict[str, str]:
    """The marker's files that are no longer regular files reached through real folders, each
    with what is wrong: what a reader of a built site (`publish`) must not take as sitegen's."""
    tree = _LiveTree(str(out_dir.resolve()))
    damage = {}
    for path in sorted(manifest.files):
        blocker = tree.blocker(path)
        if blocker != path:
            damage[blocker] = "is not a real folder (a symlink, or a file); rebuild with `sitegen build`"
        elif not tree.is_regular_file(path):
            kind = "is missing" if tree.find(path, frozenset(), frozenset()) is _Found.NOTHING else "is not a regular file"
            damage[path] = f"{kind}, though the last build wrote it; rebuild with `sitegen build`"
    return damage


def write_site(
    files: Mapping[str, bytes], out_dir: Path, project_root: Path, *, atomic: bool = True,
    known: Mapping[str, bytes] | None = None, stamps: Mapping[str, Stamp] | None = None,
    base_url: str | None = None,
) -> WriteReport:
    """Make `out_dir` hold exactly `files`, plus whatever the last build did not write.

    Each file is looked up once, after every refusal, and its bytes are not kept. If a lookup
    raises, an atomic write leaves the live site as it was.

    `known` is what the caller wrote last time and `stamps` the stamps its quick write reported
    (the watch loop keeps both): a file whose stamp is unchanged, reached through real folders
    only, and whose new bytes equal the known ones, is taken as unchanged without reading it
    back, which is most of a quick rebuild's time on a large site. Anything else (a file
    deleted, edited or replaced, a folder swapped for a symlink) is checked on disk exactly as
    a first write would check it.

    `base_url` is recorded in the marker, so that `publish` can tell what the site was built for.
    """
    _refuse_unsafe_paths(list(files), out_dir)
    _refuse_unsafe_placement(out_dir, project_root)
    target = out_dir.resolve()
    try:
        with _only_writer(target, out_dir):
            _recover_killed_build(target)
            previous = _read_manifest(out_dir)
            trusted = _trusted(target, known or {}, stamps or {}, previous.files)
            job = _survey(files, tuple(sorted(files)), previous, target, out_dir, known or {}, trusted, base_url)
            return _write_staged(job) if atomic else _write_in_place(job)
    except OSError as exc:
        raise _write_failure(exc, target, out_dir, atomic) from None


@contextmanager
def _only_writer(target: Path, out_dir: Path) -> Iterator[None]:
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
            raise _refusal(out_dir, f"another sitegen command is writing this output folder right now (it holds"
                                    f" {lock_file(target).name}); wait for it to finish and run again") from None
        yield
    finally:
        os.close(fd)  # releases the lock


# --- refusals ------------------------------------------------------------------------


def _refuse_unsafe_placement(out_dir: Path, project_root: Path) -> None:
    """Refuse `/`, `$HOME`, the project or a folder holding it, and the project's sources."""
    try:
        target, project = out_dir.resolve(), project_root.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise _refusal(out_dir, f"output folder cannot be resolved: {exc}") from None
    reasons = []
    if target == Path(target.anchor):
        reasons.append("is the filesystem root")
    home = os.environ.get("HOME")
    if home and Path(home).resolve().is_relative_to(target):
        reasons.append("is your home folder ($HOME) or contains it")
    holds_project = project.is_relative_to(target)
    if holds_project:
        reasons.append("is the project root or contains it")
    for name in PROTECTED_FOLDERS:
        protected = (project / name).resolve()  # may be a symlink to a folder elsewhere
        if target.is_relative_to(protected):
            reasons.append(f"is or sits inside the project's {name}/ folder")
        elif protected.is_relative_to(target) and not holds_project:
            reasons.append(f"contains the project's {name}/ folder")
    if not reasons and os.path.ismount(target):
        # Builds swap the output folder with a sibling by renaming, which a mount point refuses.
        reasons.append(f"is a mount point, which sitegen cannot replace; use a folder inside it, such as {out_dir / 'site'}")
    hint = "refusing to write there; choose another --output"
    if reasons:
        raise SitegenError([error(str(out_dir), None, f"output folder {r}; {hint}") for r in reasons])


def _refuse_unsafe_paths(paths: list[str], out_dir: Path) -> None:
    """Refuse paths that could escape the output or clash: defence in depth for render."""
    problems = []
    for path in paths if not _all_plain(paths) else ():
        reason = _unsafe_path_reason(path)
        if reason is None and path == MARKER:
            reason = "is reserved for sitegen's marker file"
        if reason is None and path.endswith(TEMP_SUFFIX):
            reason = f"ends with {TEMP_SUFFIX}, reserved for sitegen's temp files"
        if reason is not None:
            problems.append(f"output path {path!r} {reason}")
    clashes = set(paths) & _parent_folders(p for p in paths if isinstance(p, str))
    problems += [f"output path {p!r} is both a file and a folder of other files" for p in clashes]
    if problems:
        raise SitegenError([error(str(out_dir), None, m) for m in sorted(problems)])


def _all_plain(paths: list) -> bool:
    """True when every path is plain, found by one regex over them all (a watch rebuild on a
    large site checks tens of thousands); False says only that some path needs a closer look."""
    if not all(isinstance(path, str) for path in paths):
        return False
    joined = "\n".join(paths)  # a plain path holds no control character, so no newline of its own
    return (joined.count("\n") == len(paths) - 1 and _PLAIN_PATHS.fullmatch(joined) is not None
            and MARKER not in paths
            and not any(path.endswith(TEMP_SUFFIX) for path in paths)) if paths else True


def _unsafe_path_reason(path: object) -> str | None:
    """Why `path` is not a plain relative POSIX path inside the output; None if it is."""
    if not isinstance(path, str):
        return "is not a string"
    if _PLAIN_PATH.fullmatch(path):
        return None
    if path.startswith("/"):
        return "is absolute"
    if "\\" in path:
        return "contains a backslash"
    if _CONTROL_CHARACTER.search(path):
        return "contains a control character"
    segments = path.split("/")
    if "" in segments:
        return "has an empty segment"
    if "." in segments or ".." in segments:
        return "has a '.' or '..' segment"
    return "is not a plain relative path"


def _read_manifest(out_dir: Path) -> Manifest:
    """What the last build wrote (nothing for a missing or empty folder); refuse others."""
    target = out_dir.resolve()
    try:
        if not stat.S_ISDIR(os.stat(target).st_mode):
            raise _refusal(out_dir, "output path exists and is not a folder")
        text = _read_file(f"{target}/{MARKER}")
    except FileNotFoundError:
        if target.is_dir() and _has_entries(target):
            raise _refusal(
                out_dir,
                f"output folder is not empty and was not created by sitegen (no {MARKER}"
                " marker); refusing to overwrite; delete it or choose another --output",
            ) from None
        return _NOTHING_BUILT
    except OSError as exc:
        raise _refusal(out_dir, f"cannot read the output marker {MARKER}: {exc.strerror}") from None
    manifest = _parse_marker(text)
    if manifest is None:
        raise _refusal(
            out_dir,
            f"output marker {MARKER} is damaged; refusing to overwrite;"
            " delete the output folder or choose another --output",
        )
    return manifest


@functools.lru_cache(maxsize=2)  # read twice per build (check, then write), and again each rebuild
def _parse_marker(text: bytes) -> Manifest | None:
    """The manifest in a marker, or None when it is not one sitegen wrote."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != _MARKER_FORMAT:
        return None
    listed = data.get("files")
    # A tampered manifest must not steer pruning outside the output.
    if not isinstance(listed, list) or (not _all_plain(listed) and any(_unsafe_path_reason(p) for p in listed)):
        return None
    if MARKER in listed:
        return None
    base_url = data.get("base_url")  # absent in markers of earlier versions
    if base_url is not None and not isinstance(base_url, str):
        return None
    return Manifest(frozenset(listed), base_url, True)


def _marker_bytes(paths: Iterable[str], base_url: str | None) -> bytes:
    """The marker recording `paths` as this build's files (sorted: deterministic)."""
    document = {"format": _MARKER_FORMAT, "base_url": base_url, "files": sorted(paths)}
    return (json.dumps(document, indent=1) + "\n").encode()


def _refusal(where: Path, message: str) -> SitegenError:
    return SitegenError([error(str(where), None, message)])


# --- planning ------------------------------------------------------------------------


class _Found(Enum):
    """What the live output holds where the new site puts a file."""

    NOTHING = "nothing"
    OURS = "a file the last build wrote"  # compared byte for byte when the new bytes come
    FOREIGN = "something sitegen did not write"


@dataclass(frozen=True, slots=True)
class _Job:
    """One write: the new site's files and how their paths meet the live output."""

    files: Mapping[str, bytes]  # looked up once per path, in `paths` order
    paths: tuple[str, ...]  # sorted
    previous: frozenset[str]  # what the last build wrote
    previous_base_url: str | None  # what the last build was built for
    base_url: str | None  # what this one is built for
    live: frozenset[str]  # new paths where a file of the last build is live
    pruned: tuple[str, ...]  # files of the last build that the new site drops (sorted)
    target: Path  # the resolved output folder
    out_dir: Path  # the output folder as the user named it, for messages
    known: Mapping[str, bytes]
    trusted: Mapping[str, Stamp]  # paths whose file is still the one the caller wrote, with its stamp

    @property
    def same_marker(self) -> bool:
        """True when the marker stays as it is: the last build's paths (and there was one) and base URL."""
        return (bool(self.previous) and self.previous == frozenset(self.paths)
                and self.previous_base_url == self.base_url)

    def marker(self, paths: Iterable[str]) -> bytes:
        return _marker_bytes(paths, self.base_url)

    def new_files(self) -> Iterator[tuple[str, bytes, bool]]:
        """Each new file's path, bytes and whether the live output holds those bytes already.

        One at a time: a file's bytes are looked up here and nowhere else.
        """
        for path in self.paths:
            data = self.files[path]
            if not isinstance(data, bytes):
                message = f"output path {path!r} has content of type {type(data).__name__}, not bytes"
                raise SitegenError([error(str(self.out_dir), None, message)])
            if path in self.trusted and self.known[path] == data:
                yield path, data, True
            else:
                yield path, data, path in self.live and _holds(f"{self.target}/{path}", data)


def _survey(files: Mapping[str, bytes], paths: tuple[str, ...], last: Manifest, target: Path,
            out_dir: Path, known: Mapping[str, bytes], trusted: Mapping[str, Stamp], base_url: str | None) -> _Job:
    """Meet the new paths with the live output; refuse to overwrite what is not ours.

    Needs no file's bytes: whether something is ours depends on the marker and the kind of
    entry only, so every refusal comes before the first file is looked up.
    """
    previous = last.files
    tree = _LiveTree(str(target))
    pruned = tuple(p for p in sorted(previous.difference(paths)) if tree.is_regular_file(p))
    prunable = frozenset(pruned)
    live = set()
    blocked: dict[str, list[str]] = {}  # what is in the way -> the new files it blocks
    for path in paths:
        if path in trusted:  # the very file the caller wrote last time: trusted, as its bytes are
            live.add(path)
            continue
        found = tree.find(path, previous, prunable)
        if found is _Found.OURS:
            live.add(path)
        elif found is _Found.FOREIGN:
            blocked.setdefault(tree.blocker(path), []).append(path)
    if blocked:
        raise SitegenError([_blocked(out_dir, b, paths) for b, paths in sorted(blocked.items())])
    return _Job(files, paths, previous, last.base_url, base_url, frozenset(live), pruned, target, out_dir, known,
                trusted)


def _trusted(target: Path, known: Mapping[str, bytes], stamps: Mapping[str, Stamp],
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
    return stat.S_ISREG(info.st_mode) and _stamp(info) == stamp


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


def _stamp(info: os.stat_result) -> Stamp:
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def _blocked(out_dir: Path, blocker: str, paths: list[str]) -> Diagnostic:
    """One diagnostic per entry in the way, however many new files it blocks."""
    if paths == [blocker]:
        what = "was not written by sitegen"
    else:
        more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        what = f"is in the way of {paths[0]}{more} and was not written by sitegen"
    message = f"{what}; refusing to overwrite it; move it away or delete the output folder"
    return error((out_dir / blocker).as_posix(), None, message)


class _LiveTree:
    """Lookups in the live output that never follow a symlink inside it."""

    def __init__(self, root: str):
        self.root = root
        self._is_folder: dict[str, bool | None] = {"": True}  # None: nothing there
        self._listings: dict[str, dict[str, os.DirEntry]] = {}

    def find(self, path: str, previous: frozenset[str], prunable: frozenset[str]) -> _Found:
        """What is at `path` now, where the new site puts a file."""
        blocker = self.blocker(path)
        if blocker in prunable:
            return _Found.NOTHING  # an old file of ours where a folder must go: pruned first
        if blocker != path:
            return _Found.FOREIGN
        entry = self._entry(path)
        if entry is None:
            return _Found.NOTHING
        if path in previous and entry.is_file(follow_symlinks=False):
            return _Found.OURS
        return _Found.FOREIGN  # a file we did not write, or a folder, symlink, pipe...

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


def _holds(path: str, data: bytes) -> bool:
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


def _parent_folders(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of `paths`, at any depth (the root itself excluded)."""
    folders = set()
    for path in paths:
        cut = path.rfind("/")
        while cut != -1 and path[:cut] not in folders:
            folders.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    return folders


def _walk(root: Path) -> dict[str, os.DirEntry]:
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


# --- atomic writes -------------------------------------------------------------------


def _write_staged(job: _Job) -> WriteReport:
    """Bring the staging folder to the new site beside the live one, then swap the two.

    The staging folder is ours whatever it holds, so a build that stops halfway (a render
    error, Ctrl-C) may leave it as it is; only a failed write removes it, to free the space.
    """
    target = job.target
    staging, _ = scratch_folders(target)
    kept = _kept(_walk(target), job.previous)
    os.makedirs(target, exist_ok=True)  # so there is always something to swap with
    try:
        staged = _prepare_staging(staging, target, job, kept)
        for path in kept.entries:
            _stage_link(target, staging, path, staged, None)
        written = unchanged = 0
        for path, data, same in job.new_files():
            if same:
                _stage_link(target, staging, path, staged, data)
            else:
                _stage_file(staging, path, staged, data)
            written, unchanged = written + (not same), unchanged + same
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
    return _Kept(tuple(entries), frozenset(folders - _parent_folders(live)))


def _prepare_staging(staging: Path, target: Path, job: _Job, kept: _Kept) -> dict[str, os.DirEntry]:
    """Give `staging` the new site's folders and remove what the new site does not have.

    Returns the files left in it by an earlier build at paths the new site has: each is
    checked, and kept or replaced, when its new bytes come.
    """
    identity = f"{staging}/{STAGING_IDENTITY}"
    if not os.path.lexists(staging):
        os.mkdir(staging)
        _write_new_file(identity, b"")  # an empty folder, then this file, then the marker: ours at every step
    os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))
    _replace_file(f"{staging}/{MARKER}", job.marker(job.paths))  # first, and never absent after: marks it as ours
    with suppress(FileNotFoundError):  # the marker says it from now on, and must not go live with the site
        os.unlink(identity)
    wanted = frozenset(job.paths).union(kept.entries)
    folders = _parent_folders(wanted) | _parent_folders(kept.empty_folders) | kept.empty_folders
    present = _walk(staging)
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
    for folder in sorted(folders - folders_present):  # parents sort first
        os.mkdir(f"{staging}/{folder}")
    return reusable


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
        if _holds(entry.path, data):
            return
        os.unlink(entry.path)
    _write_new_file(f"{staging}/{path}", data)


def _link(source: str, destination: str, data: bytes | None) -> None:
    """Hard-link a live entry (a symlink stays a symlink, never followed); copy if we cannot."""
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError:  # e.g. a filesystem without hard links
        if data is None:
            shutil.copy2(source, destination, follow_symlinks=False)
        else:
            _write_new_file(destination, data)


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


# --- quick writes --------------------------------------------------------------------


def _write_in_place(job: _Job) -> WriteReport:
    """Prune, then replace changed files one by one; for the watch loop."""
    target = job.target
    os.makedirs(target, exist_ok=True)
    new_marker = not job.same_marker
    if new_marker:  # first claim every path this write may touch, so a crash loses no record
        # and, while pages of two base URLs may be mixed, claim no base URL (publish refuses)
        base_url = job.base_url if job.base_url == job.previous_base_url else None
        _replace_file(f"{target}/{MARKER}", _marker_bytes(job.previous.union(job.paths), base_url))
    for path in job.pruned:  # first, so an old file cannot stand where a folder must go
        _remove_file(target, path)
    written = unchanged = 0
    stamps: dict[str, Stamp] = {}
    for path, data, same in job.new_files():
        if same:
            stamps[path] = job.trusted.get(path) or _stamp(os.lstat(f"{target}/{path}"))
        else:
            folder, _, name = path.rpartition("/")
            fd = _open_folder(target, folder, make=True)
            try:
                _replace_file(f"{target}/{path}", data, fd)
                stamps[path] = _stamp(os.stat(name, dir_fd=fd, follow_symlinks=False))
            finally:
                os.close(fd)
        written, unchanged = written + (not same), unchanged + same
    if new_marker:
        _replace_file(f"{target}/{MARKER}", job.marker(job.paths))
    return WriteReport(written, unchanged, len(job.pruned), stamps)


def _open_folder(root: Path, folder: str, make: bool) -> int:
    """A descriptor of `root/folder`, reached one folder at a time without following a symlink.

    The survey checked the way already; this makes the write itself safe too: a folder
    swapped for a symlink meanwhile fails the write (ELOOP, ENOTDIR) instead of leading it out
    of the output. With `make`, missing folders are created on the way.
    """
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    reached = ""
    try:
        for name in folder.split("/") if folder else ():
            reached = f"{reached}/{name}"
            try:
                inner = os.open(name, _FOLDER_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if not make:
                    raise
                with suppress(FileExistsError):  # made meanwhile: opened (and checked) below
                    os.mkdir(name, dir_fd=fd)
                inner = os.open(name, _FOLDER_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
    except OSError as exc:
        os.close(fd)
        raise OSError(exc.errno, exc.strerror, f"{root}{reached}") from None
    return fd


def _replace_file(path: str, data: bytes, folder_fd: int | None = None) -> None:
    """Replace the file `path` by `data` in one step, through a temp file beside it.

    `folder_fd`, an open descriptor of the folder of `path`, is where both names are looked
    up (see `_open_folder`); without it the folder is opened by its path.
    """
    folder, _, name = path.rpartition("/")
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) if folder_fd is None else folder_fd
    temp = f".{name}{TEMP_SUFFIX}"
    try:
        with suppress(FileNotFoundError):  # left by a killed rebuild
            os.unlink(temp, dir_fd=fd)
        _write_new_file(temp, data, fd)
        os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(temp, dir_fd=fd)
        if isinstance(exc, OSError):  # name the file being replaced, not its temp file
            raise OSError(exc.errno, exc.strerror, path) from None
        raise
    finally:
        if folder_fd is None:
            os.close(fd)


def _remove_file(root: Path, path: str) -> None:
    """Delete one file of the last build, then the folders this leaves empty."""
    folder, _, name = path.rpartition("/")
    try:
        fd = _open_folder(root, folder, make=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:  # gone already
            return
        raise
    try:
        with suppress(FileNotFoundError):
            os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)
    while folder:
        try:
            os.rmdir(f"{root}/{folder}")
        except OSError:  # not empty (or gone already): the folders above stay too
            return
        folder = folder.rpartition("/")[0]


# --- shared steps --------------------------------------------------------------------


def _write_new_file(path: str, data: bytes, folder_fd: int | None = None) -> None:
    """Create the file `path` (in the folder `folder_fd`, if given), which must not exist yet, holding `data`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666, dir_fd=folder_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:  # os.write does not say which file
        raise OSError(exc.errno, exc.strerror, path) from None
    finally:
        os.close(fd)


def _read_file(path: str) -> bytes:
    """The bytes of a file, refusing to follow a symlink."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        return stream.read()


def _has_entries(folder: Path) -> bool:
    with os.scandir(folder) as scan:
        return any(True for _ in scan)


def _recover_killed_build(target: Path) -> None:
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
        if not _has_entries(folder):
            return
    raise _refusal(
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


def _write_failure(exc: OSError, target: Path, out_dir: Path, atomic: bool) -> SitegenError:
    """A located message for a failed write, naming the output file it concerned."""
    where = Path(exc.filename) if exc.filename else target
    for base in (scratch_folders(target)[0], target):
        if where.is_relative_to(base):
            where = out_dir / where.relative_to(base)
            break
    outcome = "the previous site is unchanged" if atomic else "the site may be partly updated"
    reason = exc.strerror or str(exc)
    return SitegenError([error(where.as_posix(), None, f"cannot write the site: {reason}; {outcome}")])
