"""Why a process waits: the call and fd it sleeps in, the channel, who could wake it.

proc(5): ``/proc/PID/syscall`` names the call a sleeping process is in and its
arguments (the fd first, for read, write, accept, recv...); ``snapshot`` turns it
into ``Process.state`` ("blocked in read(3)"). The rest follows from the kernel's
rules, read off one snapshot of every process:

- pipe(7): a read on an empty pipe waits while some write end is open anywhere;
  with none left it returns 0 (end of file) at once. A write waits while the pipe
  is full and some read end is open; with none it fails with EPIPE.
- unix(7), tcp(7): a read on a connected socket waits for its peer's data; the
  peer's holders can wake it. accept(2) waits for a client to connect.
- wait(2): waits for a child to end.

A process that could be woken only by processes that are themselves blocked,
round and round back to it, is in a cycle: nobody will ever wake it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from iochannels.model import Channel, End, Kind, Process, Snapshot

if TYPE_CHECKING:
    from iochannels.live.opening import Opening

__all__ = ["Wait", "explain", "explain_tree", "why"]

_BLOCKED = re.compile(r"blocked in (\w+)\((\d*)\)")
_READS = {"read", "readv", "pread64", "recvfrom", "recvmsg"}
_WRITES = {"write", "writev", "pwrite64", "sendto", "sendmsg"}
_DATAGRAMS = frozenset({Kind.UDP, Kind.UNIX_DGRAM})


@dataclass(frozen=True, slots=True)
class Wait:
    """What one process waits for, and the verdict."""

    pid: int
    name: str
    state: str
    call: str | None = None  # "read"
    fd: int | None = None
    channel: Channel | None = None
    wakers: tuple[End, ...] = ()  # the (pid, fd) whose action could end the wait
    verdict: str = ""
    lines: tuple[str, ...] = ()  # the explanation, one fact a line
    error: str | None = None  # why the call it sleeps in could not be read ("permission denied")


# The states in which a process sleeps in the kernel (proc(5) /proc/PID/stat: S, D).
_ASLEEP = ("sleeping", "disk sleep")
_OPENS = ("blocked in open()", "blocked in openat()")


def why(pid: int, tree: bool = False) -> list[Wait]:
    """Read every process once and explain ``pid`` (and with ``tree``, its descendants)."""
    from iochannels.live import procfs
    from iochannels.live.opening import opening
    from iochannels.live.snapshot import snapshot

    snap = snapshot(None, others=False)
    told = [p for q in (_tree(snap, pid) if tree else [pid]) if (p := snap.process(q))]
    # A sleeping process whose call is not named: the call may be one not followed
    # here, or /proc/PID/syscall may be refused; only the second is "cannot tell".
    hidden = {p.pid: reason for p in told
              if p.state in _ASLEEP and (reason := procfs.syscall_hidden(p.pid))}
    # An open(2) has no fd yet: what it opens is in its arguments (fifo(7) waits there).
    opens = {p.pid: found for p in told
             if p.state in _OPENS and (found := opening(p.pid)) is not None}
    if tree:
        return explain_tree(snap, pid, hidden, opens)
    return [explain(snap, pid, hidden=hidden, opens=opens)]


def _blocked(proc: Process) -> tuple[str, int | None] | None:
    match = _BLOCKED.match(proc.state or "")
    if match is None:
        return None
    return match.group(1), int(match.group(2)) if match.group(2) else None


def _who(snap: Snapshot, ends: Iterable[End], me: int) -> str:
    parts = []
    for end in ends:
        proc = snap.process(end.pid)
        name = proc.name if proc else "?"
        state = (proc.state or "running") if proc else "gone"
        if end.fd < 0:  # a child waited for by wait4: the process itself, no fd of it
            parts.append(f"pid {end.pid} ({name}, {state})")
            continue
        whose = "its own" if end.pid == me else f"pid {end.pid} ({name})'s"
        parts.append(f"{whose} fd {end.fd}" + ("" if end.pid == me else f" ({state})"))
    return ", ".join(parts) or "nobody"


def _wakers(snap: Snapshot, proc: Process, call: str, fd: int | None) -> tuple[
        Channel | None, tuple[End, ...], list[str]]:
    """The channel waited on, the ends that could wake the process, and the facts.

    The state line above the facts names the call and the fd ("blocked in read(3)"), and
    the verdict below them says what follows: the facts name neither again.
    """
    if call in ("wait4", "waitid"):
        kids = [p for p in snap.processes if p.ppid == proc.pid]
        ends = tuple(End(k.pid, -1, None) for k in kids)  # a child, no fd of it (JSON: null)
        named = ", ".join(f"pid {k.pid} ({k.name}, {k.state or 'running'})" for k in kids)
        return None, ends, [f"its children: {named}" if kids else "it has no child"]
    entry = proc.fd(fd) if fd is not None else None
    chan = snap.channels.get(entry.channel) if entry else None
    if chan is None:
        return None, (), []
    buf = chan.buffers[0] if chan.buffers else None
    fill = f"{buf.used} of {buf.capacity} bytes in the buffer" if buf and buf.used is not None \
        and buf.capacity else "buffer fill unknown"
    named = f" ({chan.label})" if chan.label not in ("", chan.id, str(chan.kind)) else ""
    facts = [f"{chan.id}{named}: {fill}"]
    ends = snap.ends(chan.id)
    if chan.kind.is_pipe_like and call in _READS:
        writers = tuple(e for e in ends if e.access in ("w", "rw"))
        held = [f"the write ends are held by {_who(snap, writers, proc.pid)}"] if writers else []
        return chan, writers, facts + held
    if chan.kind.is_pipe_like and call in _WRITES:
        readers = tuple(e for e in ends if e.access in ("r", "rw"))
        held = [f"the read ends are held by {_who(snap, readers, proc.pid)}"] if readers else []
        return chan, readers, facts + held
    if chan.kind.is_socket and call in ("accept", "accept4"):
        return chan, (), facts
    if chan.kind.is_socket and chan.peer:
        peer_ends = snap.ends(chan.peer)
        return chan, peer_ends, [*facts, f"the other end ({chan.peer}) is held by "
                                         f"{_who(snap, peer_ends, proc.pid)}"]
    return chan, (), facts


def explain(snap: Snapshot, pid: int, _seen: frozenset[int] = frozenset(),
            hidden: Mapping[int, str] | None = None,
            opens: Mapping[int, Opening] | None = None) -> Wait:
    """The verdict for one process of ``snap``; ``hidden``: pid -> why its call (in
    /proc/PID/syscall) could not be read; ``opens``: pid -> what its open(2) opens."""
    proc = snap.process(pid)
    if proc is None:
        return Wait(pid, "?", "gone", verdict="it has ended: nothing is left to wait")
    blocked = _blocked(proc)
    if blocked is None:
        return _not_named(proc, (hidden or {}).get(pid))
    call, fd = blocked
    if (found := (opens or {}).get(pid)) is not None and found.fifo:
        return _opening_fifo(proc, call, found)
    chan, wakers, facts = _wakers(snap, proc, call, fd)
    verdict = _verdict(snap, proc, call, fd, chan, wakers, _seen | {pid})
    return Wait(pid, proc.name, proc.state or "", call, fd, chan, wakers, verdict, tuple(facts))


def _opening_fifo(proc: Process, call: str, found: Opening) -> Wait:
    """fifo(7): an open for reading waits until a process opens the FIFO for writing, and
    the other way round. Nobody has that other end open now, or the open would not wait."""
    mine, other = ("reading", "writing") if found.for_reading else ("writing", "reading")
    return Wait(proc.pid, proc.name, proc.state or "", call, verdict=(
        f"it wakes when some process opens the FIFO for {other}: nobody has it open for "
        f"{other} now (fifo(7))"), lines=(f"{found.path}: a FIFO, being opened for {mine}",))


def _not_named(proc: Process, hidden: str | None) -> Wait:
    """A process not blocked in a call named here: running, stopped, a zombie; or asleep
    in the kernel (S, D) in a call not followed here, or one the kernel would not show."""
    state = proc.state or "running"
    if hidden is not None:
        return Wait(proc.pid, proc.name, state, error=hidden, verdict=(
            f"cannot tell: the call it sleeps in is not readable: {hidden} (proc(5): "
            "/proc/PID/syscall needs ptrace access)"))
    if state in _ASLEEP:
        return Wait(proc.pid, proc.name, state,
                    verdict="asleep in the kernel, in a call not followed here: "
                            "who wakes it is not known")
    return Wait(proc.pid, proc.name, state, verdict="not blocked in a system call")


# Calls that wait on no channel: what wakes them, from their man pages.
_TIMERS = {"nanosleep", "clock_nanosleep"}
_SIGNALS = {"pause", "rt_sigsuspend", "rt_sigtimedwait", "sigsuspend"}
_MANY = {"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2"}


def _without_channel(call: str, fd: int | None) -> str:
    if call in _TIMERS:
        return "a timer: it wakes when its time is up, or on a signal (nanosleep(2))"
    if call in _SIGNALS:
        return "it wakes on a signal (pause(2), sigsuspend(2))"
    if call in _MANY:
        return "it watches several fds at once: any of them may wake it (poll(2))"
    if call == "futex":
        return "a lock or condition shared with another thread wakes it (futex(2))"
    if fd is not None:
        return "its fd leads to no channel followed here: who wakes it is not known"
    return "no channel behind the call: who wakes it is not known"


def _verdict(snap: Snapshot, proc: Process, call: str, fd: int | None, chan: Channel | None,
             wakers: tuple[End, ...], seen: frozenset[int]) -> str:
    """What follows from the facts, without saying them again (they name the holders, their
    states and the buffer's fill; the verdict says what wakes the process, or that nothing will)."""
    if chan is None and call not in ("wait4", "waitid"):
        return _without_channel(call, fd)
    buf = chan.buffers[0] if chan is not None and chan.buffers else None
    is_pipe = chan is not None and chan.kind.is_pipe_like
    if is_pipe and call in _READS and buf is not None and buf.used:
        return "data is waiting in the buffer: the read returns at once"
    if is_pipe and call in _READS and not wakers:
        return "no writer is left: end of file will come at once"
    if is_pipe and call in _WRITES and not wakers:
        return "no reader is left: the write fails with EPIPE (and SIGPIPE)"
    others = [w for w in wakers if w.pid != proc.pid]
    stuck = [w for w in others if _stuck(snap, w.pid, seen)]
    if is_pipe and not others:  # wakers, but all its own fds
        return ("it holds the only write end itself: end of file never comes, it waits for "
                "itself" if call in _READS else
                "it holds the only read end itself: nobody else takes data out, it waits for "
                "itself")
    if is_pipe and call in _WRITES and len(stuck) < len(others):
        return ("the buffer is full: it wakes when a reader takes data out" if buf and buf.used
                else "it wakes when a reader makes room")
    if others and len(stuck) == len(others):
        cycle = any(_reaches(snap, w.pid, proc.pid, set()) for w in stuck)
        return ("a cycle: every process that could wake it is itself blocked, waiting on "
                "it in turn: nobody will wake it" if cycle else
                "stuck: every process that could wake it is itself blocked: nobody will wake it")
    if call in ("wait4", "waitid"):
        return "it wakes when a child ends" if others else \
            "nothing to wait for: the call fails with ECHILD (wait(2))"
    if chan is not None and chan.kind.is_socket and call in ("accept", "accept4"):
        return f"it wakes when a client connects{' to ' + chan.local if chan.local else ''}"
    if others and is_pipe:
        return "it wakes when a holder writes, or with end of file once every write end is closed"
    if others and call in _WRITES:
        return "it wakes when the other end reads and makes room"
    if others and chan is not None and chan.kind in _DATAGRAMS and call in _READS:
        # unix(7): end of file at the peer's close is for stream and seqpacket sockets only.
        return "it wakes when the other end sends a datagram (its closing does not)"
    if others:
        return "it wakes when the other end sends data or closes"
    if chan is not None and chan.kind.is_socket and wakers:  # the other end: its own fds
        return ("it holds the other end itself: nobody else sends, it waits for itself"
                if call in _READS else
                "it holds the other end itself: nobody else takes data out, it waits for itself")
    if chan is not None and chan.kind in _DATAGRAMS and chan.peer is None and call in _READS:
        return _datagram_sender(chan)
    return "no process here holds the other end: what wakes it is outside"


def _datagram_sender(chan: Channel) -> str:
    """Who may wake a reader of a datagram socket whose peer no process here holds."""
    if chan.remote and not chan.remote.endswith(":0"):
        # udp(7): once connected, datagrams from any other address are dropped.
        return (f"it wakes when a datagram arrives from {chan.remote}: a connected socket "
                "takes only its peer's (udp(7))")
    if chan.local in (None, "unnamed") or (chan.local or "").endswith(":0"):
        # No address, no peer: no send(2) can name it (unix(7), udp(7)).
        return "it has no address and no peer: no process can send to it: nobody will wake it"
    if chan.kind is Kind.UNIX_DGRAM and not chan.local.startswith("@"):
        # unix(7): connecting or sending to a pathname socket needs write permission on it.
        return (f"it wakes when a datagram is sent to {chan.local}: any process that may "
                "write to that socket file (unix(7))")
    return f"it wakes when a datagram arrives at {chan.local}: any process may send one"


def _next_pids(snap: Snapshot, pid: int) -> list[int]:
    proc = snap.process(pid)
    blocked = _blocked(proc) if proc else None
    if proc is None or blocked is None:
        return []
    _, wakers, _ = _wakers(snap, proc, *blocked)
    return [w.pid for w in wakers if w.pid != pid]


def _stuck(snap: Snapshot, pid: int, seen: frozenset[int]) -> bool:
    """Blocked, and every process that could wake it is stuck too (or is one we started from)."""
    proc = snap.process(pid)
    if proc is None or _blocked(proc) is None:
        return False
    if pid in seen:
        return True
    nexts = _next_pids(snap, pid)
    return all(_stuck(snap, n, seen | {pid}) for n in nexts) if nexts else _no_waker_ok(snap, pid)


def _no_waker_ok(snap: Snapshot, pid: int) -> bool:
    """Blocked with no other process to wake it: stuck if it waits on a pipe held only by itself."""
    proc = snap.process(pid)
    blocked = _blocked(proc) if proc else None
    if proc is None or blocked is None:
        return False
    chan, wakers, _ = _wakers(snap, proc, *blocked)
    return chan is not None and chan.kind.is_pipe_like and bool(wakers)


def _reaches(snap: Snapshot, start: int, goal: int, visited: set[int]) -> bool:
    if start == goal:
        return True
    if start in visited:
        return False
    visited.add(start)
    return any(_reaches(snap, n, goal, visited) for n in _next_pids(snap, start))


def _tree(snap: Snapshot, pid: int) -> list[int]:
    """``pid`` and its descendants (the processes ``why --tree`` explains)."""
    tree = [pid]
    added = True  # pids wrap, so a child may be listed before its parent: repeat until stable
    while added:
        added = False
        for proc in snap.processes:
            if proc.ppid in tree and proc.pid not in tree:
                tree.append(proc.pid)
                added = True
    return tree


def explain_tree(snap: Snapshot, pid: int, hidden: Mapping[int, str] | None = None,
                 opens: Mapping[int, Opening] | None = None) -> list[Wait]:
    """``pid`` and its descendants, each explained; the one holding the others up first."""
    waits = [explain(snap, p, hidden=hidden, opens=opens) for p in _tree(snap, pid)]
    blocked = {w.pid for w in waits if w.call is not None}

    # The process that holds the others up: blocked, and waiting on no other blocked one
    # of the tree (in a cycle, every member waits on another: the lowest pid comes first).
    def rank(w: Wait) -> tuple[int, int]:
        waits_on_tree = any(e.pid in blocked and e.pid != w.pid for e in w.wakers)
        return (0 if w.call is not None and not waits_on_tree else 1 if w.call else 2, w.pid)

    return sorted(waits, key=rank)
