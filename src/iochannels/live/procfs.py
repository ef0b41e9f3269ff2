"""Reading ``/proc/<pid>``: the one place where OS errors are translated.

Processes and fds come and go while we read (proc(5)); that is normal, not an
error. Every ``OSError`` raised by a read of ``/proc`` becomes one of two
outcomes here: :class:`Gone` (the process or the fd vanished: ENOENT, ESRCH)
or :class:`Denied` (EACCES, EPERM: ptrace access mode checks, proc(5)
"/proc/pid/fd"). Everything else is a real failure and propagates.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Collection, Container, Iterator
from types import ModuleType
from typing import NamedTuple

__all__ = [
    "Denied",
    "FdInfo",
    "Gone",
    "Links",
    "ProcInfo",
    "RawFd",
    "all_pids",
    "fds_linking",
    "file_key",
    "live_threads",
    "native",
    "native_scan",
    "parents",
    "parse_fdinfo",
    "parse_procinfo",
    "parse_stat",
    "read_comm",
    "read_fd_flags",
    "read_fds",
    "read_link",
    "read_ppid",
    "read_procinfo",
    "root",
    "rooted",
    "scan_path",
    "stat_target",
    "still_running",
    "syscall_hidden",
    "thread_group",
    "translate",
    "translate_errno",
]

_GONE = frozenset({errno.ENOENT, errno.ESRCH})

# The one root of every path read here (and by netfiles, sockets): /proc, or, in tests,
# a prepared tree of what another kernel shows (see ``rooted``).
_root = "/proc"


def root() -> str:
    """Where /proc is read from: ``"/proc"`` unless a test made it a prepared tree."""
    return _root


@contextlib.contextmanager
def rooted(path: str) -> Iterator[None]:
    """Read ``path`` as /proc while the block runs: a prepared tree of what some kernel
    shows (no tcp6 table, fdinfo without ``ino:``, links to pipes of no pipefs...)."""
    global _root
    old, _root = _root, path
    try:
        yield
    finally:
        _root = old
_DENIED = frozenset({errno.EACCES, errno.EPERM})


_SCAN_API = 2  # _scan.c's SCAN_API: the calls and results this module expects of it
_stale = False  # a C part was found, but built from older source


def _import_native() -> ModuleType | None:
    """The C part of the scan (_scan.c), None where it was not built.

    It makes the same system calls as the Python below and returns the same tuples;
    it is optional (psutil's way): without a compiler at install the package runs on
    the pure-Python path.
    """
    global _stale
    try:
        from iochannels.live import _scan
    except ImportError:
        return None
    # Built from older source (an editable install not rebuilt since an update): its calls
    # are not the ones below expects; the pure-Python path serves, and --version says so.
    _stale = getattr(_scan, "SCAN_API", 0) != _SCAN_API
    return None if _stale else _scan


def _load_native() -> ModuleType | None:
    """The C part unless IOCHANNELS_PURE=1 asks for the pure-Python path."""
    return None if os.environ.get("IOCHANNELS_PURE") == "1" else _import_native()


_native = _load_native()


def scan_path() -> str:
    """Which path reads /proc: "native scan" (the C part) or "pure Python"."""
    if _native is not None:
        return "native scan"
    return "pure Python: the C part is out of date, reinstall" if _stale else "pure Python"


@contextlib.contextmanager
def native(enabled: bool) -> Iterator[bool]:
    """Read /proc by the C part (if built) or by Python while the block runs; yields
    whether the C part is in use. Tests run both paths on the same processes."""
    global _native
    old = _native
    _native = _import_native() if enabled else None
    try:
        yield _native is not None
    finally:
        _native = old


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


def translate_errno(code: int, path: str) -> Exception:
    """translate() of the errno a read of ``path`` in the C part gave back."""
    return translate(OSError(code, os.strerror(code), path))


def native_scan() -> ModuleType | None:
    """The C part while it is in use (see ``native``), None on the pure-Python path."""
    return _native


class ProcInfo(NamedTuple):
    name: str
    argv: tuple[str, ...]
    ppid: int
    state: str  # the one-letter state of proc(5) /proc/pid/stat: R S D Z T ...
    start: int = 0  # starttime (field 22 of stat, clock ticks after boot): tells a reused pid
    kthread: bool = False  # a kernel thread (PF_KTHREAD in the flags, field 9): no fds of its own
    exiting: bool = False  # in exit(2) (PF_EXITING): its fds closing or closed (still_running)


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
    return sorted(int(n) for n in os.listdir(_root) if n.isdigit())


def slurp(path: str) -> bytes:
    """The whole of a small /proc file, with os.read: a few microseconds where open()
    builds three file objects, for files read once per process of a snapshot."""
    handle = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(handle, 65536)]
        while chunks[-1]:  # cmdline can be longer than one read (ARG_MAX is larger)
            chunks.append(os.read(handle, 65536))
        return b"".join(chunks)
    finally:
        os.close(handle)


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
        stat = slurp(f"{_root}/{pid}/stat")
        raw = slurp(f"{_root}/{pid}/cmdline")
    except OSError as exc:
        raise translate(exc) from None
    return parse_procinfo(stat, raw)


def parse_procinfo(stat: bytes, raw: bytes) -> ProcInfo:
    r"""The texts of /proc/pid/stat and cmdline -> ProcInfo (proc(5)).

    >>> info = parse_procinfo(b"7 (sh) S 1 7 7 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 99 1",
    ...                       b"sh\0-c\0")
    >>> info.name, info.argv, info.ppid, info.state, info.start, info.kthread, info.exiting
    ('sh', ('sh', '-c'), 1, 'S', 99, False, False)
    """
    text = stat.decode("utf-8", "surrogateescape")
    comm, state, ppid = parse_stat(text)
    argv = tuple(map(os.fsdecode, raw.split(b"\0")[:-1]))
    flags = _flags(text)
    return ProcInfo(comm, argv, ppid, state, _start(text), bool(flags & _PF_KTHREAD),
                    bool(flags & _PF_EXITING))


_PF_KTHREAD = 0x00200000  # include/linux/sched.h
# Set by do_exit() (kernel/exit.c, exit_signals) before exit_files() closes the fds and
# long before the task turns zombie: a process of thousands of fds spends milliseconds
# with an empty /proc/PID/fd, its state still R or D.
_PF_EXITING = 0x00000004


def _flags(text: str) -> int:
    """The flags field of /proc/pid/stat (proc(5): field 9, the kernel's PF_* bits).

    >>> hex(_flags("7 (sh) S 1 7 7 0 -1 4194564 1 0"))
    '0x400104'
    """
    fields = text.rpartition(")")[2].split()
    return int(fields[6]) if len(fields) > 6 else 0


def _start(text: str) -> int:
    """The starttime field of /proc/pid/stat (proc(5): field 22).

    >>> _start("42 (a) b) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1 2")
    987654
    """
    fields = text.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 else 0


def still_running(pid: int, info: ProcInfo) -> bool:
    """Whether ``pid`` is still the process ``info`` was read from, and has not exited.

    psutil's way after a scan: the process may have exited while its fds were read
    (a zombie's fd table is empty: exit_files() runs before the state turns Z), or
    exited and its pid been given to a new process (the start time then differs).
    One caught in exit(2), its state still R or D, is told by PF_EXITING: after
    exit_files() its table reads empty, and is no table of "no fds" (unless other
    threads live on: only its main thread exits, and they keep the table).
    """
    try:
        text = slurp(f"{_root}/{pid}/stat").decode("utf-8", "surrogateescape")
    except OSError as exc:
        if isinstance(translate(exc), Gone):
            return False
        raise
    state = parse_stat(text)[1]
    ending = state in "ZXx" or (bool(_flags(text) & _PF_EXITING) and not live_threads(pid))
    exited = ending and info.state not in "ZXx"
    return _start(text) == info.start and not exited


def live_threads(pid: int) -> bool:
    """Whether a process has threads that are not zombies (proc(5) /proc/pid/task)."""
    try:
        tids = [int(t) for t in os.listdir(f"{_root}/{pid}/task") if int(t) != pid]
    except OSError:
        return False
    for tid in tids:
        try:
            path = f"{_root}/{pid}/task/{tid}/stat"
            with open(path, encoding="utf-8", errors="surrogateescape") as fh:
                if parse_stat(fh.read())[1] not in "ZXx":
                    return True
        except OSError:
            continue
    return False


def thread_group(pid: int) -> int | None:
    """The process (thread group) ``pid`` belongs to; None if gone or hidden.

    /proc/TID exists for every thread, though ``ls /proc`` lists only processes
    (proc(5)); its Tgid line names the process the thread belongs to.
    """
    try:
        with open(f"{_root}/{pid}/status", encoding="utf-8", errors="surrogateescape") as fh:
            for line in fh:
                if line.startswith("Tgid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def read_ppid(pid: int) -> int:
    """The parent of ``pid`` (proc(5) /proc/pid/stat); raises Gone or Denied."""
    try:
        with open(f"{_root}/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            return parse_stat(fh.read())[2]
    except OSError as exc:
        raise translate(exc) from None


def parents() -> dict[int, int]:
    """Every process and its parent (proc(5) /proc/pid/stat), ascending; those gone or
    hidden are left out."""
    if _native is not None:
        return dict(sorted(_native.ppids(_root).items()))
    parent: dict[int, int] = {}
    for pid in all_pids():
        try:
            parent[pid] = read_ppid(pid)
        except (Gone, Denied):
            continue  # gone (or hidden): nothing to find there
    return parent


def fds_linking(pids: list[int], wanted: Collection[str]) -> tuple[list[tuple[int, int, str]],
                                                                  list[int]]:
    """(pid, fd, link) of the fds of ``pids`` whose link is in ``wanted``; and the pids
    whose fds could not be read. Links only: one readlink(2) per fd, as ``lsof +E``."""
    if _native is not None:
        return _native.links_scan(_root, pids, set(wanted))  # type: ignore[no-any-return]
    hits: list[tuple[int, int, str]] = []
    denied: list[int] = []
    for pid in pids:
        try:
            links = read_fds(pid, with_info=False)
        except Gone:
            continue
        except Denied:
            denied.append(pid)
            continue
        hits += [(pid, raw.fd, raw.link) for raw in links if raw.link in wanted]
    return hits, denied


def read_fd_flags(pid: int, fd: int) -> int | None:
    """The open(2) flags of one fd from its fdinfo, or None where it is gone or hidden."""
    try:
        with open(f"{_root}/{pid}/fdinfo/{fd}", "rb") as fh:
            return pos_flags(fh.read())[1]
    except OSError as exc:
        if isinstance(translate(exc), Gone | Denied):
            return None
        raise


def read_link(pid: int, fd: int) -> str | None:
    """What ``pid``'s ``fd`` points to now (readlink of /proc/pid/fd/N), None if gone or hidden."""
    try:
        return os.readlink(f"{_root}/{pid}/fd/{fd}")
    except OSError as exc:
        if isinstance(translate(exc), Gone | Denied):
            return None
        raise


def read_comm(pid: int) -> str:
    """The command name of ``pid``, or "?" when it is gone or hidden."""
    try:
        text = slurp(f"{_root}/{pid}/comm").decode("utf-8", "surrogateescape")
        return text.removesuffix("\n")  # proc(5)'s; a name may end in one too
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
    scan = _native
    if scan is not None and fd_range is None:  # the same calls in C (_scan.c)
        info_dir = f"{_root}/{pid}/fdinfo" if with_info else None
        try:
            rows = scan.fd_table(f"{_root}/{pid}/fd", info_dir, pid == os.getpid())
        except OSError as exc:
            raise translate(exc) from None
        return list(map(RawFd._make, rows))
    try:
        dir_fd = os.open(f"{_root}/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise translate(exc) from None
    try:
        names = _fd_names(dir_fd, fd_range)
        if pid == os.getpid():  # reading ourselves: leave out the directory fds of this read
            names = [fd for fd in names if fd != dir_fd]
        if not with_info:
            return _read_links(dir_fd, names)
        info_fd = os.open(f"{_root}/{pid}/fdinfo", os.O_RDONLY | os.O_DIRECTORY)
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
        return os.stat(f"{_root}/{pid}/fd/{fd}")
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
        return _parse_syscall(slurp(f"{_root}/{pid}/syscall").decode("ascii", "replace"))
    except OSError:
        return None


def syscall_hidden(pid: int) -> str | None:
    """Why /proc/pid/syscall cannot be read ("permission denied"), None when it can.

    proc(5): access to it is governed by a ptrace access mode PTRACE_MODE_ATTACH_FSCREDS
    check, stricter than the fds' PTRACE_MODE_READ (Yama's ptrace_scope applies to it).
    """
    try:
        slurp(f"{_root}/{pid}/syscall")
    except OSError as exc:
        return "permission denied" if isinstance(translate(exc), Denied) else None
    return None


def _parse_syscall(text: str) -> tuple[int, int] | None:
    parts = text.split()
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    return int(parts[0]), int(parts[1], 16)
