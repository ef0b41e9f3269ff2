"""A small reader of the kernel's sock_diag netlink interface (sock_diag(7)).

``/proc/net/unix`` does not say which socket is a UNIX socket's peer; sock_diag
does (UNIX_DIAG_PEER), for socketpairs and unnamed sockets too, along with
queue lengths (UNIX_DIAG_RQLEN), the connections waiting on a listener
(UNIX_DIAG_ICONS) and the buffer sizes (UNIX_DIAG_MEMINFO: SO_RCVBUF and
SO_SNDBUF as the kernel applies them). inet_diag gives the buffer sizes of TCP
and UDP sockets (INET_DIAG_SKMEMINFO). One dump per family per snapshot.
"""

from __future__ import annotations

# _socket, the C module under socket: socket.py's import (enums for every constant,
# selectors) is a tenth of `fds PID --json`'s start-up, for one netlink socket.
import _socket as socket
import struct
from collections.abc import Collection, Iterator
from typing import NamedTuple

from iochannels.model import Kind

__all__ = ["Diag", "inet_diag", "unix_diag"]

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
_NLMSG = struct.Struct("=IHHII")  # struct nlmsghdr
_NLATTR = struct.Struct("=HH")  # struct nlattr

# linux/unix_diag.h
UDIAG_SHOW_PEER, UDIAG_SHOW_ICONS, UDIAG_SHOW_RQLEN, UDIAG_SHOW_MEMINFO = 0x4, 0x8, 0x10, 0x20
UNIX_DIAG_PEER, UNIX_DIAG_ICONS, UNIX_DIAG_RQLEN, UNIX_DIAG_MEMINFO = 2, 3, 4, 5
# linux/inet_diag.h, linux/sock_diag.h
INET_DIAG_SKMEMINFO = 7
SK_MEMINFO_RCVBUF, SK_MEMINFO_SNDBUF = 1, 3


class Diag(NamedTuple):
    """What sock_diag says about one socket; None where it did not say."""

    peer: int | None = None  # UNIX: the peer's inode
    rqueue: int | None = None  # bytes waiting to be read; listener: connections queued
    wqueue: int | None = None  # bytes sent, not yet consumed; listener: the backlog limit
    icons: tuple[int, ...] = ()  # listener: the inodes of the clients waiting in accept()
    rcvbuf: int | None = None
    sndbuf: int | None = None


def _dump(payload: bytes) -> Iterator[memoryview]:
    """Send one SOCK_DIAG_BY_FAMILY dump request; yield the payload of every reply."""
    header = _NLMSG.pack(
        _NLMSG.size + len(payload), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0
    )
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
    try:
        sock.sendall(header + payload)
        while True:
            data = memoryview(sock.recv(1 << 20))
            offset = 0
            while offset + _NLMSG.size <= len(data):
                length, kind, _, _, _ = _NLMSG.unpack_from(data, offset)
                if kind == NLMSG_DONE:
                    return
                if kind == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", data, offset + _NLMSG.size)[0]
                    raise OSError(err, "sock_diag refused the request")
                yield data[offset + _NLMSG.size : offset + length]
                offset += (length + 3) & ~3
    finally:
        sock.close()


def _attrs(msg: memoryview, start: int) -> Iterator[tuple[int, memoryview]]:
    """The netlink attributes (type, value) of a message from ``start`` on."""
    while start + _NLATTR.size <= len(msg):
        length, kind = _NLATTR.unpack_from(msg, start)
        if length < _NLATTR.size:
            return
        yield kind & 0x3FFF, msg[start + _NLATTR.size : start + length]
        start += (length + 3) & ~3


_UNIX_REQ = struct.Struct("=BBHIIIII")  # struct unix_diag_req
_UNIX_MSG = struct.Struct("=BBBBIII")  # struct unix_diag_msg


def unix_diag(wanted: Collection[int]) -> dict[int, Diag]:
    """Peer, queues, pending connections and buffer sizes of the wanted UNIX sockets."""
    show = UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_MEMINFO
    request = _UNIX_REQ.pack(socket.AF_UNIX, 0, 0, 0xFFFFFFFF, 0, show, 0xFFFFFFFF, 0xFFFFFFFF)
    found: dict[int, Diag] = {}
    for msg in _dump(request):
        inode = _UNIX_MSG.unpack_from(msg)[4]
        if inode in wanted:
            found[inode] = _unix_attrs(msg)
    return found


def _unix_attrs(msg: memoryview) -> Diag:
    # The attributes walked in place (as _attrs does): a busy machine has thousands of
    # UNIX sockets, each with four attributes, and this loop is most of a dump's cost.
    peer = rqueue = wqueue = rcvbuf = sndbuf = None
    icons: tuple[int, ...] = ()
    start, end, head = _UNIX_MSG.size, len(msg), _NLATTR.unpack_from
    while start + 4 <= end:
        length, kind = head(msg, start)
        if length < 4:
            break
        kind &= 0x3FFF
        if kind == UNIX_DIAG_PEER:
            peer = _WORD.unpack_from(msg, start + 4)[0]
        elif kind == UNIX_DIAG_ICONS:
            icons = struct.unpack_from(f"={(length - 4) // 4}I", msg, start + 4)
        elif kind == UNIX_DIAG_RQLEN:
            rqueue, wqueue = _TWO_WORDS.unpack_from(msg, start + 4)
        elif kind == UNIX_DIAG_MEMINFO:
            rcvbuf, sndbuf = _meminfo(msg[start + 4 : start + length])
        start += (length + 3) & ~3
    return Diag(peer or None, rqueue, wqueue, icons, rcvbuf, sndbuf)


_WORD = struct.Struct("=I")
_TWO_WORDS = struct.Struct("=II")


def _meminfo(value: memoryview) -> tuple[int, int]:
    words = struct.unpack_from(f"={len(value) // 4}I", value)
    return words[SK_MEMINFO_RCVBUF], words[SK_MEMINFO_SNDBUF]


_INET_REQ = struct.Struct("=BBBBI48x")  # struct inet_diag_req_v2 with a zero inet_diag_sockid
_INET_TAIL = struct.Struct("=IIII")  # idiag_rqueue, idiag_wqueue, idiag_uid, idiag_inode
_INET_TAIL_AT = 56  # after family, state, timer, retrans (4), inet_diag_sockid (48), expires
_INET_MSG_SIZE = 72


_DUMPS = {
    (Kind.TCP, "ipv4"): (socket.AF_INET, socket.IPPROTO_TCP),
    (Kind.TCP, "ipv6"): (socket.AF_INET6, socket.IPPROTO_TCP),
    (Kind.UDP, "ipv4"): (socket.AF_INET, socket.IPPROTO_UDP),
    (Kind.UDP, "ipv6"): (socket.AF_INET6, socket.IPPROTO_UDP),
}


def inet_diag(wanted: Collection[int], present: Collection[tuple[Kind, str]]) -> dict[int, Diag]:
    """Queues and buffer sizes of the wanted TCP and UDP sockets; one dump per (kind, family)."""
    found: dict[int, Diag] = {}
    for key, (family, proto) in _DUMPS.items():
        if key in present:
            ext = 1 << (INET_DIAG_SKMEMINFO - 1)
            for msg in _dump(_INET_REQ.pack(family, proto, ext, 0, 0xFFFFFFFF)):
                rqueue, wqueue, _, inode = _INET_TAIL.unpack_from(msg, _INET_TAIL_AT)
                if inode in wanted:
                    found[inode] = _inet_attrs(msg, rqueue, wqueue)
    return found


def _inet_attrs(msg: memoryview, rqueue: int, wqueue: int) -> Diag:
    """Listener: rqueue is the accept queue, wqueue its limit (inet_diag.c)."""
    for kind, value in _attrs(msg, _INET_MSG_SIZE):
        if kind == INET_DIAG_SKMEMINFO:
            rcvbuf, sndbuf = _meminfo(value)
            return Diag(None, rqueue, wqueue, (), rcvbuf, sndbuf)
    return Diag(None, rqueue, wqueue)
