"""Socket channels for a set of socket inodes: /proc/net rows joined with sock_diag.

Done once per snapshot, for all the sockets its fds point to, plus the peers
of those sockets (a connected socket's other end is a channel of its own; see
model.Channel) and the clients waiting on a listener, so that the views can
show who is at the other end.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import replace

from iochannels.live import netfiles, procfs, sockdiag
from iochannels.live.channels import socket_channel, unknown_socket
from iochannels.live.netfiles import SockRow
from iochannels.live.sockdiag import Diag
from iochannels.model import Channel, Kind

__all__ = ["socket_channels"]


def socket_channels(
    holders: Mapping[int, tuple[int, int]],
) -> tuple[dict[str, Channel], list[str], set[str]]:
    """Channels for the socket inodes in ``holders`` (inode -> a (pid, fd) holding it),
    notes, and the ids of the sockets neither /proc/net nor sock_diag listed (closed
    meanwhile, or of another network namespace or family)."""
    notes: list[str] = []
    diags = _try(sockdiag.unix_diag, set(holders), notes)
    peers = {i: d.peer for i, d in diags.items() if d.peer}
    extra = {*peers.values(), *(c for d in diags.values() for c in d.icons)} - holders.keys()
    # Each socket's protocol is asked, however many: an unbound UDP or raw socket is in
    # no table (/proc/net lists the hashed ones), and only its protocol names its kind.
    protocols = {i: _protocol(*holders[i]) for i in holders.keys() - diags.keys()}
    files = _files(protocols, bool(diags))
    lines = functools.cache(netfiles.table_lines)  # each /proc/net table read once
    rows = netfiles.read_sockets(holders.keys() | extra, files, lines)
    inet = {i: r for i, r in rows.items() if r.kind in (Kind.TCP, Kind.UDP)}
    queued: dict[int, int] = {}
    if any(r.state == "LISTEN" or _connected(r) for r in inet.values()):
        # Connected sockets for their peers; TCP listeners for the clients in their queues.
        found = netfiles.inet_peers(inet.keys(), _present(inet), lines, rows)
        for inode, row in found.rows.items():
            rows.setdefault(inode, row)
        peers.update(found.peers)
        queued = found.queued
    if inet:
        wanted = set(inet) | set(peers.values()) | set(queued)
        # The peers' families too: an IPv4 client's peer may be an IPv6 socket (v4-mapped).
        present = _present({i: rows[i] for i in wanted if i in rows})
        diags.update(_try(lambda w: sockdiag.inet_diag(w, present), wanted, notes))
    made = {f"socket:[{i}]": _channel(i, row, rows, diags, peers) for i, row in rows.items()}
    _mark_queues(made, queued)
    unlisted: set[str] = set()
    for inode in holders:
        if f"socket:[{inode}]" not in made:
            made[f"socket:[{inode}]"] = unknown_socket(inode, protocols.get(inode, ""))
            unlisted.add(f"socket:[{inode}]")
    return made, notes, unlisted


# The kernel's protocol names (socket(7) "system.sockprotoname") -> the /proc/net file.
_FILES = {
    "UNIX": "unix",
    "TCP": "tcp",
    "TCPv6": "tcp6",
    "UDP": "udp",
    "UDPv6": "udp6",
    "RAW": "raw",
    "RAWv6": "raw6",
    "NETLINK": "netlink",
    "PACKET": "packet",
}


def _files(protocols: Mapping[int, str], diag_worked: bool) -> set[str] | None:
    """The /proc/net files worth reading: those of our sockets' protocols, not every table.

    A busy machine's tcp table can hold tens of thousands of rows; asking each of our
    own non-UNIX sockets its protocol (one getxattr each) is cheaper than reading it.
    Without sock_diag the UNIX sockets are not known either, nor a socket whose protocol
    could not be asked (the fd closed meanwhile, a /proc that is not the kernel's): read
    everything then.
    """
    if not diag_worked or "" in protocols.values():
        return None  # some socket's protocol is unknown: its table may be any of them
    return {"unix"} | {_FILES[p] for p in protocols.values() if p in _FILES}


def _connected(row: SockRow) -> bool:
    return row.remote is not None and not row.remote.endswith(":0")


def _present(rows: Mapping[int, SockRow]) -> set[tuple[Kind, str]]:
    """The (kind, family) pairs among ``rows``: which tables and dumps are worth reading."""
    return {(r.kind, r.family) for r in rows.values()}


def _channel(
    inode: int,
    row: SockRow,
    rows: Mapping[int, SockRow],
    diags: Mapping[int, Diag],
    peers: Mapping[int, int],
) -> Channel:
    diag = diags.get(inode)
    peer = peers.get(inode)
    if row.family == "unix" and peer is not None and peer in rows and rows[peer].local:
        row = _with_remote(row, rows[peer].local)  # the address this socket talks to
    made = socket_channel(inode, row, diag, peer)
    if diag is not None and diag.icons:
        waiting = " ".join(f"socket:[{c}]" for c in diag.icons)
        made = _add_detail(made, waiting=waiting)
    return made


def _mark_queues(made: dict[str, Channel], queued: Mapping[int, int]) -> None:
    """TCP clients not accepted yet: ``queued_at`` on the client names the listener,
    ``waiting`` on the listener names the clients (as unix_diag's icons do for UNIX)."""
    waiting: dict[str, list[str]] = {}
    for client, listener in sorted(queued.items()):
        cid, lid = f"socket:[{client}]", f"socket:[{listener}]"
        if cid in made and lid in made:
            made[cid] = _add_detail(made[cid], queued_at=lid)
            waiting.setdefault(lid, []).append(cid)
    for lid, clients in waiting.items():
        made[lid] = _add_detail(made[lid], waiting=" ".join(clients))


def _with_remote(row: SockRow, remote: str | None) -> SockRow:
    return row._replace(remote=remote)


def _add_detail(channel: Channel, **extra: str) -> Channel:
    return replace(channel, detail={**channel.detail, **extra})


def _try(
    reader: Callable[[set[int]], dict[int, Diag]], wanted: set[int], notes: list[str]
) -> dict[int, Diag]:
    try:
        return reader(wanted)
    except OSError as exc:
        # Without sock_diag (an old kernel, a seccomp filter) peers stay unknown; say so.
        notes.append(f"sock_diag unavailable ({exc.strerror or exc}): socket peers not shown")
        return {}


def _protocol(pid: int, fd: int) -> str:
    """The protocol name the kernel gives a socket fd ("UNIX", "TCP", ...), or ""."""
    try:
        name = os.getxattr(f"{procfs.root()}/{pid}/fd/{fd}", "system.sockprotoname")
        return name.decode().rstrip("\0")
    except OSError:
        return ""
