"""`publish` against throw-away git repositories and a local bare remote."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sitegen.diagnostics import SitegenError
from sitegen.output.guard import MARKER
from sitegen.output.writer import write_site
from sitegen.publish import publish

SITE = {
    "index.html": b"<h1>Papers</h1>\n",
    ".nojekyll": b"",
    "papers/flash-attention/index.html": b"<h1>FlashAttention</h1>\n",
    "assets/css/site.css": b"body { margin: 0 }\n",
}
PUBLISHED = sorted(SITE)
BASE = "https://example.github.io/repo/"
AUTHOR = ["-c", "user.name=Test Author", "-c", "user.email=author@example.org"]


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory, monkeypatch):
    """No machine-wide git config, identity or fixed dates leak into these tests."""
    empty = tmp_path_factory.mktemp("gitconfig") / "config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("NAME", "EMAIL", "DATE"):
        monkeypatch.delenv(f"GIT_AUTHOR_{name}", raising=False)
        monkeypatch.delenv(f"GIT_COMMITTER_{name}", raising=False)
    monkeypatch.delenv("EMAIL", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *AUTHOR, *args], capture_output=True, check=True)
    return done.stdout.decode().strip()


def make_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("project\n")
    (path / ".gitignore").write_text("/_site/\n")
    git(path, "add", "README.md", ".gitignore")
    git(path, "commit", "-q", "-m", "start")
    return path


def make_site(path: Path, files: dict[str, bytes] = SITE, base_url: str | None = BASE) -> Path:
    """A site folder as `sitegen build` leaves it: the files and a marker listing them."""
    write_site(files, path, path.parent / "elsewhere", base_url=base_url)
    return path


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path / "project")


@pytest.fixture
def site(tmp_path) -> Path:
    return make_site(tmp_path / "site")


def tree_of(repo: Path, rev: str) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", rev).splitlines()


def test_branch_holds_exactly_the_site_files(repo, site):
    result = publish(site, repo, base_url=BASE)

    assert result.branch == "gh-pages"
    assert result.files == tuple(PUBLISHED)
    assert not result.unchanged and not result.pushed
    assert git(repo, "rev-parse", "gh-pages") == result.commit
    assert tree_of(repo, "gh-pages") == PUBLISHED
    for name in PUBLISHED:
        shown = subprocess.run(
            ["git", "-C", str(repo), "show", f"gh-pages:{name}"], capture_output=True, check=True
        )
        assert shown.stdout == SITE[name]
    assert git(repo, "rev-list", "--count", "gh-pages") == "1"


def test_executable_files_keep_their_mode(repo, site):
    make_site(site, {**SITE, "run.sh": b"#!/bin/sh\n"})
    (site / "run.sh").chmod(0o755)

    publish(site, repo, base_url=BASE)

    listing = git(repo, "ls-tree", "gh-pages").splitlines()  # "MODE blob SHA\tNAME"
    modes = {line.split("\t")[1]: line.split()[0] for line in listing}
    assert modes["run.sh"] == "100755"
    assert modes["index.html"] == "100644"


def test_excluded_names_are_a_parameter(repo, site):
    result = publish(site, repo, base_url=BASE, exclude=frozenset({"assets"}))

    assert tree_of(repo, "gh-pages") == [n for n in PUBLISHED if not n.startswith("assets/")]
    assert "assets/css/site.css" not in result.files


def test_second_publish_replaces_the_tree_on_top_of_the_previous_tip(repo, site):
    first = publish(site, repo, base_url=BASE)
    revised = {name: data for name, data in SITE.items() if not name.startswith("papers/")}
    make_site(site, {**revised, "about.html": b"<h1>About</h1>\n"})

    second = publish(site, repo, base_url=BASE)

    assert second.commit != first.commit
    assert git(repo, "rev-parse", "gh-pages^") == first.commit
    assert "papers/flash-attention/index.html" not in tree_of(repo, "gh-pages")
    assert "about.html" in tree_of(repo, "gh-pages")


def test_identical_site_is_not_committed_again(repo, site):
    first = publish(site, repo, base_url=BASE)

    again = publish(site, repo, base_url=BASE)

    assert again.unchanged
    assert again.commit == first.commit
    assert git(repo, "rev-list", "--count", "gh-pages") == "1"


def test_working_tree_index_and_head_are_untouched(repo):
    (repo / "README.md").write_text("staged change\n")
    git(repo, "add", "README.md")
    (repo / "README.md").write_text("unstaged change\n")
    (repo / "notes.md").write_text("untracked\n")
    os.utime(repo / ".gitignore", (1_000_000_000, 1_000_000_000))  # stale stat, same bytes:
    # a plain `git status` would refresh the index here and rewrite it
    site = make_site(repo / "_site")  # the usual layout: ignored output inside the project

    def snapshot() -> tuple[bytes, str, str, str]:
        index = (repo / ".git" / "index").read_bytes()
        status = git(repo, "--no-optional-locks", "status", "--porcelain")
        return index, status, git(repo, "symbolic-ref", "HEAD"), git(repo, "rev-parse", "HEAD")

    before = snapshot()
    result = publish(site, repo, base_url=BASE)

    assert snapshot() == before
    assert (repo / "README.md").read_text() == "unstaged change\n"
    assert git(repo, "log", "-1", "--format=%s", result.commit).endswith("(dirty)")


def test_default_message_names_the_source_commit(repo, site):
    result = publish(site, repo, base_url=BASE)

    short = git(repo, "rev-parse", "--short", "HEAD")
    assert git(repo, "log", "-1", "--format=%B", result.commit) == f"Publish site from {short}"


def test_repository_without_commits_still_publishes(tmp_path, site):
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")

    result = publish(site, empty, base_url=BASE)

    assert git(empty, "log", "-1", "--format=%s", result.commit) == "Publish site"


def test_custom_message_is_used_verbatim(repo, site):
    result = publish(site, repo, base_url=BASE, message="Deploy the spring update")

    assert git(repo, "log", "-1", "--format=%B", result.commit) == "Deploy the spring update"


def test_cname_writes_the_domain_into_the_published_tree(repo, site):
    (site / "CNAME").write_text("old.example.com\n")  # the flag wins over a stale file

    result = publish(site, repo, base_url=BASE, cname="papers.example.org")

    assert git(repo, "show", "gh-pages:CNAME") == "papers.example.org"
    assert result.files.count("CNAME") == 1
    assert tree_of(repo, "gh-pages").count("CNAME") == 1
    assert (site / "CNAME").read_text() == "old.example.com\n"  # the site folder is not modified


@pytest.mark.parametrize(
    "domain", ["https://example.org/", "example.org/papers", "example.org:443", "localhost", ""]
)
def test_cname_must_be_a_bare_domain(repo, site, domain):
    with pytest.raises(SitegenError, match="not a bare domain name"):
        publish(site, repo, base_url=BASE, cname=domain)
    assert git(repo, "branch", "--list", "gh-pages") == ""


@pytest.mark.parametrize("domain", ["Papers.Example.org", "example.xn--p1ai", "a-b.c0.io"])
def test_cname_accepts_domain_names(repo, site, domain):
    publish(site, repo, base_url=BASE, cname=domain)

    assert git(repo, "show", "gh-pages:CNAME") == domain


def test_fallback_identity_when_none_is_configured(repo, site):
    result = publish(site, repo, base_url=BASE)

    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", result.commit) == (
        "sitegen <sitegen@localhost>|sitegen <sitegen@localhost>"
    )


def test_configured_identity_is_used(repo, site):
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "Curator"], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.email", "c@example.org"], check=True)

    result = publish(site, repo, base_url=BASE)

    assert git(repo, "log", "-1", "--format=%an <%ae>", result.commit) == "Curator <c@example.org>"


def test_source_date_epoch_pins_commit_dates(repo, site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

    result = publish(site, repo, base_url=BASE)

    assert git(repo, "log", "-1", "--format=%at %ct", result.commit) == "1700000000 1700000000"


def test_push_updates_the_remote_branch(tmp_path, repo, site):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))

    result = publish(site, repo, base_url=BASE, push=True)

    assert result.pushed
    assert git(remote, "rev-parse", "gh-pages") == result.commit
    assert tree_of(remote, "gh-pages") == PUBLISHED


def test_rejected_push_is_a_clean_error(tmp_path, repo, site):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    other = make_repo(tmp_path / "other")
    git(other, "remote", "add", "origin", str(remote))
    publish(make_site(tmp_path / "other-site", {"index.html": b"other\n"}), other, base_url=BASE, push=True)
    git(repo, "remote", "add", "origin", str(remote))

    with pytest.raises(SitegenError, match=r"git push failed: .*rejected") as raised:
        publish(site, repo, base_url=BASE, push=True)
    assert "git branch -f gh-pages origin/gh-pages" in str(raised.value)
    assert "hint:" not in str(raised.value)


def test_unknown_remote_is_a_clean_error(repo, site):
    with pytest.raises(SitegenError, match="git push failed"):
        publish(site, repo, base_url=BASE, push=True, remote="nowhere")


def test_not_a_git_repository(tmp_path, site):
    plain = tmp_path / "plain"
    plain.mkdir()

    with pytest.raises(SitegenError, match="not a git repository"):
        publish(site, plain, base_url=BASE)


def test_missing_site_folder(repo, tmp_path):
    with pytest.raises(SitegenError, match="no site built by sitegen here"):
        publish(tmp_path / "nothing", repo, base_url=BASE)


def test_site_folder_holding_only_the_marker_is_empty(repo, tmp_path):
    site = make_site(tmp_path / "site", {})

    with pytest.raises(SitegenError, match="site folder is empty"):
        publish(site, repo, base_url=BASE)


def test_git_not_installed(repo, site, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))

    with pytest.raises(SitegenError, match="git is not installed"):
        publish(site, repo, base_url=BASE)


def test_checked_out_branch_is_refused(repo, site):
    with pytest.raises(SitegenError, match="branch 'main' is checked out"):
        publish(site, repo, base_url=BASE, branch="main")
    assert git(repo, "rev-list", "--count", "main") == "1"


@pytest.mark.parametrize("branch", ["gh..pages", "HEAD", "@", "@{-1}", "-x", "refs/heads/x/", ""])
def test_invalid_branch_name(repo, site, branch):
    before = git(repo, "for-each-ref")
    with pytest.raises(SitegenError, match="not a valid branch name"):
        publish(site, repo, base_url=BASE, branch=branch)
    assert git(repo, "for-each-ref") == before


def test_a_branch_checked_out_in_another_worktree_is_refused(repo, site, tmp_path):
    git(repo, "branch", "gh-pages")
    git(repo, "worktree", "add", "-q", str(tmp_path / "pages"), "gh-pages")
    tip = git(repo, "rev-parse", "gh-pages")

    with pytest.raises(SitegenError, match=f"branch 'gh-pages' is checked out in {tmp_path / 'pages'}"):
        publish(site, repo, base_url=BASE)
    assert git(repo, "rev-parse", "gh-pages") == tip
    assert git(tmp_path / "pages", "status", "--porcelain") == ""


def test_every_tampered_file_of_the_build_is_reported(repo, site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not publish\n")
    (site / "index.html").unlink()
    os.symlink(secret, site / "index.html")  # a listed file replaced by a link out
    escape = tmp_path / "escape"
    (escape / "flash-attention").mkdir(parents=True)
    (escape / "flash-attention" / "index.html").write_text("not ours\n")
    os.rename(site / "papers", tmp_path / "moved")
    os.symlink(escape, site / "papers")  # a listed folder replaced by a link out
    (site / "assets/css/site.css").unlink()

    with pytest.raises(SitegenError) as raised:
        publish(site, repo, base_url=BASE)

    found = {Path(d.path).relative_to(site).as_posix(): d.message for d in raised.value.diagnostics}
    assert sorted(found) == ["assets/css/site.css", "index.html", "papers"]
    assert found["index.html"].startswith("is not a regular file")
    assert found["papers"].startswith("is not a real folder")
    assert found["assets/css/site.css"].startswith("is missing")
    assert git(repo, "branch", "--list", "gh-pages") == ""


def test_publishes_only_the_files_the_marker_lists(repo, site):
    (site / "secret.txt").write_text("a file the build did not write\n")
    os.symlink("/etc/passwd", site / "leak.txt")
    (site / "papers" / ".git").mkdir()

    result = publish(site, repo, base_url=BASE)

    assert result.files == tuple(PUBLISHED) and tree_of(repo, "gh-pages") == PUBLISHED


def test_refuses_a_folder_build_would_refuse_and_commits_nothing(repo, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY\n")
    (home / MARKER).write_text('{"format": "sitegen-output/1", "base_url": "%s", "files": [".ssh/id_ed25519"]}' % BASE)
    monkeypatch.setenv("HOME", str(home))

    with pytest.raises(SitegenError, match=r"is your home folder \(\$HOME\)"):
        publish(home, repo, base_url=BASE, branch="leak")
    assert git(repo, "branch", "--list", "leak") == ""


def test_refuses_a_folder_without_the_marker(repo, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "index.html").write_text("hand-made\n")

    with pytest.raises(SitegenError, match="no .sitegen-output marker"):
        publish(folder, repo, base_url=BASE)


@pytest.mark.parametrize("built, given, says", [
    ("/", BASE, "built for base URL '/', which is for local preview only; rebuild with `sitegen build --base-url " + BASE),
    ("https://example.org/", BASE, "built for base URL 'https://example.org/', not '" + BASE + "'; rebuild"),
    (None, BASE, "does not record the base URL it was built for"),
    ("/", "/", "publishing needs an absolute base URL, not '/'"),
])
def test_refuses_a_site_built_for_another_base_url(repo, tmp_path, built, given, says):
    site = make_site(tmp_path / "site", base_url=built)

    with pytest.raises(SitegenError) as raised:
        publish(site, repo, base_url=given)

    assert says in str(raised.value)
    assert git(repo, "branch", "--list", "gh-pages") == ""


def test_bad_source_date_epoch(repo, site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")

    with pytest.raises(SitegenError, match="SOURCE_DATE_EPOCH"):
        publish(site, repo, base_url=BASE)
