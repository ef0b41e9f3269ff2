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
UNIX_DGRAM_OVERHEAD = 32  # unix_dgram_sendmsg: EMSGSIZE past "sk->sk_sndbuf - 32"
UDP_MAX_LEN = 0xFFFF  # udp_sendmsg: EMSGSIZE before anything else
UDP_MAX_PAYLOAD = UDP_MAX_LEN - 20 - 8  # udp(7), ip(7): less the IP and UDP headers


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
    sock = k.socket_of(p, fd)
    if isinstance(sock, StreamSocket) and sock.inet:
        _give_port_up(k, sock)
        holder = k.net.ports.get(("tcp", addr[1])) if isinstance(addr, tuple) else None
        if isinstance(holder, StreamSocket):
            _give_port_up(k, holder)  # the port's holder may have given it up meanwhile
    k.net.bind(sock, addr)
    if isinstance(sock, StreamSocket) and isinstance(addr, tuple) and addr[1]:
        sock.port_locked = True  # inet_bind: a named port is locked (SOCK_BINDPORT_LOCK)
    return 0


def _refused(k: Kernel, sock: StreamSocket) -> None:
    """A refused TCP connect ends in tcp_disconnect (__inet_stream_connect, sock_error):
    the shutdown marks are cleared, and a port bind did not name is given up."""
    sock.shut_rd = sock.shut_wr = False
    _put_port(k, sock)


def _put_port(k: Kernel, sock: StreamSocket) -> tuple[str, int] | None:
    """tcp_set_state(TCP_CLOSE) -> inet_put_port, unless bind named the port
    (SOCK_BINDPORT_LOCK): the socket has no port any more, and the port it held is free.
    Its key, if the socket held it, for a caller that keeps it taken yet."""
    if sock.port_locked or not isinstance(sock.local, tuple):
        return None
    key = ("tcp", sock.local[1])
    sock.local = None
    if k.net.ports.get(key) is not sock:
        return None
    del k.net.ports[key]
    return key


def _give_port_up(k: Kernel, sock: StreamSocket) -> None:
    """A TCP connection that is over (reset, or FINs both ways) went back to TCP_CLOSE
    and gave its port up (tcp_set_state -> inet_put_port): bind may give it another, and
    its port is free, unless TIME_WAIT holds it (our FIN went first: tcp(7))."""
    if not sock.over or sock.port_given_up or sock.port_locked:
        return
    sock.port_given_up = isinstance(sock.local, tuple)
    key = _put_port(k, sock)
    if key is not None and sock.time_wait:  # the TIME_WAIT socket: taken, nobody listens
        k.net.ports[key] = StreamSocket(f"{sock.id}/time-wait", sock.wake, "inet", 1)


def _stopped_listener_port(k: Kernel, sock: StreamSocket) -> None:
    """A listener stopped by shutdown(SHUT_RD) is back in TCP_CLOSE and has given its port
    up (tcp_disconnect): listen or bind gives it another. The connections it accepted
    still use the port on Linux; the simulator keeps it taken, as after a close
    (simplification port-reuse). A port that bind named stays (SOCK_BINDPORT_LOCK)."""
    key = _put_port(k, sock)
    if key is not None:
        held = k.net.ports[key] = StreamSocket(f"{sock.id}/port", sock.wake, "inet", 1)
        held.closed = True


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
    if sock.inet and sock.listen_stopped:
        raise fail("EINVAL")  # Linux 6.18, run: a listener stopped by SHUT_RD connects no more
    if sock.inet and sock.state != "UNCONNECTED":
        raise fail("EISCONN")  # inet_stream_connect: a connected or listening socket first
    # net/unix/af_unix.c unix_stream_connect: the address first, then the listener,
    # then room in its queue, and only then this socket's own state.
    listener = k.net.lookup(sock, addr)
    if not isinstance(listener, StreamSocket) or listener.state != "LISTEN" or (
            not sock.inet and listener.shut_rd):  # unix_stream_connect: RCV_SHUTDOWN
        if sock.inet:
            _refused(k, sock)
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
    """connect(2) on a datagram socket: only a default destination, no connection.

    A connected UDP socket takes datagrams only from that address (udp(7))."""
    if sock.inet:
        _autobind(k, sock)  # inet_dgram_connect binds before the address is looked at
        if not isinstance(addr, tuple):
            raise fail("EAFNOSUPPORT")  # __ip4_datagram_connect: not AF_INET
        sock.dest = addr
        return 0
    target = k.net.lookup(sock, addr)
    if not isinstance(target, DgramSocket) or target.closed:
        raise fail("ECONNREFUSED")
    _may_send(sock, target)
    old, sock.peer, sock.dest = sock.peer, target, addr
    if old is not None and old is not target:
        dgram_disconnected(sock, old)
    return 0


def _autobind(k: Kernel, sock: DgramSocket) -> None:
    """ip(7): an unbound UDP socket gets an ephemeral port at its first send or connect."""
    if sock.local is None:
        k.net.bind(sock, ("127.0.0.1", 0))


def dgram_send(k: Kernel, p: Process, f: OpenFile, data: bytes, addr: Addr) -> int:
    """One datagram, whole or not at all (udp(7), unix(7))."""
    sock = f.chan
    assert isinstance(sock, DgramSocket)
    if sock.inet:
        return udp_send(k, sock, data, addr)
    # The order Linux 6.18 checks in (found by running them): the address, the size, a
    # pending error, our shutdown, then a peer or the receiver (found, allowed, alive,
    # not shut), and its room.
    if addr is not None and (not isinstance(addr, str) or not addr):
        raise fail("EINVAL")  # unix_validate_addr
    if len(data) > sock.capacity - UNIX_DGRAM_OVERHEAD:
        raise fail("EMSGSIZE")  # "len > sk->sk_sndbuf - 32": SO_SNDBUF, not 64 KiB
    sock.raise_error()  # sock_alloc_send_pskb: sock_error, then SEND_SHUTDOWN
    if sock.shut_wr:
        raise fail("EPIPE")
    if addr is None and sock.peer is None:
        raise fail("ENOTCONN")
    target = dgram_target(k, sock, addr)
    if target.shut_rd:
        raise fail("EPIPE")
    if not target.room_for(data, sock):
        raise wait_or_eagain(f, target, "room in the receiver's queue")
    target.deliver(data, sock.local)
    return len(data)


def udp_send(k: Kernel, sock: DgramSocket, data: bytes, addr: Addr) -> int:
    """udp(7): one datagram, in Linux's order of checks (inet_sendmsg, udp_sendmsg)."""
    _autobind(k, sock)  # inet_send_prepare: before anything is checked
    if len(data) > UDP_MAX_LEN:
        raise fail("EMSGSIZE")
    if addr is None:
        if sock.dest is None:
            raise fail("EDESTADDRREQ")
        addr = sock.dest
    elif not isinstance(addr, tuple):
        raise fail("EAFNOSUPPORT")
    elif addr[1] == 0:
        raise fail("EINVAL")  # udp_sendmsg: "if (dport == 0) return -EINVAL"
    if len(data) > min(UDP_MAX_PAYLOAD, sock.capacity):
        raise fail("EMSGSIZE")  # __ip_append_data: more than an IP packet holds
    sock.raise_error()  # sock_alloc_send_pskb: sock_error, then SEND_SHUTDOWN
    if sock.shut_wr:
        raise fail("EPIPE")
    target = k.net.lookup(sock, addr)
    assert isinstance(sock.local, tuple)
    if not isinstance(target, DgramSocket) or (
            isinstance(target.dest, tuple) and target.dest[1] != sock.local[1]):
        # Nobody takes it (a connected socket only its peer's: __udp4_lib_lookup):
        # lost, and the ICMP port unreachable goes back; __udp4_lib_err gives it to a
        # sender connected to that port only, as ECONNREFUSED on its next call.
        if isinstance(sock.dest, tuple) and sock.dest[1] == addr[1]:
            sock.err = "ECONNREFUSED"
            sock.wake(sock)  # sk_error_report: a waiting recv gets it at once
        return len(data)
    if target.room_for(data, sock):  # a full UDP receive queue drops the datagram
        target.deliver(data, sock.local)
    return len(data)


def dgram_target(k: Kernel, sock: DgramSocket, addr: Addr) -> DgramSocket:
    """The UNIX datagram socket a send goes to (UDP's: :func:`udp_send`): the named one,
    or the peer connect() found (a socket, not a name: a new socket bound later at the
    same path is not it)."""
    if addr is None:
        target = sock.peer
        assert target is not None
    else:
        found = k.net.lookup(sock, addr)  # ENOENT, EPROTOTYPE
        if not isinstance(found, DgramSocket):
            raise fail("ECONNREFUSED")
        target = found
    _may_send(sock, target)
    if target.closed:
        if sock.peer is target:  # the dead peer is forgotten after one error
            dgram_disconnected(sock, target)
            sock.peer, sock.dest = None, None
        raise fail("ECONNREFUSED")
    return target


def dgram_disconnected(sock: DgramSocket, old: DgramSocket) -> None:
    """af_unix.c unix_dgram_disconnected: a socket that leaves its peer (the peer died, or
    it connected elsewhere) loses every datagram it holds, and a live old peer still
    connected to it learns so: ECONNRESET at its next call."""
    if sock.queue:
        sock.drop_queue()
        if not old.closed and old.peer is sock:
            old.err = "ECONNRESET"
            old.wake(old)


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
    got = sock.receive(f, n, (b"", None))
    if got is None:
        raise wait_or_eagain(f, sock, "a datagram")
    return got


def sys_shutdown(k: Kernel, p: Process, call: Call, fd: int, how: str) -> int:
    sock: Socket = k.socket_of(p, fd)
    if how not in HOWS:
        raise fail("EINVAL")
    if isinstance(sock, StreamSocket):
        rd, wr = HOWS[how]
        if sock.inet and sock.state == "LISTEN":
            if rd:
                sock.stop_listening()  # inet_shutdown: SHUT_RD disconnects a listener
                _stopped_listener_port(k, sock)
            return 0  # SHUT_WR changes nothing
        if sock.inet and (sock.state != "CONNECTED" or sock.over):
            # inet_shutdown in TCP_CLOSE (never connected, reset, or shut down both ways):
            # ENOTCONN, yet the socket is marked shut down (a later recv reads end of file).
            sock.shut_rd |= rd
            sock.shut_wr |= wr
            raise fail("ENOTCONN")
        sock.shutdown(rd, wr)
    elif isinstance(sock, DgramSocket):
        sock.shutdown(*HOWS[how])
        if sock.inet and sock.dest is None:
            raise fail("ENOTCONN")  # inet_shutdown: TCP_CLOSE, yet it marks the socket shut
    return 0


NET_CALLS: dict[str, Callable[..., Any]] = {
    "socket": sys_socket, "socketpair": sys_socketpair, "bind": sys_bind,
    "listen": sys_listen, "accept": sys_accept, "connect": sys_connect, "send": sys_send,
    "sendto": sys_sendto, "recv": sys_recv, "recvfrom": sys_recvfrom,
    "shutdown": sys_shutdown,
}
