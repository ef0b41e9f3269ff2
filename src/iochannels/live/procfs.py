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
from typing import NamedTuple

__all__ = [
    "Denied",
    "FdInfo",
    "Gone",
    "Links",
    "ProcInfo",
    "RawFd",
    "all_pids",
    "file_key",
    "parse_fdinfo",
    "parse_stat",
    "read_comm",
    "read_fd_flags",
    "read_fds",
    "read_ppid",
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


class ProcInfo(NamedTuple):
    name: str
    argv: tuple[str, ...]
    ppid: int
    state: str  # the one-letter state of proc(5) /proc/pid/stat: R S D Z T ...


class FdInfo(NamedTuple):
    pos: int
    flags: int  # octal in fdinfo; open(2) flags, O_CLOEXEC included
    tfds: tuple[int, ...] = ()  # eventpoll: the fds it watches
    extra: tuple[tuple[str, str], ...] = ()  # other "key: value" lines, e.g. eventfd-count


class RawFd(NamedTuple):
    """One fd as read, before any parsing. The records of ``live`` are NamedTuples, not
    dataclasses: some are made once per fd, and a tuple is built several times faster than
    a frozen dataclass; the class itself is made ~8x faster too (start-up time)."""

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
        # Names keep a byte that is not UTF-8 as os.fsdecode does (PEP 383): the views show
        # it as \xff, the JSON carries it exactly.
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="surrogateescape") as fh:
            comm, state, ppid = parse_stat(fh.read())
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise translate(exc) from None
    argv = tuple(map(os.fsdecode, raw.split(b"\0")[:-1]))
    return ProcInfo(comm, argv, ppid, state)


def read_ppid(pid: int) -> int:
    """The parent of ``pid`` (proc(5) /proc/pid/stat); raises Gone or Denied."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            return parse_stat(fh.read())[2]
    except OSError as exc:
        raise translate(exc) from None


def read_fd_flags(pid: int, fd: int) -> int | None:
    """The open(2) flags of one fd from its fdinfo, or None where it is gone or hidden."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as fh:
            return pos_flags(fh.read())[1]
    except OSError as exc:
        if isinstance(translate(exc), Gone | Denied):
            return None
        raise


def read_comm(pid: int) -> str:
    """The command name of ``pid``, or "?" when it is gone or hidden."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="surrogateescape") as fh:
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
    pid: int,
    fd_range: Container[int] | None = None,
    *,
    with_info: bool = True,
    links: Links | None = None,
) -> list[RawFd]:
    """The fd table of ``pid`` (proc(5) /proc/pid/fd and fdinfo).

    Raises Gone or Denied for the whole table; an fd closed mid-scan is skipped.
    The directory fds keep each per-fd call to one path lookup of one name.
    ``links`` (with ``with_info``) names the links it can from fdinfo; share one
    between the processes of a snapshot so that what it learns serves them all.
    """
    try:
        dir_fd = os.open(f"/proc/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise translate(exc) from None
    try:
        names = _fd_names(dir_fd, fd_range)
        if pid == os.getpid():  # reading ourselves: leave out the directory fds of this read
            names = [fd for fd in names if fd != dir_fd]
        if not with_info:
            return _read_links(dir_fd, names)
        info_fd = os.open(f"/proc/{pid}/fdinfo", os.O_RDONLY | os.O_DIRECTORY)
        try:
            if pid == os.getpid():
                names = [fd for fd in names if fd != info_fd]
            return _read_entries(dir_fd, info_fd, names, links or Links())
        finally:
            os.close(info_fd)
    except OSError as exc:
        raise translate(exc) from None
    finally:
        os.close(dir_fd)


def _fd_names(dir_fd: int, fd_range: Container[int] | None) -> list[int]:
    fds = sorted(int(n) for n in os.listdir(dir_fd))
    return fds if fd_range is None else [fd for fd in fds if fd in fd_range]


def _read_links(dir_fd: int, fds: list[int]) -> list[RawFd]:
    """Links only: one readlink per fd (the search for other ends needs no more)."""
    out: list[RawFd] = []
    readlink = os.readlink
    for fd in fds:
        try:
            out.append(RawFd(fd, readlink(str(fd), dir_fd=dir_fd), None))
        except OSError as exc:
            if isinstance(translate(exc), Gone):
                continue  # closed while we looked: skip it, as psutil does
            raise
    return out


def _read_entries(dir_fd: int, info_fd: int, fds: list[int], links: Links) -> list[RawFd]:
    """The hot loop: one small read of fdinfo per fd, and a readlink where fdinfo
    does not already tell the link (see Links). Nothing parsed yet."""
    out: list[RawFd] = []
    readlink, open_, read, close, rdonly = os.readlink, os.open, os.read, os.close, os.O_RDONLY
    name_of, learn = links.name, links.learn
    for fd in fds:
        name = str(fd)
        try:
            handle = open_(name, rdonly, dir_fd=info_fd)
            try:
                info = read(handle, 65536)
            finally:
                close(handle)
            link = name_of(info)
            if link is None:
                link = readlink(name, dir_fd=dir_fd)
                learn(info, link)
        except OSError as exc:
            if isinstance(translate(exc), Gone):
                continue  # closed while we looked: skip it, as psutil does
            raise
        out.append(RawFd(fd, link, info))
    return out


class Links:
    """Names fd links from fdinfo where it already tells them, sparing a readlink(2) each.

    fdinfo gives the mount id and inode of what an fd points to (Linux 5.14+; see
    ``file_key``). Pipes and sockets live on the kernel's internal pipefs and sockfs
    mounts, and their link reads ``pipe:[INODE]`` / ``socket:[INODE]``: once one
    link has shown which mount id is pipefs or sockfs, every other pipe or socket is
    named from its fdinfo alone. A file seen before (same mount id and inode) is the
    same file: it gets the link read first (a second name of it, a hard link, would
    lead to the same channel anyway). Anonymous inodes all share one inode, and
    their link says what they are: they are always read.
    """

    def __init__(self) -> None:
        self.mounts: dict[bytes, str] = {}  # "mnt_id:\tN" line -> "pipe" or "socket"
        self.files: dict[bytes, str] = {}  # file_key -> the link first read for it

    def name(self, info: bytes) -> str | None:
        key = file_key(info)
        if key is None:
            return None
        mount, _, inode = key.partition(b"\n")
        kind = self.mounts.get(mount)
        if kind is not None:
            return f"{kind}:[{int(inode[4:])}]"  # inode: b"ino:\t1234"
        return self.files.get(key)

    def learn(self, info: bytes, link: str) -> None:
        if link.startswith("/"):
            key = file_key(info)
            if key is not None:
                self.files.setdefault(key, link)
            return
        kind, bracket, inode = link.partition(":[")
        if kind not in ("pipe", "socket") or not bracket or (key := file_key(info)) is None:
            return  # anon_inode:[eventfd] and the like: never named from fdinfo
        mount, _, ino = key.partition(b"\n")
        # Trust a mount only when the link's inode is the one fdinfo gives.
        if inode[:-1] == ino[4:].strip().decode():
            self.mounts[mount] = kind


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


def file_key(info: bytes) -> bytes | None:
    r"""The mount id and inode lines of fdinfo: the same key is the same file (proc(5)).

    None where the kernel does not print the inode (before Linux 5.14) or the text
    is not laid out as expected; the caller then stats the target.

    >>> file_key(b"pos:\t0\nflags:\t02\nmnt_id:\t24\nino:\t5\n")
    b'mnt_id:\t24\nino:\t5'
    """
    start = info.find(b"\nmnt_id:")
    ino = info.find(b"\nino:", start + 1) if start >= 0 else -1
    end = info.find(b"\n", ino + 1) if ino >= 0 else -1
    return info[start + 1 : end] if end >= 0 else None


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
