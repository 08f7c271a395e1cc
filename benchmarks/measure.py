"""Whole-process measurements: wall time and peak memory of one child, Hugo's server rebuild.

Peak memory comes from `os.wait4`, which returns the rusage of exactly the child waited for
(`RUSAGE_CHILDREN` would be the maximum over every child so far).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

HUGO_TOTAL = re.compile(r"^Total in (\d+(?:\.\d+)?) ?ms")
HUGO_READY = "Web Server is available"
EDIT_MARK = " Edited for the benchmark."


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """One finished child process."""

    seconds: float
    cpu_seconds: float  # user + system
    peak_rss_mb: float  # megabytes (10^6 bytes), as the targets are stated
    returncode: int
    stdout: str
    stderr: str


def run_measured(argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
                 timeout: float = 3600) -> ProcessRun:
    """Run `argv` to completion (in `env`, this process's environment by default); wall and CPU
    seconds, peak RSS, exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                 env=env)
        watchdog = threading.Timer(timeout, child.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcessRun(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024 / 1e6, child.returncode,
                          out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def remove_tree(path: Path) -> None:
    """Delete a folder the benchmark made (missing is fine)."""
    shutil.rmtree(path, ignore_errors=True)


def toggle_edit(path: Path, min_chars: int = 1) -> None:
    """Change a text file's bytes: append a marker sentence to its last line of at least
    `min_chars` characters (200 picks a seed file's last abstract), or take it away again.
    Each call is a real edit; two calls restore the original."""
    lines = path.read_text(encoding="utf-8").split("\n")
    index = max(i for i, line in enumerate(lines) if len(line) >= min_chars)
    line = lines[index]
    lines[index] = line[:-len(EDIT_MARK)] if line.endswith(EDIT_MARK) else line + EDIT_MARK
    path.write_text("\n".join(lines), encoding="utf-8")


# --- Hugo ---------------------------------------------------------------------------------------

def hugo_version() -> str | None:
    """`hugo version`, or None when Hugo is not installed."""
    if shutil.which("hugo") is None:
        return None
    done = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def install_hugo() -> str | None:
    """`apt-get install -y hugo` (Debian's package); the version, or None when that failed."""
    if shutil.which("apt-get") is None:
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "hugo"], env=env, capture_output=True, check=False)
    return hugo_version()


def hugo_pages(stdout: str) -> int | None:
    """The 'Pages' row of Hugo's build summary."""
    found = re.search(r"^\s*Pages\s*\|\s*(\d+)", stdout, re.MULTILINE)
    return int(found.group(1)) if found else None


def hugo_build(hugo_root: Path, destination: Path) -> ProcessRun:
    return run_measured(["hugo", "--source", str(hugo_root), "--destination", str(destination), "--noBuildLock"])


def hugo_server_rebuilds(hugo_root: Path, edited: Path, runs: int, timeout: float = 600) -> list[float]:
    """Start `hugo server` (in memory, Hugo's default Fast Render Mode), edit `edited` `runs`
    times and return the 'Total in N ms' Hugo logs for each rebuild. The server is always
    stopped before returning."""
    server = subprocess.Popen(
        ["hugo", "server", "--source", str(hugo_root), "--bind", "127.0.0.1", "--port", str(_free_port()),
         "--disableLiveReload", "--noBuildLock"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(server.stdout, lines), daemon=True).start()
    try:
        _wait_for(lines, lambda line: HUGO_READY in line, timeout)
        time.sleep(1.0)  # let the watcher settle before the first edit
        totals = []
        for _ in range(runs):
            toggle_edit(edited)
            line = _wait_for(lines, lambda text: HUGO_TOTAL.match(text) is not None, timeout)
            totals.append(float(HUGO_TOTAL.match(line).group(1)))
            time.sleep(0.5)
        return totals
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.strip())
    lines.put(None)  # the server exited


def _wait_for(lines: queue.Queue, wanted, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("hugo server did not report in time")
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError("hugo server exited early")
        if wanted(line):
            return line


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
