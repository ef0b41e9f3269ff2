"""The kernel's state in the shared model: processes, their fd tables, their channels.

Channel ids are the kernel's own (``pipe#1``, ``socket#3``, ``file#1``), stable
for the whole run. A connection queued on a listening socket but not yet
accepted is drawn too: its buffers already hold the client's bytes.

A run takes a picture after every call, so pictures are cheap: a process's
model is rebuilt only when the kernel marked it changed (its own call, a
wakeup, a shared open file's flags or offset), and a channel's only when
what it shows (``Chan.picture_key``) changed. Frozen model objects are
shared between snapshots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iochannels.model import Channel, FdEntry, Process, Snapshot
from iochannels.sim.files import Chan
from iochannels.sim.sockets import StreamSocket

if TYPE_CHECKING:
    from iochannels.sim.fdtable import FdTable
    from iochannels.sim.process import Process as SimProcess

__all__ = ["Camera"]


class Camera:
    """Takes snapshots of a kernel's processes, reusing what did not change."""

    def __init__(self) -> None:
        self.changed: set[int] = set()  # pids whose picture must be redrawn
        self.everything = True  # redraw every process (shared open files changed)
        self._procs: dict[int, tuple[Process, tuple[Chan, ...]]] = {}
        self._chans: dict[str, tuple[object, Channel]] = {}

    def take(self, procs: dict[int, SimProcess], taken_at: float) -> Snapshot:
        chans: dict[str, Chan] = {}
        models = []
        for pid in sorted(procs):
            model, held = self._process(procs[pid])
            models.append(model)
            for chan in held:
                chans[chan.id] = chan
        for chan in list(chans.values()):
            if isinstance(chan, StreamSocket):
                for queued in chan.queue:
                    chans[queued.id] = queued
        channels = {ident: self._channel(chan) for ident, chan in chans.items()}
        self.changed.clear()
        self.everything = False
        self._procs = {pid: self._procs[pid] for pid in procs}
        return Snapshot(tuple(models), channels, "sim", taken_at)

    def _process(self, p: SimProcess) -> tuple[Process, tuple[Chan, ...]]:
        cached = self._procs.get(p.pid)
        if cached is None or self.everything or p.pid in self.changed:
            fds, held = _fds(p.fds)
            cached = Process(p.pid, p.name, p.argv, fds, p.ppid, p.state_text()), held
            self._procs[p.pid] = cached
        return cached

    def _channel(self, chan: Chan) -> Channel:
        key = chan.picture_key()
        cached = self._chans.get(chan.id)
        if cached is not None and key is not None and cached[0] == key:
            return cached[1]
        model = chan.model()
        self._chans[chan.id] = (key, model)
        return model


def _fds(table: FdTable) -> tuple[tuple[FdEntry, ...], tuple[Chan, ...]]:
    entries, held = [], []
    for fd, slot in table:
        f = slot.file
        held.append(f.chan)
        flags = f.flags() | ({"cloexec"} if slot.cloexec else set())
        offset = f.offset if f.chan.seekable else None
        entries.append(FdEntry(fd, f.chan.id, f.access, frozenset(flags), offset))
    return tuple(entries), tuple(held)
