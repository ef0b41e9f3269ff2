"""The rebuilt kernel state: processes, fd tables, open file descriptions, channels.

Two tables, as the kernel keeps them (and xv6's ``ofile[]`` and ``file``):
each process's fd table maps an fd to an open file description and its
close-on-exec flag (a per-fd flag, fcntl(2) F_SETFD); the open file description
holds the channel, the access mode and the status flags (O_NONBLOCK, O_APPEND),
shared by every fd that dup(2) or fork(2) made from it. Mutable while the trace
is read; :meth:`State.snapshot` freezes one moment into the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iochannels.model import Access, Buffer, BufferRole, Channel, FdEntry, Kind, Process, Snapshot

__all__ = ["Chan", "Ofd", "Proc", "Slot", "State"]

# pipe(7): "Since Linux 2.6.11, the pipe capacity is 16 pages" (65,536 bytes on 4 KiB pages).
PIPE_CAPACITY = 65536
_STREAM_SOCKETS = frozenset({Kind.UNIX_STREAM, Kind.UNIX_SEQPACKET, Kind.TCP})


@dataclass(slots=True)
class Chan:
    id: str
    kind: Kind
    label: str = ""
    state: str | None = None
    local: str | None = None
    remote: str | None = None
    peer: str | None = None
    used: int | None = None  # bytes in the pipe buffer, or in this socket's receive queue
    capacity: int | None = None
    detail: dict[str, str] = field(default_factory=dict)
    outside: bool = False  # from the first table: processes outside the trace may hold it too


@dataclass(slots=True)
class Ofd:
    """An open file description: what open(2), pipe(2), socket(2) create and dup(2) shares."""

    number: int
    channel: str
    access: Access | None
    flags: set[str] = field(default_factory=set)  # "nonblock", "append"


@dataclass(slots=True)
class Slot:
    ofd: Ofd
    cloexec: bool = False


@dataclass(slots=True)
class Proc:
    pid: int
    name: str
    argv: tuple[str, ...] = ()
    ppid: int | None = None
    fds: dict[int, Slot] = field(default_factory=dict)
    state: str | None = None
    exited: bool = False


class State:
    def __init__(self) -> None:
        self.procs: dict[int, Proc] = {}
        self.chans: dict[str, Chan] = {}
        self.threads: dict[int, int] = {}  # thread id -> its process (the thread group leader)
        self._ofds = 0
        self._frozen_procs: dict[int, tuple[tuple[Any, ...], Process]] = {}
        self._frozen_chans: dict[str, tuple[tuple[Any, ...], Channel]] = {}

    def owner(self, tid: int) -> int:
        return self.threads.get(tid, tid)

    def anon_id(self, name: str) -> str:
        """An anonymous inode (eventfd, epoll...) has no number in strace's decoration: each
        one made is a channel of its own, named after the open file made with it."""
        return f"anon_inode:[{name}]#{self._ofds + 1}"

    def new_ofd(self, channel: str, access: Access | None, flags: set[str]) -> Ofd:
        self._ofds += 1
        return Ofd(self._ofds, channel, access, flags)

    def chan(self, chan_id: str, kind: Kind, label: str = "") -> Chan:
        found = self.chans.get(chan_id)
        if found is None:
            found = Chan(chan_id, kind, label or chan_id)
            self.chans[chan_id] = found
        return found

    def import_channel(self, channel: Channel) -> None:
        """A channel of the first table, as ``live`` read it."""
        buf = channel.buffers[0] if channel.buffers else None
        self.chans[channel.id] = Chan(
            channel.id, channel.kind, channel.label, channel.state, channel.local,
            channel.remote, channel.peer, None,  # bytes written before the trace are unknown
            buf.capacity if buf is not None else None, dict(channel.detail), outside=True)

    def holders(self, chan_id: str) -> list[tuple[Proc, int, Slot]]:
        return [(p, fd, s) for p in self.procs.values() if not p.exited
                for fd, s in sorted(p.fds.items()) if s.ofd.channel == chan_id]

    def shared(self) -> dict[int, int]:
        """Open file descriptions held by more than one fd: ofd number -> how many fds."""
        counts: dict[int, int] = {}
        for proc in self.procs.values():
            for slot in proc.fds.values():
                counts[slot.ofd.number] = counts.get(slot.ofd.number, 0) + 1
        return {n: c for n, c in counts.items() if c > 1}

    def snapshot(self, taken_at: float, notes: tuple[str, ...] = ()) -> Snapshot:
        """One moment, frozen. A process or channel unchanged since the last moment is the
        same object as then: a long trace keeps one copy of what did not change."""
        shared = self.shared()
        processes = []
        used: set[str] = set()
        for proc in self.procs.values():
            rows = tuple((fd, s.ofd.channel, s.ofd.access, tuple(s.ofd.flags), s.cloexec,
                          s.ofd.number if s.ofd.number in shared else 0)
                         for fd, s in sorted(proc.fds.items()))
            key = (proc.name, proc.argv, proc.ppid, proc.state, rows)
            cached = self._frozen_procs.get(proc.pid)
            if cached is None or cached[0] != key:
                cached = (key, self._frozen_process(proc, rows))
                self._frozen_procs[proc.pid] = cached
            processes.append(cached[1])
            used.update(row[1] for row in rows)
        channels = {cid: self._channel(self.chans[cid])
                    for cid in sorted(used) if cid in self.chans}
        return Snapshot(tuple(processes), channels, "trace", taken_at, notes)

    @staticmethod
    def _frozen_process(proc: Proc, rows: tuple[tuple[Any, ...], ...]) -> Process:
        entries = tuple(
            FdEntry(fd, channel, access, frozenset(flags) | ({"cloexec"} if cloexec else set()),
                    open_file=f"ofd:{number}" if number else None)
            for fd, channel, access, flags, cloexec, number in rows)
        return Process(proc.pid, proc.name, proc.argv, entries, proc.ppid, proc.state)

    def _channel(self, chan: Chan) -> Channel:
        key = (chan.kind, chan.label, chan.state, chan.local, chan.remote, chan.peer, chan.used,
               chan.capacity, tuple(chan.detail.items()))
        cached = self._frozen_chans.get(chan.id)
        if cached is None or cached[0] != key:
            cached = (key, self._frozen(chan))
            self._frozen_chans[chan.id] = cached
        return cached[1]

    def _frozen(self, chan: Chan) -> Channel:
        buffers: tuple[Buffer, ...] = ()
        if chan.kind.is_pipe_like:
            buffers = (Buffer(BufferRole.PIPE, chan.capacity, chan.used),)
        elif chan.kind in _STREAM_SOCKETS and chan.used is not None:
            buffers = (Buffer(BufferRole.RECV, chan.capacity, chan.used),)
        label = chan.label
        if chan.kind.is_socket and (chan.local or chan.remote):
            label = f"{chan.local or '?'} -> {chan.remote}" if chan.remote else chan.local or label
        return Channel(chan.id, chan.kind, label, chan.state, chan.local, chan.remote, chan.peer,
                       buffers, dict(chan.detail))
