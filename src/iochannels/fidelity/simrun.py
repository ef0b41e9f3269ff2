"""Run a :class:`Script` on the simulated kernel, call by call.

Each script process is an *attached* process (``Kernel.attach``), driven
through ``Kernel.syscall``; after every step ``Kernel.settle`` finishes the
calls that step woke. The run stops early, before the step that would need
one of the harness's exclusions (see :mod:`iochannels.fidelity.exclusions`),
and says which.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iochannels.fidelity.exclusions import SOCKET_BUDGET, SOCKET_SENDS
from iochannels.fidelity.observe import FdView, Namer, Ports, Record, Result
from iochannels.fidelity.script import (
    APPEND,
    CLOEXEC,
    CREATE,
    FCNTL_CMDS,
    LOOPBACK,
    MODES,
    NONBLOCK,
    PATHS,
    PORTS,
    SOCKET_TYPES,
    SOCKETS,
    TRUNC,
    Op,
    Script,
    fcntl_arg,
    payload,
)
from iochannels.sim import Blocked, Done, Failed, Kernel, Outcome
from iochannels.sim.devices import RegularFile, Terminal
from iochannels.sim.files import Chan
from iochannels.sim.pipes import Pipe
from iochannels.sim.sockets import DgramSocket, Socket, StreamSocket

__all__ = ["SIM_CALL", "SimTrace", "normalize", "run_sim"]

HARNESS_SOCKET_BUFFER = 1 << 20  # never reached: scripts stay within SOCKET_BUDGET
NOBODY_PORT = 1  # the simulator hands out ports from 32768: nobody is ever at port 1
SIM_CALL = {"bind_in": "bind", "connect_in": "connect", "sendto_in": "sendto"}
SIM_NAME = {**SIM_CALL, "waitpid_nohang": "waitpid", "sigpipe_ignore": "signal",
            "wait_status": "waitpid"}
SENDS = ("write", "send", "sendto", "sendto_in", "sendmsg")
INET_CHECKED = ("bind_in", "connect_in", "recv", "recvfrom")  # the calls _inet_exclusion stops


@dataclass(frozen=True, slots=True)
class SimTrace:
    records: tuple[Record, ...]
    stopped_by: str | None  # the exclusion that ended the script early, if one did


def normalize(op: Op, value: Any, ports: Ports) -> Any:
    """A call's value as both kernels report it: fds, byte counts, bytes, or None.

    Inet addresses show their ports by name (:class:`Ports`), never as numbers.
    """
    match op.call:
        case "pipe" | "socketpair":
            return (int(value[0]), int(value[1]))
        case "read" | "recv":
            return bytes(value)
        case ("write" | "send" | "sendto" | "sendto_in" | "dup" | "dup2" | "open" | "lseek"
              | "socket"):
            return int(value)
        case "fork" | "getpid":
            return "pid"
        case "getppid":
            return value  # already an index (parent_index)
        case "fcntl" | "dup3" | "sendmsg":
            return int(value)
        case "poll":
            return tuple((int(fd), int(revents)) for fd, revents in value)
        case "getsockname" | "getpeername":
            return ports.label("tcp", tuple(value) if isinstance(value, tuple | list) else value)
        case "waitpid_nohang":  # 0 while no child has ended; a pid differs between kernels
            return "child" if int(value[0]) > 0 else int(value[0])
        case "wait_status":  # pids differ between the kernels; the status must not
            return ("child", value[1]) if value[0] else ("none", 0)
        case "sigpipe_ignore":
            return str(value)
        case "recvmsg":
            return (bytes(value[0]), tuple(int(fd) for fd in value[1]))
        case "accept" if isinstance(value[1], tuple):
            return (int(value[0]), ports.label("tcp", value[1]))  # a TCP client's address
        case "accept":
            return int(value[0])  # a UNIX client's address: unnamed on both kernels
        case "recvfrom" if isinstance(value[1], str) and value[1].startswith("\0"):
            return (bytes(value[0]), "@")  # an autobound sender: its digits differ
        case "recvfrom":  # the sender's path or address, or None if unnamed
            return (bytes(value[0]), ports.label("udp", value[1]))
        case _:
            return None


def parent_index(pids: list[int], ppid: int) -> int | str:
    """getppid's value as both kernels report it: which of the script's processes is the
    parent (by index), or "outside" (the harness itself, or init after an orphaning)."""
    return pids.index(ppid) if ppid in pids else "outside"


def sim_args(op: Op, step: int, ports: Ports, proto: str) -> tuple[Any, ...]:
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
            return (a[0], a[1])  # Linux's numbers, SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2, as a program
        case "fork":
            return (None, None)
        case "open":
            flags = [bool(a[2] & bit) for bit in (CREATE, TRUNC, APPEND, NONBLOCK, CLOEXEC)]
            return (PATHS[a[0]], MODES[a[1]], *flags)
        case "mkfifo":
            return (PATHS[a[0]],)
        case "socket":
            return SOCKETS[a[0]]
        case "bind" | "connect":
            return (a[0], PATHS[a[1]])
        case "sendto":
            return (a[0], payload(step, a[1]), PATHS[a[2]])
        case "bind_in":
            return (a[0], (LOOPBACK, ports.port(proto, a[1]) or 0))
        case "connect_in":
            return (a[0], (LOOPBACK, ports.target(proto, a[1])))
        case "sendto_in":
            return (a[0], payload(step, a[1]), (LOOPBACK, ports.target(proto, a[2])))
        case "fcntl":
            return (a[0], FCNTL_CMDS[a[1]], fcntl_arg(FCNTL_CMDS[a[1]], a[2]))
        case "dup3":
            return (a[0], a[1], bool(a[2]))
        case "poll":
            return (((a[0], a[1]),), -1 if a[2] else 0)
        case "waitpid_nohang" | "wait_status":
            return (-1, 1)  # WNOHANG
        case "sigpipe_ignore":
            return ("SIGPIPE", "SIG_IGN")
        case "sendmsg":
            return (a[0], payload(step, a[1]), (a[2],) if a[2] >= 0 else (), None)
        case _:
            return a


def _result(op: Op, outcome: Outcome, ports: Ports) -> Result:
    match outcome:
        case Done(value):
            return Result("done", normalize(op, value, ports))
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
        self.ports = Ports(PORTS, NOBODY_PORT)
        self.sent = [0, 0]  # socket payload bytes, socket sends

    def chan_of(self, op: Op) -> Chan | None:
        """The channel behind the op's fd (its first argument), if its process has one."""
        if op.proc >= len(self.pids):
            return None
        p = self.k.procs.get(self.pids[op.proc])  # an orphan's zombie is gone (init reaped it)
        slot = None if p is None else p.fds.slots.get(op.args[0])
        return None if slot is None else slot.file.chan

    def over_budget(self, op: Op) -> bool:
        if op.call not in SENDS or not isinstance(self.chan_of(op), Socket):
            return False
        self.sent[0] += op.args[1]
        self.sent[1] += 1
        return self.sent[0] > SOCKET_BUDGET or self.sent[1] > SOCKET_SENDS

    def step(self, i: int, op: Op) -> Record:
        if op.proc >= len(self.pids) or self.pids[op.proc] in self.waiting:
            return Record(Result("skipped"))  # its process waits, or its fork never ran
        pid = self.pids[op.proc]
        p = self.k.procs.get(pid)
        if p is None or not p.alive:
            return Record(Result("skipped"))  # it exited
        proto = self.proto(op)
        outcome = self.k.syscall(pid, SIM_NAME.get(op.call, op.call),
                                 *sim_args(op, i, self.ports, proto))
        if op.call == "bind_in" and isinstance(outcome, Done):
            sock = self.chan_of(op)
            assert isinstance(sock, Socket) and isinstance(sock.local, tuple)
            self.ports.bound(proto, op.args[1], sock.local[1])
        if op.call == "getppid" and isinstance(outcome, Done):
            outcome = Done(parent_index(self.pids, outcome.value))
        if isinstance(outcome, Blocked):
            self.waiting[pid] = i
        finished = dict(self.k.settle())
        result = _result(op, finished.pop(pid) if pid in finished else outcome, self.ports)
        if op.call == "fork" and isinstance(outcome, Done):
            self.pids.append(outcome.value)
        completed = []
        for other, done in finished.items():
            step = self.waiting.pop(other)
            completed.append((step, _result(self.script.steps[step], done, self.ports)))
        if result.kind != "blocked":
            self.waiting.pop(pid, None)
        return Record(result, tuple(sorted(completed, key=lambda c: c[0])),
                      () if op.call == "exit" else self.fds(pid))

    def proto(self, op: Op) -> str:
        """Which port table an inet-addressed call looks in: its socket's (tcp or udp)."""
        if op.call not in SIM_CALL:
            return "tcp"
        return "udp" if isinstance(self.chan_of(op), DgramSocket) else "tcp"

    def fds(self, pid: int) -> tuple[FdView, ...]:
        views = []
        p = self.k.procs.get(pid)
        for fd, slot in () if p is None else p.fds:
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


PATH_ARG = {"open": 0, "mkfifo": 0, "bind": 1, "connect": 1, "sendto": 2}
HOLE_FREE = 4096  # a hole takes a whole block: a file this small has none


def _fs_exclusion(run: _SimScript, op: Op) -> str | None:
    """The filesystem exclusions: a path in a directory that does not exist (Linux:
    ENOENT; the flat filesystem has every directory), SEEK_DATA or SEEK_HOLE on a file
    big enough to have a hole (the simulator's files have none)."""
    if op.call in PATH_ARG:
        path = posixpath.normpath(PATHS[op.args[PATH_ARG[op.call]]] or ".")
        parent = posixpath.dirname(path)
        if parent and parent not in run.k.fs.nodes:
            return "flat-filesystem"
    if op.call == "lseek" and op.args[2] in (3, 4):
        chan = run.chan_of(op)
        if isinstance(chan, RegularFile) and chan.area.size > HOLE_FREE:
            return "file-holes"
    return None


def _inet_exclusion(run: _SimScript, op: Op) -> str | None:
    """The TCP and UDP exclusions (see exclusions.py) the step would reach, if any."""
    if op.call not in INET_CHECKED or op.proc >= len(run.pids) or run.pids[op.proc] in run.waiting:
        return None
    sock = run.chan_of(op)
    if not isinstance(sock, Socket) or not sock.inet:
        return None
    proto = "tcp" if isinstance(sock, StreamSocket) else "udp"
    if op.call == "bind_in" and (port := run.ports.port(proto, op.args[1])) is not None:
        holder = run.k.net.ports.get((proto, port))
        return "port-reuse" if holder is not None and holder.closed else None
    if isinstance(sock, DgramSocket):
        return None
    assert isinstance(sock, StreamSocket)
    if op.call in ("recv", "recvfrom") and op.args[1] == 0:  # read(2) of 0 returns at once
        return "tcp-zero-recv" if _zero_recv_may_differ(run, op, sock) else None
    if op.call == "connect_in" and sock.state == "UNCONNECTED":  # else EISCONN at once
        listener = run.k.net.ports.get(("tcp", run.ports.target("tcp", op.args[1])))
        if (isinstance(listener, StreamSocket) and not listener.closed
                and listener.state == "LISTEN" and listener.accept_queue_full):
            return "tcp-handshake"
    return None


def _zero_recv_may_differ(run: _SimScript, op: Op, sock: StreamSocket) -> bool:
    """A 0-byte recv on a TCP connection with nothing to read, unless both kernels end it
    at once alike: end of file (the peer's FIN, or our SHUT_RD), or EAGAIN (nonblocking,
    tcp_recvmsg looks at timeo before it waits)."""
    if sock.state != "CONNECTED" or sock.recv.used:
        return False
    if sock.err is not None:
        return True
    if sock.shut_rd:
        return False
    slot = run.k.procs[run.pids[op.proc]].fds.slots.get(op.args[0])
    return slot is None or not slot.file.nonblock


def run_sim(script: Script, options: Mapping[str, int] | None = None,
            ignore: frozenset[str] = frozenset()) -> SimTrace:
    """The script's records on the simulator, up to its end or its first exclusion.

    ``options`` are more keyword options for the Kernel (a test gives a wrong
    ``pipe_capacity`` to see the harness catch it); ``ignore`` names exclusions
    not to stop at (``socket-buffer-accounting`` and the TCP and UDP ones: a test
    shows that each divergence still makes a difference).
    """
    run = _SimScript(script, options or {})
    records: list[Record] = []
    for i, op in enumerate(script.steps):
        inet = _inet_exclusion(run, op)
        if inet is not None and inet not in ignore:
            return SimTrace(tuple(records), inet)
        if run.over_budget(op) and "socket-buffer-accounting" not in ignore:
            return SimTrace(tuple(records), "socket-buffer-accounting")
        if _on_terminal(run, op):
            return SimTrace(tuple(records), "terminal")
        fs = _fs_exclusion(run, op)
        if fs is not None and fs not in ignore:
            return SimTrace(tuple(records), fs)
        record = run.step(i, op)
        if len(run.waiting) > 1:
            return SimTrace(tuple(records), "two-waiters")
        records.append(record)
    return SimTrace(tuple(records), None)
