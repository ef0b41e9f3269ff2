"""The pictures the demos show: live snapshots of their processes, cut to the fds that matter.

A demo's child talks to the demo over its fds 0-2; the lecture is about the
fds it opens next. ``keep`` functions choose which ``(pid, fd)`` a picture
keeps; the channels no kept fd points to go with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from iochannels import live
from iochannels.model import Kind, Snapshot

__all__ = ["Keep", "from_three", "keep_fds", "snapshot", "sockets_by_state"]

Keep = Callable[[int, int], bool]  # keep(pid, fd)


def snapshot(pids: Iterable[int], keep: Keep | None = None) -> Snapshot:
    """The fd tables of ``pids`` now (``iochannels.live``), only the fds ``keep`` accepts."""
    taken = live.snapshot(list(pids))
    return taken if keep is None else keep_fds(taken, keep)


def keep_fds(snap: Snapshot, keep: Keep) -> Snapshot:
    """The same snapshot with only the fds ``keep(pid, fd)`` accepts, and their channels."""
    processes = tuple(
        replace(p, fds=tuple(e for e in p.fds if keep(p.pid, e.fd))) for p in snap.processes
    )
    used = {e.channel for p in processes for e in p.fds}
    channels = {cid: ch for cid, ch in snap.channels.items() if cid in used}
    return replace(snap, processes=processes, channels=channels)


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
