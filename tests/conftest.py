"""Shared test fixtures: the project root and the real seed catalog (parsed once)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def seed_files():
    from sitegen.sources import read_seed_dir

    return read_seed_dir(ROOT / "seeds", ROOT)
