"""pidfd_getfd(2) and kcmp(2), the two system calls of the scan that ``os`` lacks.

By the small C module ``_syscalls`` (``_syscalls.c``, built with ``_scan``) where it was
built, by ctypes otherwise or under ``IOCHANNELS_PURE=1``: the same calls, the same
errors (OSError with the call's errno). The C module spares every run the import of
ctypes and platform, and each pipe a ctypes call.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

__all__ = ["kcmp_file", "pidfd_getfd"]

# kcmp(2) system call numbers (arch/*/syscall tables); KCMP_FILE is type 0.
_KCMP = {"x86_64": 312, "aarch64": 272, "i686": 349, "armv7l": 378, "ppc64le": 354,
         "riscv64": 272, "s390x": 343}
_PIDFD_GETFD = 438  # the same number on every architecture (asm-generic/unistd.h)

Call = Callable[..., int]


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


def _load() -> tuple[Call, Call]:
    if os.environ.get("IOCHANNELS_PURE") != "1":
        try:
            from iochannels.live import _syscalls
        except ImportError:
            pass
        else:
            return _syscalls.pidfd_getfd, _syscalls.kcmp_file
    return _by_ctypes()


pidfd_getfd, kcmp_file = _load()
