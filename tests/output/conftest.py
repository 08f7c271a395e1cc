"""The project folder every output test writes beside."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.output.guard import PROTECTED_FOLDERS


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with the folders an output must never touch."""
    root = tmp_path / "proj"
    for name in PROTECTED_FOLDERS:
        (root / name).mkdir(parents=True)
    (root / "content" / "about.md").write_text("precious\n")
    return root
