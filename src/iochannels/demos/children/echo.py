"""An echo server and its client for each channel kind: one message there and back.

``server KIND WHERE`` and ``client KIND [WHERE]`` for pipe, fifo, unix-stream,
unix-dgram, tcp and udp (a pipe's server is forked by its client, which made the
pipes). Both talk to the demo over the control line (:mod:`.control`); the
channel itself uses fds 3 and up.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, Protocol

from iochannels.demos.children.control import Refused, expect, reported, tell
from iochannels.demos.children.shared import HOST, address, name_self

__all__ = ["client", "server"]


# -- one way of moving a message for each kind ----------------------------------------------


class Line(Protocol):
    """What a peer needs of its channel: send one message, receive one."""

    def send(self, data: bytes) -> None: ...
    def recv(self) -> bytes: ...


def read_line(read: Callable[[int], bytes]) -> bytes:
    """One message of a byte stream, up to its newline: a stream keeps no boundaries, so a
    read(2) may return part of it (pipe(7), unix(7), tcp(7)); b"" once the writer is gone."""
    got = b""
    while not got.endswith(b"\n"):
        part = read(4096)
        if not part:  # end of stream: the other side closed its end
            break
        got += part
    return got.rstrip(b"\n")


class FdLine:
    """Two fds, one per direction (two pipes or two FIFOs): one-way channels in pairs."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd

    def send(self, data: bytes) -> None:
        os.write(self.wfd, data + b"\n")

    def recv(self) -> bytes:
        return read_line(lambda size: os.read(self.rfd, size))


class StreamLine:
    """One connected stream socket carries both directions (unix(7), tcp(7))."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send(self, data: bytes) -> None:
        self.sock.sendall(data + b"\n")

    def recv(self) -> bytes:
        return read_line(self.sock.recv)


class DgramLine:
    """One datagram each way; the reply goes to the sender's address (udp(7), unix(7))."""

    def __init__(self, sock: socket.socket, to: Any = None) -> None:
        self.sock, self.to = sock, to

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.to)

    def recv(self) -> bytes:
        data, self.to = self.sock.recvfrom(65536)
        return data


# -- servers: set up, say "ready", wait for the client, say "open", echo one message ---------


def new_socket(kind: str, stack: ExitStack) -> socket.socket:
    """socket(2) for a kind: unix-stream, unix-dgram (unix(7)), tcp (tcp(7)), udp (udp(7))."""
    family = socket.AF_UNIX if kind.startswith("unix") else socket.AF_INET
    stype = socket.SOCK_STREAM if kind in ("unix-stream", "tcp") else socket.SOCK_DGRAM
    return stack.enter_context(socket.socket(family, stype))


def _bound(kind: str, where: str, stack: ExitStack) -> socket.socket:
    sock = new_socket(kind, stack)
    if sock.family == socket.AF_INET:
        # socket(7) SO_REUSEADDR: a port left in TIME_WAIT by the last run can be bound again;
        # a port another program listens on still cannot.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, int(where)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Refused(f"port {where} on {HOST} is taken (choose another with --port)") \
                    from None
            raise
    else:
        sock.bind(where)
    return sock


def serve_socket(kind: str, where: str, stack: ExitStack) -> Line:
    sock = _bound(kind, where, stack)
    if kind in ("udp", "unix-dgram"):
        tell("ready", role="server", address=address(sock))
        tell("open", role="server", local=address(sock))
        return DgramLine(sock)
    sock.listen(1)
    tell("ready", role="server", address=address(sock))
    conn, _ = sock.accept()  # accept(2): a new connection socket; the listening one stays
    stack.enter_context(conn)
    tell("open", role="server", local=address(conn), remote=address(conn, remote=True),
         listening=sock.fileno(), connection=conn.fileno())
    return StreamLine(conn)


def serve_fifo(where: str, stack: ExitStack) -> Line:
    to_server = os.path.join(where, "to_server.fifo")
    from_server = os.path.join(where, "from_server.fifo")
    os.mkfifo(to_server)  # mkfifo(3): a name in the filesystem for a pipe (fifo(7))
    os.mkfifo(from_server)
    tell("ready", role="server", address=where, paths=[to_server, from_server])
    rfd = os.open(to_server, os.O_RDONLY)  # blocks until a writer opens it (fifo(7))
    stack.callback(os.close, rfd)
    wfd = os.open(from_server, os.O_WRONLY)
    stack.callback(os.close, wfd)
    tell("open", role="server", read_fd=rfd, write_fd=wfd)
    return FdLine(rfd, wfd)


def echo_once(line: Line, role: str = "server") -> None:
    message = line.recv()
    line.send(message)
    tell("echoed", role=role, message=message.decode(errors="replace"))


def wait_for_close(line: Line) -> None:
    """Stream peers hold the channel until the client closes its side (read gives 0)."""
    if isinstance(line, FdLine | StreamLine):
        line.recv()


@reported
def server(kind: str, where: str) -> None:
    name_self("server")
    with ExitStack() as stack:
        line = serve_fifo(where, stack) if kind == "fifo" else serve_socket(kind, where, stack)
        echo_once(line)
        wait_for_close(line)


# -- clients: open the channel, say "open", on "send" send and read the echo -----------------


def connect_socket(kind: str, where: str, stack: ExitStack) -> Line:
    sock = new_socket(kind, stack)
    target: Any = where if kind.startswith("unix") else (HOST, int(where.rsplit(":", 1)[1]))
    if kind == "udp":
        sock.bind((HOST, 0))  # what the first sendto(2) would do; done first to show it
    if kind == "unix-dgram":
        sock.bind(os.path.join(os.path.dirname(where), "client.sock"))  # to get a reply
    if kind in ("unix-stream", "tcp"):
        sock.connect(target)
        tell("open", role="client", local=address(sock), remote=address(sock, remote=True))
        return StreamLine(sock)
    tell("open", role="client", local=address(sock), remote=str(where))
    return DgramLine(sock, target)


def connect_fifo(where: str, stack: ExitStack) -> Line:
    wfd = os.open(os.path.join(where, "to_server.fifo"), os.O_WRONLY)
    stack.callback(os.close, wfd)
    rfd = os.open(os.path.join(where, "from_server.fifo"), os.O_RDONLY)
    stack.callback(os.close, rfd)
    tell("open", role="client", read_fd=rfd, write_fd=wfd)
    return FdLine(rfd, wfd)


def talk(line: Line) -> None:
    message = expect("send")["message"].encode()
    line.send(message)
    tell("echo", role="client", message=line.recv().decode(errors="replace"))
    expect("quit")


@reported
def client(kind: str, where: str = "") -> None:
    name_self("client")
    if kind == "pipe":
        return pipe_pair()
    with ExitStack() as stack:
        talk(connect_fifo(where, stack) if kind == "fifo" else connect_socket(kind, where, stack))


def pipe_pair() -> None:
    """pipe(2) twice, then fork(2): the server inherits the ends it needs (pipe(7))."""
    to_server, from_server = os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:
        name_self("server")
        os.close(to_server[1])
        os.close(from_server[0])
        line = FdLine(to_server[0], from_server[1])
        tell("open", role="server", pid=os.getpid(), read_fd=to_server[0],
             write_fd=from_server[1])
        echo_once(line)
        wait_for_close(line)
        os._exit(0)
    os.close(to_server[0])
    os.close(from_server[1])
    tell("open", role="client", server_pid=pid, read_fd=from_server[0], write_fd=to_server[1])
    try:
        talk(FdLine(from_server[0], to_server[1]))
    finally:
        os.close(to_server[1])  # the server reads end of stream and exits
        os.close(from_server[0])
        os.waitpid(pid, 0)
