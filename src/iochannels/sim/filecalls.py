"""System calls on files, pipes and descriptors: the xv6 ``sysfile.c`` of the simulator.

Each call checks its arguments, turns fds into open files, and leaves the
rest to the channel. They see the kernel as :class:`~iochannels.sim.services.Services`;
the call table (:mod:`iochannels.sim.calltable`) names them, and the kernel records
each call as an Event.
"""

from __future__ import annotations

from iochannels.model import Access, Kind
from iochannels.sim.devices import DevNull, RegularFile
from iochannels.sim.errors import WouldBlock, fail
from iochannels.sim.files import POLLERR, POLLHUP, POLLNVAL, OpenFile, wait_or_eagain
from iochannels.sim.fs import Fifo
from iochannels.sim.pipes import Pipe
from iochannels.sim.sending import send_datagram, send_stream
from iochannels.sim.services import Services
from iochannels.sim.sockets import DgramSocket, Socket
from iochannels.sim.task import Call, Task

__all__ = [
    "sys_close", "sys_dup", "sys_dup2", "sys_dup3", "sys_fcntl", "sys_fsync", "sys_lseek",
    "sys_mkfifo", "sys_open", "sys_pipe", "sys_poll", "sys_read", "sys_set_cloexec",
    "sys_set_nonblock", "sys_unlink", "sys_write",
]

MODES: dict[str, Access] = {"r": "r", "w": "w", "rw": "rw"}
SEEK_MAX = 4  # SEEK_HOLE, the last whence lseek(2) knows


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
    for held in f.chan.take_passed() if isinstance(f.chan, Socket) else ():
        k.drop(held)  # files sent with SCM_RIGHTS: a read(2) closes them
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
    return k.install(p, OpenFile(node, access, nonblock, append, largefile=True), cloexec)


def open_fifo(k: Services, p: Task, call: Call, node: Fifo, access: Access, nonblock: bool,
              cloexec: bool) -> int:
    """fifo(7): a blocking open waits for the other end; O_NONBLOCK write-open needs a reader."""
    if not call.scratch:
        if access == "w" and nonblock and (node.pipe is None or node.pipe.readers == 0):
            raise fail("ENXIO")
        if node.pipe is None:
            node.pipe = Pipe(k.new_id("fifo"), k.wakeup, k.pipe_capacity, Kind.FIFO, node.path)
        f = OpenFile(node.pipe, access, nonblock, largefile=True)
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
    path = k.fs.resolve(path)
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


# fcntl(2)'s commands and flags, Linux's numbers (the fcntl and os modules have the same).
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ = 1030, 1031, 1032
FCNTL_COMMANDS = {"F_DUPFD": F_DUPFD, "F_GETFD": F_GETFD, "F_SETFD": F_SETFD,
                  "F_GETFL": F_GETFL, "F_SETFL": F_SETFL, "F_DUPFD_CLOEXEC": F_DUPFD_CLOEXEC,
                  "F_SETPIPE_SZ": F_SETPIPE_SZ, "F_GETPIPE_SZ": F_GETPIPE_SZ}
FD_CLOEXEC = 1
O_ACCMODE = {"r": 0o0, "w": 0o1, "rw": 0o2}  # O_RDONLY, O_WRONLY, O_RDWR
O_NONBLOCK, O_APPEND, O_LARGEFILE, O_CLOEXEC = 0o4000, 0o2000, 0o100000, 0o2000000
PIPE_MAX_SIZE = 1 << 20  # /proc/sys/fs/pipe-max-size: more is EPERM without CAP_SYS_RESOURCE


def sys_fcntl(k: Services, p: Task, call: Call, fd: int, cmd: int | str, arg: int) -> int:
    """fcntl(2): status flags on the open file, FD_CLOEXEC on the fd, F_DUPFD, pipe size."""
    slot = p.fds.get(fd)  # EBADF first, whatever the command
    f = slot.file
    match FCNTL_COMMANDS.get(cmd, cmd) if isinstance(cmd, str) else cmd:
        case 0 | 1030 as dup:  # F_DUPFD, F_DUPFD_CLOEXEC: the lowest free fd >= arg
            if not 0 <= arg < p.fds.max_files:
                raise fail("EINVAL")  # fcntl(2): "arg is negative or is greater than ..."
            return k.install(p, f, dup == F_DUPFD_CLOEXEC, p.fds.lowest_free_from(arg))
        case 1:  # F_GETFD
            return FD_CLOEXEC if slot.cloexec else 0
        case 2:  # F_SETFD
            slot.cloexec = bool(arg & FD_CLOEXEC)
            return 0
        case 3:  # F_GETFL
            return (O_ACCMODE[f.access] | (O_NONBLOCK if f.nonblock else 0)
                    | (O_APPEND if f.append else 0) | (O_LARGEFILE if f.largefile else 0))
        case 4:  # F_SETFL: only O_APPEND and O_NONBLOCK of these change (fcntl(2))
            f.nonblock, f.append = bool(arg & O_NONBLOCK), bool(arg & O_APPEND)
            return 0
        case 1031 | 1032 as pipe_cmd:  # F_SETPIPE_SZ, F_GETPIPE_SZ
            if not isinstance(f.chan, Pipe):
                raise fail("EBADF")  # fs/pipe.c pipe_fcntl: not a pipe
            if pipe_cmd == F_GETPIPE_SZ:
                return f.chan.ring.capacity
            if arg > PIPE_MAX_SIZE:
                raise fail("EPERM")
            return f.chan.resize(arg)
    raise fail("EINVAL")  # fcntl(2): "the value specified in cmd is not recognized"


def sys_dup3(k: Services, p: Task, call: Call, old: int, new: int, cloexec: bool) -> int:
    """dup3(2): dup2 that may set FD_CLOEXEC on the new fd; in fs/file.c ksys_dup3's
    order: old == new is EINVAL (where dup2 does nothing), then newfd's range, then oldfd."""
    if old == new:
        raise fail("EINVAL")
    if not 0 <= new < p.fds.max_files:
        raise fail("EBADF")
    f = p.file(old)
    if new in p.fds.slots:
        k.drop(p.fds.remove(new))
    return k.install(p, f, cloexec, fd=new)


def sys_poll(k: Services, p: Task, call: Call, fds: tuple[tuple[int, int], ...],
             timeout: int) -> list[tuple[int, int]]:
    """poll(2): the (fd, revents) pairs that are ready, as Python's select.poll gives them.

    Nothing ready: at once with timeout 0, else the call waits on every channel it
    watches until one of them changes. The simulator has no clock: a positive timeout
    waits as -1 does (simplification ``no-clock``). POLLERR and POLLHUP are reported
    whether asked or not; an fd that is not open says POLLNVAL; a negative fd is skipped.
    """
    if len(fds) > p.fds.max_files:
        raise fail("EINVAL")  # poll(2): "nfds value exceeds the RLIMIT_NOFILE value"
    ready: list[tuple[int, int]] = []
    chans: list[object] = []
    for fd, events in fds:
        slot = p.fds.slots.get(fd) if fd >= 0 else None
        if slot is None:
            if fd >= 0:
                ready.append((fd, POLLNVAL))
            continue
        chan = slot.file.chan
        revents = chan.poll(slot.file) & (events | POLLERR | POLLHUP)
        if revents:
            ready.append((fd, revents))
        chans.append(chan)
    if ready or timeout == 0:
        return ready
    raise WouldBlock(tuple(chans), "one of its fds to be ready")
