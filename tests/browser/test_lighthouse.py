"""scripts/lighthouse.py on the served seed site: 100 for accessibility, best practices and SEO, 95+ performance."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from seedsite import CHROMIUM_PATH, ROOT

from .conftest import require

pytestmark = [pytest.mark.browser, pytest.mark.lighthouse]

SCRIPT = ROOT / "scripts" / "lighthouse.py"


def test_lighthouse_scores_meet_the_targets(served_site):
    require(CHROMIUM_PATH.exists(), f"Lighthouse needs Debian's Chromium at {CHROMIUM_PATH} (apt-get install chromium)")
    require(shutil.which("node") is not None and (ROOT / "node_modules" / ".bin" / "lighthouse").exists(),
            "Lighthouse needs Node.js and `npm ci` in the project folder")
    result = subprocess.run([sys.executable, str(SCRIPT), "--base-url", served_site.base_url, "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    pages = json.loads(result.stdout)
    assert [page["page"] for page in pages] == ["home", "topic", "paper"]
    for page in pages:
        scores = page["scores"]
        assert (scores["accessibility"], scores["best-practices"], scores["seo"]) == (100, 100, 100), page
        assert scores["performance"] >= 95, page
