"""Meet the new site's paths with the live output before any byte is written.

`survey` needs no file's bytes: whether a live file is ours depends on the marker and the kind
of entry only, so every refusal comes before the first file is looked up. The `Job` it returns
is what both kinds of write (staged, in place) work from; its `new_files` is the one place a
file's bytes are looked up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.diagnostics import Diagnostic, SitegenError, error
from sitegen.output.guard import Manifest, marker_bytes
from sitegen.output.livetree import Found, LiveTree, Stamp, holds


@dataclass(frozen=True, slots=True)
class WriteReport:
    """What one write changed in the live site (the marker file is not counted)."""

    written: int  # files created or replaced because their bytes changed
    unchanged: int  # files whose bytes were already there, left untouched
    removed: int  # files of the previous build that the new site no longer has
    stamps: Mapping[str, Stamp] = field(default_factory=dict, compare=False)  # quick writes: every file's


@dataclass(frozen=True, slots=True)
class Job:
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
        return marker_bytes(paths, self.base_url)

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
                yield path, data, path in self.live and holds(f"{self.target}/{path}", data)


def survey(files: Mapping[str, bytes], paths: tuple[str, ...], last: Manifest, target: Path,
            out_dir: Path, known: Mapping[str, bytes], trusted: Mapping[str, Stamp], base_url: str | None) -> Job:
    """Meet the new paths with the live output; refuse to overwrite what is not ours.

    Needs no file's bytes: whether something is ours depends on the marker and the kind of
    entry only, so every refusal comes before the first file is looked up.
    """
    previous = last.files
    tree = LiveTree(str(target))
    pruned = tuple(p for p in sorted(previous.difference(paths)) if tree.is_regular_file(p))
    prunable = frozenset(pruned)
    live = set()
    blocked: dict[str, list[str]] = {}  # what is in the way -> the new files it blocks
    for path in paths:
        if path in trusted:  # the very file the caller wrote last time: trusted, as its bytes are
            live.add(path)
            continue
        found = tree.find(path, previous, prunable)
        if found is Found.OURS:
            live.add(path)
        elif found is Found.FOREIGN:
            blocked.setdefault(tree.blocker(path), []).append(path)
    if blocked:
        raise SitegenError([_blocked(out_dir, b, paths) for b, paths in sorted(blocked.items())])
    return Job(files, paths, previous, last.base_url, base_url, frozenset(live), pruned, target, out_dir, known,
                trusted)


def _blocked(out_dir: Path, blocker: str, paths: list[str]) -> Diagnostic:
    """One diagnostic per entry in the way, however many new files it blocks."""
    if paths == [blocker]:
        what = "was not written by sitegen"
    else:
        more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        what = f"is in the way of {paths[0]}{more} and was not written by sitegen"
    message = f"{what}; refusing to overwrite it; move it away or delete the output folder"
    return error((out_dir / blocker).as_posix(), None, message)
