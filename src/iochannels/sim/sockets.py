"""Sockets: stream (UNIX stream, TCP) and datagram (UNIX datagram, UDP).

How the simulator draws a stream connection: two sockets linked as peers,
each with a *send* and a *recv* ring buffer, four buffers per connection as
the lecture draws them. A write first goes straight into the peer's recv
buffer while it has room (the network, or the local shortcut, is instant);
what does not fit waits in the writer's own send buffer and moves over as the
peer reads. A writer waits only when both are full. (Linux's UNIX sockets
queue every byte on the receiver and charge the sender's ``SO_SNDBUF``; TCP
really has both queues. The bytes a reader sees, and their order, are the
same; only where a byte is *counted* differs: see ``docs/readme/sim-kernel.md``,
simplification ``socket-buffer-accounting``.)

Shutdown and close follow unix(7) and socket(7): ``shutdown(SHUT_WR)`` on one
side is end of stream for the other; closing a UNIX socket shuts both directions
for its peer, whose writes then fail with EPIPE; closing with unread bytes, or a
listener with connections not yet accepted, makes the peer's next read fail once
with ECONNRESET (net/unix/af_unix.c, ``unix_release_sock``). TCP follows tcp(7)
and net/ipv4/tcp*.c instead: a close is a FIN like ``SHUT_WR``, and data sent to
a socket that reads no more is answered by RST (:meth:`StreamSocket.reset`);
``SHUT_RD`` changes only our side.

Datagram sockets keep message boundaries: a ``recv`` returns one datagram and
drops what did not fit in ``n`` (udp(7), unix(7)).
"""

from __future__ import annotations

from collections import deque

from iochannels.model import Buffer, BufferRole, Channel, Kind
from iochannels.sim.buffers import RingBuffer
from iochannels.sim.errors import WouldBlock, fail
from iochannels.sim.files import (
    POLLERR,
    POLLHUP,
    POLLIN,
    POLLOUT,
    POLLRDHUP,
    Chan,
    OpenFile,
    Wake,
)

__all__ = ["MAX_DGRAM_QLEN", "Addr", "DgramSocket", "Socket", "StreamSocket", "show_addr"]

Addr = str | tuple[str, int] | None  # a path (unix), (host, port) (inet), None (unnamed)
MAX_DGRAM_QLEN = 10  # /proc/sys/net/unix/max_dgram_qlen: datagrams queued per receiver


class Message(bytes):
    """A datagram that carries open files (SCM_RIGHTS, unix(7)): bytes, and ``files``."""

    files: tuple[OpenFile, ...] = ()

    def __new__(cls, data: bytes, files: tuple[OpenFile, ...]) -> Message:
        message = super().__new__(cls, data)
        message.files = files
        return message


class Room:
    """A wait channel of its own for connects that wait for room in an accept queue.

    Each accept frees one place and wakes one of them; the server's accept
    waits on the socket itself, so it is never woken by a client's retry.
    """

    __slots__ = ("id",)

    def __init__(self, ident: str) -> None:
        self.id = ident


def show_addr(addr: Addr) -> str | None:
    """``("127.0.0.1", 80)`` -> ``"127.0.0.1:80"``; a path stays a path; an abstract
    name shows its null byte as ``@``, as ss(8) and /proc/net/unix do."""
    if isinstance(addr, str) and addr.startswith("\0"):
        return "@" + addr[1:]
    if addr is None or isinstance(addr, str):
        return addr
    return f"{addr[0]}:{addr[1]}"


class Socket(Chan):
    """What every socket has: a family, an address once bound, shutdown flags."""

    def __init__(self, ident: str, wake: Wake, family: str, capacity: int) -> None:
        super().__init__(ident, wake)
        self.family = family
        self.capacity = capacity
        self.local: Addr = None
        self.shut_rd = False  # RCV_SHUTDOWN: reads see end of stream once empty
        self.shut_wr = False  # SEND_SHUTDOWN: writes fail with EPIPE
        self.closed = False
        self.discarded = 0  # payload bytes thrown away: unread at close, cut off datagrams
        self.err: str | None = None  # a pending error, reported once (socket(7) SO_ERROR)
        self.passed: tuple[OpenFile, ...] = ()  # the files (SCM_RIGHTS) the last read took

    @property
    def inet(self) -> bool:
        return self.family == "inet"

    def take_passed(self) -> tuple[OpenFile, ...]:
        """The open files that came with the bytes just read (SCM_RIGHTS), once."""
        passed, self.passed = self.passed, ()
        return passed

    def _poll_common(self) -> int:
        """What every socket reports (unix_poll, tcp_poll, datagram_poll): a pending error,
        shut down for reading (end of file to read), shut down both ways (hang-up)."""
        mask = POLLERR if self.err is not None else 0
        if self.shut_rd:
            mask |= POLLIN | POLLRDHUP
            mask |= POLLHUP if self.shut_wr else 0
        return mask

    def raise_error(self) -> None:
        """A pending error ends the next call, before any data (sock_error), and is
        cleared then."""
        if self.err is not None:
            err, self.err = self.err, None
            raise fail(err)


class StreamSocket(Socket):
    """A UNIX stream or TCP socket: unconnected, listening, or one end of a connection."""

    def __init__(self, ident: str, wake: Wake, family: str, capacity: int) -> None:
        super().__init__(ident, wake, family, capacity)
        self.kind = Kind.TCP if family == "inet" else Kind.UNIX_STREAM
        self.state = "UNCONNECTED"
        self.listen_stopped = False  # a TCP listener that shutdown(SHUT_RD) stopped
        self.send = RingBuffer(capacity)
        self.recv = RingBuffer(capacity)
        self.peer: StreamSocket | None = None
        self.remote: Addr = None
        self.backlog = 0
        self.queue: deque[StreamSocket] = deque()  # connections waiting for accept
        self.room = Room(ident)  # where connects wait while the accept queue is full
        # Open files on their way here (SCM_RIGHTS): the first and the end byte of the
        # message they came with, counted as self.recv.nwrite counts its bytes.
        self.rights: deque[tuple[int, int, tuple[OpenFile, ...]]] = deque()
        # TCP only (tcp(7)): a FIN each way, and a reset; with both FINs, or a reset, the
        # connection is over (TCP_CLOSE) though the socket stays connected (SS_CONNECTED).
        self.fin = False  # the peer's FIN arrived (tcp_fin sets SOCK_DONE)
        self.fin_sent = False  # our own shutdown(SHUT_WR) sent one
        self.was_reset = False  # an RST arrived (tcp_reset)
        self.time_wait = False  # our FIN went first: TIME_WAIT holds our port on
        self.port_given_up = False  # over, it gave its port up (a later bind is a new one)
        self.port_locked = False  # bind named the port (SOCK_BINDPORT_LOCK): it stays

    @property
    def over(self) -> bool:
        """A TCP connection in state CLOSE: reset, or shut down both ways."""
        return self.inet and self.state == "CONNECTED" and (
            self.was_reset or (self.fin and self.fin_sent))

    # -- connections ----------------------------------------------------------------------
    def link(self, other: StreamSocket) -> None:
        self.peer, other.peer = other, self
        self.state = other.state = "CONNECTED"
        self.remote, other.remote = other.local, self.local

    @property
    def accept_queue_full(self) -> bool:
        # Linux lets backlog + 1 connections wait: sk_acceptq_is_full() tests ">".
        return len(self.queue) > self.backlog

    # -- data -----------------------------------------------------------------------------
    def write(self, f: OpenFile, data: bytes, atomic: bool) -> int:
        if self.state != "CONNECTED":
            # tcp_sendmsg -> sk_stream_wait_connect: EPIPE on a new or listening TCP socket;
            # unix_stream_sendmsg: ENOTCONN without a peer.
            raise fail("EPIPE" if self.inet else "ENOTCONN")
        if self.inet:
            self.raise_error()  # sk_stream_wait_connect: a reset's error first
        if self.shut_wr:
            raise fail("EPIPE")  # shut down for writing, or the peer is gone
        peer = self.peer
        assert peer is not None, "a connected socket without a peer"
        if not data:
            return 0
        if self.inet and (peer.closed or (peer.fin_sent and peer.shut_rd)):
            # A closed TCP peer cannot be told from one shut down for writing: this send
            # succeeds. But a socket that sent its FIN and reads no more (closed, or shut
            # down both ways) answers data with RST (tcp_rcv_state_process, FIN_WAIT:
            # "abort on data", RFC 1122): both ends are reset, and our next call fails
            # (EPIPE after the peer's FIN: tcp_reset in CLOSE_WAIT).
            taken = min(len(data), self.send.capacity)
            self.discarded += taken
            if not peer.closed:
                peer.reset()
            self.reset()
            return taken
        self.pump()
        taken = peer.recv.write(data) if self.send.used == 0 else 0
        taken += self.send.write(memoryview(data)[taken:])
        if taken:
            self.wake(peer)
        return taken

    def attach(self, start: int, length: int, files: tuple[OpenFile, ...]) -> None:
        """Files sent with ``length`` bytes that begin at byte ``start`` of our stream."""
        self.rights.append((start, start + length, files))

    def _upto_rights(self, n: int) -> int:
        """af_unix.c unix_stream_read_generic: a read that reaches a message carrying files
        takes them and stops at the end of that message (a read(2) closes them)."""
        first = self.recv.nread
        if self.rights and self.rights[0][0] < first + min(n, self.recv.used):
            _, end, self.passed = self.rights.popleft()
            return min(n, end - first)
        return n

    def unsent(self) -> list[OpenFile]:
        files = [f for _, _, sent in self.rights for f in sent]
        self.rights.clear()
        return files + list(self.take_passed())

    def pump(self) -> None:
        """Move bytes from this socket's send buffer into the peer's recv buffer."""
        peer = self.peer
        if peer is not None and self.send.used and peer.recv.free:
            self.send.read(peer.recv.write(self.send.peek(peer.recv.free)))

    def read(self, f: OpenFile, n: int) -> bytes | None:
        if self.state != "CONNECTED":
            if self.inet and self.state == "UNCONNECTED" and self.shut_rd:
                return b""  # tcp_recvmsg: RCV_SHUTDOWN (inet_shutdown set it) before ENOTCONN
            raise fail("ENOTCONN" if self.inet else "EINVAL")
        if self.recv.used:
            data = self.recv.read(self._upto_rights(n))
            if self.peer is not None:
                self.peer.pump()  # room here: the peer's waiting bytes move over
                self.wake(self.peer)
            return data
        if self.inet and self.fin:
            return b""  # tcp_recvmsg: after the peer's FIN (SOCK_DONE), before any error
        self.raise_error()
        return b"" if self.shut_rd else None

    def poll(self, f: OpenFile) -> int:
        """A listener is readable with a connection to accept; a connection with bytes to
        read, writable while a write would not wait; unconnected, a hang-up (unix_poll)."""
        if self.state == "LISTEN":
            return POLLIN if self.queue else 0
        mask = self._poll_common()
        if self.state != "CONNECTED" or self.over:
            mask |= POLLHUP  # TCP_CLOSE on a connection-based socket
        if self.recv.used:
            mask |= POLLIN
        peer = self.peer
        if self.send.free or peer is None or peer.recv.free:
            mask |= POLLOUT
        return mask

    def shutdown(self, rd: bool, wr: bool) -> None:
        """shutdown(2): this side's directions, and the matching ones of the peer."""
        self.shut_rd |= rd
        self.shut_wr |= wr
        peer = self.peer
        if peer is not None and self.inet:
            # tcp(7): SHUT_RD changes only this side (the peer may still send); SHUT_WR
            # sends a FIN: end of stream for the peer after what is queued.
            if wr and not self.fin_sent:
                self.fin_sent = True
                peer.fin_arrives()
            self.wake(peer)
        elif peer is not None:
            peer.shut_wr |= rd  # unix(7): the peer may no longer send to us
            peer.shut_rd |= wr  # the peer reads end of stream after what is queued
            self.wake(peer)
        self.wake(self)

    def stop_listening(self) -> None:
        """shutdown(SHUT_RD) on a TCP listener (inet_shutdown -> tcp_disconnect): it stops
        listening and resets the connections not yet accepted (inet_csk_listen_stop)."""
        self.drop_unaccepted()
        self.state = "UNCONNECTED"
        self.listen_stopped = True
        self.backlog = 0
        self.wake(self)

    def drop_unaccepted(self) -> None:
        # Connections never accepted are reset, UNIX (af_unix.c unix_release_sock, with
        # embrion set) and TCP (inet_csk_listen_stop) alike: their clients see ECONNRESET.
        for waiting in self.queue:
            waiting.close_connection(reset=True)
        self.queue.clear()
        self.wake(self.room)  # connects that wait for room: refused now

    def released(self, f: OpenFile) -> None:
        self.closed = True
        self.drop_unaccepted()
        self.close_connection()
        self.wake(self)

    def close_connection(self, reset: bool = False) -> None:
        self.closed = True
        peer = self.peer
        if peer is None:
            return
        if self.recv.used or peer.send.used:
            reset = True  # closed with unread bytes: the peer is reset
            self.discarded += peer.send.clear()
        self.discarded += self.recv.clear()
        if self.over:
            pass  # tcp_close in TCP_CLOSE sends nothing more
        elif self.inet and not reset:
            peer.fin_arrives()  # tcp_close sends a FIN
        elif self.inet:
            peer.reset()
        else:
            if reset:
                peer.err = "ECONNRESET"
            peer.shut_rd = peer.shut_wr = True
        self.wake(peer)

    def fin_arrives(self) -> None:
        """The peer's FIN (tcp_fin): end of stream after what is queued; if ours went
        first, the connection is over and TIME_WAIT keeps our port taken."""
        if self.fin_sent and not self.fin:
            self.time_wait = True
        self.fin = self.shut_rd = True

    def reset(self) -> None:
        """An RST arrives (tcp_reset): the error for the next call, and the connection is
        over (tcp_done: TCP_CLOSE, both directions shut down)."""
        if self.over:
            return  # already CLOSE: tcp_reset ignores it
        self.err = "EPIPE" if self.fin else "ECONNRESET"  # tcp_reset: EPIPE in CLOSE_WAIT
        self.was_reset = True
        self.shut_rd = self.shut_wr = True
        self.wake(self)

    # -- the picture ----------------------------------------------------------------------
    def picture_key(self) -> object:
        peer = self.peer
        return (self.state, self.send.nread, self.send.nwrite, self.recv.nread,
                self.recv.nwrite, len(self.queue), self.backlog, self.local, self.remote,
                None if peer is None else (peer.id, peer.closed))

    def model(self) -> Channel:
        state = self.state
        if self.inet and state == "CONNECTED":
            state = "CLOSE_WAIT" if self.peer is not None and self.peer.closed else "ESTABLISHED"
        buffers = (Buffer(BufferRole.SEND, self.send.capacity, self.send.used),
                   Buffer(BufferRole.RECV, self.recv.capacity, self.recv.used))
        detail = {}
        if self.state == "LISTEN":
            detail = {"backlog": str(self.backlog), "accept queue": str(len(self.queue))}
        local, remote = show_addr(self.local), show_addr(self.remote)
        label = " -> ".join(a or "(unnamed)" for a in (local, remote)) if self.peer else (
            local or "(unbound)")
        peer = self.peer.id if self.peer is not None and not self.peer.closed else None
        return Channel(self.id, self.kind, label, state, local, remote, peer, buffers, detail)


class DgramSocket(Socket):
    """A UNIX datagram or UDP socket: a queue of whole messages, each with its sender."""

    def __init__(self, ident: str, wake: Wake, family: str, capacity: int) -> None:
        super().__init__(ident, wake, family, capacity)
        self.kind = Kind.UDP if family == "inet" else Kind.UNIX_DGRAM
        self.queue: deque[tuple[bytes, Addr]] = deque()
        self.queued = 0  # payload bytes in the queue
        self.peer: DgramSocket | None = None  # the socketpair peer, or connect()'s target
        self.dest: Addr = None  # connect()'s default destination
        self.paired = False  # a socketpair: its peer was never an address
        self.lost: list[OpenFile] = []  # files of datagrams a disconnect dropped
        self.autobound = False  # a send gave it a port: bound to any address (INADDR_ANY)

    def room_for(self, data: bytes, sender: DgramSocket) -> bool:
        if self.queued + len(data) > self.capacity:
            return False
        # unix(7): an unconnected sender waits once max_dgram_qlen datagrams queue up.
        # (unix_dgram_sendmsg: "if (unix_peer(other) != sk && unix_recvq_full(other))":
        # a receiver connected back to the sender takes any number.)
        return self.inet or self.peer is sender or len(self.queue) <= MAX_DGRAM_QLEN

    def deliver(self, data: bytes, sender: Addr) -> None:
        self.queue.append((data, sender))
        self.queued += len(data)
        self.wake(self)

    def take(self, n: int) -> tuple[bytes, Addr] | None:
        """One datagram, cut to ``n`` bytes (the rest is lost), or None when none is queued."""
        if not self.queue:
            return None
        data, sender = self.queue.popleft()
        self.queued -= len(data)
        self.discarded += max(len(data) - n, 0)
        self.passed = data.files if isinstance(data, Message) else ()
        self.wake(self)  # a sender may wait for room
        return data[:n], sender

    def unsent(self) -> list[OpenFile]:
        """Closed: the files in its queued datagrams can reach nobody (nor what it took)."""
        files = [f for data, _ in self.queue if isinstance(data, Message) for f in data.files]
        lost, self.lost = self.lost, []
        return files + lost + list(self.take_passed())

    def read(self, f: OpenFile, n: int) -> bytes | None:
        got = self.receive(f, n, b"")
        return None if got is None else got[0]

    def receive(self, f: OpenFile, n: int, empty: object) -> tuple[bytes, Addr] | None:
        """The next datagram and its sender, None when one must be waited for: a pending
        error first; shut down for reading and empty, ``empty`` (see ``ended``)."""
        self.raise_error()
        got = self.take(n)
        if got is None and self.shut_rd:
            raise self.ended(f, empty)
        return got

    def ended(self, f: OpenFile, value: object) -> WouldBlock:
        """Empty and shut down for reading: a blocking read sees end of file, a nonblocking
        one EAGAIN (__skb_wait_for_more_packets looks at RCV_SHUTDOWN only when it would
        wait; unix_dgram_recvmsg turns EAGAIN into 0 for SOCK_SEQPACKET only)."""
        return WouldBlock(self, "a datagram", f.nonblock, ended=value)

    def shutdown(self, rd: bool, wr: bool) -> None:
        self.shut_rd |= rd
        self.shut_wr |= wr
        self.wake(self)

    def poll(self, f: OpenFile) -> int:
        """unix_dgram_poll, datagram_poll: readable with a datagram queued; writable unless
        the socket it is connected to has no room for one more (unix(7))."""
        mask = self._poll_common() | (POLLIN if self.queue else 0)
        peer = self.peer
        if self.inet or peer is None or peer.closed or peer.room_for(b"", self):
            mask |= POLLOUT
        return mask

    def released(self, f: OpenFile) -> None:
        self.closed = True
        self.peer = None  # unix_release_sock: a dead socket has no peer (no EPERM from it)
        self.drop_queue()

    def drop_queue(self) -> None:
        """Every queued datagram is lost (a close, or unix_dgram_disconnected); files they
        carried (SCM_RIGHTS) wait in ``lost`` until the socket closes (see ``unsent``)."""
        self.lost += [f for data, _ in self.queue if isinstance(data, Message) for f in data.files]
        self.queue.clear()
        self.discarded += self.queued
        self.queued = 0
        self.wake(self)

    def picture_key(self) -> object:
        peer = self.peer
        return (self.queued, len(self.queue), self.local, self.dest,
                None if peer is None else (peer.id, peer.closed))

    def model(self) -> Channel:
        buffers = (Buffer(BufferRole.SEND, self.capacity, 0),
                   Buffer(BufferRole.RECV, self.capacity, self.queued))
        local = show_addr(self.local)
        remote = show_addr(self.dest)
        state = "CONNECTED" if self.peer is not None or self.dest is not None else "UNCONNECTED"
        peer = self.peer.id if self.peer is not None and not self.peer.closed else None
        detail = {"datagrams": str(len(self.queue))}
        return Channel(self.id, self.kind, local or "(unbound)", state, local, remote, peer,
                       buffers, detail)
