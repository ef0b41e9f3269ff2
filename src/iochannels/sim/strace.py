"""System calls as strace prints them: the ``args`` and ``result`` of each Event.

``write(4, "Hello, world!\\n", 14) = 14``, ``read(3, 100) <blocked>`` then
``read(3, "Hello, world!\\n", 100) = 14``, ``pipe([3, 4]) = 0``.

Each function here prints one shape of call; the call table
(:mod:`iochannels.sim.calltable`) says which one each call uses. A printer gets the
call's arguments, its value (None while it waits or when it failed) and ``done``
(it returned a value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iochannels.sim.sockets import show_addr

__all__ = ["Printer", "quote"]

QUOTE_LIMIT = 32  # strace -s 32, its default string size
Arg = str | int
Args = tuple[Any, ...]
Printer = Callable[[Args, Any, bool], tuple[tuple[Arg, ...], Any]]


def quote(data: bytes, limit: int = QUOTE_LIMIT) -> str:
    """``b"hi\\n"`` -> ``'"hi\\\\n"'``; longer than ``limit`` bytes ends with ``...``."""
    text = repr(data[:limit])[2:-1].replace('"', '\\"').replace("\\'", "'")
    return f'"{text}"' + ("..." if len(data) > limit else "")


def _addr(addr: Any) -> str:
    shown = show_addr(addr)
    return "NULL" if shown is None else f'"{shown}"' if isinstance(addr, str) else shown


def plain(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``close(3) = 0``: every argument as it is."""
    return tuple(x if isinstance(x, int | str) else str(x) for x in a), value


def read(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``read(3, 100) <blocked>``, then ``read(3, "hi", 100) = 2``."""
    if done:
        return (a[0], quote(value), a[1]), len(value)
    return (a[0], a[1]), None


def recvfrom(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    if done:
        return (a[0], quote(value[0]), a[1], _addr(value[1])), len(value[0])
    return (a[0], a[1]), None


def write(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (a[0], quote(a[1]), len(a[1])), value


def sendto(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (a[0], quote(a[1]), len(a[1]), _addr(a[2])), value


def pipe(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``pipe([3, 4]) = 0``: the fds it made, in strace's brackets."""
    if done:
        return (f"[{value[0]}, {value[1]}]",), 0
    return plain(a, value, done)


def socketpair(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    if done:
        return ('"unix"', f'"{a[0]}"', f"[{value[0]}, {value[1]}]"), 0
    return plain(a, value, done)


def accept(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    if done:
        return (a[0], _addr(value[1])), value[0]
    return plain(a, value, done)


def wait(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    if done:
        return (a[0], f"status={value[1]}"), value[0]
    return plain(a, value, done)


def open_(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``open("f", O_WRONLY|O_CREAT) = 3``."""
    _, mode, create, truncate, append, nonblock, cloexec = a
    flags = [{"r": "O_RDONLY", "w": "O_WRONLY", "rw": "O_RDWR"}.get(mode, str(mode))]
    for name, on in (("O_CREAT", create), ("O_TRUNC", truncate), ("O_APPEND", append),
                     ("O_NONBLOCK", nonblock), ("O_CLOEXEC", cloexec)):
        if on:
            flags.append(name)
    return (f'"{a[0]}"', "|".join(flags)), value


def fd_addr(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``bind(3, "sock")``, ``connect(3, 127.0.0.1:80)``."""
    return (a[0], _addr(a[1])), value


def fork(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (), value


def exec_(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``exec("cat", ["cat"]) = 0``: the argv; the program is not printed."""
    argv = a[1]
    return (f'"{argv[0] if argv else "?"}"', "[" + ", ".join(f'"{s}"' for s in argv) + "]"), 0


def exit_(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``exit(0) = ?``: it never returns."""
    return plain(a, None, done)[0], None


def set_nonblock(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (a[0], "F_SETFL", "O_NONBLOCK" if a[1] else "0"), value


def set_cloexec(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (a[0], "F_SETFD", "FD_CLOEXEC" if a[1] else "0"), value


def shutdown(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    how = {"r": "SHUT_RD", "w": "SHUT_WR", "rw": "SHUT_RDWR"}.get(a[1]) or a[1]
    return (a[0], how), value


def path(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``mkfifo("f") = 0``."""
    return (f'"{a[0]}"',), value


def socket(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (f'"{a[0]}"', f'"{a[1]}"'), value
