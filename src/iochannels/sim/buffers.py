"""The two kinds of kernel buffer the lecture draws: a ring for streams, an area for blocks.

A :class:`RingBuffer` is xv6's pipe buffer (kernel/pipe.c): a fixed array and
two counters that only grow, ``nread`` and ``nwrite``. Empty is
``nwrite == nread``, full is ``nwrite - nread == capacity``; the byte at
counter ``i`` lives at ``i % capacity``. Bytes move in slices (at most two per
call, where the ring wraps), never one at a time.

An :class:`AreaBuffer` is the page cache of a block channel (a regular file):
pages that a write marks dirty, read at any offset (seek), written back to
storage by ``fsync`` (fsync(2)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PAGE_SIZE", "AreaBuffer", "RingBuffer", "Storage"]

PAGE_SIZE = 4096


class RingBuffer:
    """A bounded FIFO of bytes: ``write`` takes what fits, ``read`` gives what is there.

    The array grows on demand up to ``capacity`` (an idle socket's buffers cost
    nothing); the byte at counter ``i`` is always at ``i % len(array)``.
    """

    __slots__ = ("_data", "capacity", "nread", "nwrite")

    def __init__(self, capacity: int) -> None:
        assert capacity > 0, "a ring buffer holds at least one byte"
        self.capacity = capacity
        self._data = bytearray()
        self.nread = 0  # bytes ever read: only grows
        self.nwrite = 0  # bytes ever written: only grows

    @property
    def used(self) -> int:
        return self.nwrite - self.nread

    @property
    def free(self) -> int:
        return self.capacity - self.used

    def write(self, data: bytes | memoryview) -> int:
        """Copy as much of ``data`` as fits; return how many bytes were taken."""
        n = min(len(data), self.free)
        if self.used + n > len(self._data):
            self._grow(self.used + n)
        self._put(self.nwrite, data[:n])
        self.nwrite += n
        return n

    def _put(self, counter: int, data: bytes | memoryview) -> None:
        size, n = len(self._data), len(data)
        start = counter % size if size else 0
        first = min(n, size - start)  # up to the end of the array...
        self._data[start : start + first] = data[:first]
        self._data[: n - first] = data[first:n]  # ...and the rest from its start

    def _grow(self, need: int) -> None:
        kept = self.peek(self.used)
        self._data = bytearray(min(self.capacity, max(need, 2 * len(self._data), 256)))
        self._put(self.nread, kept)

    def resize(self, capacity: int) -> None:
        """Hold up to ``capacity`` bytes from now on (fcntl(2) F_SETPIPE_SZ); never fewer
        than it holds. The array keeps its size: a byte stays at ``i % len(array)``."""
        assert capacity >= self.used and capacity > 0, "a resize below what is held"
        self.capacity = capacity

    def read(self, n: int) -> bytes:
        """Remove and return up to ``n`` bytes, the oldest first."""
        data = self.peek(n)
        self.nread += len(data)
        return data

    def peek(self, n: int) -> bytes:
        """Up to ``n`` of the oldest bytes, left in the buffer."""
        n = min(n, self.used)
        if n == 0:
            return b""
        size = len(self._data)
        start = self.nread % size
        first = min(n, size - start)
        return bytes(self._data[start : start + first]) + bytes(self._data[: n - first])

    def clear(self) -> int:
        """Drop every byte (a closed receiver's queue); return how many were dropped."""
        dropped = self.used
        self.nread = self.nwrite
        return dropped


@dataclass
class Storage:
    """The disk behind a regular file: what survives once written back."""

    data: bytearray = field(default_factory=bytearray)


class AreaBuffer:
    """A file's cached pages over its storage; writes dirty pages, fsync cleans them."""

    __slots__ = ("_dirty", "cache", "storage")

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.cache = bytearray(storage.data)  # the whole file, cached on first open
        self._dirty: set[int] = set()  # page numbers written since the last write-back

    @property
    def size(self) -> int:
        return len(self.cache)

    @property
    def dirty_pages(self) -> int:
        return len(self._dirty)

    def read(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset``; nothing at or past the end (read(2): 0 at EOF)."""
        return bytes(self.cache[offset : offset + n])

    def write(self, offset: int, data: bytes) -> int:
        """Write at ``offset``; a write past the end leaves a hole of zero bytes."""
        end = offset + len(data)
        if end > len(self.cache):
            self.cache.extend(bytes(end - len(self.cache)))
        self.cache[offset:end] = data
        self._dirty.update(range(offset // PAGE_SIZE, (end - 1) // PAGE_SIZE + 1))
        return len(data)

    def truncate(self) -> None:
        del self.cache[:]
        self._dirty = {0}  # the new (empty) size must reach storage too

    def sync(self) -> int:
        """Write dirty pages back to storage (fsync(2)); return how many were written."""
        written = len(self._dirty)
        self.storage.data[:] = self.cache
        self._dirty.clear()
        return written

    def contents(self) -> bytes:
        """What a reader sees now: the cache, written back or not."""
        return bytes(self.cache)
