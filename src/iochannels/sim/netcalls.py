"""System calls on sockets: socket(2), socketpair(2), bind(2), listen(2), accept(2),
connect(2), send/recv, sendto/recvfrom, shutdown(2).

Addresses: a path (str) for the unix family, ``(host, port)`` for inet. Port 0
asks for an ephemeral port, handed out from 32768 up as Linux's default
``ip_local_port_range`` does; a client's connect or first sendto binds one
(udp(7), tcp(7): "autobind"). Every inet host is this machine: the port alone
finds a socket. TCP's handshake completes at once (no EINPROGRESS).
"""

from __future__ import annotations

from contextlib import suppress

from iochannels.sim.errors import SimOSError, WouldBlock, fail
from iochannels.sim.files import OpenFile, wait_or_eagain
from iochannels.sim.sending import (
    autobind,
    dgram_disconnected,
    may_send,
    send_datagram,
    send_stream,
)
from iochannels.sim.services import Services
from iochannels.sim.sockets import Addr, DgramSocket, Message, Socket, StreamSocket
from iochannels.sim.task import Call, Task

__all__ = [
    "drop_passed", "sys_accept", "sys_bind", "sys_connect", "sys_getpeername",
    "sys_getsockname", "sys_listen", "sys_recv", "sys_recvfrom", "sys_recvmsg", "sys_send",
    "sys_sendmsg", "sys_sendto", "sys_shutdown", "sys_socket", "sys_socketpair",
]

SOMAXCONN = 4096  # /proc/sys/net/core/somaxconn: listen(2) caps the backlog here
HOWS = {"r": (True, False), "w": (False, True), "rw": (True, True)}
# shutdown(2)'s how as Linux takes it: SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 (socket.SHUT_WR is 1),
# or by name; "r", "w" and "rw" are the simulator's own words for the same.
SHUT = {0: "r", 1: "w", 2: "rw", "SHUT_RD": "r", "SHUT_WR": "w", "SHUT_RDWR": "rw"}


def socket_of(p: Task, fd: int) -> Socket:
    """The socket ``fd`` points to: EBADF for no fd, ENOTSOCK for another channel."""
    chan = p.file(fd).chan
    if not isinstance(chan, Socket):
        raise fail("ENOTSOCK")
    return chan


def sys_socket(k: Services, p: Task, call: Call, family: str, kind: str) -> int:
    if family not in ("unix", "inet"):
        raise fail("EAFNOSUPPORT")
    if kind not in ("stream", "dgram"):
        raise fail("EINVAL")
    p.fds.lowest_free()
    sock = k.new_socket(family, kind)
    return k.install(p, OpenFile(sock, "rw"))


def sys_socketpair(k: Services, p: Task, call: Call, kind: str) -> tuple[int, int]:
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


def sys_bind(k: Services, p: Task, call: Call, fd: int, addr: Addr) -> int:
    sock = socket_of(p, fd)
    if isinstance(sock, StreamSocket) and sock.inet:
        _give_port_up(k, sock)
        holder = k.net.ports.get(("tcp", addr[1])) if isinstance(addr, tuple) else None
        if isinstance(holder, StreamSocket):
            _give_port_up(k, holder)  # the port's holder may have given it up meanwhile
    k.net.bind(sock, addr)
    if isinstance(sock, StreamSocket) and isinstance(addr, tuple) and addr[1]:
        sock.port_locked = True  # inet_bind: a named port is locked (SOCK_BINDPORT_LOCK)
    return 0


def _refused(k: Services, sock: StreamSocket) -> None:
    """A refused TCP connect ends in tcp_disconnect (__inet_stream_connect, sock_error):
    the shutdown marks are cleared, and a port bind did not name is given up."""
    sock.shut_rd = sock.shut_wr = False
    _put_port(k, sock)


def _put_port(k: Services, sock: StreamSocket) -> tuple[str, int] | None:
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


def _give_port_up(k: Services, sock: StreamSocket) -> None:
    """A TCP connection that is over (reset, or FINs both ways) went back to TCP_CLOSE
    and gave its port up (tcp_set_state -> inet_put_port): bind may give it another, and
    its port is free, unless TIME_WAIT holds it (our FIN went first: tcp(7))."""
    if not sock.over or sock.port_given_up or sock.port_locked:
        return
    sock.port_given_up = isinstance(sock.local, tuple)
    key = _put_port(k, sock)
    if key is not None and sock.time_wait:  # the TIME_WAIT socket: taken, nobody listens
        k.net.ports[key] = StreamSocket(f"{sock.id}/time-wait", sock.wake, "inet", 1)


def _stopped_listener_port(k: Services, sock: StreamSocket) -> None:
    """A listener stopped by shutdown(SHUT_RD) is back in TCP_CLOSE and has given its port
    up (tcp_disconnect): listen or bind gives it another. The connections it accepted
    still use the port on Linux; the simulator keeps it taken, as after a close
    (simplification port-reuse). A port that bind named stays (SOCK_BINDPORT_LOCK)."""
    key = _put_port(k, sock)
    if key is not None:
        held = k.net.ports[key] = StreamSocket(f"{sock.id}/port", sock.wake, "inet", 1)
        held.closed = True


def sys_listen(k: Services, p: Task, call: Call, fd: int, backlog: int) -> int:
    sock = socket_of(p, fd)
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


def sys_accept(k: Services, p: Task, call: Call, fd: int) -> tuple[int, Addr]:
    f = p.file(fd)
    p.fds.lowest_free()  # net/socket.c takes the new fd before it looks at the socket
    sock = socket_of(p, fd)
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


def sys_connect(k: Services, p: Task, call: Call, fd: int, addr: Addr) -> int:
    f = p.file(fd)
    sock = socket_of(p, fd)
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


def connect_dgram(k: Services, sock: DgramSocket, addr: Addr) -> int:
    """connect(2) on a datagram socket: only a default destination, no connection.

    A connected UDP socket takes datagrams only from that address (udp(7))."""
    if sock.inet:
        autobind(k.net, sock)  # inet_dgram_connect binds before the address is looked at
        if not isinstance(addr, tuple):
            raise fail("EAFNOSUPPORT")  # __ip4_datagram_connect: not AF_INET
        sock.dest = addr
        return 0
    target = k.net.lookup(sock, addr)
    if not isinstance(target, DgramSocket) or target.closed:
        raise fail("ECONNREFUSED")
    may_send(sock, target)
    old, sock.peer, sock.dest = sock.peer, target, addr
    if old is not None and old is not target:
        dgram_disconnected(sock, old)
    return 0


def sys_send(k: Services, p: Task, call: Call, fd: int, data: bytes) -> int:
    f = p.file(fd)
    sock = socket_of(p, fd)
    if isinstance(sock, DgramSocket):
        return send_datagram(k.net, f, data, None)
    return send_stream(f, data, call, lambda: k.sigpipe(p))


def sys_sendto(k: Services, p: Task, call: Call, fd: int, data: bytes, addr: Addr) -> int:
    f = p.file(fd)
    sock = socket_of(p, fd)
    if isinstance(sock, DgramSocket):
        return send_datagram(k.net, f, data, addr)
    if not sock.inet:  # af_unix.c: a stream socket takes no destination
        raise fail("EISCONN" if isinstance(sock, StreamSocket) and sock.state == "CONNECTED"
                   else "EOPNOTSUPP")
    return send_stream(f, data, call, lambda: k.sigpipe(p))  # tcp(7): the address is ignored


def sys_recv(k: Services, p: Task, call: Call, fd: int, n: int) -> bytes:
    f = p.file(fd)
    sock = socket_of(p, fd)
    data = sock.read(f, n)
    if data is None:
        raise wait_or_eagain(f, sock, "data to receive")
    drop_passed(k, sock)
    return data


def sys_recvfrom(k: Services, p: Task, call: Call, fd: int, n: int) -> tuple[bytes, Addr]:
    f = p.file(fd)
    sock = socket_of(p, fd)
    if isinstance(sock, StreamSocket):
        data = sys_recv(k, p, call, fd, n)
        # af_unix.c names the sender of the bytes as it is bound now; tcp(7) names nobody.
        sender = sock.peer.local if data and sock.peer is not None and not sock.inet else None
        return data, sender
    assert isinstance(sock, DgramSocket)
    got = sock.receive(f, n, (b"", None))
    if got is None:
        raise wait_or_eagain(f, sock, "a datagram")
    drop_passed(k, sock)
    return got


def _directions(how: int | str) -> tuple[bool, bool]:
    """(read, write) that shutdown(2) stops; EINVAL for any other how (inet_shutdown and
    unix_shutdown check it after the fd: EBADF and ENOTSOCK come first)."""
    word = SHUT.get(how, how) if isinstance(how, int | str) else None
    if not isinstance(word, str) or word not in HOWS:
        raise fail("EINVAL")
    return HOWS[word]


def sys_shutdown(k: Services, p: Task, call: Call, fd: int, how: int | str) -> int:
    sock: Socket = socket_of(p, fd)
    rd, wr = _directions(how)
    if isinstance(sock, StreamSocket):
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
        sock.shutdown(rd, wr)
        if sock.inet and sock.dest is None:
            raise fail("ENOTCONN")  # inet_shutdown: TCP_CLOSE, yet it marks the socket shut
    return 0


def sys_getsockname(k: Services, p: Task, call: Call, fd: int) -> Addr:
    """getsockname(2): the bound address; unbound, an unnamed UNIX address (None) or
    0.0.0.0 port 0 (ip(7))."""
    sock = socket_of(p, fd)
    if sock.local is None:
        return ("0.0.0.0", 0) if sock.inet else None
    if isinstance(sock, DgramSocket) and sock.autobound and sock.dest is None:
        # A port a send picked is bound to any address (inet_autobind); a connect then
        # picks the source address (ip4_datagram_connect), 127.0.0.1 here.
        return ("0.0.0.0", sock.local[1]) if isinstance(sock.local, tuple) else sock.local
    return sock.local


def sys_getpeername(k: Services, p: Task, call: Call, fd: int) -> Addr:
    """getpeername(2): the address of the socket it is connected to, or ENOTCONN. A UNIX
    socket keeps its peer's address after the peer closed (af_unix.c unix_getname)."""
    sock = socket_of(p, fd)
    match sock:
        case StreamSocket() if sock.state == "CONNECTED" and not (sock.inet and sock.over):
            if not sock.inet and sock.peer is not None:
                return sock.peer.local  # the peer's address now: bound after the connect too
            return sock.remote
        case DgramSocket() if sock.inet and sock.dest is not None:
            return sock.dest
        case DgramSocket() if not sock.inet and sock.peer is not None:
            return sock.peer.local
    raise fail("ENOTCONN")


SCM_MAX_FD = 253  # include/net/scm.h: the most fds one message may carry


def sys_sendmsg(k: Services, p: Task, call: Call, fd: int, data: bytes, fds: tuple[int, ...],
                addr: Addr) -> int:
    """sendmsg(2) with SCM_RIGHTS (unix(7)): the open files behind ``fds`` travel with the
    bytes, and the receiver's recvmsg gets new fds for them: a third way for a channel
    to reach a process, beside inheritance and a name."""
    f = p.file(fd)
    sock = socket_of(p, fd)
    # TCP and UDP ignore SCM_RIGHTS (Linux 6.x: the send goes on without looking at it);
    # a UNIX socket's __scm_send says EBADF for an fd that is not open.
    files = () if sock.inet else tuple(p.file(x) for x in fds)
    if len(files) > SCM_MAX_FD:
        raise fail("EINVAL")
    if isinstance(sock, DgramSocket):
        sent = send_datagram(k.net, f, Message(data, files) if files else data, addr)
    else:
        if addr is not None and not sock.inet:  # af_unix.c: a stream takes no destination
            raise fail("EISCONN" if isinstance(sock, StreamSocket) and sock.state == "CONNECTED"
                       else "EOPNOTSUPP")
        assert isinstance(sock, StreamSocket)
        peer = sock.peer
        if "start" not in call.scratch and peer is not None:
            call.scratch["start"] = peer.recv.nwrite + sock.send.used  # where it begins
        sent = send_stream(f, data, call, lambda: k.sigpipe(p))
        if not sent or peer is None:
            return sent  # an empty message carries no files on a stream
        peer.attach(call.scratch["start"], sent, files)
    for held in files:
        held.refs += 1  # in flight: the message holds the open file open
    return sent


def sys_recvmsg(k: Services, p: Task, call: Call, fd: int, n: int) -> tuple[bytes, tuple[int, ...]]:
    """recvmsg(2): the bytes, and new fds (the lowest free ones) for the open files that
    came with them (SCM_RIGHTS); without room in the table they are closed (MSG_CTRUNC)."""
    f = p.file(fd)
    sock = socket_of(p, fd)
    try:
        data = sock.read(f, n)
    except WouldBlock as wait:
        if wait.ended is not None:  # shut down for reading and empty: b"" and no fds
            wait.ended = (wait.ended, ())
        raise
    if data is None:
        raise wait_or_eagain(f, sock, "data to receive")
    new: list[int] = []
    for held in sock.take_passed():
        with suppress(SimOSError):  # EMFILE: scm_detach_fds closes what does not fit
            new.append(k.install(p, held))
        k.drop(held)  # it is no longer in flight
    return data, tuple(new)


def drop_passed(k: Services, sock: Socket) -> None:
    """A read(2), recv(2) or recvfrom(2) that took files sent with SCM_RIGHTS closes them."""
    for held in sock.take_passed():
        k.drop(held)
