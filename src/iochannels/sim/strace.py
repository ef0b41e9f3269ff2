"""System calls as strace prints them: the ``args`` and ``result`` of each Event.

``write(4, "Hello, world!\\n", 14) = 14``, ``read(3, 100) <blocked>`` then
``read(3, "Hello, world!\\n", 100) = 14``, ``pipe([3, 4]) = 0``.
"""

from __future__ import annotations

from typing import Any

from iochannels.sim.process import Call
from iochannels.sim.sockets import show_addr

__all__ = ["describe", "quote", "strace_name"]

QUOTE_LIMIT = 32  # strace -s 32, its default string size
PATH_MAX = 4096  # strace prints a path whole (limits.h: PATH_MAX)
Arg = str | int


def quote(data: bytes, limit: int = QUOTE_LIMIT) -> str:
    """``b"hi\\n"`` -> ``'"hi\\\\n"'``; longer than ``limit`` bytes ends with ``...``."""
    text = repr(data[:limit])[2:-1].replace('"', '\\"').replace("\\'", "'")
    return f'"{text}"' + ("..." if len(data) > limit else "")


def path(name: str) -> str:
    """A path as strace quotes it, whole: ``'a"b\\n'`` -> ``'"a\\\\"b\\\\n"'``.

    >>> print(path('a"b\\n'), path("caf\\udcc3"))
    "a\\"b\\n" "caf\\xc3"
    """
    return quote(name.encode("utf-8", "surrogateescape"), PATH_MAX)


def _addr(addr: Any) -> str:
    shown = show_addr(addr)
    return "NULL" if shown is None else path(shown) if isinstance(addr, str) else shown


def describe(call: Call, value: Any = None, done: bool = False) -> tuple[tuple[Arg, ...], Any]:
    """(args, result) of ``call``; ``done`` with its ``value`` once it completed."""
    a = call.args
    match call.name:
        case "read" | "recv" if done:
            return (a[0], quote(value), a[1]), len(value)
        case "recvfrom" if done:
            return (a[0], quote(value[0]), a[1], _addr(value[1])), len(value[0])
        case "read" | "recv" | "recvfrom":
            return (a[0], a[1]), None
        case "write" | "send":
            return (a[0], quote(a[1]), len(a[1])), value
        case "sendto":
            return (a[0], quote(a[1]), len(a[1]), _addr(a[2])), value
        case "pipe" | "socketpair" if done:
            head = () if call.name == "pipe" else ('"unix"', f'"{a[0]}"')
            return (*head, f"[{value[0]}, {value[1]}]"), 0
        case "accept" if done:
            return (a[0], _addr(value[1])), value[0]
        case "wait" if done:
            return (a[0], f"status={value[1]}"), value[0]
        case "open":
            return (path(a[0]), _open_flags(a)), value
        case "bind" | "connect":
            return (a[0], _addr(a[1])), value
        case "fork":
            return (), value
        case "exec":
            return (path(a[1][0]) if a[1] else '"?"', "[" + ", ".join(
                path(s) for s in a[1]) + "]"), 0
        case "set_nonblock":
            return (a[0], "F_SETFL", "O_NONBLOCK" if a[1] else "0"), value
        case "set_cloexec":
            return (a[0], "F_SETFD", "FD_CLOEXEC" if a[1] else "0"), value
        case "shutdown":
            how = {"r": "SHUT_RD", "w": "SHUT_WR", "rw": "SHUT_RDWR"}.get(a[1], a[1])
            return (a[0], how), value
        case "mkfifo" | "unlink":
            return (path(a[0]),), value
        case "socket":
            return (f'"{a[0]}"', f'"{a[1]}"'), value
        case _:
            return tuple(x if isinstance(x, int | str) else str(x) for x in a), value


def _open_flags(a: tuple[Any, ...]) -> str:
    _, mode, create, truncate, append, nonblock, cloexec = a
    flags = [{"r": "O_RDONLY", "w": "O_WRONLY", "rw": "O_RDWR"}.get(mode, str(mode))]
    for name, on in (("O_CREAT", create), ("O_TRUNC", truncate), ("O_APPEND", append),
                     ("O_NONBLOCK", nonblock), ("O_CLOEXEC", cloexec)):
        if on:
            flags.append(name)
    return "|".join(flags)


def strace_name(call: str) -> str:
    """The traced name of a simulated call: ``set_nonblock`` and ``set_cloexec`` are fcntl."""
    return "fcntl" if call in ("set_nonblock", "set_cloexec") else call
