"""Open file descriptions and the channel interface every kind of channel implements.

Two tables, never confused (xv6's ``ofile[NOFILE]`` and ``struct file``): a
process's fd table holds pointers to :class:`OpenFile` objects; an open file
holds the channel, the access mode, the status flags and the offset, and is
shared by ``dup``, ``dup2`` and ``fork`` (dup(2): "the two file descriptors
share file offset and file status flags"). ``cloexec`` is a descriptor flag:
it lives in the fd table, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iochannels.model import Access, Channel, Kind
from iochannels.sim.errors import WouldBlock, fail

__all__ = ["POLLERR", "POLLHUP", "POLLIN", "POLLNVAL", "POLLOUT", "POLLRDHUP", "Chan",
           "OpenFile", "Wake", "wait_or_eagain"]

Wake = Callable[[object], None]  # the kernel's wakeup(chan)
# poll(2)'s events, Linux's values (select.POLLIN and friends are the same numbers).
POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDHUP = 0x1, 0x4, 0x8, 0x10, 0x20, 0x2000


class Chan:
    """One simulated I/O channel. Subclasses override what their kind supports."""

    kind: Kind = Kind.UNKNOWN
    seekable = False

    def __init__(self, ident: str, wake: Wake) -> None:
        self.id = ident
        self.wake = wake

    def opened(self, f: OpenFile) -> None:
        """An open file on this channel was created (its access tells which end)."""

    def released(self, f: OpenFile) -> None:
        """The last fd of an open file on this channel was closed."""

    def read(self, f: OpenFile, n: int) -> bytes | None:
        """Up to ``n`` bytes; b"" at end of stream; None when the reader must wait."""
        raise fail("EINVAL")

    def write(self, f: OpenFile, data: bytes, atomic: bool) -> int:
        """Take what fits now (all or nothing when ``atomic``); the kernel waits for the rest."""
        raise fail("EINVAL")

    def fsync(self) -> int:
        raise fail("EINVAL")  # fsync(2): "fd is bound to a special file ... (pipe, socket)"

    def poll(self, f: OpenFile) -> int:
        """The poll(2) events that hold now for ``f``; a channel without its own rule is
        always ready both ways (fs/select.c DEFAULT_POLLMASK: files, devices)."""
        return POLLIN | POLLOUT

    def unsent(self) -> list[OpenFile]:
        """Open files in flight on this channel (SCM_RIGHTS) that nobody can receive any
        more, once it was released: the kernel drops their references."""
        return []

    def model(self) -> Channel:
        return Channel(self.id, self.kind)

    def picture_key(self) -> object:
        """What ``model()`` depends on: the snapshot reuses the last picture while it holds."""
        return None  # None: draw it anew every time


@dataclass(eq=False)
class OpenFile:
    """``struct file``: what one open(2), pipe(2) or socket(2) made; fds point to it."""

    chan: Chan
    access: Access
    nonblock: bool = False
    append: bool = False
    offset: int = 0
    refs: int = 0  # how many fds, in all processes, point here (and messages in flight)
    largefile: bool = False  # opened by path: open(2) sets O_LARGEFILE on 64-bit Linux

    @property
    def readable(self) -> bool:
        return "r" in self.access

    @property
    def writable(self) -> bool:
        return "w" in self.access

    def flags(self) -> frozenset[str]:
        return frozenset(name for name, on in (("nonblock", self.nonblock),
                                               ("append", self.append)) if on)


def wait_or_eagain(f: OpenFile, chan: object, what: str) -> WouldBlock:
    """The wait on ``chan`` that a call would make, carrying the file's O_NONBLOCK.

    The kernel (:meth:`Kernel._execute`) turns it into EAGAIN (read(2), write(2)) when
    O_NONBLOCK was set as the call found it at its start, or parks the call."""
    return WouldBlock(chan, what, f.nonblock)
