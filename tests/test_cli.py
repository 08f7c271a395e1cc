"""The command line: every command on real data, exit codes and messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen.cli import main

from conftest import ROOT, copy_project

FIXTURE = ROOT / "tests" / "fixtures" / "site"


@pytest.fixture
def project(tmp_path):
    return copy_project(FIXTURE, tmp_path / "project")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("build", "serve", "watch", "check", "papers", "explain", "new", "publish"):
        assert f"    {command}" in out


def test_python_dash_m_runs_the_same_cli():
    result = subprocess.run([sys.executable, "-m", "sitegen", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("sitegen ")


def test_the_program_skips_interpreter_teardown_but_not_its_output_or_status(tmp_path):
    # `cli.run` leaves with os._exit: no atexit handler runs, the streams are flushed, the status is main's
    script = ("import atexit, sys\nfrom sitegen import cli\natexit.register(print, 'torn down')\n"
              "sys.argv[1:] = ['--root', sys.argv[1], 'papers', '--json']\ncli.run()")
    with open(tmp_path / "out.json", "w") as out:  # a file, so stdout is block-buffered
        done = subprocess.run([sys.executable, "-c", script, str(ROOT)], stdout=out, text=True)
    records = json.loads((tmp_path / "out.json").read_text())
    assert done.returncode == 0 and len(records) > 400
    broken = subprocess.run([sys.executable, "-c", script.replace("'papers', '--json'", "'explain', 'no-such-paper'"),
                             str(ROOT)], capture_output=True, text=True)
    assert broken.returncode == 1 and "torn down" not in broken.stdout and "no-such-paper" in broken.stderr


def modules_after(*args: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `sitegen ARGS`."""
    script = ("import sys\nfrom sitegen.cli import main\ntry:\n    main(sys.argv[1:])\n"
              "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_version_imports_no_stage():
    loaded = modules_after("--version")
    assert loaded & {"sitegen.pipeline", "jinja2", "yaml", "markdown_it", "watchdog"} == set()


def test_build_imports_neither_the_server_nor_the_watcher(project):
    loaded = modules_after("--root", str(project), "build", "--no-search")
    assert (project / "_site" / "index.html").exists()
    assert "sitegen.pipeline" in loaded
    assert loaded & {"sitegen.dev.loop", "sitegen.dev.server", "sitegen.dev.watcher", "sitegen.publish", "watchdog",
                     "http.server"} == set()


def test_papers_json_on_the_seeds_lists_every_paper_once_with_provenance_and_tags(capsys):
    code, out, _ = run(capsys, "--root", ROOT, "papers", "--json")
    records = json.loads(out)
    assert code == 0
    listed = [r for r in records if any(o["file"].endswith(".txt") for o in r["occurrences"])]
    assert len(listed) == 415 and len({r["slug"] for r in records}) == len(records)
    from_bibtex = [r for r in records if r["added_by"] is None and r not in listed]
    assert [r["occurrences"] for r in from_bibtex] == [[{"file": "seeds/library.bib", "line": 29}]]
    hopper = next(r for r in records if r["slug"] == "benchmarking-and-dissecting-the-nvidia-hopper-gpu-architecture")
    assert hopper["date"] == "2024-02-20" and (hopper["author_count"], hopper["authors"]) == (6, [])
    assert {"file": "seeds/001_d47c993c2d23155f.txt", "line": 13} in hopper["occurrences"]
    assert "nvidia-hopper" in hopper["hardware"] and "nvidia" in hopper["hardware"]
    assert set(hopper) >= {"slug", "title", "abstract", "date", "year", "authors", "venue", "doi", "arxiv",
                           "status", "rating", "summary", "tags", "url", "provenance", "organization", "upvotes",
                           "links", "occurrences", "topics", "hardware", "models"}
    assert not any(r["date"] and r["date"].startswith("--") for r in records)  # the capture date resolves them


def test_check_is_clean_on_the_seeds(capsys):
    code, _, err = run(capsys, "--root", ROOT, "check")
    assert code == 0 and err.endswith(": ok\n") and ": error: " not in err


def test_check_fails_with_located_errors(project, capsys):
    (project / "content" / "site.yaml").write_text("title: [unclosed\n")
    code, _, err = run(capsys, "--root", project, "check")
    assert code == 1 and "content/site.yaml:2: error: invalid YAML" in err


@pytest.mark.parametrize("path, text, located", [
    ("templates/paper.html", "{{ no_such_value }}\n", "templates/paper.html:1: error: "),
    ("templates/static/index.html", "<p>an asset\n", "templates/static/index.html: error: "),
], ids=["template-error", "asset-collides-with-a-page"])
def test_check_renders_and_checks_every_output_as_build_does_without_writing(project, capsys, path, text, located):
    (project / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (project / "content" / "pages" / "static.md").write_text("---\ntitle: Static\n---\nA page.\n")
    (project / path).parent.mkdir(parents=True, exist_ok=True)
    (project / path).write_text(text)
    code, _, err = run(capsys, "--root", project, "check")
    assert code == 1 and any(line.startswith(located) for line in err.splitlines())
    assert not (project / "_site").exists()


def write_note(project: Path, name: str, front_matter: str) -> None:
    notes = project / "content" / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / name).write_text(f"---\n{front_matter}---\nBody.\n", encoding="utf-8")


TYPO_NOTE = ("paper: flashattention-on-hopper-fast-kv-cache-attention-with-h100s\n"
             "raiting: 4\ntag: [kernels]\ntopic: {add: [attention]}\n")
TYPO_WARNINGS = [
    "content/notes/typos.md:3: warning: unknown key 'raiting' (did you mean 'rating'?)",
    "content/notes/typos.md:4: warning: unknown key 'tag' (did you mean 'tags'?)",
    "content/notes/typos.md:5: warning: unknown key 'topic' (did you mean 'topics'?)",
]


def test_check_warns_about_typo_keys_in_a_note(project, capsys):
    write_note(project, "typos.md", TYPO_NOTE)
    code, _, err = run(capsys, "--root", project, "check")
    assert code == 0 and err.splitlines()[:3] == TYPO_WARNINGS


def test_check_prints_warnings_alongside_errors(project, capsys):
    write_note(project, "typos.md", TYPO_NOTE)
    write_note(project, "broken.md", "paper: no-such-paper-anywhere\n")
    code, _, err = run(capsys, "--root", project, "check")
    lines = err.splitlines()
    assert code == 1
    assert [line for line in lines if ": error: " in line][0].startswith("content/notes/broken.md:2: error: ")
    assert [line for line in lines if ": warning: " in line] == TYPO_WARNINGS
    assert "1 error(s), 3 warning(s)" in lines


def test_build_writes_the_site_and_reports(project, capsys):
    code, _, err = run(capsys, "--root", project, "build", "--no-search")
    assert code == 0 and "built" in err and (project / "_site" / "index.html").exists()
    code, _, err = run(capsys, "--root", project, "build", "--no-search")
    assert "0 written" in err


@pytest.mark.parametrize("output", [".", "content", "seeds/out", "templates", "/"])
def test_build_refuses_unsafe_output_folders(project, capsys, output):
    code, _, err = run(capsys, "--root", project, "build", "--no-search", "--output", output)
    assert code == 1 and "error" in err
    assert (project / "content" / "taxonomy.yaml").exists()


def test_build_refuses_a_bad_base_url(project, capsys):
    code, _, err = run(capsys, "--root", project, "build", "--base-url", "ftp://x/")
    assert code == 1 and "--base-url: error: base_url must look like https://user.github.io/repo/" in err


def test_explain_shows_evidence_and_suggests_near_misses(capsys):
    code, out, _ = run(capsys, "--root", ROOT, "explain", "benchmarking-and-dissecting-the-nvidia-hopper-gpu-architecture")
    assert code == 0 and "nvidia-hopper" in out and "Hopper" in out
    code, _, err = run(capsys, "--root", ROOT, "explain", "SnapVK")
    assert code == 1 and "closest: 'SnapKV: LLM Knows What You are Looking for Before Generation'" in err


def test_a_paper_is_named_by_the_start_of_its_title_when_no_other_starts_so(capsys):
    code, out, _ = run(capsys, "--root", ROOT, "explain", "snapkv")
    assert code == 0 and "kv-cache" in out
    code, _, err = run(capsys, "--root", ROOT, "explain", "FlashAttention")
    assert code == 1 and "'FlashAttention' starts 3 titles, say which: " in err
    assert "[flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning]" in err


def test_new_note_writes_a_skeleton_once(project, capsys):
    code, _, err = run(capsys, "--root", project, "new", "note", "A Paper With Nothing To Tag")
    note = project / "content" / "notes" / "a-paper-with-nothing-to-tag.md"
    assert code == 0 and note.exists() and "paper: a-paper-with-nothing-to-tag" in note.read_text()
    code, _, _ = run(capsys, "--root", project, "check")
    assert code == 0
    code, _, err = run(capsys, "--root", project, "new", "note", "a-paper-with-nothing-to-tag")
    assert code == 1 and "content/notes/a-paper-with-nothing-to-tag.md" in err
    code, _, err = run(capsys, "--root", project, "new", "note", "serving")  # a unique start names it
    assert code == 0 and (project / "content/notes/serving-script-alert-1-script-models-on-a-single-gpu.md").exists()


def test_missing_project_folder_is_a_message(capsys, tmp_path):
    code, _, err = run(capsys, "--root", tmp_path / "nope", "check")
    assert code == 1 and "project folder does not exist" in err


# --- every command that reads or writes an output folder passes the build's guard ----------


def sitegen(project: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`sitegen ARGS` in a fresh process; a command that wrongly starts serving or watching
    never ends, so the timeout fails the test instead of hanging it."""
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    return subprocess.run([sys.executable, "-m", "sitegen", "--root", str(project), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def home(tmp_path) -> Path:
    """A home folder holding a private key, as `--output "$HOME"` would expose it."""
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    (tmp_path / "home" / ".ssh" / "id_ed25519").write_text("PRIVATE KEY\n")
    return tmp_path / "home"


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["watch"], ["build", "--no-search"],
                                     ["publish", "--branch", "leak"]])
def test_every_command_refuses_the_home_folder_before_doing_anything(project, home, command):
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    done = sitegen(project, *command, "--output", str(home), home=home)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{home}: error: output folder is your home folder ($HOME) or contains it" in done.stderr
    assert "serving" not in done.stderr and "watching" not in done.stderr and "rebuilt" not in done.stderr
    assert sorted(p.name for p in home.rglob("*")) == [".ssh", "id_ed25519"]
    assert subprocess.run(["git", "-C", str(project), "branch", "--list", "leak"], capture_output=True,
                          text=True).stdout == ""


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["watch"]])
def test_serve_and_watch_refuse_the_filesystem_root_cleanly(project, home, command):
    done = sitegen(project, *command, "--output", "/", home=home)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "/: error: output folder is the filesystem root" in done.stderr


def test_serve_refuses_a_foreign_folder_and_serves_nothing(project, home, tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("root:x:0:0\n")
    done = sitegen(project, "serve", "--port", "0", "--output", str(etc), home=home)
    assert done.returncode == 1 and "was not created by sitegen (no .sitegen-output marker)" in done.stderr
    assert "serving" not in done.stderr and sorted(etc.iterdir()) == [etc / "passwd"]


def test_build_warns_once_when_feeds_and_sitemap_get_no_absolute_base_url(project, capsys):
    code, _, err = run(capsys, "--root", project, "build", "--no-search", "--base-url", "/list/")
    assert code == 0 and err.count("warning: base_url '/list/' has no https://HOST") == 1
    assert "--base-url: warning: base_url '/list/'" in err
    code, _, err = run(capsys, "--root", project, "build", "--no-search")  # site.yaml: https://example.org/list/
    assert code == 0 and "warning" not in err


def test_publish_after_serve_publishes_the_build_not_the_preview(project, home, monkeypatch):
    """serve previews at "/" from its own folder outside the project; build and publish share theirs."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    assert sitegen(project, "build", "--no-search", home=home).returncode == 0
    built = sorted(p.relative_to(project) for p in project.rglob("*") if ".git" not in p.parts)
    env = {**os.environ, "HOME": str(home)}
    with subprocess.Popen([sys.executable, "-m", "sitegen", "--root", str(project), "serve", "--port", "0",
                           "--base-url", "/"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as serve:
        try:
            while not (line := serve.stderr.readline()).startswith("serving"):
                assert line, "serve ended early"
        finally:
            serve.send_signal(signal.SIGINT)
            serve.communicate(timeout=30)
    from sitegen.dev.loop import preview_folder

    assert 'href="/papers/' in (preview_folder(project) / "index.html").read_text()
    assert sorted(p.relative_to(project) for p in project.rglob("*") if ".git" not in p.parts) == built
    done = sitegen(project, "publish", home=home)
    assert done.returncode == 0, done.stderr
    page = subprocess.run(["git", "-C", str(project), "show", "gh-pages:index.html"], capture_output=True,
                          text=True, check=True).stdout
    assert 'href="/list/' in page and 'href="/papers/' not in page
    done = sitegen(project, "publish", "--output", str(preview_folder(project)), home=home)
    assert done.returncode == 1 and "built for base URL '/', which is for local preview only" in done.stderr


@pytest.mark.parametrize("value, says", [
    ("yesterday", "must be a whole number of seconds since 1970, not 'yesterday'"),
    ("1.5e9", "must be a whole number of seconds since 1970, not '1.5e9'"),
    ("٣", "must be a whole number of seconds since 1970"),  # a digit to str.isdigit, not to int()
    ("9" * 4301, "99999999999999999999... is after the year 9999"),
    ("253402300800", "253402300800 is after the year 9999"),
])
def test_build_and_publish_refuse_the_same_source_date_epoch_alike(project, capsys, monkeypatch, value, says):
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    assert run(capsys, "--root", project, "build", "--no-search")[0] == 0  # a site publish would take
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    answers = [run(capsys, "--root", project, command, "--no-search" if command == "build" else "--cname=x.org")
               for command in ("build", "publish")]
    for code, _, err in answers:
        assert code == 1 and f"SOURCE_DATE_EPOCH: error: {says}" in err and "Traceback" not in err
    assert answers[0][2] == answers[1][2]


def test_source_date_epoch_pins_the_feed_date(project, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", " 253402300799 ")
    assert run(capsys, "--root", project, "build", "--no-search")[0] == 0
    assert "<updated>9999-12-31T23:59:59Z</updated>" in (project / "_site" / "feed.xml").read_text()


PRINTING_COMMANDS = [["papers"], ["papers", "--json"],
                     ["explain", "flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning"],
                     ["--help"], ["build", "--help"], ["--version"]]
ARGPARSE_PRINTS = {"--help", "--version"}  # argparse swallows a failed write itself: 0 is quiet too


@pytest.mark.parametrize("command", PRINTING_COMMANDS, ids=" ".join)
def test_a_closed_pipe_ends_a_command_quietly_with_the_sigpipe_status(command):
    """The reader of stdout is gone before the first byte (`sitegen papers | head -1` once
    head has its line): no traceback, exit status 141 as a shell reports SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "sitegen", *command], cwd=ROOT, stdout=write_end,
                              stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141 or (ARGPARSE_PRINTS & set(command) and done.returncode == 0)
    assert b"Traceback" not in done.stderr and b"Exception" not in done.stderr and b"Broken" not in done.stderr


@pytest.mark.parametrize("command", PRINTING_COMMANDS[:3], ids=" ".join)
def test_commands_piped_into_head_end_quietly(command):
    done = subprocess.run(f"{sys.executable} -m sitegen {' '.join(command)} | head -1", shell=True, cwd=ROOT,
                          capture_output=True, timeout=120)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1
    assert b"Traceback" not in done.stderr and b"Broken" not in done.stderr


def test_concurrent_builds_into_one_output_never_wedge_the_next(project, home):
    """Started together: each builds or is refused with the lock message; the next build works."""
    command = [sys.executable, "-m", "sitegen", "--root", str(project), "build", "--no-search"]
    builds = [subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for build in builds:
        _, err = build.communicate(timeout=300)
        assert "Traceback" not in err
        assert build.returncode == 0 or "another sitegen command is writing this output folder right now" in err
    assert sitegen(project, "build", "--no-search", home=home).returncode == 0
    assert not (project / "._site.sitegen-staging" / ".sitegen-staging").exists()


def break_planning(project: Path) -> None:
    """A standalone page whose name takes the papers listing's URL (only planning sees it), and
    a template that cannot compile (only rendering sees it)."""
    (project / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (project / "content" / "pages" / "papers.md").write_text("---\ntitle: Papers\n---\nMine.\n")
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "paper.html").write_text("{% if %}\n")


@pytest.mark.parametrize("command", [["papers"], ["papers", "--json"],
                                     ["explain", "flashattention-on-hopper-fast-kv-cache-attention-with-h100s"],
                                     ["new", "note", "a-paper-with-nothing-to-tag"]])
def test_commands_that_print_papers_stop_after_classification(project, capsys, command):
    break_planning(project)
    assert run(capsys, "--root", project, "build", "--no-search")[0] == 1  # the breakage is real
    code, out, err = run(capsys, "--root", project, *command)
    assert code == 0, err
    assert "content/pages/papers.md" not in err


def test_publish_needs_only_the_settings_and_the_built_folder(project, capsys):
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    assert run(capsys, "--root", project, "build", "--no-search", "--base-url", "https://x.example/r/")[0] == 0
    (project / "content" / "taxonomy.yaml").write_text("topics: [unclosed\n")
    break_planning(project)
    code, _, err = run(capsys, "--root", project, "publish", "--base-url", "https://x.example/r/")
    assert code == 0, err
    assert "published" in err
