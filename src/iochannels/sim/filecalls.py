"""System calls on files, pipes and descriptors: the xv6 ``sysfile.c`` of the simulator.

Each call checks its arguments, turns fds into open files, and leaves the
rest to the channel. They see the kernel as :class:`~iochannels.sim.services.Services`;
the call table (:mod:`iochannels.sim.calltable`) names them, and the kernel records
each call as an Event.
"""

from __future__ import annotations

from iochannels.model import Access, Kind
from iochannels.sim.devices import RegularFile
from iochannels.sim.errors import WouldBlock, fail
from iochannels.sim.files import OpenFile, wait_or_eagain
from iochannels.sim.fs import Fifo
from iochannels.sim.pipes import Pipe
from iochannels.sim.sending import send_datagram, send_stream
from iochannels.sim.services import Services
from iochannels.sim.sockets import DgramSocket, Socket
from iochannels.sim.task import Call, Task

__all__ = [
    "sys_close", "sys_dup", "sys_dup2", "sys_fsync", "sys_lseek", "sys_mkfifo", "sys_open",
    "sys_pipe", "sys_read", "sys_set_cloexec", "sys_set_nonblock", "sys_unlink", "sys_write",
]

MODES: dict[str, Access] = {"r": "r", "w": "w", "rw": "rw"}


def sys_read(k: Services, p: Task, call: Call, fd: int, n: int) -> bytes:
    f = p.file(fd)
    if not f.readable:
        raise fail("EBADF")  # read(2): "fd is not open for reading"
    if n < 0:
        raise fail("EINVAL")
    if n == 0 and isinstance(f.chan, Socket):
        return b""  # net/socket.c sock_read_iter: an empty read(2) returns 0 at once
    data = f.chan.read(f, n)
    if data is None:
        raise wait_or_eagain(f, f.chan, "data to read")
    return data


def sys_write(k: Services, p: Task, call: Call, fd: int, data: bytes) -> int:
    f = p.file(fd)
    if not f.writable:
        raise fail("EBADF")
    if isinstance(f.chan, DgramSocket):
        return send_datagram(k.net, f, data, None)
    return send_stream(f, data, call, lambda: k.sigpipe(p))


def sys_open(k: Services, p: Task, call: Call, path: str, mode: str, create: bool,
             truncate: bool, append: bool, nonblock: bool, cloexec: bool) -> int:
    access = MODES.get(mode)
    if access is None:
        raise fail("EINVAL")
    p.fds.lowest_free()  # open(2): EMFILE before anything else happens
    node = k.fs.nodes.get(path)
    if node is None:
        if not create:
            raise fail("ENOENT")
        node = RegularFile(k.new_id("file"), k.wakeup, path)
        k.fs.add(path, node)
    match node:
        case Fifo():
            return open_fifo(k, p, call, node, access, nonblock, cloexec)
        case Socket():
            raise fail("ENXIO")  # open(2): "the file is a UNIX domain socket"
        case RegularFile() if truncate and "w" in access:
            node.area.truncate()
    return k.install(p, OpenFile(node, access, nonblock, append), cloexec)


def open_fifo(k: Services, p: Task, call: Call, node: Fifo, access: Access, nonblock: bool,
              cloexec: bool) -> int:
    """fifo(7): a blocking open waits for the other end; O_NONBLOCK write-open needs a reader."""
    if not call.scratch:
        if access == "w" and nonblock and (node.pipe is None or node.pipe.readers == 0):
            raise fail("ENXIO")
        if node.pipe is None:
            node.pipe = Pipe(k.new_id("fifo"), k.wakeup, k.pipe_capacity, Kind.FIFO, node.path)
        f = OpenFile(node.pipe, access, nonblock)
        node.pipe.opened(f)  # counted as a reader (writer) while it waits, as Linux does
        node.r_counter += f.readable
        node.w_counter += f.writable
        call.scratch.update(r=node.r_counter, w=node.w_counter, started=1)
        call.held = f
        k.wakeup(node)
    f = call.held
    assert isinstance(f, OpenFile) and isinstance(f.chan, Pipe)
    waiting_for = {"r": ("w", f.chan.writers), "w": ("r", f.chan.readers)}.get(access)
    if waiting_for is not None and not nonblock and waiting_for[1] == 0 \
            and getattr(node, f"{waiting_for[0]}_counter") == call.scratch[waiting_for[0]]:
        raise WouldBlock(node, "the other end of the FIFO to be opened")
    call.held = None
    return k.install(p, f, cloexec)


def sys_close(k: Services, p: Task, call: Call, fd: int) -> int:
    k.drop(p.fds.remove(fd))
    return 0


def sys_lseek(k: Services, p: Task, call: Call, fd: int, offset: int, whence: int) -> int:
    f = p.file(fd)
    if not f.chan.seekable:
        raise fail("ESPIPE")  # lseek(2): "fd is associated with a pipe, socket, or FIFO"
    assert isinstance(f.chan, RegularFile)
    match whence:
        case 0:
            base = 0
        case 1:
            base = f.offset
        case 2:
            base = f.chan.area.size
        case _:
            raise fail("EINVAL")
    if base + offset < 0:
        raise fail("EINVAL")
    f.offset = base + offset
    return f.offset


def sys_fsync(k: Services, p: Task, call: Call, fd: int) -> int:
    p.file(fd).chan.fsync()
    return 0


def sys_pipe(k: Services, p: Task, call: Call, nonblock: bool, cloexec: bool) -> tuple[int, int]:
    p.fds.free_fds(2)  # EMFILE unless two fds are free (pipe(2))
    pipe = Pipe(k.new_id("pipe"), k.wakeup, k.pipe_capacity)
    ends = OpenFile(pipe, "r", nonblock), OpenFile(pipe, "w", nonblock)
    for end in ends:
        pipe.opened(end)
    return k.install(p, ends[0], cloexec), k.install(p, ends[1], cloexec)


def sys_mkfifo(k: Services, p: Task, call: Call, path: str) -> int:
    k.fs.add(path, Fifo(path))
    return 0


def sys_unlink(k: Services, p: Task, call: Call, path: str) -> int:
    k.fs.unlink(path)
    return 0


def sys_dup(k: Services, p: Task, call: Call, fd: int) -> int:
    return k.install(p, p.file(fd))  # dup(2): the lowest free fd, cloexec off


def sys_dup2(k: Services, p: Task, call: Call, old: int, new: int) -> int:
    f = p.file(old)
    if not 0 <= new < p.fds.max_files:
        raise fail("EBADF")  # dup2(2): "newfd is out of the allowed range"
    if old == new:
        return new  # dup2(2): nothing to do, not even clearing FD_CLOEXEC
    if new in p.fds.slots:
        k.drop(p.fds.remove(new))  # closed silently, as dup2(2) says
    return k.install(p, f, fd=new)


def sys_set_nonblock(k: Services, p: Task, call: Call, fd: int, on: bool) -> int:
    p.file(fd).nonblock = on  # fcntl(2) F_SETFL: on the open file, shared by dups
    return 0


def sys_set_cloexec(k: Services, p: Task, call: Call, fd: int, on: bool) -> int:
    p.fds.get(fd).cloexec = on  # fcntl(2) F_SETFD: on this descriptor only
    return 0
