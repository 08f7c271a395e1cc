"""One pure stage in a forked child while the parent runs the next ones: a second core for builds.

`sitegen build` is single-threaded Python; related papers need only the catalog, so they can be
computed beside notes and classification. The child gets everything by `fork` (nothing is
pickled on the way in) and sends back one pickle. Whatever goes wrong in the child (it raises,
dies or is killed), the parent computes the same pure function itself, so the result and any
error are exactly those of a one-process build.

A process running other threads is never forked (a lock held by one of them would stay held in
the child forever): the watch loop and the server, and any caller with threads, run inline.
"""

from __future__ import annotations

import os
import pickle
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

ENABLED = True  # benchmarks/stages.py turns it off to time each stage on its own


def _forkable() -> bool:
    return ENABLED and hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def start(compute: Callable[[], T]) -> Callable[[], T]:
    """Begin `compute()` on another core when that is safe; call the result to get its value."""
    if not _forkable():
        value = compute()
        return lambda: value
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit code
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(compute(), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def result() -> T:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status == 0:
            return pickle.loads(data)
        return compute()  # the child failed: the same pure function, here, gives the same result or error

    return result
