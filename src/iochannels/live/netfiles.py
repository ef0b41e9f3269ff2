"""Parsers for ``/proc/net/{unix,tcp,tcp6,udp,udp6,raw,raw6,netlink,packet}`` (proc(5)).

Each file is read once per snapshot and joined to the fds by socket inode, as
psutil does. Only rows whose inode is wanted are turned into :class:`SockRow`.
The files describe the reading process's network namespace; sockets of other
namespaces are not in them.
"""

from __future__ import annotations

import _socket as socket  # inet_ntop without socket.py's import (see sockdiag.py)
import re
import sys
from collections.abc import Callable, Collection, Mapping
from typing import NamedTuple

from iochannels.live import procfs
from iochannels.model import Kind

__all__ = ["InetLinks", "SockRow", "inet_peers", "parse_inet_addr", "parse_unix", "read_sockets",
           "table_lines"]


class SockRow(NamedTuple):
    kind: Kind
    state: str | None
    local: str | None = None
    remote: str | None = None
    send_q: int | None = None  # bytes not yet sent/acknowledged (tx_queue)
    recv_q: int | None = None  # bytes not yet read (rx_queue); LISTEN: connections queued
    family: str = ""  # "ipv4", "ipv6", "unix", ...
    detail: tuple[tuple[str, str], ...] = ()


# include/net/tcp_states.h
TCP_STATES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
}
_UNIX_TYPES = {1: Kind.UNIX_STREAM, 2: Kind.UNIX_DGRAM, 5: Kind.UNIX_SEQPACKET}
_UNIX_STATES = {1: "UNCONNECTED", 2: "CONNECTING", 3: "CONNECTED", 4: "DISCONNECTING"}
_SO_ACCEPTCON = 0x10000  # the "Flags" column of /proc/net/unix for a listening socket
_INET_FILES = (
    ("tcp", Kind.TCP, "ipv4"),
    ("tcp6", Kind.TCP, "ipv6"),
    ("udp", Kind.UDP, "ipv4"),
    ("udp6", Kind.UDP, "ipv6"),
    ("raw", Kind.RAW, "ipv4"),
    ("raw6", Kind.RAW, "ipv6"),
)
NETLINK_PROTOCOLS = {0: "route", 4: "sock_diag", 9: "audit", 15: "kobject_uevent", 16: "generic"}


def table_lines(name: str) -> list[str]:
    """The rows of ``/proc/net/NAME`` without its heading; [] where the kernel has no such table."""
    try:
        # A UNIX socket's path is any bytes: a byte that is not UTF-8 is kept as os.fsdecode
        # keeps it (a lone surrogate, PEP 383), for the views to show it as \xff.
        with open(f"{procfs.root()}/net/{name}", encoding="utf-8", errors="surrogateescape") as fh:
            lines = fh.read().removesuffix("\n").split("\n")[1:]
    except OSError:
        return []  # the protocol is not built into this kernel (e.g. no IPv6)
    return _unix_rows(lines) if name == "unix" else [line for line in lines if line]


# The start of a row of /proc/net/unix: "Num: RefCount Protocol Flags Type St Inode".
_UNIX_ROW = re.compile(r"[0-9a-f]+: [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{4} [0-9A-F]{2} ")


def _unix_rows(lines: list[str]) -> list[str]:
    """Rows of /proc/net/unix, whole: the kernel prints a path as it is (unix_seq_show), so
    a socket bound to "sock\\nx" spreads over two lines; the second joins the first.

    >>> _unix_rows(["0: 00000002 00000000 00010000 0001 01 17 /tmp/sock", "x", ""])
    ['0: 00000002 00000000 00010000 0001 01 17 /tmp/sock\\nx\\n']
    """
    rows: list[str] = []
    for line in lines:
        if rows and not _UNIX_ROW.match(line):
            rows[-1] += "\n" + line
        elif line:
            rows.append(line)
    return rows


def parse_unix(line: str) -> tuple[int, SockRow]:
    """One row of /proc/net/unix -> (inode, row). Abstract names start with '@'.

    >>> parse_unix("0000: 00000002 00000000 00010000 0001 01 17 /run/a.sock")[1].state
    'LISTEN'
    >>> parse_unix("0000: 00000003 00000000 00000000 0002 03 18")[1].kind
    <Kind.UNIX_DGRAM: 'unix-dgram'>
    """
    parts = line.split(None, 7)
    flags, typ, st, inode = int(parts[3], 16), int(parts[4], 16), int(parts[5], 16), int(parts[6])
    path = parts[7] if len(parts) > 7 else None
    state = "LISTEN" if flags & _SO_ACCEPTCON else _UNIX_STATES.get(st, str(st))
    return inode, SockRow(_UNIX_TYPES.get(typ, Kind.SOCKET), state, path, family="unix")


def parse_inet_addr(text: str, v6: bool, byteorder: str = sys.byteorder) -> str:
    """A hex address:port of /proc/net/tcp* (host byte order words) -> printable.

    >>> parse_inet_addr("0100007F:0016", False, "little")
    '127.0.0.1:22'
    >>> parse_inet_addr("00000000000000000000000001000000:1F90", True, "little")
    '[::1]:8080'
    >>> parse_inet_addr("7F000001:0016", False, "big")
    '127.0.0.1:22'
    """
    host, port = text.split(":")
    shown = _HOSTS.get((host, v6, byteorder))
    if shown is None:
        if len(_HOSTS) >= 4096:  # bounded: a long --watch may meet ever new hosts
            _HOSTS.clear()
        shown = _HOSTS[(host, v6, byteorder)] = _host(host, v6, byteorder)
    return f"{shown}:{int(port, 16)}"


# Printed hosts by their hex text: a machine's thousands of connections share few hosts.
_HOSTS: dict[tuple[str, bool, str], str] = {}


def _host(host: str, v6: bool, byteorder: str) -> str:
    raw = bytes.fromhex(host)
    # The kernel prints each 32-bit word of the address as a host integer (%08X of a
    # __be32, tcp4_seq_show): on a little-endian host the bytes of a word come reversed,
    # on a big-endian one (s390x, ppc64) they are already in network order. The port is
    # printed from ntohs(), so it reads the same on both.
    if byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if v6:
        return f"[{socket.inet_ntop(socket.AF_INET6, raw)}]"
    return socket.inet_ntop(socket.AF_INET, raw)


def _inet_row(line: str, family: str, kind: Kind) -> tuple[int, SockRow]:
    parts = line.split()
    v6 = family == "ipv6"
    txq, rxq = (int(x, 16) for x in parts[4].split(":"))
    st = int(parts[3], 16)
    state = TCP_STATES.get(st, str(st)) if kind is Kind.TCP else _udp_state(st)
    local, remote = parse_inet_addr(parts[1], v6), parse_inet_addr(parts[2], v6)
    if kind is Kind.RAW:
        # raw(7): the "port" column holds the IP protocol number (1 = ICMP), not a port.
        host, _, proto = local.rpartition(":")
        detail = (("protocol", proto),)
        return int(parts[9]), SockRow(kind, None, host, None, txq, rxq, family, detail)
    return int(parts[9]), SockRow(kind, state, local, remote, txq, rxq, family)


def _udp_state(st: int) -> str:
    # UDP reuses the TCP codes: 1 = connected(2), 7 = not connected.
    return "CONNECTED" if st == 1 else "UNCONNECTED"


def _netlink_row(line: str) -> tuple[int, SockRow]:
    parts = line.split()
    proto = int(parts[1])
    name = NETLINK_PROTOCOLS.get(proto, str(proto))
    row = SockRow(
        Kind.NETLINK,
        None,
        f"netlink:{name}",
        send_q=int(parts[5]),
        recv_q=int(parts[4]),
        family="netlink",
        detail=(("protocol", name),),
    )
    return int(parts[9]), row


def _packet_row(line: str) -> tuple[int, SockRow]:
    parts = line.split()
    row = SockRow(
        Kind.SOCKET, None, f"packet:proto={parts[3]}", recv_q=int(parts[6]), family="packet"
    )
    return int(parts[8]), row


def read_sockets(
    wanted: Collection[int], files: Collection[str] | None = None,
    lines: Callable[[str], list[str]] | None = None,
) -> dict[int, SockRow]:
    """Every wanted socket inode found in /proc/net, each file read once (or only ``files``).

    The inode column is checked before a row is parsed, so a busy machine's
    thousands of rows cost one split each. ``lines``: the rows of a table by its name
    (default: read it now); a snapshot passes one that reads each table once.
    """
    lines = lines or table_lines
    rows: dict[int, SockRow] = {}
    for name, column, parse in _TABLES:
        if len(rows) == len(wanted):
            break
        if files is not None and name not in files:
            continue
        for line in lines(name):
            parts = line.split(None, column + 1)
            try:
                if int(parts[column]) in wanted:
                    inode, row = parse(line)
                    rows[inode] = row
            except (ValueError, IndexError):
                continue  # a row the parser does not know; never fail the snapshot for it
    return rows


def _inet(kind: Kind, family: str) -> Callable[[str], tuple[int, SockRow]]:
    return lambda line: _inet_row(line, family, kind)


# (file, index of the inode column, parser)
_TABLES: tuple[tuple[str, int, Callable[[str], tuple[int, SockRow]]], ...] = (
    ("unix", 6, parse_unix),
    *((name, 9, _inet(kind, fam)) for name, kind, fam in _INET_FILES),
    ("netlink", 9, _netlink_row),
    ("packet", 8, _packet_row),
)


class InetLinks(NamedTuple):
    """What the 4-tuples of /proc/net/tcp* and udp* tell about sockets on this host."""

    peers: dict[int, int]  # inode -> the inode of the other endpoint (both ways)
    queued: dict[int, int]  # a client's inode -> the listener whose accept queue holds it
    rows: dict[int, SockRow]  # the rows of those other sockets, by inode


def inet_peers(
    wanted: Collection[int], present: Collection[tuple[Kind, str]],
    lines: Callable[[str], list[str]] | None = None, known: Mapping[int, SockRow] | None = None,
) -> InetLinks:
    """The other endpoint on this host of each wanted TCP/UDP socket, by the 4-tuple.

    A connection between two local sockets shows as two rows whose local and
    remote addresses are swapped; the other row may belong to any process, and
    may be in the other family's table: a ``[::]`` listener that accepts IPv4
    (IPV6_V6ONLY off, ipv6(7)) lists its connection in tcp6 as ``[::ffff:a.b.c.d]``
    while the client's row is in tcp. Addresses are compared as IPv4 then. ``known``:
    rows already parsed, by inode (a peer that is itself wanted is not parsed twice).

    A row with inode 0 is a socket no file refers to (proc(5) prints sock_i_ino()):
    a connection still in a listener's accept queue, before accept(2) gives it an fd,
    or one its process closed and the kernel still winds down. It is no endpoint of
    its own: the client of a queued one, and a wanted listener's queued clients, are
    told in ``queued`` instead.
    """
    lines, known = lines or table_lines, known or {}
    links = InetLinks({}, {}, {})
    for kind in (Kind.TCP, Kind.UDP):
        if not any((kind, family) in present for family in ("ipv4", "ipv6")):
            continue  # no wanted socket of this kind: do not read tables of thousands of rows
        table = _Table.read(kind, wanted, lines)
        for inode, (local, remote) in table.mine.items():
            other = table.by_pair.get((remote, local))
            if other is not None:
                links.peers[inode], links.peers[other[2]] = other[2], inode
                _keep(links, other, kind, known)
            elif (remote, local) in table.unfiled:
                listener = table.listener_of(remote)
                if listener is not None:
                    links.queued[inode] = listener[2]
                    _keep(links, listener, kind, known)
        for local, remote in table.unfiled:
            listener = table.listener_of(local)
            client = table.by_pair.get((remote, local))
            if listener is not None and listener[2] in wanted and client is not None:
                links.queued[client[2]] = listener[2]
                _keep(links, client, kind, known)
    return links


def _keep(links: InetLinks, other: tuple[str, str, int], kind: Kind,
          known: Mapping[int, SockRow]) -> None:
    row = known.get(other[2])
    links.rows[other[2]] = row if row is not None else _inet_row(other[0], other[1], kind)[1]


# Connections that a listener's child socket can be in before accept(2) (tcp(7)): the
# handshake is done, and the client may have sent data, or sent FIN too. A socket its
# process closed is in FIN_WAIT1, FIN_WAIT2, LAST_ACK, CLOSING or TIME_WAIT instead.
_QUEUED_STATES = ("01", "08")  # ESTABLISHED, CLOSE_WAIT
_LISTEN = "0A"


class _Table(NamedTuple):
    """The rows of one kind's tables (both families), indexed by address pair."""

    by_pair: dict[tuple[str, str], tuple[str, str, int]]  # -> (line, family, inode)
    mine: dict[int, tuple[str, str]]  # wanted inode -> (local, remote)
    unfiled: set[tuple[str, str]]  # (local, remote) of queued connections (inode 0)
    listeners: dict[str, list[tuple[str, str, int]]]  # local address -> listening rows

    @classmethod
    def read(cls, kind: Kind, wanted: Collection[int],
             lines: Callable[[str], list[str]]) -> _Table:
        table = cls({}, {}, set(), {})
        for name, table_kind, family in _INET_FILES[:4]:
            if table_kind is not kind:
                continue
            for line in lines(name):
                parts = line.split(None, 10)
                if len(parts) < 10:
                    continue
                inode = int(parts[9])
                if parts[2].endswith(":0000"):  # listening or unconnected: no peer
                    if parts[3] == _LISTEN and kind is Kind.TCP:
                        table.listeners.setdefault(_as_v4(parts[1]), []).append(
                            (line, family, inode))
                    continue
                pair = (_as_v4(parts[1]), _as_v4(parts[2]))
                if inode == 0:
                    if parts[3] in _QUEUED_STATES and kind is Kind.TCP:
                        table.unfiled.add(pair)
                    continue
                table.by_pair[pair] = (line, family, inode)
                if inode in wanted:
                    table.mine[inode] = pair
        return table

    def listener_of(self, local: str) -> tuple[str, str, int] | None:
        """The one listener whose accept queue a connection to ``local`` is in, or None.

        The kernel prefers a listener bound to the address itself, then an IPv4 one
        bound to any address, then an IPv6 one (compute_score in
        net/ipv4/inet_hashtables.c); several of one rank (SO_REUSEPORT, socket(7))
        cannot be told apart from the tables: None.
        """
        port = local.rpartition(":")[2]
        ranks = [local, f"{'0' * 32}:{port}"]
        if len(local) == 13:  # an IPv4 address ("0100007F:1F90")
            ranks.insert(1, f"00000000:{port}")
        for address in ranks:
            candidates = self.listeners.get(address)
            if candidates:
                return candidates[0] if len(candidates) == 1 else None
        return None


_V4_MAPPED = "0000000000000000FFFF0000"  # ::ffff:0:0/96 as /proc/net/tcp6 prints it


def _as_v4(text: str) -> str:
    """An IPv4-mapped IPv6 address of /proc/net/tcp6 in the form tcp uses; others as they are.

    >>> _as_v4("0000000000000000FFFF00000100007F:1F90")
    '0100007F:1F90'
    >>> _as_v4("00000000000000000000000001000000:1F90")
    '00000000000000000000000001000000:1F90'
    """
    return text[24:] if text.startswith(_V4_MAPPED) and len(text) == 37 else text
