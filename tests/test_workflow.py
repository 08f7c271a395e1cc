"""`.github/workflows/pages.yml`: triggers, permissions and the build/deploy steps."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from sitegen.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
BASE_URL = "${{ steps.pages.outputs.base_url }}"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def build_steps(workflow) -> list[dict]:
    return workflow["jobs"]["build"]["steps"]


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow[True] if True in workflow else workflow["on"]


def action(step: dict) -> str:
    """`owner/name` of a `uses:` step, without the version."""
    return step.get("uses", "").split("@")[0]


def step_using(steps: list[dict], name: str) -> dict:
    (found,) = [s for s in steps if action(s) == name]
    return found


def run_step(steps: list[dict], program: str, subcommand: str) -> tuple[int, list[str]]:
    """Position and argv of the one `run:` step that starts with `program subcommand`."""
    (found,) = [
        (i, shlex.split(s["run"])) for i, s in enumerate(steps)
        if shlex.split(s.get("run", ""))[:2] == [program, subcommand]
    ]
    return found


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_every_job_is_runnable(workflow):
    for job in workflow["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        assert job["steps"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step


def test_runs_on_push_to_main_and_by_hand(workflow):
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    assert set(on) == {"push", "workflow_dispatch"}


def test_permissions_are_exactly_what_pages_needs(workflow):
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_deployments_do_not_overlap(workflow):
    assert workflow["concurrency"]["group"] == "pages"
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_build_actions_in_order(build_steps):
    assert [s["uses"] for s in build_steps if "uses" in s] == [
        "actions/checkout@v4",
        "actions/setup-python@v5",
        "actions/configure-pages@v5",
        "actions/upload-pages-artifact@v3",
    ]


def test_python_311_with_pip_cache(build_steps):
    settings = step_using(build_steps, "actions/setup-python")["with"]
    assert settings["python-version"] == "3.11"
    assert settings["cache"] == "pip"


def test_installs_the_package_before_building(build_steps):
    install_at, install = run_step(build_steps, "pip", "install")
    build_at, _ = run_step(build_steps, "sitegen", "build")
    setup_at = build_steps.index(step_using(build_steps, "actions/setup-python"))
    assert install[2:] == ["."]  # pagefind[bin] is a core dependency: search is on by default
    assert setup_at < install_at < build_at


def test_build_uses_the_configure_pages_base_url(build_steps):
    configure = step_using(build_steps, "actions/configure-pages")
    build_at, build = run_step(build_steps, "sitegen", "build")
    assert configure["id"] == "pages"
    assert build_steps.index(configure) < build_at
    # base_url comes without a trailing slash; sitegen wants the site root, which has one.
    assert option(build, "--base-url") == f"{BASE_URL}/"


def test_artifact_is_the_build_output(build_steps):
    build_at, build = run_step(build_steps, "sitegen", "build")
    upload = step_using(build_steps, "actions/upload-pages-artifact")
    configured_output = load_settings(ROOT)[0].output  # content/site.yaml, else the default
    assert upload["with"]["path"] == (option(build, "--output") or configured_output)
    assert build_at < build_steps.index(upload)


def test_deploy_job_follows_build_and_reports_the_page_url(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] in ("build", ["build"])
    (step,) = deploy["steps"]
    assert step["uses"] == "actions/deploy-pages@v4"
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": f"${{{{ steps.{step['id']}.outputs.page_url }}}}",
    }
