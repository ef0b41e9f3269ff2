"""The programs of the N-clients demo: an iterative echo server and a worker of many clients.

``server KIND BACKLOG HOLD PORT`` and ``clients KIND PORT COUNT WINDOW``. Each
says JSON lines on fd 1 and obeys fd 0: the server runs until its stdin closes;
a worker runs its clients, says their round-trip times, keeps its TCP
connections open until its stdin closes (so that the server can be seen holding
them all), then closes them.

Loopback only (127.0.0.1). A worker keeps at most WINDOW clients in flight, so
that N can be large without N processes or N threads.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import select
import selectors
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from iochannels.demos.children.control import tell
from iochannels.demos.children.shared import HOST, name_self

__all__ = ["clients", "server"]

MESSAGE = b"ping"
UDP_RETRY_SECONDS = 0.5  # a datagram lost (a full receive queue) is sent again
UDP_TRIES = 6
DEADLINE_SECONDS = 300.0
FD_SPARE = 16  # fds the server keeps free of held connections: stdio, its listening socket


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard one (getrlimit(2)); return the new soft limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# -- the server -----------------------------------------------------------------------------


def serve(kind: str, backlog: int, hold: int, port: int) -> None:
    limit = raise_fd_limit()
    kind_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    server = socket.socket(socket.AF_INET, kind_type)
    try:
        server.bind((HOST, port))
    except OSError as exc:
        taken = " (choose another with --port)" if exc.errno == errno.EADDRINUSE else ""
        tell("error", message=f"cannot bind {HOST}:{port}: {exc.strerror}{taken}")
        return
    if kind == "tcp":
        server.listen(backlog)  # tcp(7): the accept queue holds `backlog` finished handshakes
    tell("ready", port=server.getsockname()[1], fd=server.fileno(), fd_limit=limit)
    held: list[socket.socket] = []
    while True:
        ready, _, _ = select.select([0, server.fileno()], [], [])
        if 0 in ready and not os.read(0, 4096):
            return  # the demo closed our stdin: done
        if server.fileno() in ready:
            _serve_one(server, kind, held, min(hold, limit - FD_SPARE))


def _serve_one(server: socket.socket, kind: str, held: list[socket.socket], hold: int) -> None:
    """One client, start to end, before the next: an iterative server."""
    if kind == "udp":
        data, address = server.recvfrom(2048)
        server.sendto(data, address)  # udp(7): the answer goes to the sender's address
        return
    conn, _ = server.accept()  # accept(2): a new connection socket, a new fd
    conn.settimeout(5.0)
    with contextlib.suppress(OSError):  # a client that went away costs only its own answer
        conn.sendall(conn.recv(2048))
    held.append(conn)  # kept open: the server holds 1 + N sockets
    while len(held) > hold:
        held.pop(0).close()


# -- a worker of clients --------------------------------------------------------------------


@dataclass
class Tally:
    rtts: list[float] = field(default_factory=list)  # seconds, one per answered client
    errors: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    held: list[socket.socket] = field(default_factory=list)

    def error(self, name: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1


def run_clients(kind: str, port: int, count: int, window: int) -> None:
    raise_fd_limit()
    tally = Tally()
    if kind == "tcp":
        _tcp_clients(port, count, window, tally)
    else:
        _udp_clients(port, count, window, tally)
    tell("done", rtts=[round(r * 1e3, 4) for r in tally.rtts], errors=tally.errors,
         retries=tally.retries)
    os.read(0, 1)  # hold the connections until the demo has counted them
    for sock in tally.held:
        sock.close()


def _tcp_clients(port: int, count: int, window: int, tally: Tally) -> None:
    sel = selectors.DefaultSelector()
    todo, deadline = iter(range(count)), time.monotonic() + DEADLINE_SECONDS
    while _fill(sel, todo, window, lambda: _tcp_start(sel, port)) and time.monotonic() < deadline:
        for key, events in sel.select(timeout=1.0):
            _tcp_step(sel, key.fileobj, key.data, events, tally)  # type: ignore[arg-type]
    _give_up(sel, tally, "timeout")


def _fill(sel: selectors.BaseSelector, todo: Iterator[int], window: int,
          start: Callable[[], None]) -> bool:
    """Start clients until ``window`` are in flight; False when nothing is left to do."""
    while len(sel.get_map()) < window and next(todo, None) is not None:
        start()
    return len(sel.get_map()) > 0


def _give_up(sel: selectors.BaseSelector, tally: Tally, why: str) -> None:
    """Count the clients still in flight at the deadline as ``why``; close their sockets."""
    for key in list(sel.get_map().values()):
        tally.error(why)
        sel.unregister(key.fileobj)
        key.fileobj.close()  # type: ignore[union-attr]
    sel.close()


def _tcp_start(sel: selectors.BaseSelector, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    began = time.perf_counter()
    sock.connect_ex((HOST, port))  # EINPROGRESS: the handshake goes on without us (connect(2))
    sel.register(sock, selectors.EVENT_WRITE, ["connect", began])


def _tcp_step(sel: selectors.BaseSelector, sock: socket.socket, state: list[object],
              events: int, tally: Tally) -> None:
    if state[0] == "connect":
        failed = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if failed:
            _drop(sel, sock, tally, errno.errorcode.get(failed, str(failed)))
            return
        sock.send(MESSAGE)
        state[0] = "answer"
        sel.modify(sock, selectors.EVENT_READ, state)
        return
    try:
        got = sock.recv(2048)
    except OSError as exc:
        _drop(sel, sock, tally, errno.errorcode.get(exc.errno or 0, "error"))
        return
    sel.unregister(sock)
    tally.rtts.append(time.perf_counter() - float(state[1]))  # type: ignore[arg-type]
    if got:
        tally.held.append(sock)
    else:
        sock.close()
        tally.error("closed")


def _drop(sel: selectors.BaseSelector, sock: socket.socket, tally: Tally, why: str) -> None:
    sel.unregister(sock)
    sock.close()
    tally.error(why)


def _udp_clients(port: int, count: int, window: int, tally: Tally) -> None:
    sel = selectors.DefaultSelector()
    todo, deadline = iter(range(count)), time.monotonic() + DEADLINE_SECONDS
    while _fill(sel, todo, window, lambda: _udp_send(sel, port, None)) and \
            time.monotonic() < deadline:
        for key, _ in sel.select(timeout=UDP_RETRY_SECONDS / 5):
            _udp_answer(sel, key.fileobj, key.data, tally)  # type: ignore[arg-type]
        _udp_resend(sel, port, tally)
    _give_up(sel, tally, "lost")


def _udp_send(sel: selectors.BaseSelector, port: int, old: list[float] | None) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.sendto(MESSAGE, (HOST, port))  # no connection: the datagram carries our address
    sel.register(sock, selectors.EVENT_READ, [time.perf_counter(), 1.0 if old is None
                                              else old[1] + 1])


def _udp_answer(sel: selectors.BaseSelector, sock: socket.socket, state: list[float],
                tally: Tally) -> None:
    sock.recv(2048)
    sel.unregister(sock)
    sock.close()
    tally.rtts.append(time.perf_counter() - state[0])


def _udp_resend(sel: selectors.BaseSelector, port: int, tally: Tally) -> None:
    now = time.perf_counter()
    for key in list(sel.get_map().values()):
        state: list[float] = key.data
        if now - state[0] < UDP_RETRY_SECONDS:
            continue
        sel.unregister(key.fileobj)
        key.fileobj.close()  # type: ignore[union-attr]
        if state[1] >= UDP_TRIES:
            tally.error("lost")
            continue
        tally.retries += 1
        _udp_send(sel, port, state)


def server(kind: str, backlog: str, hold: str, port: str) -> None:
    """``server KIND BACKLOG HOLD PORT``: answer clients one at a time until stdin closes."""
    name_self(f"{kind}-server")
    serve(kind, int(backlog), int(hold), int(port))


def clients(kind: str, port: str, count: str, window: str) -> None:
    """``clients KIND PORT COUNT WINDOW``: COUNT clients, at most WINDOW in flight."""
    name_self(f"{kind}-clients")
    run_clients(kind, int(port), int(count), int(window))
