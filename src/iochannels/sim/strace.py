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
PATH_MAX = 4096  # strace prints a path whole (limits.h: PATH_MAX)
Arg = str | int
Args = tuple[Any, ...]
Printer = Callable[[Args, Any, bool], tuple[tuple[Arg, ...], Any]]


def quote(data: bytes, limit: int = QUOTE_LIMIT) -> str:
    """``b"hi\\n"`` -> ``'"hi\\\\n"'``; longer than ``limit`` bytes ends with ``...``."""
    text = repr(data[:limit])[2:-1].replace('"', '\\"').replace("\\'", "'")
    return f'"{text}"' + ("..." if len(data) > limit else "")


def quoted_path(name: str) -> str:
    """A path as strace quotes it, whole: ``'a"b\\n'`` -> ``'"a\\\\"b\\\\n"'``.

    >>> print(quoted_path('a"b\\n'), quoted_path("caf\\udcc3"))
    "a\\"b\\n" "caf\\xc3"
    """
    return quote(name.encode("utf-8", "surrogateescape"), PATH_MAX)


def _addr(addr: Any) -> str:
    shown = show_addr(addr)
    return "NULL" if shown is None else quoted_path(shown) if isinstance(addr, str) else shown


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
    """``pipe([3, 4]) = 0``: the fds it made, in strace's brackets; with flags it is
    ``pipe2([3, 4], O_NONBLOCK) = 0`` (see :func:`pipe_name`); failed, ``pipe() = -1``."""
    flags = _flags(("O_NONBLOCK", a[0]), ("O_CLOEXEC", a[1]))
    made = (f"[{value[0]}, {value[1]}]",) if done else ()
    return (*made, *((flags,) if flags != "0" else ())), 0 if done else value


def pipe_name(a: Args) -> str:
    """pipe(2) without flags, pipe2 with them, as strace names what the program called."""
    return "pipe2" if any(a) else "pipe"


def _flags(*named: tuple[str, Any]) -> str:
    """``O_NONBLOCK|O_CLOEXEC`` for the names whose value is true; ``0`` for none."""
    return "|".join(name for name, on in named if on) or "0"


FCNTL_FLAGS = (("O_NONBLOCK", 0o4000), ("O_APPEND", 0o2000), ("O_LARGEFILE", 0o100000))
ACCESS_NAMES = ("O_RDONLY", "O_WRONLY", "O_RDWR")
FCNTL_NAMES = {0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL",
               1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ", 1032: "F_GETPIPE_SZ"}


def _status_flags(value: int, access: bool) -> str:
    names = [ACCESS_NAMES[value & 3]] if access and value & 3 < 3 else []
    names += [name for name, bit in FCNTL_FLAGS if value & bit]
    return "|".join(names) or "0"


def fcntl(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``fcntl(3, F_SETFL, O_NONBLOCK) = 0``, ``fcntl(3, F_GETFL) = 0x802 (flags
    O_RDWR|O_NONBLOCK)``, ``fcntl(3, F_DUPFD, 10) = 10``, as strace prints them."""
    fd, cmd, arg = a
    name = cmd if isinstance(cmd, str) else FCNTL_NAMES.get(cmd, str(cmd))
    match name:
        case "F_GETFL" | "F_GETFD" | "F_GETPIPE_SZ":
            shown: tuple[Arg, ...] = (fd, name)
        case "F_SETFL":
            shown = (fd, name, _status_flags(arg, access=False))
        case "F_SETFD":
            shown = (fd, name, "FD_CLOEXEC" if arg & 1 else "0")
        case _:
            shown = (fd, name, arg)
    if done and name == "F_GETFL":
        return shown, f"{value:#x} (flags {_status_flags(value, access=True)})"
    if done and name == "F_GETFD":
        return shown, f"{value:#x} (flags {'FD_CLOEXEC' if value else '0'})"
    return shown, value


def dup3(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (a[0], a[1], "O_CLOEXEC" if a[2] else "0"), value


def signal(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``signal(SIGPIPE, SIG_IGN) = SIG_DFL``: the old disposition comes back."""
    signum = "SIGPIPE" if a[0] == 13 else a[0]
    handler = ("SIG_DFL", "SIG_IGN")[a[1]] if isinstance(a[1], int) and 0 <= a[1] < 2 else a[1]
    return (str(signum), str(handler)), value


def waitpid(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``waitpid(-1, status=0, WNOHANG) = 101``; ``= 0`` while the children run."""
    options = "WNOHANG" if a[1] & 1 else "0"
    if done and value[0]:
        return (a[0], f"status={value[1]}", options), value[0]
    return (a[0], options), value[0] if done else value


def sockname(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``getsockname(3, "sock") = 0``: the address it found."""
    return ((a[0], _addr(value)), 0) if done else ((a[0],), value)


def _rights(fds: Any) -> str:
    return "SCM_RIGHTS=[" + ", ".join(str(fd) for fd in fds) + "]"


def sendmsg(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``sendmsg(4, "hi", 2, SCM_RIGHTS=[3]) = 2``: the fds it passes."""
    fd, data, fds, addr = a
    shown: tuple[Arg, ...] = (fd, quote(data), len(data))
    shown += (_rights(fds),) if fds else ()
    shown += (_addr(addr),) if addr is not None else ()
    return shown, value


def recvmsg(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``recvmsg(4, "hi", 100, SCM_RIGHTS=[5]) = 2``: the new fds it got."""
    if not done:
        return (a[0], a[1]), None
    data, fds = value
    return (a[0], quote(data), a[1], *((_rights(fds),) if fds else ())), len(data)


POLL_EVENTS = (("POLLIN", 0x1), ("POLLPRI", 0x2), ("POLLOUT", 0x4), ("POLLERR", 0x8),
               ("POLLHUP", 0x10), ("POLLNVAL", 0x20), ("POLLRDHUP", 0x2000))


def poll_events(mask: int) -> str:
    """``POLLIN|POLLOUT`` for 0x5."""
    return "|".join(name for name, bit in POLL_EVENTS if mask & bit) or "0"


def poll(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``poll([{fd=3, events=POLLIN}], 1, -1) = 1 ([{fd=3, revents=POLLIN}])``."""
    fds, timeout = a
    asked = ", ".join(f"{{fd={fd}, events={poll_events(ev)}}}" for fd, ev in fds)
    shown: tuple[Arg, ...] = (f"[{asked}]", len(fds), timeout)
    if not done:
        return shown, value
    if not value:
        return shown, "0 (Timeout)"
    got = ", ".join(f"{{fd={fd}, revents={poll_events(ev)}}}" for fd, ev in value)
    return shown, f"{len(value)} ([{got}])"


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
    return (quoted_path(a[0]), "|".join(flags)), value


def fd_addr(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``bind(3, "sock")``, ``connect(3, 127.0.0.1:80)``."""
    return (a[0], _addr(a[1])), value


def fork(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (), value


def exec_(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``exec("cat", ["cat"]) = 0``: the argv; the program is not printed."""
    argv = a[1]
    return (quoted_path(argv[0]) if argv else '"?"',
            "[" + ", ".join(quoted_path(s) for s in argv) + "]"), 0


def exit_(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``exit(0) = ?``: it never returns."""
    return plain(a, None, done)[0], None


def set_nonblock(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (a[0], "F_SETFL", "O_NONBLOCK" if a[1] else "0"), value


def set_cloexec(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (a[0], "F_SETFD", "FD_CLOEXEC" if a[1] else "0"), value


def shutdown(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    names = {"r": "SHUT_RD", "w": "SHUT_WR", "rw": "SHUT_RDWR", 0: "SHUT_RD", 1: "SHUT_WR",
             2: "SHUT_RDWR"}
    how = names.get(a[1]) if isinstance(a[1], int | str) else None
    how = how or a[1]
    return (a[0], how), value


def path(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    """``mkfifo("f") = 0``."""
    return (quoted_path(a[0]),), value


def socket(a: Args, value: Any, done: bool) -> tuple[tuple[Arg, ...], Any]:
    return (f'"{a[0]}"', f'"{a[1]}"'), value
