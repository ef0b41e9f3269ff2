"""The send paths: how a write(2), send(2) or sendto(2) puts bytes into a channel.

A stream (pipe, FIFO, stream socket, file, terminal) takes what fits and the
call waits for the rest (:func:`send_stream`). A datagram socket takes one whole
message or nothing (:func:`send_datagram`), to the socket its address or its
connection names. ``write`` (filecalls) and ``send``/``sendto`` (netcalls) share
these, so neither handler module needs the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from iochannels.sim.addresses import Addresses
from iochannels.sim.errors import SimOSError, fail
from iochannels.sim.files import OpenFile, wait_or_eagain
from iochannels.sim.pipes import PIPE_BUF
from iochannels.sim.sockets import Addr, DgramSocket, Socket

__all__ = ["UDP_MAX_LEN", "autobind", "dgram_disconnected", "may_send", "send_datagram",
           "send_stream"]

UNIX_DGRAM_OVERHEAD = 32  # unix_dgram_sendmsg: EMSGSIZE past "sk->sk_sndbuf - 32"
UDP_MAX_LEN = 0xFFFF  # udp_sendmsg: EMSGSIZE before anything else
UDP_MAX_PAYLOAD = UDP_MAX_LEN - 20 - 8  # udp(7), ip(7): less the IP and UDP headers


class Progress(Protocol):
    """What a write that waits keeps between its tries (a :class:`~iochannels.sim.task.Call`)."""

    progress: int  # bytes taken so far
    nonblock: bool | None  # O_NONBLOCK as the call found it when it first had to wait


def send_stream(f: OpenFile, data: bytes, call: Progress, sigpipe: Callable[[], None]) -> int:
    """Take what fits; block (or EAGAIN) for the rest, keeping the partial count in ``call``."""
    try:
        taken = f.chan.write(f, data[call.progress :], len(data) <= PIPE_BUF)
    except SimOSError as exc:
        if exc.name == "EPIPE":
            sigpipe()  # pipe(7), socket(7): EPIPE comes with SIGPIPE
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


def autobind(net: Addresses, sock: DgramSocket) -> None:
    """ip(7): an unbound UDP socket gets an ephemeral port at its first send or connect."""
    if sock.local is None:
        net.bind(sock, ("127.0.0.1", 0))
        sock.autobound = True


def send_datagram(net: Addresses, f: OpenFile, data: bytes, addr: Addr) -> int:
    """One datagram, whole or not at all (udp(7), unix(7))."""
    sock = f.chan
    assert isinstance(sock, DgramSocket)
    if sock.inet:
        return _udp_send(net, sock, data, addr)
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
    target = _dgram_target(net, sock, addr)
    if target.shut_rd:
        raise fail("EPIPE")
    if not target.room_for(data, sock):
        raise wait_or_eagain(f, target, "room in the receiver's queue")
    target.deliver(data, sock)
    return len(data)


def _udp_send(net: Addresses, sock: DgramSocket, data: bytes, addr: Addr) -> int:
    """udp(7): one datagram, in Linux's order of checks (inet_sendmsg, udp_sendmsg)."""
    autobind(net, sock)  # inet_send_prepare: before anything is checked
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
    target = net.lookup(sock, addr)
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
        target.deliver(data, sock)
    return len(data)


def _dgram_target(net: Addresses, sock: DgramSocket, addr: Addr) -> DgramSocket:
    """The UNIX datagram socket a send goes to (UDP's: :func:`_udp_send`): the named one,
    or the peer connect() found (a socket, not a name: a new socket bound later at the
    same path is not it)."""
    if addr is None:
        target = sock.peer
        assert target is not None
    else:
        found = net.lookup(sock, addr)  # ENOENT, EPROTOTYPE
        if not isinstance(found, DgramSocket):
            raise fail("ECONNREFUSED")
        target = found
    may_send(sock, target)
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


def may_send(sock: DgramSocket, target: DgramSocket) -> None:
    """af_unix.c unix_may_send: a socket connected elsewhere takes nothing from us."""
    if target.peer is not None and target.peer is not sock:
        raise fail("EPERM")
