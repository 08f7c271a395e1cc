"""The seed site as a browser sees it: built under a sub-path, served by a plain static server.

Shared by the browser tests (`tests/browser/`), `scripts/screenshots.py` and
`scripts/lighthouse.py`, so all three look at the same site the same way: the seed project
built with `sitegen build` for `http://127.0.0.1:PORT/repo/`, served like GitHub Pages serves
a project site (directory URLs, `/repo/x` redirected to `/repo/x/`), and Debian's Chromium.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
SUB_PATH = "/repo/"
# Debian's package (Playwright never downloads one); CHROME_PATH, as Lighthouse names it, overrides.
CHROMIUM_PATH = Path(os.environ.get("CHROME_PATH") or "/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")

PAPER_WITH_NOTE = "papers/flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning/"

# One page of every page type (and of the layouts a type can take) on the seed site, by name.
PAGE_TYPES = {
    "home": "",
    "papers": "papers/",
    "papers-page-2": "papers/page/2/",
    "topics": "topics/",
    "topic": "topics/llm-serving/",
    "hardware": "hardware/",
    "vendor": "hardware/nvidia/",
    "family": "hardware/nvidia-hopper/",
    "model": "hardware/h100/",
    "intersection": "topics/llm-serving/hardware/nvidia-hopper/",
    "matrix": "matrix/",
    "paper": PAPER_WITH_NOTE,
    "paper-without-note": "papers/100k-or-100-days-trade-offs-when-pre-training-with-academic-resources/",
    "paper-added-by-curator": "papers/efficient-memory-management-for-large-language-model-serving-with-pagedattention/",
    "paper-from-bibtex": "papers/flashattention-fast-and-memory-efficient-exact-attention-with-io-awareness/",
    "authors": "authors/",
    "author": "authors/tri-dao/",
    "paths": "paths/",
    "path": "paths/flashattention-to-serving/",
    "tags": "tags/",
    "tag": "tags/kernels/",
    "reading-list": "reading/read/",
    "prose": "about/",
    "search": "search/",
    "not-found": "404.html",
}


@dataclass(frozen=True, slots=True)
class ServedSite:
    """A built site being served: where its files are and the URL of its root."""

    folder: Path
    base_url: str  # "http://127.0.0.1:PORT/repo/"

    def url(self, route: str = "") -> str:
        """Absolute URL of a route such as "topics/" (no leading slash)."""
        return self.base_url + route

    def html_routes(self) -> list[str]:
        """The route of every generated HTML page, sorted."""
        routes = []
        for page in sorted(self.folder.rglob("*.html")):
            relative = page.relative_to(self.folder).as_posix()
            routes.append(relative.removesuffix("index.html"))
        return routes


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files with the MIME types a site needs; no request log on stderr."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".xml": "application/xml", ".json": "application/json"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass


def build_site(output: Path, base_url: str, *, root: Path = ROOT) -> None:
    """`sitegen build` of a project into `output`; raises with sitegen's own messages on failure."""
    command = [sys.executable, "-m", "sitegen", "--root", str(root), "build",
               "--output", str(output), "--base-url", base_url]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONUTF8": "1"})
    if result.returncode != 0:
        raise RuntimeError(f"sitegen build failed:\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def served_seed_site(workdir: Path) -> Iterator[ServedSite]:
    """Build the seed project under `workdir` and serve it at http://127.0.0.1:PORT/repo/."""
    handler = functools.partial(_QuietHandler, directory=str(workdir))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        base_url = f"http://127.0.0.1:{server.server_address[1]}{SUB_PATH}"
        folder = workdir / SUB_PATH.strip("/")
        build_site(folder, base_url)  # the port is known before the build: links are absolute
        threading.Thread(target=server.serve_forever, name="static-site", daemon=True).start()
        try:
            yield ServedSite(folder, base_url)
        finally:
            server.shutdown()


def launch_chromium(playwright):
    """Debian's Chromium through Playwright (headless, no sandbox: CI runs as root)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=list(CHROMIUM_ARGS))


def free_port() -> int:
    """A TCP port nothing listens on right now (for servers started as subprocesses)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
