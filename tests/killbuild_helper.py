"""A build to kill: writes one of three ~1,500-file sites over the output (for test_output).

Usage: python killbuild_helper.py OUT_DIR PROJECT_ROOT VARIANT [--no-exchange]

Prints `ready` once everything is imported and the site is in memory, then writes it
atomically. The test kills this process with SIGKILL at a random moment after `ready`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sitegen.output import staging, writer  # noqa: E402

PAGES = 1500


VARIANTS = ("a", "b", "c")


def make_site(variant: str) -> dict[str, bytes]:
    """Site "a", "b" or "c": they share most paths, differ in a third of the pages and each
    has 50 or more pages another lacks, so any mix of two is detectable."""
    first = 50 * VARIANTS.index(variant)
    site = {".nojekyll": b"", "index.html": f"<h1>home {variant}</h1>\n".encode()}
    for number in range(first, first + PAGES):
        flavour = variant if number % 3 == 0 else "shared"
        body = f"<p>paper {number} ({flavour})</p>\n" * 40
        site[f"papers/p{number:04d}/index.html"] = body.encode()
    return site


def main(arguments: list[str]) -> None:
    out_dir, project_root, variant = Path(arguments[0]), Path(arguments[1]), arguments[2]
    if "--no-exchange" in arguments:
        staging._exchange = lambda first, second: False
    site = make_site(variant)
    print("ready", flush=True)
    writer.write_site(site, out_dir, project_root)


if __name__ == "__main__":
    main(sys.argv[1:])
