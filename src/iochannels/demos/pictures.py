"""The pictures the demos show: live snapshots of their processes, cut to the fds that matter.

A demo's child talks to the demo over its fds 0-2; the lecture is about the
fds it opens next. ``keep`` functions choose which ``(pid, fd)`` a picture
keeps; the channels no kept fd points to go with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from iochannels import live
from iochannels.model import Channel, Kind, Snapshot

__all__ = ["Keep", "from_three", "keep_fds", "snapshot", "sockets_by_state"]

Keep = Callable[[int, int], bool]  # keep(pid, fd)


def snapshot(pids: Iterable[int], keep: Keep | None = None) -> Snapshot:
    """The fd tables of ``pids`` now (``iochannels.live``), only the fds ``keep`` accepts."""
    taken = live.snapshot(list(pids))
    return taken if keep is None else keep_fds(taken, keep)


def keep_fds(snap: Snapshot, keep: Keep) -> Snapshot:
    """The same snapshot with only the fds ``keep(pid, fd)`` accepts, and their channels.

    The picture is cut, the facts are not: a dropped fd that holds the other end of a
    kept channel is still named as a holder (``detail["held_by"]``, as live names the
    holders outside a snapshot), and a kept socket keeps its peer's channel, so the
    OTHER END reads as ``iochannels fds`` shows it, never "no reader" or a bare inode.
    """
    processes = tuple(
        replace(p, fds=tuple(e for e in p.fds if keep(p.pid, e.fd))) for p in snap.processes
    )
    used = {e.channel for p in processes for e in p.fds}
    for cid in list(used):
        channel = snap.channels.get(cid)
        if channel is not None:
            used.update(filter(None, [channel.peer, *channel.detail.get("waiting", "").split(),
                                      channel.detail.get("queued_at")]))
    dropped: dict[str, list[str]] = {}
    for proc in snap.processes:
        for entry in proc.fds:
            if entry.channel in used and not keep(proc.pid, entry.fd):
                holder = f"{proc.pid} {proc.name} fd{entry.fd} {entry.access or '?'}"
                dropped.setdefault(entry.channel, []).append(holder)
    channels = {cid: _held_also(ch, dropped.get(cid, [])) for cid, ch in snap.channels.items()
                if cid in used}
    return replace(snap, processes=processes, channels=channels)


def _held_also(channel: Channel, holders: list[str]) -> Channel:
    if not holders:
        return channel
    known = [h for h in channel.detail.get("held_by", "").split(", ") if h]
    return replace(channel, detail={**channel.detail, "held_by": ", ".join(known + holders)})


def from_three(*pids: int) -> Keep:
    """Keep fds 3 and up of ``pids`` (their 0-2 are the demo's control lines), all of others."""
    return lambda pid, fd: fd >= 3 or pid not in pids


def sockets_by_state(snap: Snapshot, kind: Kind, pid: int) -> dict[str, int]:
    """How many ``kind`` sockets ``pid`` holds: listening ones, and connections (the rest)."""
    proc = snap.process(pid)
    states = [(snap.channels[e.channel].state or "").upper() for e in (proc.fds if proc else ())
              if e.channel in snap.channels and snap.channels[e.channel].kind == kind]
    listening = states.count("LISTEN")
    return {"listening": listening, "connection": len(states) - listening}
