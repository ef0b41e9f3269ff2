"""What a diagram shows, before where: the rows of each fd table and the channel boxes.

A row is one fd, or a run of similar fds collapsed into one ("fd 10-49: 40
files"); a channel box (a :class:`Group`) is one channel, the two sockets of one
connection (linked by ``peer``: four buffers), or the private channels of a
collapsed run. Pure functions of the snapshot, in a stable order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from iochannels.model import Access, Channel, FdEntry, Kind, Process, Snapshot

__all__ = ["COLLAPSE_MIN", "Group", "Plan", "Row", "fd_span", "node_ids", "plan"]

COLLAPSE_MIN = 5  # a run of at least this many similar private fds becomes one row

GroupKind = Literal["one", "pair", "many"]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a process's fd table: one fd, or a collapsed run of them."""

    pid: int
    fds: tuple[int, ...]
    access: Access | None
    kind: Kind | None  # None: the fd names a channel the snapshot does not hold
    channel: str  # the channel id of the first fd
    group: str | None  # key of the Group the row's arrow goes to

    @property
    def key(self) -> str:
        return f"{self.pid}:{self.fds[0]}"

    @property
    def kind_text(self) -> str:
        """``pipe``, ``file ×40`` for a collapsed run, ``?`` for a channel not held."""
        kind = "?" if self.kind is None else str(self.kind)
        return kind + (f" ×{len(self.fds)}" if len(self.fds) > 1 else "")


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    shape: GroupKind
    channels: tuple[Channel, ...]
    count: int = 1  # channels behind a collapsed ("many") group


@dataclass(frozen=True, slots=True)
class Plan:
    rows: dict[int, tuple[Row, ...]]  # by pid
    groups: tuple[Group, ...]  # in order of first use


def fd_span(fds: Sequence[int]) -> str:
    """``(3,)`` -> ``3``; ``(10, 11, 12)`` -> ``10–12``."""
    return str(fds[0]) if len(fds) == 1 else f"{fds[0]}–{fds[-1]}"


def _private(snap: Snapshot, holders: dict[str, int], entry: FdEntry) -> bool:
    channel = snap.channels.get(entry.channel)
    if channel is None or channel.peer in snap.channels:
        return False
    return holders.get(entry.channel, 0) == 1


def _similar(snap: Snapshot, a: FdEntry, b: FdEntry) -> bool:
    """Same access, kind and state: a LISTEN socket never hides among connections."""
    one, other = snap.channels[a.channel], snap.channels[b.channel]
    return a.access == b.access and one.kind == other.kind and one.state == other.state


def _runs(snap: Snapshot, holders: dict[str, int], proc: Process) -> list[list[FdEntry]]:
    """The fd table cut into runs: similar private fds together, every other fd alone."""
    runs: list[list[FdEntry]] = []
    for entry in sorted(proc.fds, key=lambda e: e.fd):
        last = runs[-1] if runs else None
        if (last and _private(snap, holders, entry) and _private(snap, holders, last[-1])
                and _similar(snap, last[-1], entry)):
            last.append(entry)
        else:
            runs.append([entry])
    return [r for run in runs for r in ([run] if len(run) >= COLLAPSE_MIN else [[e] for e in run])]


def _pair_key(snap: Snapshot, channel: Channel) -> str | None:
    peer = snap.channels.get(channel.peer or "")
    if peer is None:
        return None
    return "pair:" + "|".join(sorted((channel.id, peer.id)))


def _row(snap: Snapshot, proc: Process, run: list[FdEntry]) -> tuple[Row, Group | None]:
    first = run[0]
    channel = snap.channels.get(first.channel)
    fds = tuple(e.fd for e in run)
    if channel is None:
        return Row(proc.pid, fds, first.access, None, first.channel, None), None
    if len(run) > 1:
        members = tuple(snap.channels[e.channel] for e in run)
        group = Group(f"many:{proc.pid}:{fds[0]}", "many", members, len(run))
    elif (key := _pair_key(snap, channel)) is not None:
        ends = sorted((channel, snap.channels[channel.peer or ""]), key=lambda c: c.id)
        group = Group(key, "pair", tuple(ends))
    else:
        group = Group(f"one:{channel.id}", "one", (channel,))
    return Row(proc.pid, fds, first.access, channel.kind, first.channel, group.key), group


def plan(snap: Snapshot) -> Plan:
    """The rows of every fd table and the channel boxes they point to."""
    holders: dict[str, int] = {}
    for _, entry in snap.entries():
        holders[entry.channel] = holders.get(entry.channel, 0) + 1
    rows: dict[int, tuple[Row, ...]] = {}
    groups: dict[str, Group] = {}
    for proc in snap.processes:
        made = [_row(snap, proc, run) for run in _runs(snap, holders, proc)]
        rows[proc.pid] = tuple(r for r, _ in made)
        for _, group in made:
            if group is not None:
                groups.setdefault(group.key, group)
    return Plan(rows, tuple(groups.values()))


def node_ids(groups: tuple[Group, ...]) -> dict[str, str]:
    """A short node id per channel (``c0``, ``c1``...); a collapsed run's channels share one."""
    ids: dict[str, str] = {}
    for group in groups:
        for channel in group.channels:
            ids[channel.id] = f"c{len(ids)}"
        if group.shape == "many":
            first = ids[group.channels[0].id]
            ids.update({c.id: first for c in group.channels})
    return ids
