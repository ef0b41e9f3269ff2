"""The processes a measure starts: forked, pinned, ended and reaped whatever happens.

A child runs one function and leaves with ``os._exit``: it never returns into the
parent's code, never flushes the parent's buffers, and never runs its cleanup twice.
It asks the kernel to kill it when its parent dies (prctl(2), PR_SET_PDEATHSIG), so a
bench killed with SIGKILL leaves no sender behind, and takes Ctrl-C's SIGINT with the
default action (signal(7)): a terminal's Ctrl-C goes to the whole process group.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable, Iterator

__all__ = ["fork_child", "pin", "pinned", "reap"]

_PR_SET_PDEATHSIG = 1


def pin(cpu: int | None) -> None:
    """Keep this process on one CPU (sched_setaffinity(2)); None leaves it free."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


@contextlib.contextmanager
def pinned(cpu: int | None) -> Iterator[None]:
    """This process on ``cpu`` for the length of a ``with`` block, then as it was: the
    bench's caller (a test, the tour) keeps the CPUs it had."""
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    pin(cpu)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request: go now
        os._exit(1)


def fork_child(body: Callable[[], None], cpu: int | None) -> int:
    """Run ``body`` in a child process pinned to ``cpu``; its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        _die_with_parent(parent)
        pin(cpu)
        body()
        status = 0
    except Exception as exc:  # said in one line; the parent reports the measure failed
        os.write(2, f"iochannels bench: a measuring process failed: {exc!r}\n".encode())
    finally:
        os._exit(status)  # the child must never return into the parent's code


def reap(pid: int, wait: float = 2.0) -> int:
    """Wait for ``pid`` up to ``wait`` seconds, then kill it; its exit status."""
    deadline = time.monotonic() + wait
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return 0
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.002)


@contextlib.contextmanager
def child(body: Callable[[], None], cpu: int | None) -> Iterator[int]:
    """A child for the length of a ``with`` block: killed and reaped if the block fails."""
    pid = fork_child(body, cpu)
    try:
        yield pid
    except BaseException:
        reap(pid, wait=0)
        raise
