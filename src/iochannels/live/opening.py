"""What a process asleep in open(2) is opening: the path, the flags, and whether it is a FIFO.

fifo(7): "Opening a FIFO for reading normally blocks until some other process opens the same
FIFO for writing, and vice versa." Such a process has no fd yet, so no channel names it; the
call's own arguments do. proc(5) /proc/PID/syscall gives them ("NR arg1 ... arg6 sp pc"),
and the path's bytes are read from /proc/PID/mem at arg2 (openat) or arg1 (open). Both need
ptrace access; reading the memory changes nothing the process sees. x86_64 numbers, as in
``states``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from iochannels.live import procfs

__all__ = ["Opening", "opening"]

_OPEN, _OPENAT = 2, 257
_AT_FDCWD = -100  # fcntl.h; /proc/PID/syscall prints it as an unsigned 64-bit hex
_PATH_MAX = 4096  # limits.h: longer paths fail with ENAMETOOLONG before open waits
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Opening:
    """An open(2) in progress: the path as the process gave it, and its flags."""

    path: str
    flags: int
    fifo: bool  # what the path names is a FIFO (stat(2) S_ISFIFO)

    @property
    def for_reading(self) -> bool:
        return self.flags & os.O_ACCMODE == os.O_RDONLY


def opening(pid: int) -> Opening | None:
    """The open(2) or openat(2) that ``pid`` sleeps in; None if it is in none, or where the
    kernel does not show the call or the memory, or the process is gone."""
    try:
        parts = procfs.slurp(f"{procfs.root()}/{pid}/syscall").split()
    except OSError:
        return None
    if len(parts) < 4 or not parts[0].isdigit():
        return None
    number, args = int(parts[0]), [int(a, 16) for a in parts[1:4]]
    if number == _OPENAT:
        dirfd, address, flags = _signed(args[0]), args[1], args[2]
    elif number == _OPEN:
        dirfd, address, flags = _AT_FDCWD, args[0], args[1]
    else:
        return None
    raw = _read_string(pid, address)
    if not raw:
        return None
    return Opening(os.fsdecode(raw), flags, _is_fifo(pid, dirfd, raw))


def _signed(value: int) -> int:
    """An int argument as the kernel saw it: the low 32 bits, signed."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _read_string(pid: int, address: int) -> bytes | None:
    """The NUL-terminated bytes at ``address`` in ``pid``'s memory, a page at a time (a read
    across into an unmapped page would fail whole)."""
    try:
        fd = os.open(f"{procfs.root()}/{pid}/mem", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        got = b""
        while len(got) < _PATH_MAX:
            chunk = os.pread(fd, _PAGE - (address + len(got)) % _PAGE, address + len(got))
            if not chunk:
                return None
            end = chunk.find(b"\0")
            if end >= 0:
                return got + chunk[:end]
            got += chunk
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


def _is_fifo(pid: int, dirfd: int, path: bytes) -> bool:
    """stat(2) of the path as the process resolves it: from its root, its working directory,
    or the directory fd it gave (openat(2)). stat does not open, so it waits for no one."""
    base = procfs.root() + f"/{pid}/"
    if path.startswith(b"/"):
        where = os.fsencode(base + "root") + path
    elif dirfd == _AT_FDCWD:
        where = os.fsencode(base + "cwd/") + path
    else:
        where = os.fsencode(base + f"fd/{dirfd}/") + path
    try:
        return stat.S_ISFIFO(os.stat(where).st_mode)
    except OSError:
        return False
