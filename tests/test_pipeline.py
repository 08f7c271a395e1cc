"""The whole build: pages stream from render into the writer, with the writer's guarantees."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen import render
from sitegen.diagnostics import SitegenError
from sitegen.output.staging import scratch_folders
from sitegen.output.writer import write_site
from sitegen.pipeline import Overrides, build, compute_site, read_inputs
from sitegen.render import make_environment, render_site

from conftest import ROOT, copy_project
from output_helpers import tree

FIXTURE = ROOT / "tests" / "fixtures" / "site"


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(FIXTURE, tmp_path / "project")


def built(project: Path, out: Path):
    return build(project, Overrides(output=str(out), search=False))


def test_builds_the_same_bytes_as_writing_the_whole_rendered_site(project, tmp_path):
    result = built(project, tmp_path / "streamed")
    inputs = read_inputs(project, Overrides(search=False))
    files = dict(render_site(make_environment(project / "templates"), compute_site(inputs).plan, inputs.static))
    write_site(files, tmp_path / "whole", project, base_url=inputs.settings.base_url)
    assert tree(tmp_path / "streamed") == tree(tmp_path / "whole")
    assert result.files == len(files) and result.report.written == len(files)
    assert [name for name, _ in result.timings] == ["read", "compute", "search", "render and write"]


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
