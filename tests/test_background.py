"""background.start: a pure stage on another core, with the one-process result in every case.

Each case runs in a fresh interpreter: whether a process may fork depends on its threads, and
the test runner's own process may have some left by other tests.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT


def run(body: str) -> str:
    code = "import os, threading\nfrom sitegen import background\nparent = os.getpid()\n" + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_value_is_computed_in_a_child_process():
    assert run("""
        pending = background.start(lambda: (os.getpid(), sum(range(1000))))
        pid, total = pending()
        print(pid != parent, total)
    """) == "True 499500"


def test_a_process_running_threads_computes_inline():
    assert run("""
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        print(background.start(lambda: os.getpid())() == parent)
        stop.set()
    """) == "True"


def test_a_failing_child_is_replaced_by_the_same_computation_here():
    assert run("""
        def compute():
            if os.getpid() != parent:
                raise MemoryError("only in the child")
            return "computed here"
        print(background.start(compute)())
    """) == "computed here"


def test_an_error_of_the_stage_itself_reaches_the_caller_and_no_child_is_left():
    assert run("""
        def compute():
            raise ValueError("bad input")
        pending = background.start(compute)
        try:
            pending()
        except ValueError as exc:
            print(exc)
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            print("no child left")
    """) == "bad input\nno child left"
