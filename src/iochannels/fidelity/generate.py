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
    EXIT_STATUSES,
    NONBLOCK,
    PATHS,
    PORTS,
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
    ("socket", 6), ("bind", 4), ("listen", 3), ("accept", 3), ("connect", 5),
    ("sendto", 4), ("recvfrom", 4), ("bind_in", 4), ("connect_in", 4), ("sendto_in", 4),
)
# The calls people write in exercises (fcntl, dup3, poll, socket names, waitpid WNOHANG,
# getpid, SIGPIPE ignored, SCM_RIGHTS): in every script now and then, and most of the
# calls of a script drawn with ``extra``.
NEW_CALLS = (
    ("fcntl", 6), ("dup3", 2), ("poll", 4), ("getsockname", 2), ("getpeername", 2),
    ("waitpid_nohang", 1), ("getpid", 1), ("getppid", 1), ("sigpipe_ignore", 1),
    ("sendmsg", 4), ("recvmsg", 4), ("exit", 2), ("wait_status", 2),
)
EXTRA_CALLS = (*NEW_CALLS, ("pipe", 3), ("socketpair", 4), ("write", 3), ("read", 3),
               ("close", 3), ("fork", 1), ("socket", 2), ("bind", 2), ("listen", 1),
               ("connect", 2), ("accept", 1))
FCNTL_ARGS = ((0, (0,)), (1, (0, 8, 4, 12)), (2, (0,)), (3, (0, 1)), (4, (0, 3, 5, 9, 16)),
              (5, (0, 5)), (6, (0,)), (7, (0, 4096, 5000, 65536, 100000, 2 << 20)))
OPEN_FLAGS = (0, CREATE, CREATE, CREATE | TRUNC, CREATE | APPEND, APPEND, TRUNC, NONBLOCK,
              CREATE | NONBLOCK, CREATE | CLOEXEC, NONBLOCK | APPEND, TRUNC | APPEND,
              CREATE | TRUNC | APPEND, TRUNC | NONBLOCK)
OFFSETS = (0, 1, 10, 100, 5000, 70000, -1, -100)
WHENCES = (0, 0, 1, 1, 2, 2, 3, 4, 5)  # SEEK_SET, CUR, END, DATA, HOLE, and no such one
MAX_PROCS = 4
DATAGRAM_SIZES = (0, 1, 100, 4096, 20000)


def _port(c: Chooser) -> int:
    return c.pick((0, 0, 0, 1, 1, len(PORTS)))  # len(PORTS): a port nobody binds


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


INET_CALLS = (  # TCP and UDP on 127.0.0.1, and what shares, closes and flags their fds
    ("socket", 4), ("bind_in", 4), ("listen", 3), ("accept", 5), ("connect_in", 6),
    ("sendto_in", 7), ("recvfrom", 7), ("recv", 7), ("send", 8), ("read", 3), ("write", 3),
    ("shutdown", 4), ("close", 6), ("set_nonblock", 5), ("dup", 2), ("dup2", 2), ("fork", 2),
)
DGRAM_CALLS = (  # UNIX datagram sockets held by three processes: connect, close, again
    ("connect", 9), ("sendto", 9), ("send", 6), ("recv", 4), ("recvfrom", 7), ("close", 5),
    ("bind", 3), ("socket", 3), ("shutdown", 2), ("set_nonblock", 2), ("dup2", 1),
    ("write", 1), ("read", 1), ("fork", 1),
)
DGRAM_PATHS = (4, 5, 6, 4, 5, 6, 9)  # s0, s1, s2, and the empty path
DGRAM_FDS = (3, 3, 4, 4, 5, 5, 6, 7)
# Plain scripts draw each new call now and then (weight 1), so that they keep their
# chances of reaching the areas above.
_CALL_TABLE = (*(call for call, weight in WEIGHTED_CALLS for _ in range(weight)),
               *(call for call, _ in NEW_CALLS))
_EXTRA_TABLE = tuple(call for call, weight in EXTRA_CALLS for _ in range(weight))
_DGRAM_TABLE = tuple(call for call, weight in DGRAM_CALLS for _ in range(weight))
_INET_TABLE = tuple(call for call, weight in INET_CALLS for _ in range(weight))


FDS = (0, 1, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 12, 15, 17)
INET_FDS = (0, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 7, 9)  # mostly the prologue's sockets


def _op(c: Chooser, procs: int, inet: bool = False, dgram: bool = False,
        extra: bool = False) -> Op:
    proc = c.integer(0, procs - 1)
    if dgram:
        return _dgram_op(c, proc, procs)
    call = c.pick(_INET_TABLE if inet else _EXTRA_TABLE if extra else _CALL_TABLE)
    fds = INET_FDS if inet else FDS

    def _fd(c: Chooser) -> int:
        return c.pick(fds)

    if call == "exit":  # a child exits (the first process holds the script together),
        if procs > 1:  # or, without one yet, the first process forks one
            proc = c.integer(1, procs - 1)
        else:
            call = "fork"
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
        case "sendto_in":
            args = (_fd(c), c.pick(DATAGRAM_SIZES), _port(c))
        case "bind_in":
            args = (_fd(c), c.pick((0, 0, 1, 2)))
        case "connect_in":
            args = (_fd(c), _port(c))
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
            args = (_fd(c), c.pick(OFFSETS), c.pick(WHENCES))
        case "mkfifo":
            args = (c.pick((2, 2, 3, 0)),)
        case "socket" if inet:
            args = (c.pick((2, 3)),)
        case "socket":
            args = (c.pick((0, 0, 1, 2, 2, 3, 3)),)
        case "bind" | "connect":
            args = (_fd(c), c.pick((4, 4, 5, 2, 0)))
        case "listen":
            args = (_fd(c), c.pick((0, 1, 2, 5)))
        case "accept" | "getsockname" | "getpeername":
            args = (_fd(c),)
        case "fcntl":
            cmd, values = c.pick(FCNTL_ARGS)
            args = (_fd(c), cmd, c.pick(values))
        case "dup3":
            args = (_fd(c), _fd(c), c.pick((0, 1)))
        case "poll":
            args = (_fd(c), c.pick((1, 4, 5)), c.pick((0, 0, 0, 1)))
        case "sendmsg":
            args = (_fd(c), c.pick((0, 1, 100)), c.pick((-1, 3, 4, 5, 99)))
        case "recvmsg":
            args = (_fd(c), c.pick(READ_SIZES))
        case "exit":
            args = (c.pick(EXIT_STATUSES),)
        case _:
            args = ()
    return Op(proc, call, args)


def _dgram_op(c: Chooser, proc: int, procs: int) -> Op:
    call = c.pick(_DGRAM_TABLE)
    if call == "fork" and procs >= MAX_PROCS:
        call = "recvfrom"
    fd = 3 + proc if proc < 3 and c.pick((0, 1, 1)) else c.pick(DGRAM_FDS)  # its own, mostly
    match call:
        case "connect" | "bind":
            args: tuple[int, ...] = (fd, c.pick(DGRAM_PATHS))
        case "sendto":
            args = (fd, c.pick((1, 100, 4096, 0)), c.pick(DGRAM_PATHS))
        case "send" | "write":
            args = (fd, c.pick((1, 100, 4096, 0)))
        case "recv" | "recvfrom" | "read":
            args = (fd, c.pick((0, 1, 100, 5000)))
        case "close":
            args = (fd,)
        case "socket":
            args = (1,)
        case "shutdown":
            args = (fd, c.integer(0, 2))
        case "set_nonblock":
            args = (fd, c.pick((1, 1, 0)))
        case "dup2":
            args = (fd, c.pick(DGRAM_FDS))
        case _:
            args = ()
    return Op(proc, call, args)


def _dgram_prologue(c: Chooser) -> list[Op]:
    """Three UNIX datagram sockets (at s0, s1, and s2, autobound or unnamed), mostly
    nonblocking, one per process: process i keeps fd 3 + i and closes the others, so
    that a close is the socket's last and its peers see it."""
    steps = [Op(0, "socket", (1,)), Op(0, "bind", (3, 4)), Op(0, "socket", (1,)),
             Op(0, "bind", (4, 5)), Op(0, "socket", (1,))]
    third = c.pick((6, 6, 9, None))
    if third is not None:
        steps.append(Op(0, "bind", (5, third)))
    for fd in (3, 4, 5):
        if c.pick((0, 1, 1, 1)):
            steps.append(Op(0, "set_nonblock", (fd, 1)))
    steps += [Op(0, "fork"), Op(0, "fork")]
    for proc in (0, 1, 2):
        steps += [Op(proc, "close", (fd,)) for fd in (3, 4, 5) if fd != 3 + proc]
    return steps


def _prologue(c: Chooser, starts: tuple[str, ...]) -> list[Op]:
    """Sometimes a start that random calls rarely find: a TCP connection (listener at
    fd 3, client 4, accepted 5) or two bound UDP sockets (3 and 4)."""
    match c.pick(starts):
        case "tcp":
            steps = [Op(0, "socket", (2,)), Op(0, "bind_in", (3, 0)),
                     Op(0, "listen", (3, c.pick((0, 1, 5)))), Op(0, "socket", (2,))]
            if c.pick((0, 1)):
                steps.append(Op(0, "set_nonblock", (4, 1)))
            steps += [Op(0, "connect_in", (4, 0)), Op(0, "accept", (3,))]
            ends = (4, 5)
        case "udp":
            steps = [Op(0, "socket", (3,)), Op(0, "bind_in", (3, 0)), Op(0, "socket", (3,)),
                     Op(0, "bind_in", (4, 1))][: c.pick((3, 4))]
            ends = (3, 4)
        case _:
            return []
    for fd in ends:  # nonblocking ends keep a lone process going after an empty read
        if c.pick((0, 1)):
            steps.append(Op(0, "set_nonblock", (fd, 1)))
    return steps + [Op(0, "fork")] * c.pick((0, 0, 1))


def script_from(c: Chooser, length: int, inet: bool = False, dgram: bool = False,
                extra: bool = False) -> Script:
    """A script of ``length`` steps; fds and processes drawn from those it may have.

    ``inet``: only TCP and UDP calls (and close, dup, fork, O_NONBLOCK), after a
    TCP connection or two UDP sockets. ``dgram``: UNIX datagram sockets in three
    processes that connect, send, close and connect again. ``extra``: mostly the calls
    people write in exercises (``EXTRA_CALLS``).
    """
    if dgram:
        steps = _dgram_prologue(c)
    else:
        steps = _prologue(c, ("tcp", "tcp", "udp") if inet else
                          ("none", "none", "none", "tcp", "udp"))
    procs = 1 + sum(op.call == "fork" for op in steps)
    for _ in range(length):
        op = _op(c, procs, inet, dgram, extra)
        procs += op.call == "fork"
        steps.append(op)
    return Script(tuple(steps), max_files=c.pick((8, 16, 16)))


def random_script(rng: random.Random, low: int = 4, high: int = 24) -> Script:
    """A random script: one in three a TCP and UDP one (``script_from(inet=True)``), one in
    six a UNIX datagram one (``dgram=True``), one in six mostly the calls people write in
    exercises (``extra=True``)."""
    chooser = RandomChooser(rng)
    kind = chooser.integer(0, 5)
    return script_from(chooser, chooser.integer(low, high), kind < 2, kind == 2, kind == 3)
