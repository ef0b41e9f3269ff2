"""The sharp edges a trace shows: notes on the steps where something is easy to miss.

- an fd inherited across execve(2) without close-on-exec (it stays open in the new
  program, which usually does not know it has it);
- the last write end of a pipe closed: the readers get end of file (pipe(7));
- a pipe end still open when its process exits;
- a process blocked when the trace ended: in what call, on what channel, and who
  could wake it (pipe(7): a read waits while the pipe is empty and a writer is left;
  a write waits while the pipe is full and a reader is left).
"""

from __future__ import annotations

from iochannels.model import Kind
from iochannels.trace.args import fd_of
from iochannels.trace.lines import Call
from iochannels.trace.state import Chan, Proc, State

__all__ = ["after", "at_exit", "before", "blocked_note", "last_writers_gone", "leaks",
           "signal_note", "write_ends_held"]

_STD = (0, 1, 2)


def _end_name(state: State, proc: Proc, fd: int) -> str:
    slot = proc.fds[fd]
    chan = state.chans.get(slot.ofd.channel)
    if chan is None:
        return f"fd {fd}"
    if chan.kind.is_pipe_like:
        end = {"r": "read end", "w": "write end"}.get(slot.ofd.access or "", "end")
        return f"fd {fd} ({end} of {chan.id})"
    return f"fd {fd} ({chan.label or chan.id})"


def before(state: State, proc: Proc, call: Call) -> frozenset[str]:
    """What is worth remembering before the call: the write ends of pipes still held."""
    if call.name not in ("close", "dup2", "dup3", "close_range", "execve", "execveat"):
        return frozenset()
    return write_ends_held(state)


def write_ends_held(state: State) -> frozenset[str]:
    """The pipes that some process still holds a write end of."""
    return frozenset(c for c, chan in state.chans.items() if chan.kind.is_pipe_like
                     and not chan.outside and _writers(state, chan))


def last_writers_gone(state: State, held: frozenset[str]) -> str:
    """pipe(7): "If all file descriptors referring to the write end of a pipe have been
    closed, then an attempt to read(2) from the pipe will see end-of-file"."""
    gone = [c for c in held if c in state.chans and not _writers(state, state.chans[c])]
    return "; ".join(f"the last write end of {c} is closed: its readers get end of file"
                     for c in sorted(gone))


def after(state: State, proc: Proc, call: Call, before_writers: frozenset[str]) -> str:
    if call.name in ("execve", "execveat") and call.retval == 0:
        kept = [n for n in sorted(proc.fds) if n not in _STD]
        notes = [last_writers_gone(state, before_writers)]
        if kept:
            notes.insert(0, "inherited across execve without close-on-exec: "
                         + ", ".join(_end_name(state, proc, n) for n in kept))
        return "; ".join(n for n in notes if n)
    if call.name in ("pipe", "pipe2") and call.retval == 0:
        return "a new pipe: one buffer, a read end and a write end"
    if call.name in ("fork", "vfork", "clone", "clone3") and call.retval:
        return ""
    if before_writers and (gone := last_writers_gone(state, before_writers)):
        return gone
    if call.name in ("dup2", "dup3") and call.retval is not None and call.retval >= 0:
        old = fd_of(call.args[0]) if call.args else None
        if old is not None and old.number != call.retval:
            return f"fd {call.retval} now shares fd {old.number}'s open file"
    return ""


def at_exit(state: State, proc: Proc) -> str:
    ends = [n for n in sorted(proc.fds) if (chan := state.chans.get(proc.fds[n].ofd.channel))
            is not None and chan.kind.is_pipe_like and n not in _STD]
    if not ends:
        return ""
    return "exits with pipe ends still open (the kernel closes them): " + ", ".join(
        _end_name(state, proc, n) for n in ends)


def signal_note(name: str) -> str:
    return {"SIGPIPE": "a write on a pipe or socket with no reader left (pipe(7): EPIPE)",
            "SIGSTOP": "stopped", "SIGCONT": "continued"}.get(name, "")


def _writers(state: State, chan: Chan) -> list[tuple[Proc, int]]:
    return [(p, fd) for p, fd, slot in state.holders(chan.id) if slot.ofd.access in ("w", "rw")]


def _readers(state: State, chan: Chan) -> list[tuple[Proc, int]]:
    return [(p, fd) for p, fd, slot in state.holders(chan.id) if slot.ofd.access in ("r", "rw")]


def _who(state: State, holders: list[tuple[Proc, int]], me: Proc) -> str:
    parts = []
    for proc, fd in holders:
        whose = "its own" if proc is me else f"pid {proc.pid} ({proc.name})'s"
        doing = f", {proc.state}" if proc.state and proc is not me else ""
        parts.append(f"{whose} fd {fd}{doing}")
    return ", ".join(parts)


def blocked_note(state: State, proc: Proc, call: Call) -> str:
    """Why the call still waits when the trace ends, and who could wake it."""
    fd = fd_of(call.args[0]) if call.args else None
    slot = proc.fds.get(fd.number) if fd is not None else None
    chan = state.chans.get(slot.ofd.channel) if slot is not None else None
    if call.name in ("wait4", "waitpid", "waitid"):
        kids = [p for p in state.procs.values() if p.ppid == proc.pid and not p.exited]
        return "waits for a child to end: " + (", ".join(
            f"pid {k.pid} ({k.name}) {k.state or 'running'}" for k in kids) or "none left")
    if chan is None:
        return f"waits in {call.name}"
    if chan.kind.is_pipe_like and call.name in ("read", "readv"):
        writers = _writers(state, chan)
        if not writers:
            return f"waits on {chan.id}: no writer is left, end of file comes at once"
        own = [w for w in writers if w[0] is proc]
        tail = (": it holds a write end itself, so end of file never comes" if own else
                "; end of file only when they all close it")
        return f"waits for data on {chan.id}; writers: {_who(state, writers, proc)}{tail}"
    if chan.kind.is_pipe_like and call.name in ("write", "writev"):
        readers = _readers(state, chan)
        fill = f" ({chan.used} of {chan.capacity} bytes)" if chan.used is not None else ""
        return (f"waits for room in {chan.id}{fill}; readers: "
                f"{_who(state, readers, proc) or 'none (EPIPE)'}")
    if chan.kind.is_socket and call.name in ("accept", "accept4"):
        return f"waits for a client to connect to {chan.local or chan.id}"
    if chan.kind.is_socket:
        peer = state.chans.get(chan.peer or "")
        holders = _who(state, [(p, f) for p, f, _ in state.holders(peer.id)], proc) if peer else ""
        return f"waits in {call.name} on {chan.id}" + (f"; the other end: {holders}" if holders
                                                          else "")
    return f"waits in {call.name} on {chan.label or chan.id}"


def leaks(state: State) -> list[str]:
    """At the end: pipes whose only writers are processes that wait to read them."""
    found = []
    for chan in state.chans.values():
        if chan.kind != Kind.PIPE:
            continue
        writers = _writers(state, chan)
        readers = _readers(state, chan)
        blocked = [p for p, _ in writers if (p.state or "").startswith("blocked")]
        if writers and readers and len(blocked) == len(writers):
            found.append(f"{chan.id}: every writer is itself blocked ("
                         + "; ".join(f"pid {p.pid} {p.state}" for p, _ in writers)
                         + "): nobody will write or close it")
    return found
