"""Run a :class:`Script` on real Linux: real processes, pipes and socketpairs.

:class:`LinuxRunner` starts one root worker (:mod:`iochannels.fidelity.worker`)
and keeps it for many scripts. For each script the root forks the first
process; a script's ``fork`` forks the process that runs it. Every process
takes its calls over its own control socket and answers each one.

Blocked-ness: a call that does not answer within ``WAIT_SHORT`` is *blocked*.
The simulator's verdict only chooses how long to wait, never the result:
where the simulator says the call finishes, the harness waits up to
``WAIT_LONG`` for it; where it says the call waits, ``WAIT_SHORT`` (a real
call that finishes answers in microseconds). Blocked calls are checked again
after every later step: finished where the simulator says they finish, and
not finished where it says they still wait.

At the end of a script every process is killed (SIGKILL) and the root,
a child subreaper, reaps them all. Nothing outlives the runner.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from iochannels.fidelity import worker
from iochannels.fidelity.observe import FdView, Namer, Ports, Record, Result
from iochannels.fidelity.script import (
    APPEND,
    CLOEXEC,
    CREATE,
    FCNTL_CMDS,
    NONBLOCK,
    PATHS,
    PORTS,
    TRUNC,
    Op,
    Script,
    fcntl_arg,
    payload,
)
from iochannels.fidelity.simrun import normalize, parent_index
from iochannels.fidelity.worker import CONTROL_FD, receive, send

__all__ = ["WAIT_LONG", "WAIT_SHORT", "LinuxRunner"]

WAIT_SHORT = 0.02  # seconds: no answer by then means the call blocks
WAIT_LONG = 5.0  # seconds: a call that should finish and has not is a real difference
O_ACCMODE, O_NONBLOCK, O_CLOEXEC = 0o3, 0o4000, 0o2000000
ACCESS = {0: "r", 1: "w", 2: "rw"}


@dataclass
class _Worker:
    pid: int
    ctl: socket.socket


def linux_args(op: Op, step: int, ports: Ports) -> tuple[Any, ...]:
    a = op.args
    match op.call:
        case "write" | "send":
            return (a[0], payload(step, a[1]))
        case "open":
            flags = (os.O_RDONLY, os.O_WRONLY, os.O_RDWR)[a[1]]
            for bit, flag in ((CREATE, os.O_CREAT), (TRUNC, os.O_TRUNC), (APPEND, os.O_APPEND),
                              (NONBLOCK, os.O_NONBLOCK), (CLOEXEC, os.O_CLOEXEC)):
                flags |= flag if a[2] & bit else 0
            return (PATHS[a[0]], flags, bool(a[2] & CLOEXEC))
        case "mkfifo":
            return (PATHS[a[0]],)
        case "bind" | "connect":
            return (a[0], PATHS[a[1]])
        case "sendto":
            return (a[0], payload(step, a[1]), PATHS[a[2]])
        case "bind_in":  # the worker picks the port by the socket's type (SO_TYPE)
            return (a[0], ports.choices(a[1]))
        case "connect_in":
            return (a[0], ports.targets(a[1]))
        case "sendto_in":
            return (a[0], payload(step, a[1]), ports.targets(a[2]))
        case "fcntl":
            return (a[0], FCNTL_CMDS[a[1]], fcntl_arg(FCNTL_CMDS[a[1]], a[2]))
        case "sendmsg":
            return (a[0], payload(step, a[1]), a[2])
    return a


def nobody_port() -> int:
    """A port below the ephemeral range that no TCP or UDP socket on this host binds
    (so a script's own sockets never get it): connect there is refused, sendto lost."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    used = set()
    for table in ("tcp", "udp", "tcp6", "udp6"):
        with contextlib.suppress(OSError), open(f"/proc/net/{table}") as f:
            for line in list(f)[1:]:
                used.add(int(line.split()[1].rsplit(":", 1)[1], 16))
    return next(port for port in range(1, low) if port not in used)


CONTROL_TIMEOUT = 6.0  # seconds


class LinuxRunner:
    """A root worker process, reused for every script; use it as a context manager."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._root = subprocess.Popen(
                [sys.executable, "-I", worker.__file__, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL)
        finally:
            theirs.close()
        # The root answers at once (a fork, a reap): a control call that waits longer has
        # lost its partner (a Ctrl-C cut a message in two) and must fail, never hang.
        ours.settimeout(CONTROL_TIMEOUT)
        self._ctl = ours
        self._workers: list[_Worker] = []
        self._scripts = 0
        self.nobody = nobody_port()
        # Last: a Ctrl-C before __init__ returns runs no __exit__ to remove it.
        self._base = tempfile.mkdtemp(prefix="iochannels-fidelity-")

    def __enter__(self) -> LinuxRunner:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        # The root may be gone or out of step (a Ctrl-C cut a message): it is killed below.
        with contextlib.suppress(OSError, EOFError):
            self._kill_all()
        shutil.rmtree(self._base, ignore_errors=True)
        self._ctl.close()  # the root sees end of file and exits
        try:
            self._root.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._root.kill()
            self._root.wait()

    # -- one script -------------------------------------------------------------------------
    def run(self, script: Script, expected: tuple[Record, ...]) -> list[Record]:
        """The script's first ``len(expected)`` steps on Linux, as comparable records."""
        self._scripts += 1
        directory = os.path.join(self._base, f"script{self._scripts}")
        os.mkdir(directory)
        try:
            spawn = ("spawn", (script.max_files, directory))
            self._workers = [self._start(spawn, self._ctl)]
            return _LinuxScript(self, script, expected).run()
        finally:
            self._kill_all()
            shutil.rmtree(directory, ignore_errors=True)

    def _start(self, command: tuple[str, Any], via: socket.socket) -> _Worker:
        ours, theirs = socket.socketpair()
        try:
            send(via, command)
            socket.send_fds(via, [b"c"], [theirs.fileno()])
        finally:
            theirs.close()
        tag, pid = receive(ours)
        assert tag == "hello", tag
        return _Worker(pid, ours)

    def fork(self, parent: _Worker) -> _Worker:
        child = self._start(("fork", ()), parent.ctl)
        self._workers.append(child)
        return child

    def _kill_all(self) -> None:
        if not self._workers:
            return
        for each in self._workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(each.pid, signal.SIGKILL)
            each.ctl.close()
        self._workers = []
        send(self._ctl, ("reap", ()))
        # A Ctrl-C may have cut a call short before its reply was read: skip such replies.
        while receive(self._ctl) != ("done", None):
            pass

    @property
    def workers(self) -> list[_Worker]:
        return self._workers


class _LinuxScript:
    def __init__(self, runner: LinuxRunner, script: Script, expected: tuple[Record, ...]) -> None:
        self.runner, self.script, self.expected = runner, script, expected
        self.waiting: dict[int, int] = {}  # worker index -> the step whose call waits
        self.exited: set[int] = set()  # worker indexes whose exit step ran
        self.namer = Namer()
        self.ports = Ports(PORTS, runner.nobody)

    def run(self) -> list[Record]:
        records = [self.step(i, op) for i, op in enumerate(self.script.steps[:len(self.expected)])]
        if self.waiting and records:
            last = records[-1]  # one last look: nothing the simulator says waits may finish
            late = self._completions(len(records) - 1, set())
            records[-1] = Record(last.result, last.completed + late, last.fds)
        return records

    def step(self, i: int, op: Op) -> Record:
        workers = self.runner.workers
        if op.proc >= len(workers) or op.proc in self.waiting or op.proc in self.exited:
            return Record(Result("skipped"))
        worker = workers[op.proc]
        expected = self.expected[i]
        if op.call == "exit":
            return self._exit(i, op, worker)
        if op.call == "fork":
            self.runner.fork(worker)
        else:
            send(worker.ctl, (op.call, linux_args(op, i, self.ports)))
        wait = WAIT_SHORT if expected.result.kind == "blocked" else WAIT_LONG
        reply = _answer(worker.ctl, wait)
        if reply is None:
            self.waiting[op.proc] = i
            result = Result("blocked")
        else:
            if op.call == "bind_in" and reply[0] == "done":
                proto, port = reply[1]
                self.ports.bound(proto, op.args[1], port)
            if op.call == "getppid" and reply[0] == "done":
                reply = ("done", parent_index([w.pid for w in workers], reply[1]))
            result = _result(op, reply, self.ports)
        finishing = {step for step, _ in expected.completed}
        completed = self._completions(i, finishing, skip=op.proc)
        return Record(result, completed, self._fds(worker.pid))

    def _exit(self, i: int, op: Op, worker: _Worker) -> Record:
        """_exit(2) answers nothing: wait until the process is a zombie (or reaped, by
        init after an orphaning), so that a wait in the next step finds it, as the
        simulator's exit is over when its step is."""
        send(worker.ctl, (op.call, linux_args(op, i, self.ports)))
        self.exited.add(op.proc)
        deadline = time.monotonic() + WAIT_LONG * 10
        while time.monotonic() < deadline and _state(worker.pid) not in ("Z", "X", None):
            time.sleep(0.001)
        finishing = {step for step, _ in self.expected[i].completed}
        return Record(Result("done", None), self._completions(i, finishing, skip=op.proc))

    def _completions(self, i: int, finishing: set[int],
                     skip: int | None = None) -> tuple[tuple[int, Result], ...]:
        done = []
        for proc, step in sorted(self.waiting.items()):
            if proc == skip:
                continue
            reply = _answer(self.runner.workers[proc].ctl,
                            WAIT_LONG if step in finishing else WAIT_SHORT if skip is None else 0)
            if reply is not None:
                done.append((step, _result(self.script.steps[step], reply, self.ports)))
                del self.waiting[proc]
        return tuple(sorted(done, key=lambda d: d[0]))

    def _fds(self, pid: int) -> tuple[FdView, ...]:
        views = []
        for name in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
            fd = int(name)
            if fd >= CONTROL_FD:
                continue
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            kind = target.split(":", 1)[0] if target.endswith("]") else _kind_of(pid, fd)
            flags = _fdinfo_flags(pid, fd)
            views.append(FdView(fd, self.namer.name(kind, target), ACCESS[flags & O_ACCMODE],
                                bool(flags & O_NONBLOCK), bool(flags & O_CLOEXEC)))
        return tuple(views)


def _state(pid: int) -> str | None:
    """proc(5) /proc/PID/stat's state letter, None once the process is reaped. The name
    before it may hold any byte, so the letter is after the last ')'."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            return stat_file.read().rpartition(b")")[2].split()[0].decode()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _kind_of(pid: int, fd: int) -> str:
    """A named fd's kind from the file it opened: a FIFO, a regular file, a device."""
    mode = os.stat(f"/proc/{pid}/fd/{fd}").st_mode
    return "fifo" if stat.S_ISFIFO(mode) else "file" if stat.S_ISREG(mode) else "chr"


def _fdinfo_flags(pid: int, fd: int) -> int:
    """proc(5) fdinfo ``flags``: octal, with O_CLOEXEC when FD_CLOEXEC is set."""
    with open(f"/proc/{pid}/fdinfo/{fd}") as info:
        for line in info:
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    raise AssertionError(f"no flags in /proc/{pid}/fdinfo/{fd}")


def _answer(ctl: socket.socket, timeout: float) -> Any:
    ready, _, _ = select.select([ctl], [], [], timeout)
    return receive(ctl) if ready else None


def _result(op: Op, reply: tuple[str, Any], ports: Ports) -> Result:
    tag, value = reply
    if tag == "error":
        return Result("error", errno.errorcode.get(value, str(value)))
    return Result("done", normalize(op, value, ports))
