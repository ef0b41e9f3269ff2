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

__all__ = ["Ring"]

# Each counter on a cache line of its own (indexes of 8-byte words), then the data.
_HEAD, _TAIL, _CLOSED, _DATA = 0, 8, 16, 192


class Ring:
    """One direction of a shared-memory channel; made before ``fork``, used by both sides."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("a ring needs room")
        self.capacity = capacity
        self._map = mmap.mmap(-1, _DATA + capacity)  # MAP_SHARED | MAP_ANONYMOUS
        self._view = memoryview(self._map)
        self._data = self._view[_DATA:]
        # The counters through a view of native 8-byte words: one aligned load or store
        # each. (struct's "=Q" builds the word a byte at a time: the other side could read
        # a counter half-written, as the 1 MiB mark passes.)
        self._words = self._view[:_DATA].cast("Q")
        self._peer = 0  # the other side's pid, where this process is its parent

    def watch(self, pid: int) -> None:
        """Wait no longer once ``pid`` (a child of this process) has exited: a ring has no
        end of file of its own when the other side dies without closing it."""
        self._peer = pid

    def _peer_gone(self) -> bool:
        if not self._peer:
            return False
        # waitid(2) with WNOWAIT: look, and leave the child to be reaped as usual.
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        return os.waitid(os.P_PID, self._peer, flags) is not None

    def write(self, data: memoryview) -> int:
        """Copy all of ``data`` in, waiting for room; returns its length."""
        words, cap, total = self._words, self.capacity, len(data)
        done = spins = 0
        head = words[_HEAD]
        while done < total:
            tail = words[_TAIL]
            room = cap - (head - tail)
            if room == 0:
                spins += 1
                if spins % 1024 == 0 and self._peer_gone():
                    raise BrokenPipeError("the reading side of the ring is gone")
                os.sched_yield()
                continue
            at = head % cap
            k = min(total - done, room, cap - at)
            self._data[at:at + k] = data[done:done + k]
            head += k
            words[_HEAD] = head
            done += k
        return total

    def read_into(self, buf: memoryview) -> int:
        """Copy what is there (up to ``len(buf)`` bytes) out; 0 once closed and empty."""
        words, cap = self._words, self.capacity
        tail = words[_TAIL]
        spins = 0
        while (head := words[_HEAD]) == tail:
            if words[_CLOSED]:
                return 0
            spins += 1
            if spins % 1024 == 0 and self._peer_gone():
                return 0
            os.sched_yield()
        at = tail % cap
        k = min(len(buf), head - tail, cap - at)
        buf[:k] = self._data[at:at + k]
        words[_TAIL] = tail + k
        return int(k)

    def close(self) -> None:
        """The writer's end of file: a reader that finds the ring empty now gets 0."""
        self._words[_CLOSED] = 1

    def release(self) -> None:
        """Unmap (in the process that is done with it)."""
        self._words.release()
        self._data.release()
        self._view.release()
        self._map.close()
