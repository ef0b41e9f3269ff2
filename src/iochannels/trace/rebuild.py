"""strace's records -> the steps of a :class:`~iochannels.model.Walkthrough`.

:class:`Rebuild` applies each record to the rebuilt state (``calls.py``) and,
after every fd-related call (every call with ``all_calls``), keeps a step: the
event as strace printed it and the fd tables and channels after it. The first
table is given from outside (the caller reads it from ``/proc``); ``trace``
reads no process itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from iochannels.model import Event, Snapshot, Step, Walkthrough
from iochannels.trace import edges
from iochannels.trace.args import fd_of
from iochannels.trace.calls import FD_CALLS, apply, fork_child
from iochannels.trace.lines import Call, Exit, LineParser, Record, Signal
from iochannels.trace.state import Ofd, Proc, Slot, State

__all__ = ["Rebuild", "rebuild_lines"]

_FORKS = ("fork", "vfork", "clone", "clone3")
_SHOWN_SIGNALS = frozenset({"SIGPIPE", "SIGSTOP", "SIGCONT", "SIGINT", "SIGTERM", "SIGKILL"})
# Calls whose first argument is an fd: shown as its number in the trace lines.
_QUIET = frozenset({"exit", "exit_group", "kill", "tgkill", "unlink", "unlinkat", "mknod",
                    "mknodat", "lseek", "poll", "ppoll", "select", "pselect6", "epoll_wait",
                    "epoll_pwait", "splice", "tee", "sendfile"})


class Rebuild:
    """Feed it strace's lines (or records); read ``steps`` and ``walkthrough()``."""

    def __init__(self, first: Snapshot | None = None, *, all_calls: bool = False,
                 main_pid: int = 0) -> None:
        self.state = State()
        self.parser = LineParser(main_pid, None if all_calls else frozenset(FD_CALLS))
        self.steps: list[Step] = []
        self.all_calls = all_calls
        self.calls = 0  # every call read, fd-related or not
        self._first = first
        self._seq = 0
        self._last_time = 0.0
        self._ended = False
        self._notes: list[str] = []

    # -- input -------------------------------------------------------------------------
    def feed(self, line: str) -> Step | None:
        record = self.parser.feed(line)
        return None if record is None else self.record(record)

    def record(self, record: Record) -> Step | None:
        if record.time is not None:
            self._last_time = record.time
        proc = self._proc(record.pid)
        match record:
            case Call():
                return self._call(proc, record)
            case Signal():
                return self._signal(proc, record)
            case Exit():
                return self._exit(proc, record)
        return None

    def _proc(self, tid: int) -> Proc:
        pid = self.state.owner(tid)
        proc = self.state.procs.get(pid)
        if proc is not None:
            return proc
        if not self.state.procs:  # the first process: the table read from /proc
            proc = Proc(pid, "?")
            self._seed(proc)
            self.state.procs[pid] = proc
            self.steps.append(Step(self._snapshot(), None, "the first fd table, read from /proc"
                                   if self._first else "start"))
            return proc
        self._adopt(tid)
        pid = self.state.owner(tid)
        proc = self.state.procs.get(pid)
        if proc is None:  # a process whose creation the trace did not show
            proc = Proc(pid, "?")
            self.state.procs[pid] = proc
        return proc

    def _seed(self, proc: Proc) -> None:
        first = self._first
        if first is None or not first.processes:
            return
        model = first.processes[0]
        proc.name, proc.argv, proc.ppid = model.name, model.argv, model.ppid
        ofds: dict[str, Ofd] = {}
        for entry in model.fds:
            channel = first.channels.get(entry.channel)
            if channel is not None:
                self.state.import_channel(channel)
            key = entry.open_file or f"fd{entry.fd}"
            ofd = ofds.get(key)
            if ofd is None:
                flags = {f for f in entry.flags if f in ("nonblock", "append")}
                ofd = ofds[key] = self.state.new_ofd(entry.channel, entry.access, flags)
            proc.fds[entry.fd] = Slot(ofd, "cloexec" in entry.flags)

    def _adopt(self, child: int) -> None:
        """A child may print before its parent's fork returns (strace shows the parent's
        ``clone(... <unfinished ...>``): it is made from the parent that is inside fork."""
        for pid, head in self.parser.pending().items():
            parent = self.state.procs.get(self.state.owner(pid))
            if head.startswith(_FORKS) and parent is not None and not parent.exited:
                fork_child(self.state, parent, child, "clone", head)
                return

    # -- records -----------------------------------------------------------------------
    def _call(self, proc: Proc, call: Call) -> Step | None:
        self.calls += 1
        related = call.name in FD_CALLS
        if related:
            before = edges.before(self.state, proc, call)
            apply(self.state, proc, call)
            note = edges.after(self.state, proc, call, before)
        else:
            note = ""
        if call.name in _FORKS and call.retval and call.retval > 0:
            note = note or f"child {call.retval} gets a copy of the fd table"
        if not self.all_calls and (not related or call.name in _QUIET
                                   or _loader(self.state, proc, call)):
            return None
        return self._step(self._event(proc.pid, call, note))

    def _signal(self, proc: Proc, sig: Signal) -> Step | None:
        if sig.stopped:
            proc.state = f"stopped by {sig.name}"
        elif proc.state and proc.state.startswith("stopped") and sig.name == "SIGCONT":
            proc.state = None
        if sig.name not in _SHOWN_SIGNALS and not self.all_calls:
            return None
        call = "--- stopped by" if sig.stopped else "---"
        note = edges.signal_note(sig.name)
        return self._step(Event(self._next(), proc.pid, call, (sig.name,), None, None, False, note))

    def _exit(self, proc: Proc, end: Exit) -> Step:
        held = edges.write_ends_held(self.state)
        note = edges.at_exit(self.state, proc)
        proc.fds.clear()
        note = "; ".join(n for n in (note, edges.last_writers_gone(self.state, held)) if n)
        proc.exited = True
        proc.state = (f"exited with {end.status}" if end.signal is None else
                      f"killed by {end.signal}" + (" (core dumped)" if end.core else ""))
        self.state.procs[proc.pid] = proc
        return self._step(Event(self._next(), proc.pid, "+++", (proc.state,), end.status,
                                None, False, note))

    # -- output ------------------------------------------------------------------------
    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _event(self, pid: int, call: Call, note: str) -> Event:
        args = tuple(_short(a) for a in call.args)
        if call.name in ("execve", "execveat") and len(args) > 2:
            args = (*args[:2], "...")
        result: int | str | None = call.retval
        return Event(self._next(), pid, call.name, args, result, call.error, False, note)

    def _step(self, event: Event) -> Step:
        step = Step(self._snapshot(), event)
        self.steps.append(step)
        return step

    def _snapshot(self) -> Snapshot:
        return self.state.snapshot(self._last_time)

    def finish(self) -> list[str]:
        """The trace ended: calls still unfinished are where processes wait. Returns notes."""
        if self._ended:
            return self._notes
        self._ended = True
        notes = []
        waiting = []
        for call in self.parser.unfinished():
            proc = self.state.procs.get(self.state.owner(call.pid))
            if proc is None or proc.exited:
                continue
            fd = fd_of(call.args[0]) if call.args else None
            where = f"{call.name}({fd.number})" if fd is not None and call.name != "wait4" else (
                f"{call.name}()")
            proc.state = f"blocked in {where}"
            waiting.append((proc, call))
        for proc, call in waiting:  # every state first: each note names the others' states
            step = self._step(Event(self._next(), proc.pid, call.name,
                                    tuple(_short(a) for a in call.args), None, None, True,
                                    edges.blocked_note(self.state, proc, call)))
            notes.append(f"pid {proc.pid} ({proc.name}): {step.event.note}" if step.event
                         else "")
        notes.extend(edges.leaks(self.state))
        self._notes = [n for n in notes if n]
        return self._notes

    def walkthrough(self, title: str, description: str = "") -> Walkthrough:
        notes = self.finish()
        return Walkthrough(title, tuple(self.steps), description, tuple(notes))


# The dynamic loader and the C library open these before main() and close them
# again (close-on-exec): real calls, but not the program's own; --all-calls shows them.
_LOADER = ("/etc/ld.so.", "/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/share/locale/",
           "/etc/localtime", "/usr/share/zoneinfo/", "/etc/nsswitch.conf", "/etc/locale.alias")


def _loader(state: State, proc: Proc, call: Call) -> bool:
    if call.name in ("openat", "open"):
        what = call.decoration or (call.args[1] if len(call.args) > 1 else "")
        return what.strip('"').startswith(_LOADER)
    fd = fd_of(call.args[0]) if call.args else None
    if fd is None or fd.what is None:
        return False
    return fd.what.startswith(_LOADER)


def _short(arg: str) -> str | int:
    """An fd argument as its number (the table shows what it is); other text as strace wrote it."""
    fd = fd_of(arg)
    if fd is not None:
        return fd.number
    return arg if len(arg) <= 60 else arg[:57] + "..."


def rebuild_lines(lines: Iterable[str], first: Snapshot | None = None, *,
                  all_calls: bool = False, title: str = "trace") -> Walkthrough:
    """A whole recorded trace at once (tests, ``--from FILE``)."""
    rebuild = Rebuild(first, all_calls=all_calls)
    for line in lines:
        rebuild.feed(line)
    return rebuild.walkthrough(title)
