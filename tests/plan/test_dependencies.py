"""Recorded dependencies are complete: an edit of any one field of any input record, planned
with the watch loop's memo, gives exactly what a clean plan of the same inputs renders.

The fields are enumerated from the records themselves (`dataclasses.fields` of every record
reachable from the planner's input), so a field added later is covered without touching this
file. Each field is perturbed in one record, with the value another record of its type holds
(type-correct and realistic), or else by its type (text appended, number changed, flag
flipped, an item dropped). The mutation tests stop recording one kind of read and check that
this test then fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.catalog.records import Paper
from sitegen.dev.rebuild import Builder
from sitegen.curation.notes import Curation, Note
from sitegen.pipeline import Overrides, Project, build, read_templates
from sitegen.plan import SiteData, plan_site
from sitegen.render import make_environment, render_page
from sitegen.settings import Settings
from sitegen.taxonomy import HardwareEntry, Tag, Tags, Topic
from sitegen.tracking import MappingView, Recorded, RecordView

from conftest import plan_project, planner_input
from record_edits import label, perturbations


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return plan_project(tmp_path_factory.mktemp("deps") / "project")


@pytest.fixture(scope="module")
def base(project) -> SiteData:
    """The planner's input, with limits small enough that paging and feed sizes show."""
    return planner_input(project, page_size=2, latest_count=2, feed_size=2, epoch=1764547200)


@pytest.fixture(scope="module")
def env(project):
    return make_environment(read_templates(Project(project).templates, project))


def rendered(env, data: SiteData, reuse: Recorded | None = None) -> dict[str, bytes] | str:
    """Every output file of the plan, or the error planning or rendering it raised."""
    try:
        plan = plan_site(data, reuse)
        files = {page.output: render_page(env, plan, page) for page in plan.pages}
    except Exception as exc:  # the clean plan's refusal must be the incremental one's too
        return f"{type(exc).__name__}: {exc}"
    files.update((f.output, f.data) for f in plan.files)
    return files


def incremental(env, before: SiteData, after: SiteData) -> dict[str, bytes] | str:
    reuse = Recorded()
    plan_site(before, reuse)
    return rendered(env, after, reuse)


def differing(clean, incremental_files) -> list[str]:
    if isinstance(clean, str) or isinstance(incremental_files, str):  # both must refuse, the same way
        same = str(clean).split(":")[0] == str(incremental_files).split(":")[0]
        return [] if same else [f"clean: {clean!r} / incremental: {incremental_files!r}"]
    return sorted(path for path in clean.keys() | incremental_files.keys()
                  if clean.get(path) != incremental_files.get(path))


@pytest.fixture(scope="module")
def cases(base, env):
    """label -> (perturbed data, its clean output): the shown perturbation of each field."""
    clean_base = rendered(env, base)
    chosen = {}
    for name, tried in perturbations(base, skip=(SiteData,)):  # `search` is the settings' switch
        outputs = [(data, rendered(env, data)) for data in tried]
        # An input the earlier stages would refuse (a hardware entry its own parent) only last.
        outputs.sort(key=lambda case: isinstance(case[1], str))
        shown = [(data, out) for data, out in outputs if out != clean_base]
        if shown or outputs:
            chosen[name] = (shown or outputs)[0]
    return chosen


def test_every_field_is_enumerated_and_most_are_shown(cases, base, env):
    clean_base = rendered(env, base)
    labels = set(cases)
    for field_label in (label(Note, "rating"), label(Paper, "title"), label(Settings, "title"),
                        label(Topic, "title"), label(Tag, "id"),
                        label(Curation, "tag_labels")):
        assert field_label in labels
    # The rest are read by earlier stages only (classification rules, line numbers for messages).
    shown = [label for label, (_, out) in cases.items() if out != clean_base]
    assert len(shown) >= 90 and len(shown) >= 0.6 * len(cases), "\n".join(sorted(set(cases) - set(shown)))


def test_an_edit_of_any_one_field_replans_exactly_like_a_clean_build(cases, base, env):
    stale = {}
    for name, (data, clean) in cases.items():
        wrong = differing(clean, incremental(env, base, data))
        if wrong:
            stale[name] = wrong[:5]
    assert stale == {}


# --- the test catches a read that is not recorded ----------------------------------------------

def shown_note_fields(cases, base, env) -> list[str]:
    clean_base = rendered(env, base)
    return [label.rsplit(".", 1)[1] for label, (_, out) in cases.items()
            if label.startswith(f"{Note.__module__}.Note.") and out != clean_base]


@pytest.mark.parametrize("field", ["rating", "status", "pick", "summary_html", "tags", "body_html", "path"])
def test_a_note_field_read_unrecorded_makes_the_equivalence_fail(cases, base, env, monkeypatch, field):
    assert field in shown_note_fields(cases, base, env)
    recorded = RecordView.__getattr__

    def forgetful(self, name):
        return getattr(self._target, name) if name == field else recorded(self, name)

    monkeypatch.setattr(RecordView, "__getattr__", forgetful)
    data, clean = cases[label(Note, field)]
    assert differing(clean, incremental(env, base, data))


def test_an_item_read_unrecorded_makes_the_equivalence_fail(cases, base, env, monkeypatch):
    """The cards a listing shows are item reads of the `cards` root: unrecorded, a listing
    keeps a card whose title changed."""
    recorded = MappingView._item

    def forgetful(self, key):
        value = self._target.get(key)
        return (value, value) if self._node is self._memo._roots.get("cards") else recorded(self, key)

    monkeypatch.setattr(MappingView, "_item", forgetful)
    data, clean = cases[label(Paper, "title")]
    assert differing(clean, incremental(env, base, data))


# A field whose edit flows through each root of the planner's memo, to show that a root whose
# changes go unnoticed makes the equivalence fail. A new root must be added here. None: every
# value reading the root also reads the papers it is derived from (BibTeX entries, citation
# keys), so no single edit reaches it alone; found by trying every case.
THROUGH_ROOT = {
    "data": label(Note, "rating"), "urls": label(Settings, "base_url"),
    "updated": label(Settings, "epoch"), "by-slug": label(Paper, "title"),
    "cards": label(Paper, "title"), "records": label(Paper, "title"), "export-rows": label(Paper, "title"),
    "bibtex": None, "cite-keys": None, "own-cite-keys": None,
    "authors": label(Paper, "author_names"), "orders": label(Paper, "date"),
    "chips": label(Topic, "title"), "members": label(Tags, "topics"),
    "cells": label(Tag, "id"), "hardware-counts": label(Tags, "hardware"),
    "hardware-children": label(HardwareEntry, "title"), "tag-members": label(Note, "tags"),
    "indexed": label(Note, "tags"),
    "bib-listings": label(Tags, "topics"), "csl-items": label(Paper, "abstract"),
}


def test_every_root_of_the_planner_is_checked_below(base):
    reuse = Recorded()
    plan_site(base, reuse)
    assert set(reuse._roots) == set(THROUGH_ROOT)


@pytest.mark.parametrize("root", sorted(root for root, label in THROUGH_ROOT.items() if label))
def test_a_root_whose_changes_go_unnoticed_makes_the_equivalence_fail(cases, base, env, monkeypatch, root):
    published = Recorded.publish

    def unnoticed(self, name, value):
        node = self._roots.get(name)
        if name != root or node is None:
            return published(self, name, value)
        node.value = value  # no walk: nothing that read the root is marked stale
        return self._view(value, node)

    monkeypatch.setattr(Recorded, "publish", unnoticed)
    data, clean = cases[THROUGH_ROOT[root]]
    assert differing(clean, incremental(env, base, data))


# --- templates and static assets --------------------------------------------------------------

def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_edit_of_any_one_template_or_asset_rebuilds_like_a_clean_build(project, tmp_path):
    builder = Builder(project, Overrides(search=False, output=str(tmp_path / "watch")))
    builder.build()
    templates = Project(project).templates
    edited = []
    for path in sorted(p for p in templates.rglob("*") if p.is_file()):
        original = path.read_bytes()
        comment = b"\n<!-- edited -->\n" if path.suffix in (".html", ".xml") else b"\n/* edited */\n"
        path.write_bytes(original + comment)
        try:
            builder.build()
            clean = tmp_path / f"clean-{len(edited)}"
            build(project, Overrides(search=False, output=str(clean)))
            assert tree(tmp_path / "watch") == tree(clean), path
        finally:
            path.write_bytes(original)
        edited.append(path.relative_to(templates).as_posix())
    assert "base.html" in edited and any(name.startswith("static/") for name in edited)


def test_a_rule_edit_replans_only_through_the_tags_it_changes(project, tmp_path, monkeypatch):
    """Pages read the taxonomy without its rules (`shown_taxonomy`): an alias that tags no
    paper, though it moves the line of every entry below it, plans no page again."""
    from sitegen.plan import papers

    root = plan_project(tmp_path / "project")
    builder = Builder(root, Overrides(search=False, output=str(tmp_path / "watch")))
    builder.build()
    planned = []
    monkeypatch.setattr(papers, "_paper_page", lambda p, paper, plan=papers._paper_page: planned.append(paper.slug)
                        or plan(p, paper))
    taxonomy = root / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("aliases: [H100, H100s]", "aliases: [H100, H100s,\n  Zyxw 9000]"))
    builder.build()
    assert planned == []
    taxonomy.write_text(taxonomy.read_text().replace("Zyxw 9000", "paged blocks"))  # tags a paper: its page changes
    builder.build()
    assert planned
