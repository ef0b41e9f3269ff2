"""The typical socket sequence (lecture section 5), read from a run's events.

Servers and clients are lifelines; each socket call is a row: a note on the
caller's lifeline (socket, bind, listen, accept, recv, close) or an arrow to the
process at the other end (connect to the listener, send to the holder of the
peer socket, sendto to the socket bound to that address). The lecture's phases
("S: create server socket", "S: wait for connections", ...) label the rows.
:func:`sequence_of` finds all this in the steps' snapshots; ``sequence_svg`` and
``sequence_mermaid`` draw it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from iochannels.model import Channel, Event, Snapshot, Step, Walkthrough
from iochannels.render.events import call_line, names, result_line

__all__ = ["SOCKET_CALLS", "Item", "SocketSequence", "has_socket_calls", "sequence_of"]

SOCKET_CALLS = frozenset({
    "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "send", "sendto",
    "sendmsg", "recv", "recvfrom", "recvmsg", "shutdown",
})
_FD_CALLS = frozenset({"read", "write", "close"})  # shown when the fd is a socket
_SENDS = frozenset({"send", "sendto", "sendmsg", "write"})
_DATA = frozenset({"send", "sendto", "sendmsg", "recv", "recvfrom", "recvmsg"})
# host:port (IPv4, [IPv6]), a path, or an abstract UNIX name: what connect/sendto aim at.
_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[\w.\-]+):\d+$|^[/@]\S*$")


@dataclass(frozen=True, slots=True)
class Item:
    """One row: a call of ``pid``, an arrow to ``to`` when it reaches another process."""

    event: Event
    pid: int
    to: int | None
    text: str
    phase: str
    server: bool  # the caller is a server (it listens or binds without connecting)


@dataclass(frozen=True, slots=True)
class SocketSequence:
    lifelines: tuple[tuple[int, str], ...]  # (pid, "name (server)")
    items: tuple[Item, ...]


def _fd_channel(snap: Snapshot, pid: int, fd: int) -> Channel | None:
    proc = snap.process(pid)
    entry = proc.fd(fd) if proc else None
    return snap.channels.get(entry.channel) if entry else None


def _fd_arg(event: Event) -> int | None:
    first = event.args[0] if event.args else None
    return first if isinstance(first, int) else None


def _channel(before: Snapshot, after: Snapshot, event: Event) -> Channel | None:
    fd = _fd_arg(event)
    if fd is None:
        return None
    return _fd_channel(after, event.pid, fd) or _fd_channel(before, event.pid, fd)


def _holder(snap: Snapshot, channel_id: str, other_than: int) -> int | None:
    return next((e.pid for e in snap.ends(channel_id) if e.pid != other_than), None)


def _address_owner(snap: Snapshot, address: str, other_than: int) -> int | None:
    for cid, channel in sorted(snap.channels.items()):
        if channel.local == address and (pid := _holder(snap, cid, other_than)) is not None:
            return pid
    return None


def _target(before: Snapshot, after: Snapshot, event: Event, channel: Channel | None,
            later: Sequence[Snapshot] = ()) -> int | None:
    """The process an arrow of this call goes to, if the snapshots tell.

    Data sent before the server accepts waits in a socket that no fd holds yet:
    its holder is the process that accepts it later (``later`` snapshots).
    """
    address = next((a for a in reversed(_unquoted(event.args[1:])) if _ADDRESS.match(a)), None)
    for snap in (after, before, *later):
        peer = channel.peer if channel and event.call in _SENDS else None
        if peer and (pid := _holder(snap, peer, event.pid)) is not None:
            return pid
        if event.call in ("connect", "sendto", "sendmsg") and snap in (after, before):
            where = address or (channel.remote if channel else None)
            if where and (pid := _address_owner(snap, where, event.pid)) is not None:
                return pid
    return None


def _phase(event: Event, server: bool) -> str:
    side = "S" if server else "C"
    match event.call:
        case "socket" | "bind" | "listen" | "socketpair":
            return f"{side}: create {'server' if server else 'client'} socket"
        case "accept" | "accept4" if event.blocked:
            return "S: wait for connections"
        case "accept" | "accept4":
            return "S: create connection"
        case "connect":
            return "C: initiate connection"
        case "close" | "shutdown":
            return f"{side}: close connection"
    return "S-C: communicate"


def _servers(events: Sequence[Event]) -> frozenset[int]:
    """Who listens, or (datagrams) receives before it ever sends: the servers."""
    listeners = {e.pid for e in events if e.call in ("listen", "accept", "accept4")}
    first: dict[int, str] = {}
    for e in events:
        if e.call in _DATA:
            first.setdefault(e.pid, e.call)
    receivers = {pid for pid, call in first.items() if call.startswith("recv")}
    connectors = {e.pid for e in events if e.call == "connect"}
    return frozenset(listeners | (receivers - connectors))


def _unquoted(args: Sequence[str | int]) -> list[str]:
    return [a.strip("'\"") for a in args if isinstance(a, str)]


def _is_socket(channel: Channel | None) -> bool:
    return channel is not None and channel.kind.is_socket


def _text(event: Event, channel: Channel | None) -> str:
    line = call_line(event) + (" … blocks" if event.blocked else f" = {result_line(event)}")
    if event.call in ("accept", "accept4") and not event.blocked and not event.error:
        line += " · new connection socket"
    return line


def sequence_of(steps: Sequence[Step]) -> SocketSequence:
    """The socket calls of a run, with who they reach."""
    events = [s.event for s in steps if s.event is not None]
    servers = _servers(events)
    items, order = [], []
    snaps = [s.snapshot for s in steps]
    for n, (before, after) in enumerate(itertools.pairwise(steps)):
        event = after.event
        if event is None:
            continue
        channel = _channel(before.snapshot, after.snapshot, event)
        if event.call not in SOCKET_CALLS and not (event.call in _FD_CALLS and _is_socket(channel)):
            continue
        to = _target(before.snapshot, after.snapshot, event, channel, snaps[n + 2:])
        server = event.pid in servers
        words, phase = _text(event, channel), _phase(event, server)
        items.append(Item(event, event.pid, to, words, phase, server))
        order += [p for p in (event.pid, to) if p is not None and p not in order]
    who = names(steps)
    lifelines = tuple((pid, f"{pid} {who.get(pid, '?')}" + (" (server)" if pid in servers
                                                            else " (client)"))
                      for pid in sorted(order, key=lambda p: (p not in servers, order.index(p))))
    return SocketSequence(lifelines, tuple(items))


def has_socket_calls(run: Walkthrough) -> bool:
    return any(e.call in SOCKET_CALLS for e in run.events)
