"""The small programs the demos run as real, separate processes.

Run as ``python -m iochannels.demos._peers ROLE KIND [ARG...]``. Each talks to
the demo that started it over its standard input and output (fds 0 and 1): it
writes one JSON line per event (``{"event": "open", ...}``) and reads one JSON
line per command (``{"cmd": "send", "message": "..."}``). The channel the demo
is about uses fds 3 and up, so the demo can leave 0-2 out of its pictures.

Roles: ``server`` and ``client`` of one channel kind (pipe, fifo, unix-stream,
unix-dgram, tcp, udp), ``standin`` (a program holding what a chat client
holds) and ``popen`` (a Python program that runs ``subprocess.Popen``).
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, Protocol

from iochannels.demos._program import HOST, name_self, say
from iochannels.demos._state import fionread

__all__ = ["main"]


# -- talking to the demo --------------------------------------------------------------------


def tell(event: str, **data: Any) -> None:
    """One JSON line on fd 1: both peers of a pipe demo share it."""
    say(1, {"event": event, **data})


def command() -> dict[str, Any]:
    """The next command from the demo; ``quit`` when the demo closed our stdin."""
    line = sys.stdin.buffer.readline()
    if not line:
        return {"cmd": "quit"}
    value: dict[str, Any] = json.loads(line)
    return value


def expect(cmd: str) -> dict[str, Any]:
    got = command()
    if got["cmd"] not in (cmd, "quit"):
        raise SystemExit(f"expected command {cmd!r}, got {got!r}")
    if got["cmd"] == "quit" and cmd != "quit":
        raise SystemExit(0)
    return got


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


class Refused(Exception):
    """A setup failure the demo reports in one line."""


def _address(sock: socket.socket, remote: bool = False) -> str:
    addr = sock.getpeername() if remote else sock.getsockname()
    if isinstance(addr, tuple):
        return f"{addr[0]}:{addr[1]}"
    return str(addr.decode() if isinstance(addr, bytes) else addr) or "(unnamed)"


def serve_socket(kind: str, where: str, stack: ExitStack) -> Line:
    sock = _bound(kind, where, stack)
    if kind in ("udp", "unix-dgram"):
        tell("ready", role="server", address=_address(sock))
        tell("open", role="server", local=_address(sock))
        return DgramLine(sock)
    sock.listen(1)
    tell("ready", role="server", address=_address(sock))
    conn, _ = sock.accept()  # accept(2): a new connection socket; the listening one stays
    stack.enter_context(conn)
    tell("open", role="server", local=_address(conn), remote=_address(conn, remote=True),
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
        tell("open", role="client", local=_address(sock), remote=_address(sock, remote=True))
        return StreamLine(sock)
    tell("open", role="client", local=_address(sock), remote=str(where))
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


# -- the pitch's stand-in application ---------------------------------------------------------


def standin(workdir: str, socket_dir: str, port: str) -> None:
    """Hold what a chat client holds; say what was opened, by kind; wait for "quit"."""
    name_self("chat-standin")
    with ExitStack() as stack:
        opened: dict[str, int] = {}
        for kind, fds in _standin_fds(workdir, socket_dir, int(port), stack):
            opened[kind] = opened.get(kind, 0) + fds
        tell("open", role="standin", opened=opened)
        expect("quit")


def _standin_fds(workdir: str, socket_dir: str, port: int,
                 stack: ExitStack) -> Iterator[tuple[str, int]]:
    for stype, kind in ((socket.SOCK_STREAM, "unix-stream"), (socket.SOCK_SEQPACKET,
                                                                "unix-seqpacket")):
        for sock in socket.socketpair(socket.AF_UNIX, stype):  # unix(7): connected pairs
            stack.enter_context(sock)
        yield kind, 2
    yield "unix-stream", _hold_unix_named(os.path.join(socket_dir, "app.sock"), stack)
    yield "pipe", _hold_pipes(2, stack)
    yield "fifo", _hold(stack, os.path.join(workdir, "events.fifo"), fifo=True)
    yield "anon", _hold_anon(stack)
    yield "chr", _hold(stack, "/dev/null") + _hold(stack, "/dev/urandom")
    for name in ("history.db", "settings.json"):
        yield "file", _hold(stack, os.path.join(workdir, name), create=True)
    yield "tcp", _hold_tcp(port, stack)


def _hold(stack: ExitStack, path: str, *, fifo: bool = False, create: bool = False) -> int:
    if fifo:
        os.mkfifo(path)
    # O_RDWR on a FIFO opens without waiting for a peer (Linux, fifo(7)).
    flags = os.O_RDWR | (os.O_CREAT if create else 0) if fifo or create else os.O_RDONLY
    fd = os.open(path, flags, 0o600)
    stack.callback(os.close, fd)
    return 1


def _hold_unix_named(path: str, stack: ExitStack) -> int:
    """A named UNIX socket the program listens on and one connection to it (unix(7))."""
    listening = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    listening.bind(path)
    listening.listen(1)
    client = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    client.connect(path)
    stack.enter_context(listening.accept()[0])
    return 3


def _hold_pipes(count: int, stack: ExitStack) -> int:
    for _ in range(count):
        for fd in os.pipe():  # a read end and a write end on one inode (pipe(2))
            stack.callback(os.close, fd)
    return 2 * count


def _hold_anon(stack: ExitStack) -> int:
    efd = os.eventfd(0)  # eventfd(2): a counter the kernel keeps
    stack.callback(os.close, efd)
    epoll = stack.enter_context(select.epoll())  # epoll(7): the fds a loop waits on
    epoll.register(efd, select.EPOLLIN)
    return 2


def _hold_tcp(port: int, stack: ExitStack) -> int:
    listening = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    listening.bind((HOST, 0))
    listening.listen(5)
    conn = stack.enter_context(socket.create_connection((HOST, port)))
    tell("tcp", role="standin", listening=_address(listening), local=_address(conn),
         remote=_address(conn, remote=True))
    return 2


# -- the popen demo's Python: runs grep as subprocess.Popen does ------------------------------


def popen() -> None:
    name_self("python-popen")
    expect("start")
    with subprocess.Popen(["grep", "a", "/etc/passwd"], stdout=subprocess.PIPE) as child:
        assert child.stdout is not None
        # Popen returns once grep is exec'ed; grep needs a millisecond more to finish. Pause it
        # (signal(7): SIGSTOP) so the demo can see it holding the write end as its fd 1.
        os.kill(child.pid, signal.SIGSTOP)
        tell("started", role="python", child=child.pid, read_fd=child.stdout.fileno())
        expect("exited")
        os.kill(child.pid, signal.SIGCONT)
        # waitid(2) with WNOWAIT: wait for the exit but leave the child a zombie.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        tell("exited", role="python", child=child.pid, waiting=fionread(child.stdout.fileno()))
        expect("reap")
        output = child.stdout.read()
    tell("reaped", role="python", child=child.pid, status=child.returncode,
         lines=output.count(b"\n"), bytes=len(output))
    popen_two_way()


def popen_two_way() -> None:
    expect("start")
    with subprocess.Popen(["grep", "a"], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
        assert child.stdin is not None and child.stdout is not None
        tell("started", role="python", child=child.pid, write_fd=child.stdin.fileno(),
             read_fd=child.stdout.fileno())
        expect("feed")
        with open("/etc/passwd", "rb") as source:
            output, _ = child.communicate(source.read())
    tell("reaped", role="python", child=child.pid, status=child.returncode,
         lines=output.count(b"\n"), bytes=len(output))
    expect("quit")


# -- the buffer-size demo's writer -------------------------------------------------------------


def writer() -> None:
    """Say "r" when ready; then for each line "CHUNK TOTAL", write TOTAL bytes in CHUNK writes."""
    name_self("writer")
    os.write(1, b"r")
    for line in sys.stdin.buffer:
        chunk, total = (int(word) for word in line.split())
        data = memoryview(b"x" * chunk)
        left = total
        while left > 0:
            # A blocking write(2) to a pipe waits for room and returns the whole count
            # (pipe(7)); counting what it returns costs nothing and is always right.
            left -= os.write(1, data[: min(chunk, left)])


# -- the buffer-size demo's plot --------------------------------------------------------------


def plot(path: str) -> None:
    """Draw [[channel, chunk, MB/s], ...] read from stdin as a PNG or SVG (by the suffix)."""
    from matplotlib.figure import Figure

    points = json.load(sys.stdin)
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for channel in ("file", "pipe"):
        mine = [(chunk // 1024, rate) for ch, chunk, rate in points if ch == channel]
        ax.plot([c for c, _ in mine], [r for _, r in mine], "o-", label=channel)
    sizes = sorted({chunk // 1024 for _, chunk, _ in points})
    ax.set(xscale="log", xlabel="chunk (KiB)", ylabel="MB/s", title="Throughput by chunk size")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.legend()
    fig.savefig(path)


# -- entry point -------------------------------------------------------------------------------

ROLES: dict[str, Callable[..., None]] = {
    "server": server,
    "client": client,
    "standin": standin,
    "popen": popen,
    "writer": writer,
    "plot": plot,
}


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except Refused as exc:
        tell("error", message=str(exc))
        raise SystemExit(1) from None
    except OSError as exc:
        tell("error", message=f"{exc.strerror or exc}")
        raise SystemExit(1) from None


def main(argv: list[str]) -> None:
    role, *args = argv
    with _reported():
        ROLES[role](*args)


if __name__ == "__main__":
    main(sys.argv[1:])
