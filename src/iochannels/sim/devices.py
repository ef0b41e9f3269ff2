"""Process-to-device channels: the terminal, /dev/null and regular files.

The terminal and /dev/null are character devices: streams with no offset.
A regular file is a block channel: an :class:`AreaBuffer` (the page cache)
over its storage, read and written at the open file's offset, which ``lseek``
moves and which ``dup`` and ``fork`` share (lseek(2), dup(2)).
"""

from __future__ import annotations

from iochannels.model import Buffer, BufferRole, Channel, Kind
from iochannels.sim.buffers import AreaBuffer, Storage
from iochannels.sim.files import Chan, OpenFile, Wake

__all__ = ["DevNull", "RegularFile", "Terminal"]


class Terminal(Chan):
    """/dev/tty: what is written is kept for the run's ``terminal``; reads take ``keyboard``."""

    kind = Kind.CHR

    def __init__(self, ident: str, wake: Wake, keyboard: bytes = b"") -> None:
        super().__init__(ident, wake)
        self.screen = bytearray()
        self.keyboard = bytearray(keyboard)

    def read(self, f: OpenFile, n: int) -> bytes:
        data = bytes(self.keyboard[:n])
        del self.keyboard[:n]
        return data  # once the typed input is used up: end of file, as after Ctrl-D

    def write(self, f: OpenFile, data: bytes, atomic: bool) -> int:
        self.screen += data
        return len(data)

    def picture_key(self) -> object:
        return len(self.screen)

    def model(self) -> Channel:
        return Channel(self.id, self.kind, "/dev/tty", local="/dev/tty",
                       detail={"written": str(len(self.screen))})


class DevNull(Chan):
    """/dev/null: reads see end of file, writes vanish (null(4))."""

    kind = Kind.CHR

    def read(self, f: OpenFile, n: int) -> bytes:
        return b""

    def write(self, f: OpenFile, data: bytes, atomic: bool) -> int:
        return len(data)

    def picture_key(self) -> object:
        return ()

    def model(self) -> Channel:
        return Channel(self.id, self.kind, "/dev/null", local="/dev/null")


class RegularFile(Chan):
    """A file: one area buffer, shared by every open of the same path."""

    kind = Kind.FILE
    seekable = True

    def __init__(self, ident: str, wake: Wake, path: str) -> None:
        super().__init__(ident, wake)
        self.path = path
        self.area = AreaBuffer(Storage())

    def read(self, f: OpenFile, n: int) -> bytes:
        data = self.area.read(f.offset, n)
        f.offset += len(data)
        return data  # read(2): 0 bytes at or past the end, at once: files never block

    def write(self, f: OpenFile, data: bytes, atomic: bool) -> int:
        if f.append:
            f.offset = self.area.size  # open(2) O_APPEND: every write goes to the end
        f.offset += self.area.write(f.offset, data)
        return len(data)

    def fsync(self) -> int:
        return self.area.sync()

    def picture_key(self) -> object:
        return (self.area.size, self.area.dirty_pages, len(self.area.storage.data))

    def model(self) -> Channel:
        cache = Buffer(BufferRole.CACHE, None, self.area.size)
        detail = {"size": str(self.area.size), "dirty pages": str(self.area.dirty_pages),
                  "on storage": str(len(self.area.storage.data))}
        return Channel(self.id, self.kind, self.path, local=self.path, buffers=(cache,),
                       detail=detail)
