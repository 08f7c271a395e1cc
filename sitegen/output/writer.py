"""Write the rendered site into the output folder: the one entry point, `write_site`.

The build hands over the site as a mapping `{output-relative POSIX path: bytes}`; this
package is the only place that writes it. The mapping may make each file's bytes when it is
looked up (`render.OutputFiles` renders the page then): everything is checked and planned from
the paths alone (`guard`, `survey`), then each file is looked up once, in path order,
compared, written or linked, and dropped, so one page at a time is held in memory whatever
the size of the site.

- Atomic builds (`atomic=True`): see `staging`.
- Quick rebuilds (`atomic=False`, for the watch loop): only files whose bytes differ are
  replaced (temp file `.<file>.sitegen-tmp` + `os.replace`). Identical files are not
  touched, so their mtime and inode stay the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from sitegen.diagnostics import SitegenError, error
from sitegen.memo import ByInput
from sitegen.output.files import open_folder, remove_file, replace_file
from sitegen.output.guard import MARKER, marker_bytes, read_manifest, refuse_unsafe_paths, refuse_unsafe_placement
from sitegen.output.livetree import Stamp, stamp_of, trusted
from sitegen.output.staging import only_writer, recover_killed_build, scratch_folders, write_staged
from sitegen.output.survey import Digest, Job, WriteReport, survey, vouch_for_none


def write_site(
    files: Mapping[str, bytes], out_dir: Path, project_root: Path, *, atomic: bool = True,
    known: Mapping[str, bytes | Digest] | None = None, stamps: Mapping[str, Stamp] | None = None,
    base_url: str | None = None, vouched: Callable[[str], bool] = vouch_for_none, verdicts: ByInput | None = None,
) -> WriteReport:
    """Make `out_dir` hold exactly `files`, plus whatever the last build did not write.

    Each file is looked up once, after every refusal, and its bytes are not kept. If a lookup
    raises, an atomic write leaves the live site as it was.

    `known` is what the caller wrote last time (each file's bytes, or their `Digest`) and
    `stamps` the stamps its quick write reported (the watch loop keeps both): a file whose stamp
    is unchanged, reached through real folders only, and whose new bytes equal the known ones,
    is taken as unchanged without reading it back, which is most of a quick rebuild's time on a
    large site; for a path `vouched` for (a page made from the same plan as last time) the new
    bytes are not even looked up. Anything else (a file
    deleted, edited or replaced, a folder swapped for a symlink) is checked on disk exactly as
    a first write would check it.

    `base_url` is recorded in the marker, so that `publish` can tell what the site was built for.
    With `verdicts` (the watch loop's), the paths are checked again only when they changed.
    """
    paths = tuple(files)
    if verdicts is None:
        refuse_unsafe_paths(list(paths), out_dir)
    else:  # a refusal raises, so only a passed check is kept
        verdicts.get("paths", paths, lambda: refuse_unsafe_paths(list(paths), out_dir) or True)
    refuse_unsafe_placement(out_dir, project_root)
    target = out_dir.resolve()
    try:
        with only_writer(target, out_dir):
            recover_killed_build(target)
            previous = read_manifest(out_dir)
            trusted_files = trusted(target, known or {}, stamps or {}, previous.files)
            job = survey(files, tuple(sorted(files)), previous, target, out_dir, known or {}, trusted_files, base_url,
                         vouched)
            return write_staged(job) if atomic else _write_in_place(job)
    except OSError as exc:
        raise _write_failure(exc, target, out_dir, atomic) from None


def _write_in_place(job: Job) -> WriteReport:
    """Prune, then replace changed files one by one; for the watch loop."""
    target = job.target
    os.makedirs(target, exist_ok=True)
    new_marker = not job.same_marker
    if new_marker:  # first claim every path this write may touch, so a crash loses no record
        # and, while pages of two base URLs may be mixed, claim no base URL (publish refuses)
        base_url = job.base_url if job.base_url == job.previous_base_url else None
        replace_file(f"{target}/{MARKER}", marker_bytes(job.previous.union(job.paths), base_url))
    for path in job.pruned:  # first, so an old file cannot stand where a folder must go
        remove_file(target, path)
    written = unchanged = 0
    stamps: dict[str, Stamp] = {}
    for path, data, same in job.new_files():
        if same:
            stamps[path] = job.trusted.get(path) or stamp_of(os.lstat(f"{target}/{path}"))
        else:
            folder, _, name = path.rpartition("/")
            fd = open_folder(target, folder, make=True)
            try:
                replace_file(f"{target}/{path}", data, fd)
                stamps[path] = stamp_of(os.stat(name, dir_fd=fd, follow_symlinks=False))
            finally:
                os.close(fd)
        written, unchanged = written + (not same), unchanged + same
    if new_marker:
        replace_file(f"{target}/{MARKER}", job.marker(job.paths))
    return WriteReport(written, unchanged, len(job.pruned), stamps)


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
