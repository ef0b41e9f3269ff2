"""System calls on sockets: socket(2), socketpair(2), bind(2), listen(2), accept(2),
connect(2), send/recv, sendto/recvfrom, shutdown(2).

Addresses: a path (str) for the unix family, ``(host, port)`` for inet. Port 0
asks for an ephemeral port, handed out from 32768 up as Linux's default
``ip_local_port_range`` does; a client's connect or first sendto binds one
(udp(7), tcp(7): "autobind"). Every inet host is this machine: the port alone
finds a socket. TCP's handshake completes at once (no EINPROGRESS).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from iochannels.sim.errors import fail
from iochannels.sim.filecalls import wait_or_eagain, write_stream
from iochannels.sim.files import OpenFile
from iochannels.sim.process import Call, Process
from iochannels.sim.sockets import Addr, DgramSocket, Socket, StreamSocket

if TYPE_CHECKING:
    from iochannels.sim.kernel import Kernel

__all__ = ["NET_CALLS", "dgram_send"]

SOMAXCONN = 4096  # /proc/sys/net/core/somaxconn: listen(2) caps the backlog here
HOWS = {"r": (True, False), "w": (False, True), "rw": (True, True)}


def sys_socket(k: Kernel, p: Process, call: Call, family: str, kind: str) -> int:
    if family not in ("unix", "inet"):
        raise fail("EAFNOSUPPORT")
    if kind not in ("stream", "dgram"):
        raise fail("EINVAL")
    p.fds.lowest_free()
    sock = k.new_socket(family, kind)
    return k.install(p, OpenFile(sock, "rw"))


def sys_socketpair(k: Kernel, p: Process, call: Call, kind: str) -> tuple[int, int]:
    if kind not in ("stream", "dgram"):
        raise fail("EINVAL")
    p.fds.free_fds(2)
    a, b = k.new_socket("unix", kind), k.new_socket("unix", kind)
    match a, b:
        case StreamSocket(), StreamSocket():
            a.link(b)
        case DgramSocket(), DgramSocket():
            a.peer, b.peer = b, a
            a.paired = b.paired = True
    return k.install(p, OpenFile(a, "rw")), k.install(p, OpenFile(b, "rw"))


def sys_bind(k: Kernel, p: Process, call: Call, fd: int, addr: Addr) -> int:
    k.net.bind(k.socket_of(p, fd), addr)
    return 0


def sys_listen(k: Kernel, p: Process, call: Call, fd: int, backlog: int) -> int:
    sock = k.socket_of(p, fd)
    if not isinstance(sock, StreamSocket):
        raise fail("EOPNOTSUPP")
    if sock.state == "CONNECTED":
        raise fail("EINVAL")
    if sock.local is None:
        if not sock.inet:
            raise fail("EINVAL")  # unix(7): listen needs a bound socket
        k.net.bind(sock, ("0.0.0.0", 0))
    sock.state = "LISTEN"
    sock.backlog = min(backlog, SOMAXCONN) if backlog >= 0 else SOMAXCONN
    k.wakeup(sock)
    return 0


def sys_accept(k: Kernel, p: Process, call: Call, fd: int) -> tuple[int, Addr]:
    f = k.file(p, fd)
    p.fds.lowest_free()  # net/socket.c takes the new fd before it looks at the socket
    sock = k.socket_of(p, fd)
    if isinstance(sock, DgramSocket):
        raise fail("EOPNOTSUPP")  # accept(2): "not of type SOCK_STREAM"
    assert isinstance(sock, StreamSocket)
    if sock.state != "LISTEN":
        raise fail("EINVAL")  # accept(2): "socket is not listening for connections"
    if not sock.queue:
        raise wait_or_eagain(f, sock, "a connection to accept")
    conn = sock.queue.popleft()
    k.wakeup(sock.room, one=True)  # one place free in the accept queue: one connect goes on
    return k.install(p, OpenFile(conn, "rw")), conn.remote


def sys_connect(k: Kernel, p: Process, call: Call, fd: int, addr: Addr) -> int:
    f = k.file(p, fd)
    sock = k.socket_of(p, fd)
    if isinstance(sock, DgramSocket):
        return connect_dgram(k, sock, addr)
    assert isinstance(sock, StreamSocket)
    # net/unix/af_unix.c unix_stream_connect: the address first, then the listener,
    # then room in its queue, and only then this socket's own state.
    listener = k.net.lookup(sock, addr)
    if not isinstance(listener, StreamSocket) or listener.state != "LISTEN":
        raise fail("ECONNREFUSED")  # connect(2): "no one listening on the remote address"
    if listener.accept_queue_full:
        raise wait_or_eagain(f, listener.room, "room in the accept queue")
    if sock.state == "CONNECTED":
        raise fail("EISCONN")
    if sock.state == "LISTEN":
        raise fail("EINVAL")
    if sock.inet and sock.local is None:
        k.net.bind(sock, ("127.0.0.1", 0))
    conn = k.new_socket(listener.family, "stream")
    assert isinstance(conn, StreamSocket)
    conn.local = listener.local
    sock.link(conn)
    listener.queue.append(conn)
    k.wakeup(listener)
    return 0


def connect_dgram(k: Kernel, sock: DgramSocket, addr: Addr) -> int:
    """connect(2) on a datagram socket: only a default destination, no connection."""
    target = k.net.lookup(sock, addr)
    if not sock.inet:
        if not isinstance(target, DgramSocket) or target.closed:
            raise fail("ECONNREFUSED")
        _may_send(sock, target)
        sock.peer = target
    elif sock.local is None:
        k.net.bind(sock, ("127.0.0.1", 0))
    sock.dest = addr
    return 0


def dgram_send(k: Kernel, p: Process, f: OpenFile, data: bytes, addr: Addr) -> int:
    """One datagram, whole or not at all (udp(7), unix(7))."""
    sock = f.chan
    assert isinstance(sock, DgramSocket)
    if sock.shut_wr:
        raise fail("EPIPE")
    target = dgram_target(k, sock, addr)
    if len(data) > sock.capacity:
        raise fail("EMSGSIZE")
    if sock.inet and sock.local is None:
        k.net.bind(sock, ("127.0.0.1", 0))  # udp(7): the first sendto binds an ephemeral port
    if target is None:
        return len(data)  # udp(7): nobody on that port; the datagram is lost
    if target.shut_rd:
        raise fail("EPIPE")
    if not target.room_for(data, sock):
        if sock.inet:
            return len(data)  # a full UDP receive queue drops the datagram
        raise wait_or_eagain(f, target, "room in the receiver's queue")
    target.deliver(data, sock.local)
    return len(data)


def dgram_target(k: Kernel, sock: DgramSocket, addr: Addr) -> DgramSocket | None:
    if addr is None:
        if sock.paired or (sock.peer is not None and not sock.inet):
            peer = sock.peer
            if peer is None:
                raise fail("ENOTCONN")
            if peer.closed:
                sock.peer = None  # af_unix.c: the dead peer is forgotten after one error
                raise fail("ECONNREFUSED")
            return peer
        if sock.dest is None:
            raise fail("EDESTADDRREQ" if sock.inet else "ENOTCONN")
        addr = sock.dest
    target = k.net.lookup(sock, addr)
    if target is None and sock.inet:
        return None
    if not isinstance(target, DgramSocket) or target.closed:
        raise fail("ECONNREFUSED")
    if not sock.inet:
        _may_send(sock, target)
    return target


def _may_send(sock: DgramSocket, target: DgramSocket) -> None:
    """af_unix.c unix_may_send: a socket connected elsewhere takes nothing from us."""
    if target.peer is not None and target.peer is not sock:
        raise fail("EPERM")


def sys_send(k: Kernel, p: Process, call: Call, fd: int, data: bytes) -> int:
    f = k.file(p, fd)
    sock = k.socket_of(p, fd)
    if isinstance(sock, DgramSocket):
        return dgram_send(k, p, f, data, None)
    return write_stream(k, p, call, f, data)


def sys_sendto(k: Kernel, p: Process, call: Call, fd: int, data: bytes, addr: Addr) -> int:
    f = k.file(p, fd)
    sock = k.socket_of(p, fd)
    if isinstance(sock, DgramSocket):
        return dgram_send(k, p, f, data, addr)
    if not sock.inet:  # af_unix.c: a stream socket takes no destination
        raise fail("EISCONN" if isinstance(sock, StreamSocket) and sock.state == "CONNECTED"
                   else "EOPNOTSUPP")
    return write_stream(k, p, call, f, data)  # tcp(7): the address is ignored


def sys_recv(k: Kernel, p: Process, call: Call, fd: int, n: int) -> bytes:
    f = k.file(p, fd)
    sock = k.socket_of(p, fd)
    data = sock.read(f, n)
    if data is None:
        raise wait_or_eagain(f, sock, "data to receive")
    return data


def sys_recvfrom(k: Kernel, p: Process, call: Call, fd: int, n: int) -> tuple[bytes, Addr]:
    f = k.file(p, fd)
    sock = k.socket_of(p, fd)
    if isinstance(sock, StreamSocket):
        data = sys_recv(k, p, call, fd, n)
        # af_unix.c names the sender of the bytes as it is bound now; tcp(7) names nobody.
        sender = sock.peer.local if data and sock.peer is not None and not sock.inet else None
        return data, sender
    assert isinstance(sock, DgramSocket)
    got = sock.take(n)
    if got is None:
        if sock.shut_rd:
            return b"", None
        raise wait_or_eagain(f, sock, "a datagram")
    return got


def sys_shutdown(k: Kernel, p: Process, call: Call, fd: int, how: str) -> int:
    sock: Socket = k.socket_of(p, fd)
    if how not in HOWS:
        raise fail("EINVAL")
    if isinstance(sock, StreamSocket):
        if sock.state != "CONNECTED" and sock.inet:
            raise fail("ENOTCONN")
        sock.shutdown(*HOWS[how])
    elif isinstance(sock, DgramSocket):
        sock.shutdown(*HOWS[how])
    return 0


NET_CALLS: dict[str, Callable[..., Any]] = {
    "socket": sys_socket, "socketpair": sys_socketpair, "bind": sys_bind,
    "listen": sys_listen, "accept": sys_accept, "connect": sys_connect, "send": sys_send,
    "sendto": sys_sendto, "recv": sys_recv, "recvfrom": sys_recvfrom,
    "shutdown": sys_shutdown,
}
