"""Random scripts: the calls, fds and sizes that find where two kernels differ.

One generator serves both a seeded ``random.Random`` (for :func:`check`) and
hypothesis (the tests): it asks a :class:`Chooser` for every decision.
Sizes cluster where Linux's rules change: 0, around PIPE_BUF (4096) and the
page, and past a pipe's 65,536-byte capacity. Fds run a little past the
ones in use, so EBADF and dup2 onto open fds come up too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

from iochannels.fidelity.script import (
    APPEND,
    CLOEXEC,
    CREATE,
    NONBLOCK,
    PATHS,
    TRUNC,
    Op,
    Script,
)

__all__ = ["SIZES", "Chooser", "RandomChooser", "random_script", "script_from"]

T = TypeVar("T")

SIZES = (0, 1, 7, 100, 3000, 4095, 4096, 4097, 8192, 20000, 61440, 65535, 65536, 70000)
READ_SIZES = (0, 1, 7, 100, 4096, 5000, 65536, 100000)
WEIGHTED_CALLS = (
    ("pipe", 8), ("socketpair", 6), ("dup", 5), ("dup2", 5), ("close", 9), ("read", 11),
    ("write", 13), ("recv", 5), ("send", 6), ("set_nonblock", 7), ("set_cloexec", 3),
    ("shutdown", 4), ("fork", 3), ("open", 7), ("lseek", 3), ("mkfifo", 2),
    ("socket", 4), ("bind", 4), ("listen", 3), ("accept", 3), ("connect", 5),
    ("sendto", 4), ("recvfrom", 4),
)
OPEN_FLAGS = (0, CREATE, CREATE, CREATE | TRUNC, CREATE | APPEND, APPEND, TRUNC, NONBLOCK,
              CREATE | NONBLOCK, CREATE | CLOEXEC, NONBLOCK | APPEND)
OFFSETS = (0, 1, 100, 5000, -1, -100)
MAX_PROCS = 4


class Chooser(Protocol):
    def integer(self, low: int, high: int) -> int: ...

    def pick(self, options: Sequence[T]) -> T: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)


_CALL_TABLE = tuple(call for call, weight in WEIGHTED_CALLS for _ in range(weight))


def _fd(c: Chooser) -> int:
    return c.pick((0, 1, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 12, 15, 17))


def _op(c: Chooser, procs: int) -> Op:
    proc = c.integer(0, procs - 1)
    call = c.pick(_CALL_TABLE)
    if call == "fork" and procs >= MAX_PROCS:
        call = "close"
    match call:
        case "pipe":
            args: tuple[int, ...] = (c.pick((0, 0, 1)), c.pick((0, 0, 1)))
        case "socketpair":
            args = (c.pick((0, 1)),)
        case "dup" | "close":
            args = (_fd(c),)
        case "dup2":
            args = (_fd(c), _fd(c))
        case "sendto":
            args = (_fd(c), c.pick((0, 1, 100, 4096)), c.pick((4, 4, 5, 2)))
        case "read" | "recv" | "recvfrom":
            args = (_fd(c), c.pick(READ_SIZES))
        case "write" | "send":
            args = (_fd(c), c.pick(SIZES))
        case "set_nonblock" | "set_cloexec":
            args = (_fd(c), c.pick((1, 1, 0)))
        case "shutdown":
            args = (_fd(c), c.integer(0, 2))
        case "open":
            args = (c.integer(0, len(PATHS) - 1), c.integer(0, 2), c.pick(OPEN_FLAGS))
        case "lseek":
            args = (_fd(c), c.pick(OFFSETS), c.integer(0, 2))
        case "mkfifo":
            args = (c.pick((2, 2, 3, 0)),)
        case "socket":
            args = (c.pick((0, 0, 1)),)
        case "bind" | "connect":
            args = (_fd(c), c.pick((4, 4, 5, 2, 0)))
        case "listen":
            args = (_fd(c), c.pick((0, 1, 2, 5)))
        case "accept":
            args = (_fd(c),)
        case _:
            args = ()
    return Op(proc, call, args)


def script_from(c: Chooser, length: int) -> Script:
    """A script of ``length`` steps; fds and processes drawn from those it may have."""
    steps: list[Op] = []
    procs = 1
    for _ in range(length):
        op = _op(c, procs)
        procs += op.call == "fork"
        steps.append(op)
    return Script(tuple(steps), max_files=c.pick((8, 16, 16)))


def random_script(rng: random.Random, low: int = 4, high: int = 24) -> Script:
    chooser = RandomChooser(rng)
    return script_from(chooser, chooser.integer(low, high))
