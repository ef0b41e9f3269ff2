"""Reading ``/proc/<pid>``: the one place where OS errors are translated.

Processes and fds come and go while we read (proc(5)); that is normal, not an
error. Every ``OSError`` raised by a read of ``/proc`` becomes one of two
outcomes here: :class:`Gone` (the process or the fd vanished: ENOENT, ESRCH)
or :class:`Denied` (EACCES, EPERM: ptrace access mode checks, proc(5)
"/proc/pid/fd"). Everything else is a real failure and propagates.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Container
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "Denied",
    "FdInfo",
    "Gone",
    "ProcInfo",
    "RawFd",
    "all_pids",
    "parse_fdinfo",
    "parse_stat",
    "read_comm",
    "read_fds",
    "read_procinfo",
    "stat_target",
    "translate",
]

_GONE = frozenset({errno.ENOENT, errno.ESRCH})
_DENIED = frozenset({errno.EACCES, errno.EPERM})


class Gone(Exception):
    """The process or fd vanished while we looked."""


class Denied(Exception):
    """The kernel would not tell us (permission denied)."""


def translate(exc: OSError) -> Exception:
    """The outcome an ``OSError`` from ``/proc`` stands for: Gone, Denied, or itself."""
    if exc.errno in _GONE:
        return Gone(str(exc))
    if exc.errno in _DENIED:
        return Denied(str(exc))
    return exc


@dataclass(frozen=True, slots=True)
class ProcInfo:
    name: str
    argv: tuple[str, ...]
    ppid: int
    state: str  # the one-letter state of proc(5) /proc/pid/stat: R S D Z T ...


@dataclass(frozen=True, slots=True)
class FdInfo:
    pos: int
    flags: int  # octal in fdinfo; open(2) flags, O_CLOEXEC included
    tfds: tuple[int, ...] = ()  # eventpoll: the fds it watches
    extra: tuple[tuple[str, str], ...] = ()  # other "key: value" lines, e.g. eventfd-count


class RawFd(NamedTuple):
    """One fd as read, before any parsing. A NamedTuple, not a dataclass: it is made once
    per fd on the hot path, and a tuple is built several times faster than a frozen dataclass."""

    fd: int
    link: str  # readlink of /proc/pid/fd/N: "pipe:[123]", "/dev/null", ...
    info: bytes | None  # the fdinfo text; None when not asked for. See pos_flags, parse_fdinfo.


def all_pids() -> list[int]:
    """Every process id in ``/proc``, ascending (threads are not listed there)."""
    return sorted(int(n) for n in os.listdir("/proc") if n.isdigit())


def parse_stat(text: str) -> tuple[str, str, int]:
    """``/proc/pid/stat`` -> (comm, state, ppid). The comm may hold spaces and ')'.

    >>> parse_stat("42 (my (odd) cmd) S 1 42 42 0 -1")
    ('my (odd) cmd', 'S', 1)
    """
    head, _, tail = text.rpartition(")")
    fields = tail.split()
    return head.partition("(")[2], fields[0], int(fields[1])


def read_procinfo(pid: int) -> ProcInfo:
    """Name, argv, ppid and state of ``pid``; raises Gone or Denied."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            comm, state, ppid = parse_stat(fh.read())
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise translate(exc) from None
    argv = tuple(a.decode(errors="replace") for a in raw.split(b"\0")[:-1])
    return ProcInfo(comm, argv, ppid, state)


def read_comm(pid: int) -> str:
    """The command name of ``pid``, or "?" when it is gone or hidden."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().rstrip("\n")
    except OSError:
        return "?"


def parse_fdinfo(text: str) -> FdInfo:
    r"""``/proc/pid/fdinfo/N`` -> FdInfo (proc(5)). ``flags`` is octal there.

    >>> parse_fdinfo("pos:\t5\nflags:\t02004002\nmnt_id:\t15\nino:\t7\n").flags == 0o2004002
    True
    >>> parse_fdinfo("pos:\t0\nflags:\t02\ntfd:        3 events:       19 data: 3\n").tfds
    (3,)
    """
    pos = flags = 0
    tfds: list[int] = []
    extra: list[tuple[str, str]] = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        match key:
            case "pos":
                pos = int(value)
            case "flags":
                flags = int(value, 8)
            case "tfd":
                tfds.append(int(value.split()[0]))
            case "mnt_id" | "ino" | "":
                pass
            case _:
                extra.append((key, value.strip()))
    return FdInfo(pos, flags, tuple(tfds), tuple(extra))


def read_fds(
    pid: int, fd_range: Container[int] | None = None, *, with_info: bool = True
) -> list[RawFd]:
    """The fd table of ``pid`` (proc(5) /proc/pid/fd and fdinfo).

    Raises Gone or Denied for the whole table; an fd closed mid-scan is skipped.
    The directory fds keep each per-fd call to one path lookup of one name.
    """
    try:
        dir_fd = os.open(f"/proc/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise translate(exc) from None
    try:
        names = _fd_names(dir_fd, fd_range)
        if pid == os.getpid():  # reading ourselves: leave out the directory fds of this read
            names = [fd for fd in names if fd != dir_fd]
        info_fd = os.open(f"/proc/{pid}/fdinfo", os.O_RDONLY | os.O_DIRECTORY) if with_info else -1
        try:
            if pid == os.getpid():
                names = [fd for fd in names if fd != info_fd]
            return _read_links(dir_fd, info_fd, names)
        finally:
            if info_fd >= 0:
                os.close(info_fd)
    except OSError as exc:
        raise translate(exc) from None
    finally:
        os.close(dir_fd)


def _fd_names(dir_fd: int, fd_range: Container[int] | None) -> list[int]:
    fds = sorted(int(n) for n in os.listdir(dir_fd))
    return fds if fd_range is None else [fd for fd in fds if fd in fd_range]


def _read_links(dir_fd: int, info_fd: int, fds: list[int]) -> list[RawFd]:
    """The hot loop: one readlink and one small read per fd, nothing parsed yet."""
    out: list[RawFd] = []
    readlink, open_, read, close, rdonly = os.readlink, os.open, os.read, os.close, os.O_RDONLY
    for fd in fds:
        name = str(fd)
        try:
            link = readlink(name, dir_fd=dir_fd)
            info = None
            if info_fd >= 0:
                handle = open_(name, rdonly, dir_fd=info_fd)
                try:
                    info = read(handle, 65536)
                finally:
                    close(handle)
        except OSError as exc:
            if isinstance(translate(exc), Gone):
                continue  # closed while we looked: skip it, as psutil does
            raise
        out.append(RawFd(fd, link, info))
    return out


def pos_flags(info: bytes) -> tuple[int, int]:
    r"""The first two lines of fdinfo, fast: position and (octal) flags (proc(5)).

    >>> pos_flags(b"pos:\t5\nflags:\t02004002\nmnt_id:\t15\n")
    (5, 526338)
    """
    first, second, _ = info.split(b"\n", 2)
    if first.startswith(b"pos:") and second.startswith(b"flags:"):
        return int(first[4:]), int(second[6:], 8)
    parsed = parse_fdinfo(info.decode(errors="replace"))
    return parsed.pos, parsed.flags


def stat_target(pid: int, fd: int) -> os.stat_result | None:
    """stat(2) of what ``/proc/pid/fd/N`` points to, or None if it vanished or is hidden."""
    try:
        return os.stat(f"/proc/{pid}/fd/{fd}")
    except OSError as exc:
        if isinstance(translate(exc), Gone | Denied):
            return None
        raise


def read_syscall(pid: int) -> tuple[int, int] | None:
    r"""The system call ``pid`` sleeps in and its first argument, from /proc/pid/syscall.

    proc(5): "NR arg1 ... sp pc" while blocked, "running" or "-1 sp pc" otherwise.
    Reading it needs ptrace access; None where denied, gone or not in a call.

    >>> _parse_syscall("0 0x3 0x7ffd 0x1000 0x0 0x0 0x0 0x7ffd 0x7f12")
    (0, 3)
    """
    try:
        with open(f"/proc/{pid}/syscall", encoding="ascii") as fh:
            return _parse_syscall(fh.read())
    except OSError:
        return None


def _parse_syscall(text: str) -> tuple[int, int] | None:
    parts = text.split()
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    return int(parts[0]), int(parts[1], 16)
