"""Shared test fixtures: the project root and the real seed catalog (parsed once)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def seed_files():
    from sitegen.sources.listing_files import read_seed_dir

    return read_seed_dir(ROOT / "seeds", ROOT)


def copy_project(source: Path, target: Path) -> Path:
    """A throwaway copy of a project (seeds, content, templates) to build or edit in tests."""
    import shutil

    for name in ("seeds", "content", "templates"):
        if (source / name).exists():
            shutil.copytree(source / name, target / name)
    if not (target / "templates").exists():
        shutil.copytree(ROOT / "templates", target / "templates")
    return target


@pytest.fixture(scope="session")
def seed_site(tmp_path_factory):
    """The real seed project built once at "/" and once under "/repo/": {base_path: site dir}."""
    from sitegen.pipeline import Overrides, build

    sites = {}
    for base, url in (("/", "/"), ("/repo/", "https://example.github.io/repo/")):
        out = tmp_path_factory.mktemp("site") / "_site"
        build(ROOT, Overrides(output=str(out), base_url=url, search=False))
        sites[base] = out
    return sites


def pagefind_fragment(data: bytes) -> bytes:
    """The JSON inside a Pagefind fragment file: gzip, then a signature of Pagefind's own
    that may change between versions, then the JSON object."""
    inflated = gzip.decompress(data)
    return inflated[inflated.index(b"{"):]


@pytest.fixture(scope="session")
def bib_site(tmp_path_factory):
    """The bibliography fixture project (tests/fixtures/bib/project), built once: {output path: bytes}."""
    from sitegen.pipeline import Overrides, build

    root = copy_project(FIXTURES / "bib" / "project", tmp_path_factory.mktemp("bib"))
    out = build(root, Overrides(search=False)).output
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
