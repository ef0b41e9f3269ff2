"""Run a :class:`Script` on the simulated kernel, call by call.

Each script process is an *attached* process (``Kernel.attach``), driven
through ``Kernel.syscall``; after every step ``Kernel.settle`` finishes the
calls that step woke. The run stops early, before the step that would need
one of the harness's exclusions (see :mod:`iochannels.fidelity.exclusions`),
and says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iochannels.fidelity.exclusions import SOCKET_BUDGET, SOCKET_SENDS
from iochannels.fidelity.observe import FdView, Namer, Record, Result
from iochannels.fidelity.script import (
    APPEND,
    CLOEXEC,
    CREATE,
    HOWS,
    MODES,
    NONBLOCK,
    PATHS,
    SOCKET_TYPES,
    TRUNC,
    Op,
    Script,
    payload,
)
from iochannels.sim import Blocked, Done, Failed, Kernel, Outcome
from iochannels.sim.devices import RegularFile, Terminal
from iochannels.sim.files import Chan
from iochannels.sim.pipes import Pipe
from iochannels.sim.sockets import Socket

__all__ = ["SimTrace", "normalize", "run_sim"]

HARNESS_SOCKET_BUFFER = 1 << 20  # never reached: scripts stay within SOCKET_BUDGET


@dataclass(frozen=True, slots=True)
class SimTrace:
    records: tuple[Record, ...]
    stopped_by: str | None  # the exclusion that ended the script early, if one did


def normalize(op: Op, value: Any) -> Any:
    """A call's value as both kernels report it: fds, byte counts, bytes, or None."""
    match op.call:
        case "pipe" | "socketpair":
            return (int(value[0]), int(value[1]))
        case "read" | "recv":
            return bytes(value)
        case "write" | "send" | "sendto" | "dup" | "dup2" | "open" | "lseek" | "socket":
            return int(value)
        case "fork":
            return "pid"
        case "accept":
            return int(value[0])  # the peer's address: unnamed on both kernels
        case "recvfrom":
            return (bytes(value[0]), value[1])  # the sender's path, or None if unnamed
        case _:
            return None


def sim_args(op: Op, step: int) -> tuple[Any, ...]:
    a = op.args
    match op.call:
        case "pipe":
            return (bool(a[0]), bool(a[1]))
        case "socketpair":
            return (SOCKET_TYPES[a[0]],)
        case "write" | "send":
            return (a[0], payload(step, a[1]))
        case "set_nonblock" | "set_cloexec":
            return (a[0], bool(a[1]))
        case "shutdown":
            return (a[0], HOWS[a[1]])
        case "fork":
            return (None, None)
        case "open":
            flags = [bool(a[2] & bit) for bit in (CREATE, TRUNC, APPEND, NONBLOCK, CLOEXEC)]
            return (PATHS[a[0]], MODES[a[1]], *flags)
        case "mkfifo":
            return (PATHS[a[0]],)
        case "socket":
            return ("unix", SOCKET_TYPES[a[0]])
        case "bind" | "connect":
            return (a[0], PATHS[a[1]])
        case "sendto":
            return (a[0], payload(step, a[1]), PATHS[a[2]])
        case _:
            return a


def _result(op: Op, outcome: Outcome) -> Result:
    match outcome:
        case Done(value):
            return Result("done", normalize(op, value))
        case Failed(name):
            return Result("error", name)
        case Blocked():
            return Result("blocked")
    raise AssertionError(outcome)


class _SimScript:
    def __init__(self, script: Script, options: Mapping[str, int]) -> None:
        self.script = script
        config = {"socket_buffer": HARNESS_SOCKET_BUFFER, **options}
        self.k = Kernel(max_files=script.max_files, snapshots=False, **config)
        self.pids = [self.k.attach("p0")]
        self.waiting: dict[int, int] = {}  # pid -> the step whose call waits
        self.namer = Namer()
        self.sent = [0, 0]  # socket payload bytes, socket sends

    def chan_of(self, op: Op) -> Chan | None:
        """The channel behind the op's fd (its first argument), if its process has one."""
        if op.proc >= len(self.pids):
            return None
        slot = self.k.procs[self.pids[op.proc]].fds.slots.get(op.args[0])
        return None if slot is None else slot.file.chan

    def over_budget(self, op: Op) -> bool:
        if op.call not in ("write", "send", "sendto") or not isinstance(self.chan_of(op), Socket):
            return False
        self.sent[0] += op.args[1]
        self.sent[1] += 1
        return self.sent[0] > SOCKET_BUDGET or self.sent[1] > SOCKET_SENDS

    def step(self, i: int, op: Op) -> Record:
        if op.proc >= len(self.pids) or self.pids[op.proc] in self.waiting:
            return Record(Result("skipped"))  # its process waits, or its fork never ran
        pid = self.pids[op.proc]
        outcome = self.k.syscall(pid, op.call, *sim_args(op, i))
        if isinstance(outcome, Blocked):
            self.waiting[pid] = i
        finished = dict(self.k.settle())
        result = _result(op, finished.pop(pid)) if pid in finished else _result(op, outcome)
        if op.call == "fork" and isinstance(outcome, Done):
            self.pids.append(outcome.value)
        completed = []
        for other, done in finished.items():
            step = self.waiting.pop(other)
            completed.append((step, _result(self.script.steps[step], done)))
        if result.kind != "blocked":
            self.waiting.pop(pid, None)
        return Record(result, tuple(sorted(completed, key=lambda c: c[0])), self.fds(pid))

    def fds(self, pid: int) -> tuple[FdView, ...]:
        views = []
        for fd, slot in self.k.procs[pid].fds:
            kind, identity = _kind(slot.file.chan)
            views.append(FdView(fd, self.namer.name(kind, identity), slot.file.access,
                                slot.file.nonblock, slot.cloexec))
        return tuple(views)


def _kind(chan: Chan) -> tuple[str, str]:
    """What /proc shows of a channel: its kind, and what names it (a path, or an id)."""
    match chan:
        case Pipe(path=path) if path:
            return "fifo", path  # Linux names a FIFO by its path, whichever pipe is behind
        case Pipe():
            return "pipe", chan.id
        case Socket():
            return "socket", chan.id
        case RegularFile():
            return "file", chan.path
    return "chr", ""


def _on_terminal(run: _SimScript, op: Op) -> bool:
    """lseek on fds 0-2: a terminal says ESPIPE, the workers' /dev/null says 0 (null(4))."""
    return op.call == "lseek" and isinstance(run.chan_of(op), Terminal)


def run_sim(script: Script, options: Mapping[str, int] | None = None) -> SimTrace:
    """The script's records on the simulator, up to its end or its first exclusion.

    ``options`` are more keyword options for the Kernel (a test gives a wrong
    ``pipe_capacity`` to see the harness catch it).
    """
    run = _SimScript(script, options or {})
    records: list[Record] = []
    for i, op in enumerate(script.steps):
        if run.over_budget(op):
            return SimTrace(tuple(records), "socket-buffer-accounting")
        if _on_terminal(run, op):
            return SimTrace(tuple(records), "terminal")
        record = run.step(i, op)
        if len(run.waiting) > 1:
            return SimTrace(tuple(records), "two-waiters")
        records.append(record)
    return SimTrace(tuple(records), None)
