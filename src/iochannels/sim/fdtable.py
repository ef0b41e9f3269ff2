"""A process's file descriptor table: ``struct io_channel *fdt[MAX_FILES]``.

Each slot holds an open file (shared, reference counted) and the one flag that
belongs to the descriptor itself, close-on-exec (fcntl(2) FD_CLOEXEC). A new
descriptor is always the lowest free slot (open(2): "the lowest-numbered file
descriptor not currently open"); none free is EMFILE.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass

from iochannels.sim.errors import fail
from iochannels.sim.files import OpenFile

__all__ = ["FdTable", "Slot"]


@dataclass(eq=False)
class Slot:
    file: OpenFile
    cloexec: bool = False


_RESERVED = Slot(None)  # type: ignore[arg-type]  # a placeholder while counting free fds


class FdTable:
    """The slots in use, and a heap of freed numbers so the lowest free fd is cheap to find."""

    def __init__(self, max_files: int) -> None:
        self.max_files = max_files
        self.slots: dict[int, Slot] = {}
        self._freed: list[int] = []  # closed fds below _top (some may be taken again by dup2)
        self._top = 0  # no fd at or above this was handed out as "lowest free"

    def copy(self) -> FdTable:
        """fork(2): the child gets a copy of the table; the open files gain a reference."""
        table = FdTable(self.max_files)
        for fd, slot in self.slots.items():
            table.install(slot.file, slot.cloexec, fd)
        return table

    def __iter__(self) -> Iterator[tuple[int, Slot]]:
        return iter(sorted(self.slots.items()))

    def __len__(self) -> int:
        return len(self.slots)

    def get(self, fd: int) -> Slot:
        slot = self.slots.get(fd)
        if slot is None:
            raise fail("EBADF")
        return slot

    def lowest_free(self) -> int:
        while self._freed and self._freed[0] in self.slots:
            heapq.heappop(self._freed)  # taken again by dup2 since it was freed
        if self._freed:
            fd = self._freed[0]
        else:
            while self._top in self.slots:
                self._top += 1
            fd = self._top
        if fd >= self.max_files:
            raise fail("EMFILE")
        return fd

    def lowest_free_from(self, low: int) -> int:
        """The lowest free fd at or above ``low`` (fcntl(2) F_DUPFD), or EMFILE."""
        fd = low
        while fd in self.slots:
            fd += 1
        if fd >= self.max_files:
            raise fail("EMFILE")
        return fd

    def free_fds(self, n: int) -> list[int]:
        """The ``n`` lowest free fds, or EMFILE; nothing is taken (pipe(2) needs two)."""
        found: list[int] = []
        try:
            for _ in range(n):
                found.append(self.lowest_free())
                self.slots[found[-1]] = _RESERVED
        finally:
            for fd in found:
                del self.slots[fd]
                if fd < self._top:
                    heapq.heappush(self._freed, fd)  # lowest_free may have popped it
        return found

    def install(self, file: OpenFile, cloexec: bool = False, fd: int | None = None) -> int:
        """Point ``fd`` (the lowest free one by default) at ``file``; one more reference."""
        fd = self.lowest_free() if fd is None else fd
        assert fd not in self.slots, f"fd {fd} is taken"
        file.refs += 1
        self.slots[fd] = Slot(file, cloexec)
        if self._freed and self._freed[0] == fd:
            heapq.heappop(self._freed)
        self._top = max(self._top, fd + 1) if fd == self._top else self._top
        return fd

    def remove(self, fd: int) -> OpenFile:
        """Empty slot ``fd``; the caller drops the reference (and maybe the open file)."""
        slot = self.get(fd)
        del self.slots[fd]
        if fd < self._top:
            heapq.heappush(self._freed, fd)
        return slot.file
