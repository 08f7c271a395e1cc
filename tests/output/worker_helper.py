"""Atomic writes with the staging worker, in a fresh interpreter (for test_staging).

Usage: python worker_helper.py PROJECT_ROOT CASE [--one-process]

Forking depends on the process having no other threads, which the test runner's own process
cannot promise. Writes the old site, then the new one, whose lookups misbehave in the worker
process as CASE says ("none", "raise", "die"; "raise-here": in this process instead), and
prints a JSON report: which processes looked files up, what the write raised, what is live,
and whether a child process is left.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sitegen import background  # noqa: E402
from sitegen.diagnostics import SitegenError, error  # noqa: E402
from sitegen.output.staging import scratch_folders  # noqa: E402
from sitegen.output.writer import write_site  # noqa: E402

# nested folders, most of them one page each as the real site has them
SITE = {f"{group}/{name:03d}/index.html": f"<p>{group} {name}</p>\n".encode() * 30
        for group in ("authors", "papers", "topics") for name in range(120)}
SITE.update({"index.html": b"<h1>home</h1>\n", "feed.xml": b"<feed/>\n", "topics/kv/hardware/h100/index.html": b"kv\n"})
OLD = {"index.html": b"<h1>old</h1>\n", "papers/000/index.html": b"old paper\n"}


class Site(Mapping[str, bytes]):
    """`SITE`, noting in a log file which process looks each path up, and misbehaving as asked."""

    def __init__(self, case: str, log: Path):
        self.case, self.log, self.parent = case, log, os.getpid()

    def __getitem__(self, path: str) -> bytes:
        here = os.getpid()
        with open(self.log, "a") as log:
            log.write(f"{'parent' if here == self.parent else 'worker'} {path}\n")
        worker = here != self.parent
        if path in (LAST, FIRST) and (self.case == "raise" and worker or self.case == "raise-here" and not worker):
            raise SitegenError([error("templates/paper.html", 7, f"template error at {path}")])
        if path == LAST and self.case == "die" and worker:
            os.kill(here, signal.SIGKILL)
        return SITE[path]

    def __iter__(self):
        return iter(SITE)

    def __len__(self) -> int:
        return len(SITE)


FIRST, LAST = min(SITE), max(SITE)


def main(root: Path, case: str) -> dict:
    out, log = root / "_site", root / "lookups.log"
    write_site(OLD, out, root)
    log.write_text("")
    raised = None
    try:
        write_site(Site(case, log), out, root)
    except SitegenError as exc:
        raised = [str(d) for d in exc.diagnostics]
    try:
        left = os.waitpid(-1, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        left = False
    live = {str(p.relative_to(out)): p.read_bytes().decode() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != ".sitegen-output"}
    lookups = [line.split(" ", 1) for line in log.read_text().splitlines()]
    return {"raised": raised, "child_left": left, "live_is_old": live == {k: v.decode() for k, v in OLD.items()},
            "live_is_new": live == {k: v.decode() for k, v in SITE.items()},
            "looked_up_by": sorted({who for who, _ in lookups}), "lookups": len(lookups),
            "staging_left": scratch_folders(out)[0].exists()}


if __name__ == "__main__":
    if "--one-process" in sys.argv:
        background.ENABLED = False
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2])))
