"""The shared vocabulary: processes, their fd tables, the channels the fds point to.

Both sources speak it: ``live`` builds a :class:`Snapshot` from ``/proc`` and
``sim`` builds one after every step of its simulated kernel. Every view draws a
``Snapshot`` (or a :class:`Walkthrough` of them) without knowing where it came
from. Nothing here does I/O or prints.

The words follow the lecture *IO (part 2): Inter-Process Channels*: a process
owns a file descriptor table (``struct io_channel *fdt[MAX_FILES]``); each
entry points to an I/O channel; a channel is either a *stream* (a ring buffer:
pipes, FIFOs, sockets, char devices) or a *block* channel (an area buffer with
seek and sync: regular files, block devices).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

__all__ = [
    "Access",
    "Buffer",
    "BufferRole",
    "Channel",
    "End",
    "Event",
    "FdEntry",
    "Kind",
    "Nature",
    "Process",
    "Reach",
    "RunReport",
    "Snapshot",
    "Source",
    "Step",
    "Waiter",
    "Walkthrough",
]

Access = Literal["r", "w", "rw"]
Source = Literal["live", "sim", "trace"]


class Nature(StrEnum):
    """How a channel moves bytes, as the lecture's section 2 classifies channels."""

    STREAM = "stream"  # producer/consumer through a ring buffer; no seek
    BLOCK = "block"  # an area buffer; seek, sync with storage
    NONE = "none"  # not a data channel (a directory, an eventfd, epoll...)


class Reach(StrEnum):
    """What sits at the other end of a channel."""

    PROCESS = "process"  # process-to-process: pipes, FIFOs, sockets
    DEVICE = "device"  # process-to-device: terminals, disks, files on storage
    KERNEL = "kernel"  # the kernel itself: netlink, eventfd, epoll, timerfd...
    NONE = "none"


class Kind(StrEnum):
    """What an fd points to. The values are the strings used in JSON and on the command line."""

    FILE = "file"
    DIR = "dir"
    CHR = "chr"
    BLK = "blk"
    PIPE = "pipe"
    FIFO = "fifo"
    UNIX_STREAM = "unix-stream"
    UNIX_DGRAM = "unix-dgram"
    UNIX_SEQPACKET = "unix-seqpacket"
    TCP = "tcp"
    UDP = "udp"
    RAW = "raw"
    NETLINK = "netlink"
    SOCKET = "socket"  # a socket of another family (packet, vsock, ...)
    ANON = "anon"  # anonymous inodes: eventfd, eventpoll, timerfd, signalfd, inotify, pidfd
    UNKNOWN = "unknown"

    @property
    def nature(self) -> Nature:
        match self:
            case Kind.FILE | Kind.BLK:
                return Nature.BLOCK
            case Kind.DIR | Kind.ANON | Kind.UNKNOWN:
                return Nature.NONE
            case _:
                # Char devices, pipes, FIFOs and every socket are stream channels:
                # the lecture's "all inter-process channels are stream".
                return Nature.STREAM

    @property
    def reach(self) -> Reach:
        match self:
            case Kind.FILE | Kind.BLK | Kind.CHR:
                return Reach.DEVICE
            case Kind.NETLINK | Kind.ANON:
                return Reach.KERNEL
            case Kind.DIR | Kind.UNKNOWN:
                return Reach.NONE
            case _:
                return Reach.PROCESS

    @property
    def is_socket(self) -> bool:
        return self in _SOCKET_KINDS

    @property
    def is_pipe_like(self) -> bool:
        """A pipe or FIFO: one buffer shared by a read end and a write end (pipe(7))."""
        return self in (Kind.PIPE, Kind.FIFO)


_SOCKET_KINDS = frozenset(
    {
        Kind.UNIX_STREAM,
        Kind.UNIX_DGRAM,
        Kind.UNIX_SEQPACKET,
        Kind.TCP,
        Kind.UDP,
        Kind.RAW,
        Kind.NETLINK,
        Kind.SOCKET,
    }
)


class BufferRole(StrEnum):
    PIPE = "pipe"  # the single buffer of a pipe or FIFO, shared by both ends
    SEND = "send"  # a socket's send queue
    RECV = "recv"  # a socket's receive queue
    CACHE = "cache"  # the area buffer of a block channel (page cache)


@dataclass(frozen=True, slots=True)
class Buffer:
    """One kernel buffer. ``None`` means the kernel did not tell (never a guess)."""

    role: BufferRole
    capacity: int | None = None
    used: int | None = None

    @property
    def free(self) -> int | None:
        if self.capacity is None or self.used is None:
            return None
        return max(self.capacity - self.used, 0)

    @property
    def fill(self) -> float | None:
        """Fraction of the capacity in use, 0.0 .. 1.0, or None when unknown."""
        if not self.capacity or self.used is None:
            return None
        return min(self.used / self.capacity, 1.0)


@dataclass(frozen=True, slots=True)
class Channel:
    """One I/O channel: what one or more fds point to.

    A pipe is ONE channel with one ``pipe`` buffer, held by a read end and a
    write end. A connected socket is one channel per endpoint, each with a
    ``send`` and a ``recv`` buffer, linked by ``peer``: a connection shows four
    buffers. ``id`` is stable within a snapshot (live: ``pipe:[1234]``,
    ``socket:[5678]``; sim: assigned by the simulated kernel).
    """

    id: str
    kind: Kind
    label: str = ""  # what it is, for people: a path, "pipe", "127.0.0.1:80 -> ..."
    state: str | None = None  # LISTEN, ESTABLISHED, CONNECTED, UNCONNECTED, ...
    local: str | None = None  # local address: a path, @abstract, host:port
    remote: str | None = None  # the peer's address
    peer: str | None = None  # id of the channel at the other end (sockets)
    buffers: tuple[Buffer, ...] = ()
    detail: Mapping[str, str] = field(default_factory=dict)  # kind-specific facts, never mutated

    @property
    def nature(self) -> Nature:
        return self.kind.nature

    def buffer(self, role: BufferRole) -> Buffer | None:
        return next((b for b in self.buffers if b.role == role), None)


@dataclass(frozen=True, slots=True)
class FdEntry:
    """One slot of a process's file descriptor table."""

    fd: int
    channel: str  # a key of Snapshot.channels
    access: Access | None = None
    flags: frozenset[str] = frozenset()  # "nonblock", "cloexec", "append", ...
    offset: int | None = None
    # Which open file description (open(2)'s "file", shared by dup(2) and fork(2)) the fd
    # points to, named where it is shared with another fd: fds with the same name share
    # the offset and the status flags. None where it is not shared or not known.
    open_file: str | None = None


@dataclass(frozen=True, slots=True)
class Process:
    pid: int
    name: str
    argv: tuple[str, ...] = ()
    fds: Sequence[FdEntry] = ()  # the simulator's share chunks too: see Snapshot
    ppid: int | None = None
    state: str | None = None  # "running", "zombie", "blocked in read(3)", ...
    error: str | None = None  # why the fd table could not be read (e.g. "permission denied")

    def fd(self, number: int) -> FdEntry | None:
        return next((e for e in self.fds if e.fd == number), None)


@dataclass(frozen=True, slots=True)
class End:
    """Who holds a channel: one (pid, fd) with its access mode."""

    pid: int
    fd: int
    access: Access | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Processes, their fd tables and the channels the fds point to, at one moment."""

    # A Sequence, not a tuple: the simulator's pictures share the unchanged parts of it
    # with the picture before (iochannels.sim.snapshot.Rows), as they share channels.
    processes: Sequence[Process]
    channels: Mapping[str, Channel]
    source: Source
    taken_at: float = 0.0  # seconds: time.time() for live, the step number for sim
    notes: tuple[str, ...] = ()
    # Pids whose fd tables the kernel would not show (live: permission denied), asked for
    # or searched for other ends: an end no table shows may be held there.
    unreadable: tuple[int, ...] = ()

    def process(self, pid: int) -> Process | None:
        return next((p for p in self.processes if p.pid == pid), None)

    def entries(self) -> Iterator[tuple[Process, FdEntry]]:
        for proc in self.processes:
            for entry in proc.fds:
                yield proc, entry

    def ends(self, channel_id: str) -> tuple[End, ...]:
        """Every (pid, fd) that holds the channel, in process then fd order."""
        return tuple(
            End(proc.pid, entry.fd, entry.access)
            for proc, entry in self.entries()
            if entry.channel == channel_id
        )

    def ends_by_channel(self) -> dict[str, tuple[End, ...]]:
        """The ends of every channel at once, in process then fd order.

        ends() reads every fd of every process: asked once per channel it made the views
        quadratic (a machine with 24,000 fds took 90 to 130 s to draw). Built anew on each
        call, not kept: a run's thousands of pictures would each keep one.
        """
        found: dict[str, list[End]] = {}
        for proc, entry in self.entries():
            found.setdefault(entry.channel, []).append(End(proc.pid, entry.fd, entry.access))
        return {cid: tuple(ends) for cid, ends in found.items()}

    @property
    def open_fds(self) -> int:
        """How many fds are open, in all processes (counted per table: runs hold millions)."""
        return sum(len(p.fds) for p in self.processes)

    def counts_by_kind(self) -> Counter[Kind]:
        """How many fds point to each kind of channel."""
        # Counted by channel first (fewer than the fds: pipe ends, shared files), then by kind.
        by_channel: Counter[str] = Counter()
        for proc in self.processes:
            by_channel.update(e.channel for e in proc.fds)
        counts: Counter[Kind] = Counter()
        for cid, n in by_channel.items():
            channel = self.channels.get(cid)
            if channel is not None:
                counts[channel.kind] += n
        return counts

    def counts_by_nature(self) -> Counter[Nature]:
        return Counter(kind.nature for kind in self.counts_by_kind().elements())


@dataclass(frozen=True, slots=True)
class Event:
    """One system call, as strace would print it: ``write(4, "hi", 2) = 2``."""

    seq: int
    pid: int
    call: str
    args: tuple[str | int, ...] = ()
    result: int | str | None = None
    error: str | None = None  # an errno name: "EPIPE", "EAGAIN", ...
    blocked: bool = False  # the call parked its process (it will complete later)
    note: str = ""  # one line for people: "the child inherits both ends"


@dataclass(frozen=True, slots=True)
class Step:
    """A moment of a run: the event that led to it (None for the start) and the picture after."""

    snapshot: Snapshot
    event: Event | None = None
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Walkthrough:
    """A sequence of steps that a view can page through: a simulator run or a demo's snapshots."""

    title: str
    steps: tuple[Step, ...]
    description: str = ""
    notes: tuple[str, ...] = ()

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(s.event for s in self.steps if s.event is not None)

    @property
    def fullest_step(self) -> Step | None:
        """The step with the most fds open (the first such): the moment worth one picture."""
        return max(self.steps, key=lambda s: s.snapshot.open_fds, default=None)


@dataclass(frozen=True, slots=True)
class Waiter:
    """One parked process of a simulated run: who, in which call, on which fd, for what."""

    pid: int
    name: str
    call: str
    fd: int | None
    waits_for: str = ""
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class RunReport:
    """What ``iochannels sim run`` reports about a run: built by ``sim``, drawn by ``render``.

    ``busiest`` is the index of the step with the most fds open (the first such);
    ``end_differs`` says whether the last picture differs from it and still holds fds.
    """

    name: str  # the scenario, or the user's program
    title: str
    seed: int
    params: Mapping[str, int | str]
    watch: str
    walkthrough: Walkthrough
    exit_status: Mapping[int, int | str]
    names: Mapping[int, str]  # every pid's last name in the run
    terminal: bytes
    files: Mapping[str, bytes]  # the simulated filesystem's regular files, by path
    deadlock: str | None  # why every process waits, if they all do
    waiters: tuple[Waiter, ...]
    stopped: bool  # --max-steps ran out while programs could still run
    busiest: int
    end_differs: bool
