"""Work in a forked child while the parent goes on: a second core for builds.

- `start`: one pure stage (related papers) beside the next ones; whatever goes wrong in the
  child, the parent computes it again, so nothing differs from a one-process build.
- `alongside`: work with effects (half of the site's files written into the staging folder)
  beside the parent's own half. It cannot simply be redone, so its error is raised in the
  parent as the child raised it, a child that dies is an error, and a parent that stops
  waiting kills it first: no process outlives the build.

`sitegen build` is single-threaded Python; related papers need only the catalog, so they can be
computed beside notes and classification. The child gets everything by `fork` (nothing is
pickled on the way in) and sends back one pickle. Whatever goes wrong in the child (it raises,
dies or is killed), the parent computes the same pure function itself, so the result and any
error are exactly those of a one-process build.

A process running other threads is never forked (a lock held by one of them would stay held in
the child forever): the watch loop and the server, and any caller with threads, run inline.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import threading
from typing import Callable, Generic, TypeVar

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


class Worker(Generic[T]):
    """`work()` running in a forked child (or, where forking is unsafe, run here on `wait`)."""

    def __init__(self, work: Callable[[], T]):
        self._work, self._pid, self._pipe = work, None, None
        if not _forkable():
            return
        parent = os.getpid()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _child(work, write_end, parent)
        os.close(write_end)
        self._pid, self._pipe = pid, read_end

    def wait(self) -> T:
        """The child's value, or what it raised; `ChildProcessError` (an `OSError`) if it died."""
        if self._pid is None:
            return self._work()
        with os.fdopen(self._pipe, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not data:
            raise ChildProcessError(0, f"the worker process ended without finishing ({_ended(status)})")
        done, value = pickle.loads(data)
        if not done:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child (the parent's own part failed) and reap it."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.close(self._pipe)
            os.waitpid(self._pid, 0)
            self._pid = None


def alongside(work: Callable[[], T]) -> Worker[T]:
    """Begin `work()` on another core when that is safe; `wait()` for its value."""
    return Worker(work)


def _child(work: Callable[[], object], write_end: int, parent: int) -> None:
    """Run `work` in the child, send back its value or its exception, and leave without
    running the parent's exit code."""
    status = 1
    try:
        _die_with(parent)
        try:
            reply = (True, work())
        except Exception as exc:  # sent to the parent, which raises it
            reply = (False, exc)
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that does not pickle still says what it was
            data = pickle.dumps((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]} ({exc})")))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:
        os._exit(status)


_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when its parent dies (Linux): a build killed with
    SIGKILL must not leave a writer behind in its staging folder."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _ended(status: int) -> str:
    return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.waitstatus_to_exitcode(status)}"
