"""Where a site may be written, and which files in it are sitegen's: the guards of every
command that touches an output folder.

- Safety: `check_output_dir` refuses folders a build must never touch: `/`, `$HOME`, the
  project or anything containing it, and anything inside `seeds/`, `content/`,
  `templates/`, `sitegen/` or `.git/`. It also refuses any non-empty folder that has no
  marker file `.sitegen-output`.
- Ownership: the marker lists every file the last build wrote (its `Manifest`). Only those
  files are ever replaced or pruned. Anything else in the output (a user's `CNAME`, say) is
  kept, and a new page that would overwrite it is refused.
- Paths: every output path must be a plain relative POSIX path (defence in depth for render).
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sitegen.diagnostics import SitegenError, error
from sitegen.output.livetree import Found, LiveTree, parent_folders

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


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the marker of an output folder records about the last build."""

    files: frozenset[str]  # every file that build wrote (the marker itself excluded)
    base_url: str | None  # the base URL it was built for; None: not recorded, or nothing built yet
    marked: bool  # a marker is there: the folder holds a site sitegen built


_NOTHING_BUILT = Manifest(frozenset(), None, False)  # a missing or empty output folder


def check_output_dir(out_dir: Path, project_root: Path) -> Manifest:
    """The one guard of every command that reads or writes an output folder.

    Raises `SitegenError` unless `out_dir` is a safe place for a site: the placement
    refusals below, then a non-empty folder must carry sitegen's marker.
    """
    refuse_unsafe_placement(out_dir, project_root)
    return read_manifest(out_dir)


def built_site(out_dir: Path, project_root: Path, command: str) -> Manifest:
    """The guard for commands that use a built site as it is (`publish`): the marker is required."""
    manifest = check_output_dir(out_dir, project_root)
    if not manifest.marked:
        raise refusal(out_dir, f"no site built by sitegen here (no {MARKER} marker); run `sitegen build`"
                                f" before `sitegen {command}`")
    return manifest


def damaged_files(out_dir: Path, manifest: Manifest) -> dict[str, str]:
    """The marker's files that are no longer regular files reached through real folders, each
    with what is wrong: what a reader of a built site (`publish`) must not take as sitegen's."""
    tree = LiveTree(str(out_dir.resolve()))
    damage = {}
    for path in sorted(manifest.files):
        blocker = tree.blocker(path)
        if blocker != path:
            damage[blocker] = "is not a real folder (a symlink, or a file); rebuild with `sitegen build`"
        elif not tree.is_regular_file(path):
            kind = "is missing" if tree.find(path, frozenset(), frozenset()) is Found.NOTHING else "is not a regular file"
            damage[path] = f"{kind}, though the last build wrote it; rebuild with `sitegen build`"
    return damage


def refuse_unsafe_placement(out_dir: Path, project_root: Path) -> None:
    """Refuse `/`, `$HOME`, the project or a folder holding it, and the project's sources."""
    try:
        target, project = out_dir.resolve(), project_root.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise refusal(out_dir, f"output folder cannot be resolved: {exc}") from None
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


def refuse_unsafe_paths(paths: list[str], out_dir: Path) -> None:
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
    clashes = set(paths) & parent_folders(p for p in paths if isinstance(p, str))
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


def read_manifest(out_dir: Path) -> Manifest:
    """What the last build wrote (nothing for a missing or empty folder); refuse others."""
    target = out_dir.resolve()
    try:
        if not stat.S_ISDIR(os.stat(target).st_mode):
            raise refusal(out_dir, "output path exists and is not a folder")
        text = _read_nofollow(f"{target}/{MARKER}")
    except FileNotFoundError:
        if target.is_dir() and has_entries(target):
            raise refusal(
                out_dir,
                f"output folder is not empty and was not created by sitegen (no {MARKER}"
                " marker); refusing to overwrite; delete it or choose another --output",
            ) from None
        return _NOTHING_BUILT
    except OSError as exc:
        raise refusal(out_dir, f"cannot read the output marker {MARKER}: {exc.strerror}") from None
    manifest = _parse_marker(text)
    if manifest is None:
        raise refusal(
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


def marker_bytes(paths: Iterable[str], base_url: str | None) -> bytes:
    """The marker recording `paths` as this build's files (sorted: deterministic)."""
    document = {"format": _MARKER_FORMAT, "base_url": base_url, "files": sorted(paths)}
    return (json.dumps(document, indent=1) + "\n").encode()


def refusal(where: Path, message: str) -> SitegenError:
    return SitegenError([error(str(where), None, message)])


def _read_nofollow(path: str) -> bytes:
    """The bytes of a file, refusing to follow a symlink."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        return stream.read()


def has_entries(folder: Path) -> bool:
    with os.scandir(folder) as scan:
        return any(True for _ in scan)
