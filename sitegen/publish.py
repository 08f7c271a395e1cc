"""Publish a built site as the full tree of a new commit on a branch (e.g. `gh-pages`).

Like ghp-import, this uses git plumbing only: blobs are written with `hash-object`, the
tree is assembled in a throw-away index (`GIT_INDEX_FILE`), and the commit is attached
with `commit-tree` + `update-ref`. The user's working tree, index and HEAD are never
touched, so publishing is safe in the middle of uncommitted work.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.diagnostics import SitegenError, error
from sitegen.output.guard import Manifest, built_site, damaged_files
from sitegen.settings import HOST_LABEL, is_absolute, source_date_epoch

DEFAULT_EXCLUDE: frozenset[str] = frozenset()
FALLBACK_NAME = "sitegen"
FALLBACK_EMAIL = "sitegen@localhost"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$)(?:{HOST_LABEL}\.)+(?=[a-z0-9-]*[a-z]){HOST_LABEL}")  # 2+ labels


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What `publish` did."""

    commit: str  # full sha of the branch tip after publishing
    branch: str  # short branch name, e.g. "gh-pages"
    files: tuple[str, ...]  # published POSIX paths relative to the site root, sorted
    pushed: bool  # `git push` ran and succeeded
    unchanged: bool  # the tree equalled the branch tip's, so no commit was made


@dataclass(frozen=True, slots=True)
class _SiteFile:
    """One file of the published tree."""

    path: str  # POSIX path relative to the site root
    source: Path  # file on disk to hash
    executable: bool


@dataclass(frozen=True, slots=True)
class _TreeEntry:
    """One blob of the published tree, as `git update-index --index-info` takes it."""

    mode: str  # "100644" or "100755"
    sha: str
    path: str  # POSIX path relative to the site root


@dataclass(frozen=True, slots=True)
class _Git:
    """Runs git in one repository with one environment."""

    repo: Path
    env: Mapping[str, str]

    def execute(
        self, *args: str, stdin: bytes = b"", index: Path | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `git ARGS`, optionally against a private index file; never raises on exit status."""
        env = dict(self.env) if index is None else {**self.env, "GIT_INDEX_FILE": str(index)}
        try:
            return subprocess.run(
                ["git", "-C", str(self.repo), *args],
                input=stdin,
                capture_output=True,
                env=env,
                check=False,
            )
        except FileNotFoundError:
            raise _failure("git", "git is not installed or not on PATH") from None

    def run(self, *args: str, stdin: bytes = b"", index: Path | None = None) -> str:
        """Stripped stdout of `git ARGS`; a `SitegenError` quoting git if it fails."""
        done = self.execute(*args, stdin=stdin, index=index)
        if done.returncode != 0:
            raise _failure(str(self.repo), f"git {args[0]} failed: {_reason(done)}")
        return _stdout(done)

    def try_run(self, *args: str) -> str | None:
        """Stripped stdout of `git ARGS`, or None if it fails (a question, not a step)."""
        done = self.execute(*args)
        return _stdout(done) if done.returncode == 0 else None


def publish(
    site_dir: Path,
    repo_dir: Path,
    *,
    base_url: str,
    branch: str = "gh-pages",
    push: bool = False,
    remote: str = "origin",
    cname: str | None = None,
    message: str | None = None,
    exclude: frozenset[str] = DEFAULT_EXCLUDE,
) -> PublishResult:
    """Commit the files of the site built in `site_dir` as the whole tree of `branch` in `repo_dir`.

    `site_dir` passes the same guard as a build's output (`repo_dir` is the project), must
    carry sitegen's marker and must have been built for `base_url`, an absolute URL. Only the
    files the marker lists are published: nothing else in the folder is sitegen's to publish.
    The new commit's parent is the branch's current tip, if any. A tree identical to the
    tip's is not committed again (`unchanged`). `exclude` names site-root entries that are
    not published. `push` then runs `git push REMOTE BRANCH`. Raises `SitegenError`.
    """
    manifest = built_site(site_dir, repo_dir, "publish")
    _check_base_url(site_dir, manifest, base_url)
    files = _site_files(site_dir, manifest, exclude)
    if cname is not None:
        _check_domain(cname)
    git = _open_repo(repo_dir)
    ref = _branch_ref(git, branch)
    tip = git.try_run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    entries = _store_blobs(git, files, cname)
    tree = _write_tree(git, entries)
    unchanged = tip is not None and git.run("rev-parse", f"{tip}^{{tree}}") == tree
    commit = tip if unchanged else _commit(git, ref, tree, tip, message or _default_message(git))
    if push:
        _push(git, remote, branch)
    published = tuple(sorted(e.path for e in entries))
    return PublishResult(commit, branch, published, push, unchanged)


def _failure(path: str, message: str) -> SitegenError:
    return SitegenError([error(path, None, message)])


def _stdout(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stdout.decode("utf-8", "replace").strip()


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    """git's complaint on one line, without its `hint:` advice (which suggests `git pull`)."""
    lines = [" ".join(line.split()) for line in done.stderr.decode("utf-8", "replace").splitlines()]
    kept = [line for line in lines if line and not line.startswith("hint:")]
    return "; ".join(kept) or f"exit status {done.returncode}"


def _check_base_url(site_dir: Path, manifest: Manifest, base_url: str) -> None:
    """Refuse a site built for another base URL, or for a relative one (feeds and sitemap need a host)."""
    rebuild = f"rebuild with `sitegen build --base-url {base_url}`"
    if not is_absolute(base_url):
        problem = (f"publishing needs an absolute base URL, not {base_url!r} (feeds and sitemap.xml link to it):"
                   " set base_url in content/site.yaml or pass --base-url https://USER.github.io/REPO/,"
                   " and build with the same one")
    elif manifest.base_url is None:
        problem = f"the site does not record the base URL it was built for; {rebuild}"
    elif not is_absolute(manifest.base_url):
        problem = f"the site was built for base URL {manifest.base_url!r}, which is for local preview only; {rebuild}"
    elif manifest.base_url != base_url:
        problem = (f"the site was built for base URL {manifest.base_url!r}, not {base_url!r}; {rebuild}"
                   f" (or publish with --base-url {manifest.base_url})")
    else:
        return
    raise _failure(str(site_dir), problem)


def _site_files(site_dir: Path, manifest: Manifest, exclude: frozenset[str]) -> list[_SiteFile]:
    """The files the marker lists, minus excluded root names; each must still be what sitegen wrote."""
    listed = sorted(path for path in manifest.files if path.partition("/")[0] not in exclude)
    problems = [error(f"{site_dir}/{path}", None, reason) for path, reason in damaged_files(site_dir, manifest).items()]
    problems += [error(f"{site_dir}/{path}", None, reason) for path in listed if (reason := _unpublishable(path))]
    if problems:
        raise SitegenError(problems)
    if not listed:
        raise _failure(str(site_dir), "site folder is empty; run `sitegen build` first")
    files = []
    for path in listed:
        source = site_dir / path
        files.append(_SiteFile(path, source, bool(source.lstat().st_mode & stat.S_IXUSR)))
    return files


def _unpublishable(path: str) -> str | None:
    """Why this listed path cannot go into the published tree, or None if it can."""
    if ".git" in path.split("/"):
        return "a .git entry cannot be published"
    if "\n" in path:
        return "file name contains a line break; git cannot publish it"
    return None


def _check_domain(cname: str) -> None:
    """A CNAME file holds one bare domain name: no scheme, path or port."""
    if not _DOMAIN.fullmatch(cname.lower()):
        raise _failure("CNAME", f"{cname!r} is not a bare domain name like example.org")


def _open_repo(repo_dir: Path) -> _Git:
    """A `_Git` for `repo_dir`, with a fallback identity and reproducible dates."""
    if not repo_dir.is_dir():
        raise _failure(str(repo_dir), "repository folder not found")
    git = _Git(repo_dir, dict(os.environ))
    if git.try_run("rev-parse", "--git-dir") is None:
        raise _failure(str(repo_dir), "not a git repository (run `git init` first)")
    return _Git(repo_dir, {**_identity_defaults(git), **_date_defaults(), **os.environ})


def _identity_defaults(git: _Git) -> dict[str, str]:
    """Author/committer variables for whatever identity git has not been given."""
    defaults = {}
    for key, fallback in (("name", FALLBACK_NAME), ("email", FALLBACK_EMAIL)):
        if git.try_run("config", "--get", f"user.{key}") is None:
            defaults[f"GIT_AUTHOR_{key.upper()}"] = fallback
            defaults[f"GIT_COMMITTER_{key.upper()}"] = fallback
    return defaults


def _date_defaults() -> dict[str, str]:
    """Commit dates pinned to SOURCE_DATE_EPOCH when it is set, so commits reproduce."""
    epoch = source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH"))
    if epoch is None:
        return {}
    date = f"@{epoch} +0000"
    return {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}


_NOT_BRANCH_NAMES = frozenset({"HEAD", "@"})  # valid ref names that git reads as the current commit


def _branch_ref(git: _Git, branch: str) -> str:
    """`refs/heads/BRANCH`, refusing bad names and a branch checked out in any worktree."""
    ref = f"refs/heads/{branch}"
    # --branch refuses what git would read as something else (`@{-1}`, `-x`); it lets `@` through
    if branch in _NOT_BRANCH_NAMES or git.try_run("check-ref-format", "--branch", branch) != branch:
        raise _failure("--branch", f"{branch!r} is not a valid branch name; use a plain name such as gh-pages")
    worktrees = git.try_run("worktree", "list", "--porcelain") or ""
    for block in worktrees.split("\n\n"):
        lines = block.splitlines()
        if f"branch {ref}" in lines:
            # Moving a checked-out branch would make that whole working tree look changed.
            where = lines[0].removeprefix("worktree ")
            raise _failure("--branch", f"branch {branch!r} is checked out in {where}; publish to another branch")
    return ref


def _store_blobs(git: _Git, files: list[_SiteFile], cname: str | None) -> list[_TreeEntry]:
    """Write every file (and the CNAME, if any) as a blob; the site's own CNAME yields."""
    paths = b"".join(os.fsencode(f.source.resolve()) + b"\n" for f in files)
    shas = git.run("hash-object", "-w", "--no-filters", "--stdin-paths", stdin=paths).split()
    entries = [
        _TreeEntry("100755" if f.executable else "100644", sha, f.path)
        for f, sha in zip(files, shas, strict=True)
    ]
    if cname is None:
        return entries
    sha = git.run("hash-object", "-w", "--no-filters", "--stdin", stdin=f"{cname}\n".encode())
    return [e for e in entries if e.path != "CNAME"] + [_TreeEntry("100644", sha, "CNAME")]


def _write_tree(git: _Git, entries: list[_TreeEntry]) -> str:
    """The sha of the tree holding exactly `entries`, built in a private index."""
    index_info = b"".join(
        f"{e.mode} {e.sha}\t".encode() + os.fsencode(e.path) + b"\0" for e in entries
    )
    with tempfile.TemporaryDirectory(prefix="sitegen-publish-") as scratch:
        index = Path(scratch) / "index"  # never the user's index
        git.run("update-index", "-z", "--index-info", stdin=index_info, index=index)
        return git.run("write-tree", index=index)


def _commit(git: _Git, ref: str, tree: str, parent: str | None, message: str) -> str:
    """Commit `tree` on top of `parent` and move `ref` to it, only if nobody moved it."""
    parents = ["-p", parent] if parent else []
    commit = git.run("commit-tree", tree, *parents, "-F", "-", stdin=f"{message}\n".encode())
    git.run("update-ref", "-m", "sitegen publish", ref, commit, parent or "")
    return commit


def _push(git: _Git, remote: str, branch: str) -> None:
    """`git push REMOTE BRANCH`, explaining the usual way out of a rejection."""
    ref = f"refs/heads/{branch}"
    done = git.execute("push", "--", remote, f"{ref}:{ref}")  # "--": a remote is no option
    if done.returncode == 0:
        return
    advice = ""
    if b"[rejected]" in done.stderr:
        # Each publish holds the whole site, so restarting from the remote tip loses nothing.
        advice = (
            f"; the remote {branch!r} has commits yours lacks: run `git fetch {remote}` and "
            f"`git branch -f {branch} {remote}/{branch}`, then publish again"
        )
    raise _failure(str(git.repo), f"git push failed: {_reason(done)}{advice}")


def _default_message(git: _Git) -> str:
    """`Publish site from <short sha>`, marked `(dirty)` when the work tree has changes."""
    source = git.try_run("rev-parse", "--short", "--verify", "--quiet", "HEAD")
    if source is None:
        return "Publish site"
    # --no-optional-locks: plain `status` may rewrite the index to refresh stat data.
    status = git.try_run("--no-optional-locks", "status", "--porcelain")
    return f"Publish site from {source}" + (" (dirty)" if status else "")
