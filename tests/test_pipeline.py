"""The whole build: pages stream from render into the writer, with the writer's guarantees."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sitegen import background, kept, pipeline, render, tracking
from sitegen.curation.content import ContentFiles, SourceText
from sitegen.diagnostics import SitegenError
from sitegen.output.guard import read_manifest
from sitegen.output.staging import scratch_folders
from sitegen.output.writer import write_site
from sitegen.dev.rebuild import Builder
from sitegen.kept import Memo
from sitegen.output.survey import Digest
from sitegen.pipeline import Overrides, build, classify_site, compute_site, read_inputs, read_templates
from sitegen.taxonomy import apply_override, classify
from sitegen.render import make_environment, render_site

from conftest import ROOT, copy_project
from output_helpers import files_of, tree

FIXTURE = ROOT / "tests" / "fixtures" / "site"


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(FIXTURE, tmp_path / "project")


def built(project: Path, out: Path):
    return build(project, Overrides(output=str(out), search=False))


def test_builds_the_same_bytes_as_writing_the_whole_rendered_site(project, tmp_path):
    result = built(project, tmp_path / "streamed")
    inputs = read_inputs(project, Overrides(search=False))
    files = dict(render_site(make_environment(read_templates(project / "templates", project)), compute_site(inputs).plan, inputs.static))
    write_site(files, tmp_path / "whole", project, base_url=inputs.settings.base_url)
    assert tree(tmp_path / "streamed") == tree(tmp_path / "whole")
    assert result.files == len(files) and result.report.written == len(files)
    assert [name for name, _ in result.timings] == ["read", "compute and search", "render and write"]


def test_a_clean_build_plans_without_recording_what_each_value_reads(project, tmp_path, monkeypatch):
    """Recording dependencies costs about half of planning; only the watch loop reuses them."""
    def recorded(*args, **kwargs):
        raise AssertionError("a clean build recorded its plan's dependencies")

    monkeypatch.setattr(tracking.Recorded, "publish", recorded)
    build(project, Overrides(output=str(tmp_path / "site"), search=False))
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_template_error_met_by_the_writers_worker_is_located_and_the_site_stays(project, tmp_path):
    # in a fresh interpreter, which may fork (the test runner's process may run threads)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sitegen", "--root", str(project), "build", "--no-search", "--output", str(out)]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    paths = sorted(read_manifest(out).files)
    assert "sitemap.xml" in paths[len(paths) // 2:]  # the worker's half, and no page of the other uses sitemap.xml
    before = tree(out)
    line = insert_line(project / "templates" / "sitemap.xml", "<urlset", "{{ no_such_value }}")
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    assert f"templates/sitemap.xml:{line}: error: undefined value in template: " in done.stderr
    assert "Traceback" not in done.stderr and tree(out) == before


def insert_line(template: Path, anchor: str, line: str) -> int:
    """Insert `line` after the first line holding `anchor`; its 1-based line number."""
    lines = template.read_text().split("\n")
    at = next(n for n, text in enumerate(lines) if anchor in text) + 1
    template.write_text("\n".join(lines[:at] + [line] + lines[at:]))
    return at + 1


def test_each_page_is_written_before_the_next_is_rendered(project, tmp_path, monkeypatch):
    out = tmp_path / "out"
    staging, _ = scratch_folders(out)
    real, rendered, on_disk = render.render_page, [], []

    def spy(env, plan, page):
        if rendered:
            on_disk.append((staging / rendered[-1]).is_file())
        rendered.append(page.output)
        return real(env, plan, page)

    monkeypatch.setattr(render, "render_page", spy)
    monkeypatch.setattr(background, "ENABLED", False)  # one process, so the spy sees every page
    result = built(project, out)
    assert len(rendered) == len(result.site.plan.pages) == len(set(rendered))
    assert on_disk and all(on_disk)


def test_a_template_error_leaves_the_site_and_the_next_build_matches_a_clean_one(project, tmp_path):
    out = tmp_path / "out"
    built(project, out)
    before = tree(out)
    template = project / "templates" / "paper.html"
    good = template.read_text()
    template.write_text(good.replace("<h1>", "<h1>{{ no_such_value }}", 1))
    with pytest.raises(SitegenError, match="no_such_value"):
        built(project, out)
    assert tree(out) == before
    template.write_text(good.replace("<h1>", "<h1>Fixed: ", 1))
    report = built(project, out).report
    clean = built(project, tmp_path / "clean")
    assert report.written == sum(page.template == "paper.html" for page in clean.site.plan.pages)
    assert tree(out) == tree(tmp_path / "clean")


def test_a_second_build_writes_nothing(project, tmp_path):
    out = tmp_path / "out"
    first = built(project, out)
    again = built(project, out).report
    assert (again.written, again.unchanged, again.removed) == (0, first.files, 0)


FA2 = "flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning"
FA2_NOTE = "content/notes/flashattention-2.md"


def with_note(inputs, path: str, text: str):
    files = tuple(SourceText(path, text) if source.path == path else source for source in inputs.content.files)
    return replace(inputs, content=ContentFiles(files, inputs.content.diagnostics))


def test_a_note_s_override_is_classification_input_and_only_its_paper_is_classified_again(monkeypatch):
    inputs = read_inputs(ROOT, Overrides(search=False))
    memo = Memo()
    first = classify_site(inputs, memo)
    paper = first.catalog.get(FA2)
    override = first.curation.overrides[FA2]
    assert first.tags[FA2] == classify(inputs.taxonomy, paper.title, paper.abstract, override, FA2_NOTE)
    assert first.tags[FA2] == apply_override(inputs.taxonomy, classify(inputs.taxonomy, paper.title, paper.abstract),
                                             override, FA2_NOTE)
    assert "kernels-compilers" in [t.id for t in first.tags[FA2].topics]
    classified = []
    monkeypatch.setattr(kept, "classify", lambda taxonomy, title, *rest: classified.append(title)
                        or classify(taxonomy, title, *rest))
    note = inputs.content.get(FA2_NOTE).text
    edited = classify_site(with_note(inputs, FA2_NOTE, note.replace(
        "remove: [generative-vision, distributed-training]", "remove: [generative-vision]")), memo)
    assert classified == [paper.title]  # every other paper's tags are reused
    assert "distributed-training" not in [t.id for t in first.tags[FA2].topics]
    assert "distributed-training" in [t.id for t in edited.tags[FA2].topics]
    assert all(edited.tags[slug] is first.tags[slug] for slug in first.tags if slug != FA2)
    classified.clear()
    classify_site(inputs, memo)  # the edit undone: the tags of before are still kept
    assert classified == []


def test_each_note_is_read_once_and_an_unchanged_note_not_again(monkeypatch):
    from sitegen.curation import note_files as notes

    inputs = read_inputs(ROOT, Overrides(search=False))
    memo = Memo()
    read = []
    real = notes.read_fields
    monkeypatch.setattr(notes, "read_fields", lambda data, path, specs: (
        read.append((path, tuple(spec.key for spec in specs))) or real(data, path, specs)))
    classify_site(inputs, memo)
    note_reads = [(path, specs) for path, specs in read if path.startswith("content/notes/")]
    assert len(note_reads) == len(set(note_reads)) > 0  # no note's fields typed twice
    read.clear()
    edited = inputs.content.get(FA2_NOTE).text.replace("rating: 5", "rating: 4")
    assert classify_site(with_note(inputs, FA2_NOTE, edited), memo).curation.notes[FA2].rating == 4
    assert {path for path, _ in read if path.startswith("content/notes/")} == {FA2_NOTE}


# --- what the watch loop keeps of the checks and of the files it wrote ---------------------


HOPPER = "flashattention-on-hopper-fast-kv-cache-attention-with-h100s"  # a paper of the fixture site


def watched_rounds(project: Path, out: Path) -> Builder:
    """A watch loop after a few rounds of note and seed edits, each re-rendering some pages."""
    builder = Builder(project, Overrides(output=str(out), search=False))
    builder.build()
    note = project / "content" / "notes" / "watched.md"
    note.parent.mkdir(exist_ok=True)
    seed = sorted((project / "seeds").glob("*.txt"))[0]
    for word in ("tiling", "pipelining", "tiling"):
        note.write_text(f"---\npaper: {HOPPER}\nstatus: to-read\n---\nRead the {word} section.\n")
        builder.build(frozenset({note}))
    seed.write_text(seed.read_text().replace("attention", "Attention", 1))
    builder.build(frozenset({seed}))
    return builder


def test_what_the_watch_loop_keeps_of_each_file_is_what_the_output_holds(project, tmp_path):
    builder = watched_rounds(project, tmp_path / "out")
    pages = {page.output for page in builder.site.plan.pages}
    held = {path: Digest.of(data) if path in pages else data for path, data in files_of(tmp_path / "out").items()}
    assert builder.kept.written == held


def test_a_collision_made_after_clean_watch_rounds_is_refused_as_a_clean_build_refuses_it(project, tmp_path):
    builder = watched_rounds(project, tmp_path / "out")
    before = tree(tmp_path / "out")
    (project / "content" / "pages").mkdir(exist_ok=True)
    (project / "content" / "pages" / "papers.md").write_text("---\ntitle: Papers\n---\nMine.\n")
    with pytest.raises(SitegenError) as watched:
        builder.build()
    with pytest.raises(SitegenError) as clean:
        built(project, tmp_path / "clean")
    assert [str(d) for d in watched.value.diagnostics] == [str(d) for d in clean.value.diagnostics]
    assert "content/pages/papers.md:1: error: " in str(watched.value.diagnostics[0])
    assert tree(tmp_path / "out") == before


def test_templates_are_read_once_and_an_unreadable_one_is_a_located_error(project, tmp_path, monkeypatch):
    templates = project / "templates"
    read = read_templates(templates, project)
    assert "paper.html" in read.sources and not any(name.startswith("static/") for name in read.sources)
    (templates / "paper.html").write_text("edited after the read")
    compiled = make_environment(read).get_template("paper.html")
    assert compiled.filename == str(templates / "paper.html")  # errors stay located in the real file
    assert "<h1>" in make_environment(read).loader.get_source(None, "paper.html")[0]
    assert read_templates(templates, project).digest != read.digest
    (templates / "stray.html").write_text("{{ x }}")
    real = pipeline.read_regular
    monkeypatch.setattr(pipeline, "read_regular", lambda path: real(path) if path.name != "stray.html"
                        else (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(SitegenError) as caught:
        build(project, Overrides(output=str(tmp_path / "out"), search=False))
    [problem] = caught.value.diagnostics
    assert str(problem).startswith("templates/stray.html: error: cannot read template: ")
