"""Small sites and tree snapshots shared by the output tests (and the pipeline's)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sitegen.output.guard import MARKER

OLD_SITE = {
    "index.html": b"<h1>old</h1>\n",
    ".nojekyll": b"",
    "feed.xml": b"<feed>old</feed>\n",
    "papers/a/index.html": b"paper a\n",
    "papers/b/index.html": b"paper b\n",
    "topics/kv/hardware/h100/index.html": b"kv on h100\n",
}
NEW_SITE = {
    "index.html": b"<h1>new</h1>\n",
    ".nojekyll": b"",
    "feed.xml": b"<feed>old</feed>\n",
    "papers/a/index.html": b"paper a, revised\n",
    "papers/c/index.html": b"paper c\n",
}
REVISED_SITE = {path: data + b"!" for path, data in NEW_SITE.items()}
BOTH_MODES = pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "quick"])


def tree(folder: Path) -> dict[str, object]:
    """Everything under `folder`: bytes for files, ("link", target) for symlinks, "dir"."""
    found: dict[str, object] = {}
    for parent, folders, names in os.walk(folder):  # symlinked folders are listed, not entered
        prefix = Path(parent).relative_to(folder).as_posix() + "/"
        for name in folders + names:
            path, key = os.path.join(parent, name), (prefix + name).removeprefix("./")
            if os.path.islink(path):
                found[key] = ("link", os.readlink(path))
            elif name in folders:
                found[key] = "dir"
            else:
                with open(path, "rb") as stream:
                    found[key] = stream.read()
    return dict(sorted(found.items()))


def files_of(folder: Path) -> dict[str, bytes]:
    """The regular files under `folder`, marker excluded."""
    every = tree(folder)
    return {k: v for k, v in every.items() if isinstance(v, bytes) and k != MARKER}


def manifest(folder: Path) -> list[str]:
    return json.loads((folder / MARKER).read_text())["files"]


def refusal(excinfo) -> list[str]:
    return [str(d) for d in excinfo.value.diagnostics]
