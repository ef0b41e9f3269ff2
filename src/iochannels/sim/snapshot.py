"""The kernel's state in the shared model: processes, their fd tables, their channels.

Channel ids are the kernel's own (``pipe#1``, ``socket#3``, ``file#1``), stable
for the whole run. A connection queued on a listening socket but not yet
accepted is drawn too: its buffers already hold the client's bytes.

:func:`draw` takes a picture from scratch. A run takes one after every call,
so the kernel's :class:`Camera` redraws only what changed since the last
picture, and shares every other frozen model object with it. The kernel marks
what a step may have changed (the marks may say too much, never too little):

- ``changed``: pids whose line changed (state, parent); ``rebuild``: pids whose
  whole fd table must be read again (new, exec, exit); ``gone``: reaped pids;
- ``fds``: ``(pid, fd)`` slots a call named or filled; ``files``: open files
  whose flags or offset changed (every fd on them, in every process);
- ``touched``: channels a call named or the kernel woke. A touched socket's
  peer, and the sockets whose peer it is, are looked at too; a channel's model
  is rebuilt only when what it shows (``Chan.picture_key``) changed.

So a step costs what it changed. Neither the processes nor the channels are
copied: :class:`Rows`, a sequence in chunks of 64 pids, and :class:`Chunks`, a
mapping in chunks of about 64 channels, share every chunk the call did not
change with the picture before (a 1,000-client run kept 471 MB of copied
mappings and tuples; the copies were 9 in 10 of it).
The cache holds only what a picture shows: a channel that no fd holds and no
accept queue holds leaves it.

The kernel films a run with a :class:`Camera` (a picture after every call, the
steps of the run) or, with snapshots off, a :class:`NoCamera` that marks nothing
and draws only the first and the last picture, from scratch.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping, Sequence
from heapq import heapify, heappop, heappush
from typing import TypeVar, overload
from zlib import crc32

from iochannels.model import Channel, Event, FdEntry, Process, Snapshot, Step
from iochannels.sim.fdtable import Slot
from iochannels.sim.files import Chan, OpenFile
from iochannels.sim.sockets import StreamSocket
from iochannels.sim.task import Task

__all__ = ["Camera", "Chunks", "NoCamera", "Rows", "draw"]

Where = tuple[int, int]  # (pid, fd)


def draw(procs: Mapping[int, Task], taken_at: float) -> Snapshot:
    """The picture from scratch: every process, every fd, every channel built anew."""
    chans: dict[str, Chan] = {}
    models = []
    for pid in sorted(procs):
        p = procs[pid]
        fds = []
        for fd, slot in p.fds:
            fds.append(_entry(fd, slot))
            chans.setdefault(slot.file.chan.id, slot.file.chan)
        models.append(Process(p.pid, p.name, p.argv, tuple(fds), p.ppid, p.state_text()))
    for chan in list(chans.values()):
        if isinstance(chan, StreamSocket):
            for queued in chan.queue:
                chans[queued.id] = queued
    channels = {ident: chan.model() for ident, chan in chans.items()}
    return Snapshot(tuple(models), channels, "sim", taken_at)


def _entry(fd: int, slot: Slot) -> FdEntry:
    f = slot.file
    flags = f.flags() | ({"cloexec"} if slot.cloexec else set())
    offset = f.offset if f.chan.seekable else None
    return FdEntry(fd, f.chan.id, f.access, frozenset(flags), offset)


CHUNK = 64  # channels per chunk: a changed channel copies 64 entries, not all of them
# A chunk ends after an id chosen by its hash, or at CHUNK_MAX entries. Without the cap
# sizes follow a geometric law, and the chunk a call copies is a big one more often than
# not (a 10,000-client run: 875 MB to 1,082 MB peak by PYTHONHASHSEED alone; 3,000
# clients: 226 to 245 MB, capped: 193 MB); crc32, not hash(), so that a run's chunks,
# and its memory, are the same every time.
CHUNK_MAX = CHUNK


def ends_chunk(ident: str) -> bool:
    """About one id in CHUNK ends a chunk (content-defined, as rsync cuts files)."""
    return crc32(ident.encode("utf-8", "surrogateescape")) % CHUNK == 0


class Chunks(Mapping[str, Channel]):
    """An immutable mapping in chunks: the next picture's shares the unchanged ones.

    Chunks are dicts that are never changed once a Chunks holds them. The order is the
    chunks' order, then each chunk's (insertion) order.
    """

    __slots__ = ("_chunks", "_len")

    def __init__(self, chunks: tuple[dict[str, Channel], ...]) -> None:
        self._chunks = chunks
        self._len = sum(map(len, chunks))

    @classmethod
    def of(cls, items: Mapping[str, Channel], before: Chunks | None = None) -> Chunks:
        """``items`` in chunks that end after an id chosen by its hash, so that a channel
        drawn in the middle changes one chunk, and ``before``'s equal chunks are reused."""
        old = {next(iter(chunk)): chunk for chunk in before.parts if chunk} if before else {}
        chunks: list[dict[str, Channel]] = []
        chunk: dict[str, Channel] = {}
        for ident, model in items.items():
            chunk[ident] = model
            if ends_chunk(ident) or len(chunk) >= CHUNK_MAX:
                chunks.append(chunk)
                chunk = {}
        if chunk:
            chunks.append(chunk)
        for i, new in enumerate(chunks):
            same = old.get(next(iter(new)))
            if same is not None and same == new and list(same) == list(new):
                chunks[i] = same
        return cls(tuple(chunks))

    @property
    def parts(self) -> tuple[dict[str, Channel], ...]:
        """The chunks (never to be changed: later pictures share them)."""
        return self._chunks

    def __getitem__(self, key: str) -> Channel:
        for chunk in self._chunks:
            if key in chunk:
                return chunk[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(key in chunk for chunk in self._chunks)

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks:
            yield from chunk

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"Chunks({dict(self)!r})"


T = TypeVar("T")
ROWS = 64  # pids (or fds) per chunk of Rows: pid // ROWS says which chunk a process is in


class Rows(Sequence[T]):
    """An immutable sequence in chunks (of processes by pid // ROWS, of fd entries by
    fd // ROWS): the next picture's shares the chunks that did not change. A tuple of
    10,000 processes, and the server's tuple of 10,000 fd entries, copied after every
    call of a 10,000-client run were most of its memory, growing with its square.

    It compares equal to any sequence of the same items, a tuple's way, and adds
    to a tuple as a tuple does.
    """

    __slots__ = ("_chunks", "_len")

    def __init__(self, chunks: tuple[tuple[T, ...], ...]) -> None:
        self._chunks = chunks
        self._len = sum(map(len, chunks))

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        i = index + self._len if index < 0 else index
        if not 0 <= i < self._len:
            raise IndexError("Rows index out of range")
        for chunk in self._chunks:  # a view walks them; indexing is rare
            if i < len(chunk):
                return chunk[i]
            i -= len(chunk)
        raise AssertionError("unreachable: _len counts every chunk")

    def __iter__(self) -> Iterator[T]:
        for chunk in self._chunks:
            yield from chunk

    def __len__(self) -> int:
        return self._len

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            if other._chunks is self._chunks:
                return True
            if list(map(len, other._chunks)) == list(map(len, self._chunks)):
                # chunk by chunk: a shared chunk is equal at once, others compare in C
                return all(a is b or a == b for a, b in zip(self._chunks, other._chunks,
                                                            strict=True))
        elif not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(other) == self._len and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: tuple[T, ...]) -> tuple[T, ...]:
        return (*self, *other)

    def __radd__(self, other: tuple[T, ...]) -> tuple[T, ...]:
        return (*other, *self)

    def __repr__(self) -> str:
        return f"Rows({tuple(self)!r})"


class Camera:
    """Takes snapshots of a kernel's processes, redrawing only what the kernel marked."""

    def __init__(self) -> None:
        # What the kernel marked since the last picture.
        self.changed: set[int] = set()
        self.rebuild: set[int] = set()
        self.gone: set[int] = set()
        self.fds: set[Where] = set()
        self.files: set[OpenFile] = set()
        self.touched: set[object] = set()
        self._fresh = True  # the first picture reads everything
        # Processes: the model, its fd entries (with the open file each points to).
        self._procs: dict[int, Process] = {}
        self._entries: dict[int, dict[int, tuple[FdEntry, OpenFile]]] = {}
        self._fdlists: dict[int, list[int]] = {}  # each process's fds, in order
        self._tables: dict[int, Rows[FdEntry]] = {}
        self._file_fds: dict[OpenFile, set[Where]] = {}
        # The last picture's processes: a chunk (a tuple of processes) per pid // ROWS,
        # and the chunk numbers whose processes were set or removed since.
        self._by_row: dict[int, dict[int, Process]] = {}
        self._rows: dict[int, tuple[Process, ...]] = {}
        self._row_edits: set[int] = set()
        self._shown_rows: Rows[Process] = Rows(())
        # Each fd table in chunks of fd // ROWS, and the chunks whose entries changed.
        self._fd_chunks: dict[int, dict[int, tuple[FdEntry, ...]]] = {}
        self._fd_edits: dict[int, set[int]] = {}
        # Channels: who holds each, and the order a picture lists them in: by first holder
        # (a heap per channel finds the next one), then the connections queued for accept.
        self._holders: dict[str, set[Where]] = {}
        self._heaps: dict[str, list[Where]] = {}
        self._first: dict[str, Where] = {}
        self._order_keys: list[Where] = []  # sorted: the first holder of each channel
        self._order_ids: list[str] = []  # the channel ids, in the same order
        self._removed: list[str] = []  # left the picture: out of the layout, order kept
        self._chans: dict[str, Chan] = {}  # every channel the last picture showed
        self._keys: dict[str, object] = {}
        self._models: dict[str, Channel] = {}
        self._watchers: dict[str, set[str]] = {}  # a socket's id -> those whose peer it is
        self._watching: dict[str, str] = {}
        self._listeners: dict[str, StreamSocket] = {}
        self._volatile: set[str] = set()  # channels whose picture_key is None
        self._queued: list[str] = []
        self._layout: dict[str, Channel] = {}
        # The last picture's channels, and where each of them is in it (chunk number);
        # _edits: the ids whose entry in _layout was set or removed since.
        self._shown = Chunks(())
        self._chunk_of: dict[str, int] = {}
        self._edits: dict[str, None] = {}
        self._relaid = True  # _layout was rebuilt or reordered: the chunks too
        self._stale = True  # the order of the channels changed: lay them out again
        self.steps: list[Step] = []

    # -- what the kernel tells it ---------------------------------------------------------
    def begin(self, procs: Mapping[int, Task]) -> None:
        """The first picture (taken again when the run starts, with the programs spawned)."""
        self.steps[:1] = [Step(self.picture(procs, 0.0))]

    def picture(self, procs: Mapping[int, Task], taken_at: float) -> Snapshot:
        return self.take(procs, taken_at)

    def mark_process(self, pid: int) -> None:
        """Its line changed: state, parent."""
        self.changed.add(pid)

    def mark_table(self, pid: int) -> None:
        """Its whole fd table must be read again (a new process, an exit)."""
        self.rebuild.add(pid)

    def mark_gone(self, pid: int) -> None:
        self.gone.add(pid)

    def mark_fd(self, pid: int, fd: int) -> None:
        self.fds.add((pid, fd))

    def mark_channel(self, chan: object) -> None:
        """A channel changed (channels wake their sleepers when they change)."""
        self.touched.add(chan)

    def after_call(self, procs: Mapping[int, Task], event: Event, p: Task,
                   fds: Sequence[int], new_program: bool, open_file: str) -> None:
        """Mark what the call may have changed, then take the picture after it: its
        process, the fds it names and their channels (new fds mark themselves when they
        are installed, woken channels when they are woken), and every fd on an open file
        whose flags or offset it changed."""
        self.changed.add(p.pid)  # a safety net: state changes are marked where they happen
        if new_program:
            self.rebuild.add(p.pid)  # a new name, and the close-on-exec fds closed
        for fd in fds:
            self.fds.add((p.pid, fd))
            slot = p.fds.slots.get(fd)
            if slot is not None:
                self.touched.add(slot.file.chan)
                if open_file == "flags" or (open_file == "offset" and slot.file.chan.seekable):
                    self.files.add(slot.file)
        self.steps.append(Step(self.take(procs, float(event.seq)), event))

    def film(self, procs: Mapping[int, Task], events: Sequence[Event]) -> tuple[Step, ...]:
        """The run's steps: the first picture and one after every call."""
        return tuple(self.steps)

    # -- the picture ----------------------------------------------------------------------
    def take(self, procs: Mapping[int, Task], taken_at: float) -> Snapshot:
        """The picture now, redrawing only what was marked since the last one."""
        if self._fresh:
            self.rebuild.update(procs)
            self._fresh = False
        self.rebuild.update(pid for pid in self.changed if pid not in self._entries)
        dirty: set[Chan] = {c for c in self.touched if isinstance(c, Chan)}
        gone: set[str] = set()
        tables: set[int] = set()
        for pid in self.gone | {pid for pid in self.rebuild if pid not in procs}:
            self._forget_process(pid, dirty, gone)
        for f in self.files:
            self.fds.update(self._file_fds.get(f, ()))
        for pid in self.rebuild:
            p = procs.get(pid)
            if p is not None:
                self.fds.update((pid, fd) for fd in self._entries.setdefault(pid, {}))
                self.fds.update((pid, fd) for fd in p.fds.slots)
                self.changed.add(pid)
                tables.add(pid)
        for pid, fd in self.fds:
            p = procs.get(pid)
            if p is not None and self._update_entry(p, fd, dirty, gone):
                tables.add(pid)
                self._fd_edits.setdefault(pid, set()).add(fd // ROWS)
        self._redraw_processes(procs, tables)
        self._redraw_channels(dirty, gone)
        for marks in (self.changed, self.rebuild, self.gone, self.fds, self.files, self.touched):
            marks.clear()
        return Snapshot(self._rows_now(), self._chunks(), "sim", taken_at)

    def _rows_now(self) -> Rows[Process]:
        """The processes as Rows, sharing with the last picture's the chunks that did not
        change."""
        if not self._row_edits:
            return self._shown_rows
        for n in self._row_edits:
            row = self._by_row.get(n)
            if row:
                self._rows[n] = tuple(row[pid] for pid in sorted(row))
            else:
                self._rows.pop(n, None)
                self._by_row.pop(n, None)
        self._row_edits.clear()
        self._shown_rows = Rows(tuple(self._rows[n] for n in sorted(self._rows)))
        return self._shown_rows

    def _chunks(self) -> Chunks:
        """The layout as Chunks, sharing with the last picture's what did not change."""
        if not self._relaid and not self._edits:
            return self._shown
        chunks = list(self._shown.parts)
        if not self._relaid:
            copied: set[int] = set()
            for ident in self._edits:
                i = self._chunk_of.get(ident)
                model = self._layout.get(ident)
                if i is None:
                    if model is None:
                        continue  # set and removed again since the last picture
                    last = chunks[-1] if chunks else None
                    if last is None or (last and (ends_chunk(next(reversed(last)))
                                                  or len(last) >= CHUNK_MAX)):
                        chunks.append({})
                        copied.add(len(chunks) - 1)
                    i = len(chunks) - 1
                    self._chunk_of[ident] = i
                if i not in copied:
                    chunks[i] = dict(chunks[i])
                    copied.add(i)
                if model is None:
                    del chunks[i][ident]
                    del self._chunk_of[ident]
                else:
                    chunks[i][ident] = model
            # _layout only appends new ids and sets or removes known ones while it is not
            # laid out again, so the chunks keep its order.
        if self._relaid:
            self._shown = Chunks.of(self._layout, self._shown)
            self._chunk_of = {ident: i for i, chunk in enumerate(self._shown.parts)
                              for ident in chunk}
        else:
            self._shown = Chunks(tuple(chunks))
        self._edits.clear()
        self._relaid = False
        return self._shown

    # -- processes and their fd tables ----------------------------------------------------
    def _redraw_processes(self, procs: Mapping[int, Task], tables: set[int]) -> None:
        for pid in self.changed | tables:
            p = procs.get(pid)
            if p is None:
                continue
            if pid in tables or pid not in self._tables:
                self._tables[pid] = self._fd_rows(pid)
            proc = Process(p.pid, p.name, p.argv, self._tables[pid], p.ppid, p.state_text())
            old = self._procs.get(pid)
            # a new fd table is a change without comparing its entries one by one
            if old is None or old.fds is not proc.fds or old != proc:
                self._procs[pid] = proc
                self._by_row.setdefault(pid // ROWS, {})[pid] = proc
                self._row_edits.add(pid // ROWS)

    def _fd_rows(self, pid: int) -> Rows[FdEntry]:
        """The fd table of ``pid``, its changed chunks read again, the others shared."""
        edits = self._fd_edits.pop(pid, ())
        if not edits and pid in self._tables:
            return self._tables[pid]  # read again (a rebuild), yet no entry changed
        chunks = self._fd_chunks.setdefault(pid, {})
        fds = self._fdlists.setdefault(pid, [])
        entries = self._entries.setdefault(pid, {})
        for n in edits:
            held = fds[bisect_left(fds, n * ROWS) : bisect_left(fds, (n + 1) * ROWS)]
            if held:
                chunks[n] = tuple(entries[fd][0] for fd in held)
            else:
                chunks.pop(n, None)
        return Rows(tuple(chunks[n] for n in sorted(chunks)))

    def _forget_process(self, pid: int, dirty: set[Chan], gone: set[str]) -> None:
        for fd, held in self._entries.pop(pid, {}).items():
            self._release(pid, fd, held, dirty, gone)
        if self._procs.pop(pid, None) is not None:
            self._by_row[pid // ROWS].pop(pid)
            self._row_edits.add(pid // ROWS)
        self._tables.pop(pid, None)
        self._fdlists.pop(pid, None)
        self._fd_chunks.pop(pid, None)
        self._fd_edits.pop(pid, None)

    def _update_entry(self, p: Task, fd: int, dirty: set[Chan], gone: set[str]) -> bool:
        """Read slot ``fd`` of ``p`` again; True if its entry changed."""
        entries = self._entries.setdefault(p.pid, {})
        old = entries.get(fd)
        slot = p.fds.slots.get(fd)
        if slot is None:
            if old is None:
                return False
            del entries[fd]
            fds = self._fdlists[p.pid]
            del fds[bisect_left(fds, fd)]
            self._release(p.pid, fd, old, dirty, gone)
            return True
        entry = _entry(fd, slot)
        if old is not None and old[1] is slot.file and old[0] == entry:
            return False
        if old is not None:
            self._release(p.pid, fd, old, dirty, gone)
        else:
            insort(self._fdlists.setdefault(p.pid, []), fd)
        entries[fd] = (entry, slot.file)
        self._hold(p.pid, fd, slot.file, dirty)
        return True

    def _hold(self, pid: int, fd: int, f: OpenFile, dirty: set[Chan]) -> None:
        chan, where = f.chan, (pid, fd)
        self._file_fds.setdefault(f, set()).add(where)
        self._holders.setdefault(chan.id, set()).add(where)
        heappush(self._heaps.setdefault(chan.id, []), where)
        dirty.add(chan)
        first = self._first.get(chan.id)
        if first is None:
            j = bisect_left(self._order_keys, where)
            self._order_keys.insert(j, where)
            self._order_ids.insert(j, chan.id)
            self._first[chan.id] = where
            self._stale = True  # a channel in the middle: the layout is drawn again
        elif where < first:
            self._move(chan.id, first, where)

    def _release(self, pid: int, fd: int, held: tuple[FdEntry, OpenFile], dirty: set[Chan],
                 gone: set[str]) -> None:
        (entry, f), where = held, (pid, fd)
        ident = entry.channel
        on_file = self._file_fds.get(f)
        if on_file is not None:
            on_file.discard(where)
            if not on_file:
                del self._file_fds[f]
        holders = self._holders[ident]
        holders.discard(where)
        dirty.add(f.chan)
        if not holders:
            i = self._index(ident)
            del self._order_keys[i], self._order_ids[i]
            del self._holders[ident], self._heaps[ident], self._first[ident]
            self._removed.append(ident)
            gone.add(ident)
            return
        heap = self._heaps[ident]
        if self._first[ident] == where:
            while heap[0] not in holders:
                heappop(heap)
            self._move(ident, where, heap[0])
        elif len(heap) > 2 * len(holders) + 8:  # released holders still in the heap
            heap[:] = holders
            heapify(heap)

    def _index(self, ident: str) -> int:
        i = bisect_left(self._order_keys, self._first[ident])
        assert self._order_ids[i] == ident
        return i

    def _move(self, ident: str, old: Where, new: Where) -> None:
        """The channel's first holder is another one now: its place may change."""
        i = self._index(ident)
        del self._order_keys[i], self._order_ids[i]
        j = bisect_left(self._order_keys, new)
        self._order_keys.insert(j, new)
        self._order_ids.insert(j, ident)
        self._first[ident] = new
        if i != j:
            self._stale = True

    # -- channels -------------------------------------------------------------------------
    def _redraw_channels(self, dirty: set[Chan], gone: set[str]) -> None:
        for chan in list(dirty):
            peer = getattr(chan, "peer", None)
            if isinstance(peer, Chan):
                dirty.add(peer)
            for ident in self._watchers.get(chan.id, ()):
                dirty.add(self._chans[ident])
            if isinstance(chan, StreamSocket):
                if chan.id in self._holders and (chan.state == "LISTEN" or chan.queue):
                    self._listeners[chan.id] = chan
                else:
                    self._listeners.pop(chan.id, None)
        # Connections queued for accept, after every held channel, listener by listener.
        queued: list[str] = []
        for ident in sorted(self._listeners, key=self._first.__getitem__):
            for conn in self._listeners[ident].queue:
                if conn.id not in self._holders:
                    queued.append(conn.id)
                    if conn.id not in self._models:
                        dirty.add(conn)
        old_queued = self._queued
        if queued != old_queued:
            gone.update(set(old_queued) - set(queued))
            self._queued = queued
        shown = set(queued)
        for ident in gone:
            if ident not in self._holders and ident not in shown:
                self._forget_channel(ident)
        for chan in dirty:
            if chan.id in self._holders or chan.id in shown:
                self._redraw(chan)
        for ident in list(self._volatile):  # it cannot say what it shows: drawn every time
            self._redraw(self._chans[ident])
        if self._stale:
            ids = self._order_ids + queued
            self._layout = dict(zip(ids, map(self._models.__getitem__, ids), strict=True))
            self._relaid = True
            self._stale = False
        else:  # the held channels kept their order: remove what left, queued ones go last
            for ident in self._removed:
                self._layout.pop(ident, None)
                self._edits[ident] = None
            if queued != old_queued:
                for ident in old_queued + queued:  # a new one may be drawn in already
                    self._layout.pop(ident, None)
                for ident in queued:
                    self._layout[ident] = self._models[ident]
                if queued[: len(old_queued)] == old_queued:  # only new ones, at the end
                    self._edits.update(dict.fromkeys(queued[len(old_queued) :]))
                else:
                    self._relaid = True  # queued ones moved: lay the chunks out again
        self._removed.clear()

    def _redraw(self, chan: Chan) -> None:
        ident = chan.id
        key = chan.picture_key()
        if ident in self._models and key is not None and self._keys[ident] == key:
            return
        model = chan.model()
        self._chans[ident], self._keys[ident], self._models[ident] = chan, key, model
        if key is None:
            self._volatile.add(ident)
        else:
            self._volatile.discard(ident)
        if not self._stale:
            self._layout[ident] = model
            self._edits[ident] = None
        peer = getattr(chan, "peer", None)
        watched = peer.id if isinstance(peer, Chan) else None
        if self._watching.get(ident) != watched:
            self._unwatch(ident)
            if watched is not None:
                self._watching[ident] = watched
                self._watchers.setdefault(watched, set()).add(ident)

    def _unwatch(self, ident: str) -> None:
        watched = self._watching.pop(ident, None)
        if watched is not None:
            watchers = self._watchers[watched]
            watchers.discard(ident)
            if not watchers:
                del self._watchers[watched]

    def _forget_channel(self, ident: str) -> None:
        """No fd and no accept queue holds it any more: it leaves the cache."""
        self._unwatch(ident)
        for cache in (self._chans, self._keys, self._models):
            cache.pop(ident, None)
        self._listeners.pop(ident, None)
        self._volatile.discard(ident)
        self._removed.append(ident)

    def cached(self) -> int:
        """How many channels the camera keeps: those the last picture showed."""
        return len(self._models)


class NoCamera:
    """Snapshots off: nothing is marked or kept; the first and the last picture are drawn
    from scratch (a run of thousands of processes, when only the trace is wanted)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def begin(self, procs: Mapping[int, Task]) -> None:
        self.steps[:1] = [Step(self.picture(procs, 0.0))]

    def picture(self, procs: Mapping[int, Task], taken_at: float) -> Snapshot:
        return draw(procs, taken_at)

    def mark_process(self, pid: int) -> None:
        pass

    def mark_table(self, pid: int) -> None:
        pass

    def mark_gone(self, pid: int) -> None:
        pass

    def mark_fd(self, pid: int, fd: int) -> None:
        pass

    def mark_channel(self, chan: object) -> None:
        pass

    def after_call(self, procs: Mapping[int, Task], event: Event, p: Task,
                   fds: Sequence[int], new_program: bool, open_file: str) -> None:
        pass

    def film(self, procs: Mapping[int, Task], events: Sequence[Event]) -> tuple[Step, ...]:
        if not events:
            return tuple(self.steps)
        return (*self.steps, Step(draw(procs, float(len(events))), events[-1]))

    def cached(self) -> int:
        return 0
