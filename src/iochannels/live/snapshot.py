"""Assembly: processes -> fd tables -> channels -> a :class:`Snapshot`.

One pass over each process's ``/proc/pid/fd`` and ``fdinfo``; then, once for
the whole snapshot, the socket tables (``/proc/net/*``) and sock_diag dumps for
the sockets found; then, if only some processes were asked for, one links-only
pass over the others to find who holds the other ends.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Container, Iterable
from contextlib import closing
from dataclasses import replace

from iochannels.live import channels as ch
from iochannels.live import procfs
from iochannels.live.ahead import Reading, readings
from iochannels.live.classify import access_of, flag_names, parse_link
from iochannels.live.holders import find_holders
from iochannels.live.pipes import PipeProbe
from iochannels.live.sharing import mark_shared
from iochannels.live.sockets import socket_channels
from iochannels.live.states import describe_state
from iochannels.model import Access, Channel, FdEntry, Kind, Process, Snapshot

__all__ = ["only_kinds", "snapshot"]

_SEEKABLE = frozenset({Kind.FILE, Kind.BLK, Kind.DIR})


def snapshot(
    pids: Iterable[int] | None = None,
    *,
    fd_range: Container[int] | None = None,
    kinds: Collection[Kind] | None = None,
    others: bool = True,
) -> Snapshot:
    """The processes ``pids`` (None: all), their fds in ``fd_range`` and the channels.

    A process that is gone is left out (``snap.process(pid)`` is None); one
    that cannot be read has ``error`` set. With ``others``, the holders of the
    other ends in processes not asked for are named in each channel's
    ``detail["held_by"]``. ``kinds`` keeps only the fds of those kinds.
    """
    taken_at = time.time()
    asked = procfs.all_pids() if pids is None else list(dict.fromkeys(pids))
    builder = _Builder()
    try:
        with closing(readings(asked, fd_range)) as reads:
            # Every process: kernel threads left out, as lsof does (no fds of their own).
            processes = tuple(p for read in reads
                              if (p := builder.process(read, pids is not None)) is not None)
    finally:
        builder.probe.close()
    processes = mark_shared(processes)  # fds sharing one open file description (kcmp)
    builder.finish_sockets()
    # After the sockets too: a process that exits before they are read leaves sockets
    # the tables no longer list, shown as if they were of an unknown kind.
    processes = builder.drop_exited(processes)
    if others and pids is not None:
        builder.name_holders(processes, complete=fd_range is None)
    snap = Snapshot(processes, builder.channels, "live", taken_at, tuple(builder.notes()),
                    tuple(sorted({*builder.denied, *builder.unsearched})))
    return snap if kinds is None else only_kinds(snap, kinds)


class _Builder:
    """Mutable while one snapshot is assembled; the result is frozen."""

    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.sockets: dict[int, tuple[int, int]] = {}  # inode -> first (pid, fd) holding it
        self.links: dict[str, str] = {}  # link text -> channel id of pipes, FIFOs, sockets
        self.files: dict[bytes, str] = {}  # fdinfo file_key -> channel id of files, devices...
        self.link_names = procfs.Links()  # links named from fdinfo, learnt across processes
        self.problems: list[str] = []
        self.denied: list[int] = []  # asked processes whose fds could not be read
        self.unsearched: list[int] = []  # others not searched for holders (denied)
        self.probe = PipeProbe()
        self.read: dict[int, procfs.ProcInfo] = {}  # pid -> what stat said before its fds
        self.exited: list[int] = []  # processes that exited while they were read
        self.missing: list[int] = []  # processes asked for, gone before their first read
        self.unlisted: set[str] = set()  # sockets the tables did not list (see drop_exited)

    def process(self, read: Reading, asked: bool = True) -> Process | None:
        """One process and its fd table; None when it is gone (or a kernel thread not asked)."""
        pid = read.pid
        try:
            info = read.procinfo()
        except procfs.Gone:
            if asked:  # asked for by pid, and gone (or never there) by its first read
                self.missing.append(pid)
            return None
        except procfs.Denied:
            self.denied.append(pid)
            return Process(pid, "?", error="permission denied")
        if info.kthread and not asked:
            return None
        if (info.state == "Z" or info.exiting) and procfs.live_threads(pid):
            # The main thread exited (exit(2), not exit_group(2)) and its fd table went
            # with it from /proc/PID/fd, though the other threads still share and use it.
            return _process(pid, info, (), _LEADER_GONE)
        self.read[pid] = info
        try:
            raws = read.fds(self.link_names)
        except procfs.Gone:
            raws = []  # exited between the two reads: drop_exited() will say so
        except procfs.Denied:
            if info.state == "Z":  # a zombie released its fds when it exited (exit_files)
                return _process(pid, info, (), None)
            self.denied.append(pid)
            return _process(pid, info, (), "permission denied")
        return _process(pid, info, tuple(self.entry(pid, raw) for raw in raws), None)

    def entry(self, pid: int, raw: procfs.RawFd) -> FdEntry:
        link, info = raw.link, raw.info
        if link.startswith(("socket:[", "pipe:[")):
            # The hot path: for pipes and sockets the link text is the channel id.
            if link not in self.links:
                self.stream_channel(pid, raw.fd, link)
            cid, seekable = link, False
        else:
            cid = self.channel(pid, raw.fd, link, info)
            seekable = self.channels[cid].kind in _SEEKABLE
        if info is None:
            return FdEntry(raw.fd, cid)
        # A stream has no position (lseek(2) on a pipe or socket fails with ESPIPE).
        access, names, pos = _fd_state(info, seekable)
        return FdEntry(raw.fd, cid, access, names, pos)

    def stream_channel(self, pid: int, fd: int, link: str) -> None:
        """Note a socket (built later, all at once) or create a pipe, on first sight."""
        self.links[link] = link
        if link[0] == "s":
            self.sockets[int(link[8:-1])] = (pid, fd)  # built by finish_sockets()
        else:
            buffer = self.probe.buffer(pid, fd, int(link[6:-1]))
            self.channels[link] = Channel(link, Kind.PIPE, link, buffers=(buffer,))

    def channel(self, pid: int, fd: int, link: str, info: bytes | None) -> str:
        """The id of the channel ``link`` points to, creating the channel on first sight."""
        if link.startswith("/"):
            return self.path_channel(pid, fd, link, info)
        target = parse_link(link)
        match target.what:
            case "anon":
                text = None if info is None else info.decode("ascii", "replace")
                parsed = None if text is None else procfs.parse_fdinfo(text)
                made = ch.anon_channel(pid, fd, target, parsed)
            case "path":  # a path that does not start with "/" (e.g. "(unreachable)/x")
                return self.path_channel(pid, fd, link, info)
            case _:  # "pipe" or "socket" spelled unusually: never seen, but keep the fd
                made = Channel(link, Kind.UNKNOWN, link)
        self.channels.setdefault(made.id, made)
        return made.id

    def path_channel(self, pid: int, fd: int, link: str, info: bytes | None) -> str:
        """A file, directory, device or FIFO: one stat(2) per distinct file, not per fd.

        fdinfo names the file by mount id and inode; a second fd on the same file (a
        process with thousands of /dev/null or log file fds) reuses the first one's channel.
        """
        key = None if info is None else procfs.file_key(info)
        if key is not None and (known := self.files.get(key)) is not None:
            return known
        st = procfs.stat_target(pid, fd)
        made = ch.path_channel(parse_link(link), st)
        if made.kind is Kind.FIFO and made.id not in self.channels and st is not None:
            made = replace(made, buffers=(self.probe.buffer(pid, fd, st.st_ino),))
            self.links[link] = made.id
        self.channels.setdefault(made.id, made)
        if key is not None and made.kind is not Kind.UNKNOWN:  # a failed stat is not kept
            self.files[key] = made.id
        return made.id

    def finish_sockets(self) -> None:
        if self.sockets:
            made, problems, self.unlisted = socket_channels(self.sockets)
            self.channels.update(made)
            self.problems.extend(problems)
            self._second_look()

    def _second_look(self) -> None:
        """Ask again about the sockets no table listed whose fd still points to them.

        sock_diag dumps (and /proc/net/unix) walk the kernel's socket tables in pieces,
        while other processes change them: a socket that stays open can be passed over
        when sockets before it close in between (sock_diag(7) promises no consistent
        view). Such a socket would pass for one of an unknown kind; a second dump,
        asked for the few sockets concerned, finds it.
        """
        read_link = procfs.read_link
        again = {inode: (pid, fd) for inode, (pid, fd) in self.sockets.items()
                 if (cid := f"socket:[{inode}]") in self.unlisted and read_link(pid, fd) == cid}
        if not again:
            return
        made, _, still = socket_channels(again)
        self.channels.update((cid, c) for cid, c in made.items() if cid not in still)
        self.unlisted -= {f"socket:[{inode}]" for inode in again} - still

    def drop_exited(self, processes: tuple[Process, ...]) -> tuple[Process, ...]:
        """The processes still running now that their fds and sockets are read.

        A process that exited meanwhile is not a process with no fds, nor one with
        the few fds read before it went: it is left out and named in the notes, and
        the channels only it held go with it.
        """
        kept: list[Process] = []
        for proc in processes:
            info = self.read.get(proc.pid)
            if proc.error is None and info is not None and not procfs.still_running(proc.pid, info):
                self.exited.append(proc.pid)
            else:
                kept.append(self._without_closed(proc))
        if self.exited:
            used = {e.channel for p in kept for e in p.fds}
            for cid in {e.channel for p in processes if p.pid in self.exited for e in p.fds}:
                if cid not in used:
                    self.channels.pop(cid, None)
            self.links = {link: cid for link, cid in self.links.items() if cid in self.channels}
        return tuple(kept)

    def _without_closed(self, proc: Process) -> Process:
        """``proc`` without the sockets it closed before the socket tables were read.

        Such a socket is in no table any more and would pass for one of an unknown
        kind; an fd closed mid-scan is skipped, as one closed before its link was read.
        """
        if not self.unlisted or not any(e.channel in self.unlisted for e in proc.fds):
            return proc
        read_link, unlisted = procfs.read_link, self.unlisted
        fds = tuple(e for e in proc.fds
                    if e.channel not in unlisted or read_link(proc.pid, e.fd) == e.channel)
        return replace(proc, fds=fds)

    def name_holders(self, processes: tuple[Process, ...], complete: bool) -> None:
        """Name, in ``detail["held_by"]``, the holders outside the snapshot (see holders.py).

        ``complete``: the fd tables were read whole, so their processes need no second look.
        """
        wanted = self._wanted(processes)
        if not wanted:
            return
        seen = {(p.pid, e.fd) for p in processes for e in p.fds}
        # The asked processes need no second look when their tables were read whole.
        asked = {p.pid for p in processes}
        found, denied = find_holders(wanted, seen, asked, skip_asked=complete)
        self.unsearched.extend(p for p in denied if p not in self.denied)
        for cid, holders in found.items():
            old = self.channels[cid]
            detail = {**old.detail, "held_by": ", ".join(holders)}
            self.channels[cid] = replace(old, detail=detail)

    def _wanted(self, processes: tuple[Process, ...]) -> dict[str, tuple[str, str | None]]:
        """fd link -> (channel id, the access the other end needs: "r", "w", "" for any,
        or None when an other end is in view already).

        Every pipe, FIFO and socket in view is wanted, and every socket's peer, even when
        both ends are in view: after fork(2) the child holds the same ends (the lecture's
        "close the unused ends" picture), and "+N" counts every holder, as lsof +E lists them.
        """
        # Only pipes and FIFOs need the access of the ends in view; sockets are
        # looked up by their peers below. One pass over the fds, touching few.
        pipes = {cid for cid in self.links.values() if not cid.startswith("socket:")}
        access: dict[str, set[str]] = {cid: set() for cid in pipes}
        held: set[str] = set()
        for p in processes:
            for e in p.fds:
                held.add(e.channel)
                if e.channel in pipes and e.access:
                    access[e.channel].update(e.access)
        wanted: dict[str, tuple[str, str | None]] = {}
        for link, cid in self.links.items():
            seen = access.get(cid, set())
            if cid.startswith("socket:"):
                wanted[link] = (cid, None)  # its other end is its peer, below
            elif {"r", "w"} <= seen:
                wanted[link] = (cid, None)  # a pipe or FIFO whose two ends are in view
            else:
                wanted[link] = (cid, {"r": "w", "w": "r"}.get("".join(seen), ""))
        for cid in held:
            channel = self.channels.get(cid) if cid.startswith("socket:") else None
            if channel is None:
                continue
            others = [channel.peer] if channel.peer else []
            others += channel.detail.get("waiting", "").split()
            others += channel.detail.get("queued_at", "").split()
            for other in others:
                if other in self.channels:  # a socket's link text is its id
                    wanted[other] = (other, None if other in held else "")
        return wanted

    def notes(self) -> list[str]:
        out = list(self.problems)
        if self.exited:
            out.append(f"exited during the scan, not shown: pid {_first_ten(self.exited)}")
        if self.missing:
            out.append(f"no such process (gone before it was read): pid {_first_ten(self.missing)}")
        refused = sorted(self.probe.refused)
        if refused:
            why = self.probe.refused[refused[0]]
            out.append(f"pipe and FIFO fill not shown for pid {_first_ten(refused)}: {why}; "
                       "opening the pipe instead would wake or break its other users (fifo(7))")
        if self.denied:
            out.append(
                f"permission denied reading the fds of {_first_ten(self.denied)}: run as "
                "their owner or as root (proc(5): ptrace access mode checks)"
            )
        if self.unsearched:
            out.append(
                f"some other ends may be in pid {_first_ten(self.unsearched)}, "
                "whose fds are not readable"
            )
        return out


def _first_ten(pids: list[int]) -> str:
    """The pids, comma-separated; past ten, the first ten and "and N more"."""
    more = f" and {len(pids) - 10} more" if len(pids) > 10 else ""
    return ", ".join(str(p) for p in pids[:10]) + more


_LEADER_GONE = "its main thread exited; its other threads hold the fds (/proc/PID/task/TID/fd)"

_MODES: dict[bytes, tuple[Access | None, frozenset[str]]] = {}


def _fd_state(info: bytes, seekable: bool) -> tuple[Access | None, frozenset[str], int | None]:
    """Access, flag names and (for seekable kinds) offset, from an fd's fdinfo text.

    Access and names come from the flags line, cached by its text: a process has
    few distinct flag values, and the cache spares the octal parse of every fd.
    """
    first, second, _ = info.split(b"\n", 2)
    modes = _MODES.get(second)
    if modes is not None and first.startswith(b"pos:"):
        return (*modes, int(first[4:]) if seekable else None)
    pos, flags = procfs.pos_flags(info)  # flags not seen before, or an unusual layout
    modes = (access_of(flags), flag_names(flags))
    if second.startswith(b"flags:"):
        _MODES[second] = modes
    return (*modes, pos if seekable else None)


def _process(
    pid: int, info: procfs.ProcInfo, fds: tuple[FdEntry, ...], error: str | None
) -> Process:
    # Kernel threads (no argv) make no system calls of their own to report.
    call = procfs.read_syscall(pid) if info.state in "SD" and info.argv else None
    return Process(
        pid, info.name, info.argv, fds, info.ppid, describe_state(info.state, call), error
    )


def only_kinds(snap: Snapshot, kinds: Collection[Kind]) -> Snapshot:
    """The same snapshot with only the fds on channels of ``kinds`` (and their peers)."""
    keep = {cid for cid, c in snap.channels.items() if c.kind in kinds}
    processes = tuple(
        replace(p, fds=tuple(e for e in p.fds if e.channel in keep)) for p in snap.processes
    )
    keep |= {c.peer for cid in keep if (c := snap.channels[cid]).peer}
    channels = {cid: c for cid, c in snap.channels.items() if cid in keep}
    return replace(snap, processes=processes, channels=channels)
