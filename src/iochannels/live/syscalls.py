"""pidfd_getfd(2) and kcmp(2), the two system calls of the scan that ``os`` lacks, and
``pipe_buffer``: a pipe's capacity and fill measured through pidfd_getfd (pipes.py).

By the small C module ``_syscalls`` (``_syscalls.c``, built with ``_scan``) where it was
built, by ctypes otherwise or under ``IOCHANNELS_PURE=1``: the same calls, the same
errors (OSError with the call's errno). The C module spares every run the import of
ctypes and platform, and each pipe a ctypes call.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

__all__ = ["kcmp_file", "pidfd_getfd", "pipe_buffer"]

# kcmp(2) system call numbers (arch/*/syscall tables); KCMP_FILE is type 0.
_KCMP = {"x86_64": 312, "aarch64": 272, "i686": 349, "armv7l": 378, "ppc64le": 354,
         "riscv64": 272, "s390x": 343}
_PIDFD_GETFD = 438  # the same number on every architecture (asm-generic/unistd.h)

Call = Callable[..., int]
Measure = Callable[[int, int, int], "tuple[int, int] | None"]


def _by_ctypes() -> tuple[Call, Call]:
    import ctypes
    import platform

    libc = ctypes.CDLL(None, use_errno=True)
    kcmp = _KCMP.get(platform.machine())

    def checked(result: int) -> int:
        if result < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        return result

    def pidfd_getfd(pidfd: int, fd: int) -> int:
        return checked(int(libc.syscall(_PIDFD_GETFD, pidfd, fd, 0)))

    def kcmp_file(pid1: int, pid2: int, fd1: int, fd2: int) -> int:
        if kcmp is None:
            raise OSError(errno.ENOSYS, "kcmp is not known on this machine")
        return checked(int(libc.syscall(kcmp, pid1, pid2, 0, fd1, fd2)))

    return pidfd_getfd, kcmp_file


def _measure_by(getfd: Call) -> Measure:
    import array
    import fcntl
    import termios

    def pipe_buffer(pidfd: int, fd: int, inode: int) -> tuple[int, int] | None:
        """(capacity, bytes unread) of the pipe at ``pidfd``'s ``fd``; None when that fd is
        now another file than ``inode`` (-1: not checked) or no pipe. OSError: no copy."""
        copy = getfd(pidfd, fd)
        try:
            if inode >= 0 and os.fstat(copy).st_ino != inode:
                return None
            capacity = fcntl.fcntl(copy, fcntl.F_GETPIPE_SZ)  # pipe(7)
            waiting = array.array("i", [0])
            fcntl.ioctl(copy, termios.FIONREAD, waiting, True)
            return capacity, waiting[0]
        except OSError:
            return None
        finally:
            os.close(copy)  # not the last reference: the holder keeps its own

    return pipe_buffer


def _load() -> tuple[Call, Call, Measure]:
    if os.environ.get("IOCHANNELS_PURE") != "1":
        try:
            from iochannels.live import _syscalls
        except ImportError:
            pass
        else:
            return _syscalls.pidfd_getfd, _syscalls.kcmp_file, _syscalls.pipe_buffer
    getfd, kcmp = _by_ctypes()
    return getfd, kcmp, _measure_by(getfd)


pidfd_getfd, kcmp_file, pipe_buffer = _load()
