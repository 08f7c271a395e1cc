"""The build as a flat list of steps: read inputs, run the stages, hand back the result.

Every command (papers, check, build, watch, serve) goes through here, so they all see the
same catalog and the same diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sitegen.catalog import Catalog, build_catalog
from sitegen.settings import Settings, load_settings
from sitegen.sources import read_seed_dir


@dataclass(frozen=True, slots=True)
class Project:
    """Where a project's inputs live."""

    root: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def templates(self) -> Path:
        return self.root / "templates"


def load_catalog(root: Path, settings: Settings | None = None) -> Catalog:
    """Seeds -> catalog, with the project's settings (capture dates) unless given."""
    if settings is None:
        settings, _ = load_settings(root)
    seed_files = read_seed_dir(Project(root).seeds, root)
    return build_catalog(seed_files, settings.capture_date_map())

