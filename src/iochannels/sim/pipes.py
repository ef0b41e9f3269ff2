"""Pipes and FIFOs: one ring buffer, held by a read end and a write end (pipe(7), fifo(7)).

The bytes live in a :class:`RingBuffer`. Linux also counts the buffer in
*pages*: a pipe is a ring of ``capacity / 4096`` page slots (16 by default);
a write first tops up the last page when its tail fits there, then fills new
pages; a page is freed once every byte of it was read (fs/pipe.c,
``pipe_write``/``pipe_read``). So sixteen 3000-byte writes fill a pipe that
holds only 48,000 bytes, and the simulator, like Linux, says EAGAIN to the
seventeenth. A capacity that is not a multiple of the page size (a teaching
pipe of 16 bytes) uses one-byte pages: a plain byte ring.

Writes of at most PIPE_BUF (4096) bytes are atomic: all or nothing
(pipe(7)). Bigger writes take what fits and, when blocking, wait for the rest.
"""

from __future__ import annotations

from collections import deque

from iochannels.model import Buffer, BufferRole, Channel, Kind
from iochannels.sim.buffers import PAGE_SIZE, RingBuffer
from iochannels.sim.errors import fail
from iochannels.sim.files import POLLERR, POLLHUP, POLLIN, POLLOUT, Chan, OpenFile, Wake

__all__ = ["PIPE_BUF", "Pipe"]

PIPE_BUF = 4096  # pipe(7): writes up to this size are atomic


class _Slot:
    """One page of the pipe: ``offset`` bytes already read from it, ``length`` still there."""

    __slots__ = ("length", "offset")

    def __init__(self, length: int) -> None:
        self.offset = 0
        self.length = length

    @property
    def end(self) -> int:
        return self.offset + self.length


class Pipe(Chan):
    """An anonymous pipe, or the pipe behind a FIFO's path (``kind=Kind.FIFO``)."""

    def __init__(self, ident: str, wake: Wake, capacity: int, kind: Kind = Kind.PIPE,
                 path: str = "") -> None:
        super().__init__(ident, wake)
        self.kind = kind
        self.path = path
        self.ring = RingBuffer(capacity)
        self.page = PAGE_SIZE if capacity % PAGE_SIZE == 0 else 1
        self.max_slots = capacity // self.page
        self.slots: deque[_Slot] = deque()
        self.readers = 0  # open files with the read end
        self.writers = 0

    def opened(self, f: OpenFile) -> None:
        self.readers += f.readable
        self.writers += f.writable
        self.wake(self)

    def released(self, f: OpenFile) -> None:
        self.readers -= f.readable
        self.writers -= f.writable
        assert self.readers >= 0 and self.writers >= 0, "pipe end counts went negative"
        self.wake(self)  # a reader may see EOF now, a writer EPIPE

    def read(self, f: OpenFile, n: int) -> bytes | None:
        if n == 0:
            return b""
        if self.ring.used == 0:
            # pipe(7): EOF once every write end is closed; else the reader waits.
            return b"" if self.writers == 0 else None
        data = self.ring.read(n)
        self._consume(len(data))
        self.wake(self)
        return data

    def _consume(self, n: int) -> None:
        while n:
            slot = self.slots[0]
            take = min(n, slot.length)
            slot.offset += take
            slot.length -= take
            n -= take
            if slot.length == 0:
                self.slots.popleft()  # a page is freed once all of it was read

    def write(self, f: OpenFile, data: bytes, atomic: bool) -> int:
        if not data:
            return 0  # fs/pipe.c: a zero-length write returns 0 before anything else
        if self.readers == 0:
            raise fail("EPIPE")  # pipe(7): no read end left; SIGPIPE too
        if atomic and not self._fits(len(data)):
            return 0  # PIPE_BUF atomicity: all of it later, never a part now
        taken = self._merge(len(data))
        while taken < len(data) and len(self.slots) < self.max_slots:
            length = min(self.page, len(data) - taken)
            self.slots.append(_Slot(length))
            taken += length
        assert self.ring.write(memoryview(data)[:taken]) == taken, "pages and bytes disagree"
        if taken:
            self.wake(self)
        return taken

    def _mergeable(self, total: int) -> int:
        """How many of the write's tail bytes fit in the last page (0: none, or no tail)."""
        chars = total % self.page
        return chars if chars and self.slots and self.slots[-1].end + chars <= self.page else 0

    def _merge(self, total: int) -> int:
        """Top up the last page with the write's tail bytes if they fit there."""
        chars = self._mergeable(total)
        if chars:
            self.slots[-1].length += chars
        return chars

    def _fits(self, total: int) -> bool:
        pages = -(-(total - self._mergeable(total)) // self.page)
        return len(self.slots) + pages <= self.max_slots

    def resize(self, size: int) -> int:
        """fcntl(2) F_SETPIPE_SZ: at least ``size`` bytes, a power-of-two number of pages
        (fs/pipe.c round_pipe_size); EBUSY if fewer pages than the data occupies now."""
        pages = 1
        while pages * PAGE_SIZE < size:
            pages *= 2
        if self.page == 1:  # a teaching pipe of a few bytes: its bytes as whole pages now
            held = self.ring.used
            self.slots = deque(_Slot(min(PAGE_SIZE, held - i))
                               for i in range(0, held, PAGE_SIZE))
        if pages < len(self.slots):
            raise fail("EBUSY")
        self.page, self.max_slots = PAGE_SIZE, pages
        self.ring.resize(pages * PAGE_SIZE)
        self.wake(self)  # room for a writer that waits
        return pages * PAGE_SIZE

    def poll(self, f: OpenFile) -> int:
        """pipe_poll: POLLIN with data, POLLHUP without writers for the read end; POLLOUT
        with a free page, POLLERR without readers for the write end."""
        mask = 0
        if f.readable:
            mask |= POLLIN if self.ring.used else 0
            mask |= POLLHUP if self.writers == 0 else 0
        if f.writable:
            mask |= POLLOUT if len(self.slots) < self.max_slots else 0
            mask |= POLLERR if self.readers == 0 else 0
        return mask

    def picture_key(self) -> object:
        return (self.ring.nread, self.ring.nwrite, self.readers, self.writers,
                self.ring.capacity)

    def model(self) -> Channel:
        label = self.path or "pipe"
        buffer = Buffer(BufferRole.PIPE, self.ring.capacity, self.ring.used)
        detail = {"readers": str(self.readers), "writers": str(self.writers)}
        return Channel(self.id, self.kind, label, buffers=(buffer,), local=self.path or None,
                       detail=detail)
