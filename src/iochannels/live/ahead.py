"""Each process's stat, cmdline and fd table, read when its turn comes or ahead on threads.

A snapshot of many processes (``fds --all``) spends a third of its time in the kernel,
reading /proc, and the rest in Python, making channels of what was read. The kernel does
those reads on the calling thread's CPU, so with the C part built, threads of
``_scan.ahead`` read the next processes while Python makes the last ones: the two
overlap, and no thread waits for the GIL (they hold no Python object). Each process is
read as procfs reads it, stat before the fd table: the check for a process that exited
meanwhile (``procfs.still_running``) compares the start times of the two.

Few processes, an fd range, or the pure-Python path: each process is read when its turn
comes, with no thread started.
"""

from __future__ import annotations

from collections.abc import Container, Generator
from typing import Protocol

from iochannels.live import procfs

__all__ = ["Reading", "readings"]


class Reading(Protocol):
    """One process's reads, in procfs's order; each raises Gone or Denied as procfs does."""

    pid: int

    def procinfo(self) -> procfs.ProcInfo: ...

    def fds(self, links: procfs.Links) -> list[procfs.RawFd]: ...


class _Now:
    """Reads when asked (the serial path)."""

    def __init__(self, pid: int, fd_range: Container[int] | None) -> None:
        self.pid, self._fd_range = pid, fd_range

    def procinfo(self) -> procfs.ProcInfo:
        return procfs.read_procinfo(self.pid)

    def fds(self, links: procfs.Links) -> list[procfs.RawFd]:
        return procfs.read_fds(self.pid, self._fd_range, links=links)


class _Read:
    """What the threads read: the texts, or the errno of the read that failed."""

    def __init__(self, row: tuple[int, int, bytes | None, bytes | None,
                                  list[tuple[int, str, bytes | None]] | int]) -> None:
        self.pid, self._err, self._stat, self._cmdline, self._rows = row

    def procinfo(self) -> procfs.ProcInfo:
        if self._stat is None or self._cmdline is None:
            raise procfs.translate_errno(self._err, f"{procfs.root()}/{self.pid}/stat")
        return procfs.parse_procinfo(self._stat, self._cmdline)

    def fds(self, links: procfs.Links) -> list[procfs.RawFd]:
        if isinstance(self._rows, int):
            raise procfs.translate_errno(self._rows, f"{procfs.root()}/{self.pid}/fd")
        return list(map(procfs.RawFd._make, self._rows))


def readings(pids: list[int], fd_range: Container[int] | None) -> Generator[Reading, None, None]:
    """The reads of ``pids``, in their order: ahead on threads from ``_scan.AHEAD_FROM``
    processes (whole tables, the C part built), else each when its turn comes."""
    scan = procfs.native_scan()
    if scan is None or fd_range is not None or len(pids) < scan.AHEAD_FROM:
        yield from (_Now(pid, fd_range) for pid in pids)
        return
    reader = scan.ahead(procfs.root(), pids)
    try:
        yield from map(_Read, reader)
    finally:
        reader.close()  # joins the threads when the caller stops early
