"""The channels the bench measures, made in Python: ends ready for the measuring loops.

A ``Link`` is made before ``fork(2)``: the parent keeps its ends and closes the child's,
the child the other way round, as a shell does with a pipe's ends. A pipe or FIFO is one
direction (pipe(7)); a round trip through one needs two, as LMbench's lat_pipe has. A
socket carries both ways. UNIX sockets come from socketpair(2), so no socket file is
made; TCP and UDP are bound to 127.0.0.1 on a port the kernel picks (ip(7)), and the TCP
listener is closed as soon as the connection is accepted. The FIFO is unlinked as soon as
both ends are open: fifo(7) says the name is needed only to open it.
"""

from __future__ import annotations

import fcntl
import io
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from iochannels.bench.shmring import Ring

__all__ = ["DATAGRAM", "KINDS", "End", "Link", "open_link"]

# What the bench measures, in the order it shows them; shm is the reference (no kernel).
KINDS = ("pipe", "fifo", "unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "udp", "shm")
DATAGRAM = frozenset({"unix-dgram", "unix-seqpacket", "udp"})  # message boundaries kept
SHM_DEFAULT = 1 << 20  # the ring's size when no --buffer is given: a large pipe's


@dataclass(eq=False)
class End:
    """One end of a channel, as the loops call it (bound methods, looked up once)."""

    read_into: Callable[[memoryview], int | None]
    write: Callable[[memoryview], int | None]
    close: Callable[[], None]
    fileno: int = -1  # -1 for a ring
    send_empty: Callable[[], None] | None = None  # a datagram socket's end of the exchange


@dataclass(eq=False)
class Link:
    """A channel between the parent and a child-to-be, with a direction or two.

    ``parent_in``/``child_out``: the child sends, the parent receives (a throughput run).
    ``parent_out``/``child_in``: the way back, made only for a round trip.
    """

    kind: str
    parent_in: End
    child_out: End
    parent_out: End | None = None
    child_in: End | None = None
    buffer: int | None = None  # the effective buffer size, as the kernel reports it
    rings: list[Ring] = field(default_factory=list)
    _parent_close: list[Callable[[], None]] = field(default_factory=list)
    _child_close: list[Callable[[], None]] = field(default_factory=list)

    def in_parent(self) -> None:
        """After fork, in the parent: close the child's ends."""
        for close in self._child_close:
            close()

    def in_child(self) -> None:
        """After fork, in the child: close the parent's ends."""
        for close in self._parent_close:
            close()

    def close(self) -> None:
        """Everything this process still holds (the parent, once the child is reaped)."""
        for close in self._parent_close:
            close()
        for ring in self.rings:
            ring.release()


def open_link(kind: str, *, both_ways: bool, buffer: int | None, workdir: Path) -> Link:
    """The channel ``kind``, with its buffer set to ``buffer`` bytes where given."""
    if kind in ("pipe", "fifo"):
        link = _pipe_link(kind, buffer, workdir)
        if both_ways:
            back = _pipe_link(kind, buffer, workdir)
            link.parent_out, link.child_in = back.child_out, back.parent_in
            link._parent_close.append(back.child_out.close)
            link._child_close.append(back.parent_in.close)
        return link
    if kind == "shm":
        ring = Ring(buffer or SHM_DEFAULT)
        link = Link(kind, _ring_end(ring), _ring_end(ring), buffer=ring.capacity, rings=[ring])
        if both_ways:
            way_back = Ring(ring.capacity)
            link.parent_out, link.child_in = _ring_end(way_back), _ring_end(way_back)
            link.rings.append(way_back)
        return link
    mine, theirs = _socket_pair(kind, buffer)
    near, far = _socket_end(mine), _socket_end(theirs)
    link = Link(kind, near, far, buffer=_effective_buffer(mine))
    if both_ways:
        link.parent_out, link.child_in = near, far
    link._parent_close.append(mine.close)
    link._child_close.append(theirs.close)
    return link


def _pipe_link(kind: str, buffer: int | None, workdir: Path) -> Link:
    if kind == "pipe":
        r, w = os.pipe()
    else:
        path = workdir / f"fifo-{os.getpid()}-{len(os.listdir(workdir))}"
        os.mkfifo(path, 0o600)
        try:
            # open(2) of a FIFO for reading waits for a writer unless O_NONBLOCK (fifo(7)).
            r = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            w = os.open(path, os.O_WRONLY)
            os.set_blocking(r, True)
        finally:
            path.unlink()
    if buffer:
        try:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, buffer)
        except OSError as exc:  # EPERM above /proc/sys/fs/pipe-max-size (pipe(7))
            os.close(r)
            os.close(w)
            raise OSError(exc.errno, f"F_SETPIPE_SZ {buffer}: {exc.strerror}") from None
    size = fcntl.fcntl(w, fcntl.F_GETPIPE_SZ)
    reader = io.FileIO(r, "rb")
    writer = io.FileIO(w, "wb")
    link = Link(kind, End(reader.readinto, _no_write, reader.close, r),
                End(_no_read, writer.write, writer.close, w), buffer=size)
    link._parent_close.append(reader.close)
    link._child_close.append(writer.close)
    return link


def _no_read(buf: memoryview) -> int:
    raise AssertionError("the write end of a pipe is not read")


def _no_write(data: memoryview) -> int:
    raise AssertionError("the read end of a pipe is not written")


def _ring_end(ring: Ring) -> End:
    return End(ring.read_into, ring.write, ring.close)


def _socket_end(sock: socket.socket) -> End:
    def send_empty() -> None:
        sock.send(b"")

    datagram = sock.type != socket.SOCK_STREAM
    return End(sock.recv_into, sock.send, sock.close, sock.fileno(),
               send_empty if datagram else None)


def _socket_pair(kind: str, buffer: int | None) -> tuple[socket.socket, socket.socket]:
    if kind.startswith("unix-"):
        kind_type = {"unix-stream": socket.SOCK_STREAM, "unix-dgram": socket.SOCK_DGRAM,
                     "unix-seqpacket": socket.SOCK_SEQPACKET}[kind]
        a, b = socket.socketpair(socket.AF_UNIX, kind_type)
        for s in (a, b):
            _set_buffers(s, buffer)
        return b, a
    if kind == "tcp":
        return _tcp_pair(buffer)
    if kind == "udp":
        return _udp_pair(buffer)
    raise ValueError(f"no channel kind {kind!r}")


def _set_buffers(sock: socket.socket, buffer: int | None) -> None:
    # socket(7): the kernel doubles the value given (for its bookkeeping) and caps it at
    # wmem_max / rmem_max; getsockopt tells what it kept.
    if buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)


def _effective_buffer(sock: socket.socket) -> int:
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


def _tcp_pair(buffer: int | None) -> tuple[socket.socket, socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        _set_buffers(listener, buffer)  # accepted sockets inherit the listener's (tcp(7))
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            _set_buffers(client, buffer)
            client.connect(listener.getsockname())
            server, _ = listener.accept()
        except BaseException:
            client.close()
            raise
    # tcp(7): TCP_NODELAY sends each write at once, as the C reference does; without it
    # Nagle's algorithm holds small writes back while an ack is outstanding.
    for s in (server, client):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return server, client


def _udp_pair(buffer: int | None) -> tuple[socket.socket, socket.socket]:
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for s in (a, b):
            _set_buffers(s, buffer)
            s.bind(("127.0.0.1", 0))
        a.connect(b.getsockname())
        b.connect(a.getsockname())
    except BaseException:
        a.close()
        b.close()
        raise
    return a, b
