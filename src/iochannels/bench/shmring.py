"""A ring buffer in shared memory: the reference channel, copying through memory only.

Two counters that only grow, as xv6's pipe has (``nwrite``, ``nread``): the writer
publishes ``head`` after copying its bytes in, the reader publishes ``tail`` after
copying them out; full is ``head - tail == capacity``, empty is equal counters. No
system call moves a byte: a side that must wait yields the CPU (sched_yield(2)) and
looks again. Each counter is an aligned 8-byte word written by one side only, in a
page that fork(2) shares (``mmap`` of anonymous memory, MAP_SHARED), so the other side
reads it whole. The order of the data copy and the counter's store holds on x86 (stores
are not reordered with older stores); the C reference says so to its compiler with
release and acquire atomics.
"""

from __future__ import annotations

import mmap
import os
import struct

__all__ = ["Ring"]

_WORD = struct.Struct("=Q")
_HEAD, _TAIL, _CLOSED, _DATA = 0, 64, 128, 192  # each counter on a cache line of its own


class Ring:
    """One direction of a shared-memory channel; made before ``fork``, used by both sides."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("a ring needs room")
        self.capacity = capacity
        self._map = mmap.mmap(-1, _DATA + capacity)  # MAP_SHARED | MAP_ANONYMOUS
        self._view = memoryview(self._map)
        self._data = self._view[_DATA:]

    def write(self, data: memoryview) -> int:
        """Copy all of ``data`` in, waiting for room; returns its length."""
        view, cap, total = self._view, self.capacity, len(data)
        done = 0
        head = _WORD.unpack_from(view, _HEAD)[0]
        while done < total:
            tail = _WORD.unpack_from(view, _TAIL)[0]
            room = cap - (head - tail)
            if room == 0:
                os.sched_yield()
                continue
            at = head % cap
            k = min(total - done, room, cap - at)
            self._data[at:at + k] = data[done:done + k]
            head += k
            _WORD.pack_into(view, _HEAD, head)
            done += k
        return total

    def read_into(self, buf: memoryview) -> int:
        """Copy what is there (up to ``len(buf)`` bytes) out; 0 once closed and empty."""
        view, cap = self._view, self.capacity
        tail = _WORD.unpack_from(view, _TAIL)[0]
        while (head := _WORD.unpack_from(view, _HEAD)[0]) == tail:
            if _WORD.unpack_from(view, _CLOSED)[0]:
                return 0
            os.sched_yield()
        at = tail % cap
        k = min(len(buf), head - tail, cap - at)
        buf[:k] = self._data[at:at + k]
        _WORD.pack_into(view, _TAIL, tail + k)
        return int(k)

    def close(self) -> None:
        """The writer's end of file: a reader that finds the ring empty now gets 0."""
        _WORD.pack_into(self._view, _CLOSED, 1)

    def release(self) -> None:
        """Unmap (in the process that is done with it)."""
        self._data.release()
        self._view.release()
        self._map.close()
