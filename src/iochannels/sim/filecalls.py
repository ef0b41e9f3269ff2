"""System calls on files, pipes and descriptors: the xv6 ``sysfile.c`` of the simulator.

Each call checks its arguments, turns fds into open files, and leaves the
rest to the channel. They run inside :class:`~iochannels.sim.kernel.Kernel`,
which records each one as an Event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from iochannels.model import Access, Kind
from iochannels.sim.devices import DevNull, RegularFile
from iochannels.sim.errors import SimOSError, WouldBlock, fail
from iochannels.sim.files import OpenFile
from iochannels.sim.fs import Fifo
from iochannels.sim.pipes import PIPE_BUF, Pipe
from iochannels.sim.process import Call, Process
from iochannels.sim.sockets import DgramSocket, Socket

if TYPE_CHECKING:
    from iochannels.sim.kernel import Kernel

__all__ = ["FILE_CALLS"]

MODES: dict[str, Access] = {"r": "r", "w": "w", "rw": "rw"}
SEEK_MAX = 4  # SEEK_HOLE, the last whence lseek(2) knows


def wait_or_eagain(f: OpenFile, chan: object, what: str) -> Exception:
    """The wait on ``chan`` that a call would make, carrying the file's O_NONBLOCK.

    The kernel (:meth:`Kernel._execute`) turns it into EAGAIN (read(2), write(2)) when
    O_NONBLOCK was set as the call found it at its start, or parks the call."""
    return WouldBlock(chan, what, f.nonblock)


def sys_read(k: Kernel, p: Process, call: Call, fd: int, n: int) -> bytes:
    f = k.file(p, fd)
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


def sys_write(k: Kernel, p: Process, call: Call, fd: int, data: bytes) -> int:
    f = k.file(p, fd)
    if not f.writable:
        raise fail("EBADF")
    if isinstance(f.chan, DgramSocket):
        return k.dgram_send(p, f, data, None)
    return write_stream(k, p, call, f, data)


def write_stream(k: Kernel, p: Process, call: Call, f: OpenFile, data: bytes) -> int:
    """Take what fits; block (or EAGAIN) for the rest, keeping the partial count in ``call``."""
    try:
        taken = f.chan.write(f, data[call.progress :], len(data) <= PIPE_BUF)
    except SimOSError as exc:
        if exc.name == "EPIPE":
            k.sigpipe(p)  # pipe(7), socket(7): EPIPE comes with SIGPIPE
            if call.progress:
                return call.progress
        raise
    call.progress += taken
    if call.progress == len(data):
        return len(data)
    # A woken socket send keeps the O_NONBLOCK it started with (sock_sndtimeo); pipe_write
    # looks at the flag again each time it made room, so a woken pipe write may stop here.
    nonblock = f.nonblock if call.nonblock is None or not isinstance(f.chan, Socket) \
        else call.nonblock
    if nonblock and call.progress:
        return call.progress  # write(2): a partial write, the count of what was taken
    raise wait_or_eagain(f, f.chan, "room in the buffer")


def sys_open(k: Kernel, p: Process, call: Call, path: str, mode: str, create: bool,
             truncate: bool, append: bool, nonblock: bool, cloexec: bool) -> int:
    access = MODES.get(mode)
    if access is None:
        raise fail("EINVAL")
    if not path:
        raise fail("ENOENT")  # do_sys_openat2: getname() refuses "" before an fd is taken
    p.fds.lowest_free()  # open(2): EMFILE before anything else happens
    path = k.fs.resolve(path)
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
        case RegularFile() if truncate:
            # open(2): O_TRUNC with O_RDONLY is "unspecified"; Linux truncates (do_truncate
            # runs for any open with O_TRUNC once the file may be written by this user).
            node.area.truncate()
    return k.install(p, OpenFile(node, access, nonblock, append), cloexec)


def open_fifo(k: Kernel, p: Process, call: Call, node: Fifo, access: Access, nonblock: bool,
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


def sys_close(k: Kernel, p: Process, call: Call, fd: int) -> int:
    k.drop(p.fds.remove(fd))
    return 0


def sys_lseek(k: Kernel, p: Process, call: Call, fd: int, offset: int, whence: int) -> int:
    f = k.file(p, fd)
    if not 0 <= whence <= SEEK_MAX:
        raise fail("EINVAL")  # ksys_lseek: "if (whence <= SEEK_MAX)", before the file's llseek
    if isinstance(f.chan, DevNull):
        f.offset = 0  # drivers/char/mem.c null_lseek: any whence, any offset, gives 0
        return 0
    if not f.chan.seekable:
        raise fail("ESPIPE")  # lseek(2): "fd is associated with a pipe, socket, or FIFO"
    assert isinstance(f.chan, RegularFile)
    size = f.chan.area.size
    match whence:
        case 0:
            base = 0
        case 1:
            base = f.offset
        case 2:
            base = size
        case 3 | 4:  # SEEK_DATA, SEEK_HOLE: a file without holes ("file-holes")
            if not 0 <= offset < size:
                raise fail("ENXIO")  # lseek(2): "offset is beyond the end of the file"
            f.offset = offset if whence == 3 else size  # the implicit hole at the end
            return f.offset
        case _:
            raise fail("EINVAL")
    if base + offset < 0:
        raise fail("EINVAL")
    f.offset = base + offset
    return f.offset


def sys_fsync(k: Kernel, p: Process, call: Call, fd: int) -> int:
    k.file(p, fd).chan.fsync()
    return 0


def sys_pipe(k: Kernel, p: Process, call: Call, nonblock: bool, cloexec: bool) -> tuple[int, int]:
    p.fds.free_fds(2)  # EMFILE unless two fds are free (pipe(2))
    pipe = Pipe(k.new_id("pipe"), k.wakeup, k.pipe_capacity)
    ends = OpenFile(pipe, "r", nonblock), OpenFile(pipe, "w", nonblock)
    for end in ends:
        pipe.opened(end)
    return k.install(p, ends[0], cloexec), k.install(p, ends[1], cloexec)


def sys_mkfifo(k: Kernel, p: Process, call: Call, path: str) -> int:
    path = k.fs.resolve(path)
    k.fs.add(path, Fifo(path))
    return 0


def sys_unlink(k: Kernel, p: Process, call: Call, path: str) -> int:
    k.fs.unlink(path)
    return 0


def sys_dup(k: Kernel, p: Process, call: Call, fd: int) -> int:
    return k.install(p, k.file(p, fd))  # dup(2): the lowest free fd, cloexec off


def sys_dup2(k: Kernel, p: Process, call: Call, old: int, new: int) -> int:
    f = k.file(p, old)
    if not 0 <= new < p.fds.max_files:
        raise fail("EBADF")  # dup2(2): "newfd is out of the allowed range"
    if old == new:
        return new  # dup2(2): nothing to do, not even clearing FD_CLOEXEC
    if new in p.fds.slots:
        k.drop(p.fds.remove(new))  # closed silently, as dup2(2) says
    return k.install(p, f, fd=new)


def sys_set_nonblock(k: Kernel, p: Process, call: Call, fd: int, on: bool) -> int:
    k.file(p, fd).nonblock = on  # fcntl(2) F_SETFL: on the open file, shared by dups
    return 0


def sys_set_cloexec(k: Kernel, p: Process, call: Call, fd: int, on: bool) -> int:
    p.fds.get(fd).cloexec = on  # fcntl(2) F_SETFD: on this descriptor only
    return 0


FILE_CALLS: dict[str, Callable[..., Any]] = {
    "read": sys_read, "write": sys_write, "open": sys_open, "close": sys_close,
    "lseek": sys_lseek, "fsync": sys_fsync, "pipe": sys_pipe, "mkfifo": sys_mkfifo,
    "unlink": sys_unlink, "dup": sys_dup, "dup2": sys_dup2, "set_nonblock": sys_set_nonblock,
    "set_cloexec": sys_set_cloexec,
}
