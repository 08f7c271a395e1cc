"""The render stage: pages render when looked up, never kept; template problems are located."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from sitegen import render
from sitegen.diagnostics import SitegenError
from sitegen.memo import ByInput
from sitegen.pipeline import Overrides, compute_site, read_inputs, read_templates
from sitegen.render import StaticFile, make_environment, render_page, render_site

from conftest import ROOT, copy_project

FIXTURE = ROOT / "tests" / "fixtures" / "site"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(FIXTURE, tmp_path_factory.mktemp("render") / "project")


@pytest.fixture(scope="module")
def computed(project):
    """The fixture project's inputs, computed site and Jinja environment."""
    inputs = read_inputs(project, Overrides(search=False))
    return inputs, compute_site(inputs), make_environment(read_templates(project / "templates", project))


def test_every_path_is_known_without_rendering(computed, monkeypatch):
    inputs, site, env = computed
    rendered = []
    monkeypatch.setattr(render, "render_page", lambda env, plan, page: rendered.append(page) or b"")
    files = render_site(env, site.plan, inputs.static, {"pagefind/pagefind.js": b"//"})
    expected = ({page.output for page in site.plan.pages} | {file.output for file in site.plan.files}
                | {asset.output for asset in inputs.static} | {"pagefind/pagefind.js"})
    assert len(files) == len(expected) and set(files) == expected
    assert all(path in files for path in expected) and "papers/none/index.html" not in files
    assert rendered == []


def test_each_lookup_renders_the_page_again(computed):
    inputs, site, env = computed
    files = render_site(env, site.plan, inputs.static)
    page = next(page for page in site.plan.pages if page.template == "paper.html")
    first, second = files[page.output], files[page.output]
    assert first == second == render_page(env, site.plan, page)
    assert first is not second  # nothing rendered is kept


def test_the_files_are_the_pages_rendered_plus_the_planned_files_and_assets(computed):
    inputs, site, env = computed
    expected = {file.output: file.data for file in site.plan.files}
    expected |= {asset.output: asset.data for asset in inputs.static}
    expected |= {page.output: render_page(env, site.plan, page) for page in site.plan.pages}
    assert dict(render_site(env, site.plan, inputs.static)) == expected


def overlap_messages(site, static=(), search_files=None) -> list[str]:
    with pytest.raises(SitegenError) as caught:
        render.refuse_overlaps(site.plan, static, search_files or {})
    return [str(d) for d in caught.value.diagnostics]


def test_an_asset_at_a_page_path_is_refused_and_blamed_on_the_asset(computed):
    _, site, _ = computed
    page = next(page for page in site.plan.pages if page.source is None)
    [message] = overlap_messages(site, [StaticFile(page.output, b"asset")])
    assert message.startswith(f"templates/{page.output}: error: ") and page.template in message


def test_an_asset_at_an_exported_file_path_is_refused(computed):
    _, site, _ = computed
    exported = site.plan.files[0]
    [message] = overlap_messages(site, [StaticFile(exported.output, b"asset")])
    assert message.startswith(f"templates/{exported.output}: error: ") and "exports" in message


def test_a_search_file_at_a_page_path_is_refused(computed):
    _, site, _ = computed
    page = site.plan.pages[0]
    [message] = overlap_messages(site, search_files={page.output: b"index"})
    assert message.startswith(f"{page.output}: error: ") and "search index" in message


def test_the_search_index_owns_its_whole_folder(computed):
    _, site, _ = computed
    [message] = overlap_messages(site, [StaticFile("pagefind/extra.css", b"asset")],
                                 {"pagefind/pagefind.js": b"//"})
    assert message.startswith("templates/pagefind/extra.css: error: ") and "(pagefind/)" in message


def test_a_file_where_another_output_needs_a_folder_is_refused(computed):
    _, site, _ = computed
    page = next(page for page in site.plan.pages if page.output.count("/") >= 2)
    folder = page.output.rsplit("/", 1)[0]
    messages = overlap_messages(site, [StaticFile(folder, b"asset")])  # one per output inside it
    assert messages and all(m.startswith(f"templates/{folder}: error: ") and f"({folder})" in m for m in messages)


def test_disjoint_outputs_pass(computed):
    inputs, site, _ = computed
    render.refuse_overlaps(site.plan, inputs.static, {"pagefind/pagefind.js": b"//"})


@pytest.fixture
def broken_templates(tmp_path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    return templates


def insert_after(template: Path, anchor: str, line: str) -> int:
    """Insert `line` after the first line holding `anchor`; return its 1-based line number."""
    lines = template.read_text().split("\n")
    at = next(n for n, text in enumerate(lines) if anchor in text) + 1
    lines.insert(at, line)
    template.write_text("\n".join(lines))
    return at + 1


@pytest.mark.parametrize("inserted, message", [
    ("{{ no_such_value }}", "undefined value in template: "),  # then Jinja's own words
    ("{% endblok %}", "template syntax error: "),
], ids=["undefined", "syntax"])
def test_a_template_problem_names_the_template_and_line_when_the_page_is_looked_up(
        computed, broken_templates, inserted, message):
    inputs, site, _ = computed
    line = insert_after(broken_templates / "paper.html", "<h1>", inserted)
    files = render_site(make_environment(read_templates(broken_templates, broken_templates.parent)), site.plan, inputs.static)
    page = next(page for page in site.plan.pages if page.template == "paper.html")
    with pytest.raises(SitegenError) as caught:
        files[page.output]
    [diagnostic] = caught.value.diagnostics
    assert str(diagnostic).startswith(f"templates/paper.html:{line}: error: {message}")


def test_a_missing_template_is_named(computed, broken_templates):
    inputs, site, _ = computed
    (broken_templates / "paper.html").unlink()
    page = next(page for page in site.plan.pages if page.template == "paper.html")
    with pytest.raises(SitegenError) as caught:
        render_page(make_environment(read_templates(broken_templates, broken_templates.parent)), site.plan, page)
    assert [str(d) for d in caught.value.diagnostics] == [
        f"templates/paper.html: error: template not found (needed for {page.route})"]


def test_a_clean_render_compiles_every_template_before_the_first_lookup(computed, broken_templates, monkeypatch):
    # so that the writer's forked worker does not compile them a second time (output/staging.py)
    inputs, site, _ = computed
    (broken_templates / "static").mkdir(exist_ok=True)
    (broken_templates / "static" / "page.html").write_text("{% an asset, not a template %}")
    env = make_environment(read_templates(broken_templates, broken_templates.parent))
    compiled = []
    real = env.compile
    monkeypatch.setattr(env, "compile", lambda source, name=None, *rest, **options: compiled.append(name)
                        or real(source, name, *rest, **options))
    files = render_site(env, site.plan, inputs.static)
    templates = sorted(p.name for p in broken_templates.iterdir() if p.suffix in (".html", ".xml"))
    assert sorted(compiled) == templates and files.rendered == 0
    for path in files:
        files[path]
    assert len(compiled) == len(templates)  # nothing compiled again while rendering



# --- the watch loop's kept overlap verdict -------------------------------------------------


def test_a_kept_overlap_verdict_is_reused_while_no_path_changes_and_a_new_overlap_is_still_refused(computed, monkeypatch):
    inputs, site, env = computed
    checks = []
    check = render.refuse_overlaps
    monkeypatch.setattr(render, "refuse_overlaps", lambda *args: checks.append(1) or check(*args))
    verdicts = ByInput()
    edited = site.plan
    for round_ in range(4):  # each round edits a page's view (a note), which moves no path
        pages = tuple(replace(page, view=(page.view, round_)) if page is site.plan.pages[0] else page
                      for page in site.plan.pages)
        edited = replace(site.plan, pages=pages)
        render_site(env, edited, inputs.static, cache=ByInput(), verdicts=verdicts)
        verdicts.end_round()
    assert len(checks) == 1
    page = next(page for page in site.plan.pages if page.source is None)
    asset = StaticFile(page.output, b"asset")
    with pytest.raises(SitegenError) as caught:
        render_site(env, edited, (*inputs.static, asset), cache=ByInput(), verdicts=verdicts)
    assert [str(d) for d in caught.value.diagnostics] == overlap_messages(site, (*inputs.static, asset))
    moved = replace(edited, pages=(*edited.pages[:-1], replace(edited.pages[-1], output=page.output)))
    with pytest.raises(SitegenError) as caught:  # a page moved onto another's path, the set of paths smaller
        render_site(env, moved, inputs.static, cache=ByInput(), verdicts=verdicts)
    assert [str(d) for d in caught.value.diagnostics] == overlap_messages(replace(site, plan=moved), inputs.static)

