"""The simulated kernel: process table, scheduler, sleep and wakeup, and the call path.

Use::

    k = Kernel(seed=0)
    k.spawn(main, name="shell", argv=("sh",))   # fds 0, 1, 2 -> /dev/tty
    run = k.run()                               # a SimRun: events, steps, statuses

Scheduling is a uniprocessor without a timer: the running process keeps the
CPU until its call blocks or it exits; then the process that has been ready
longest runs. Taskes woken by the same change join the ready queue in an
order the seed shuffles, and ``preempt`` (a probability) lets the seed also
interrupt a process after any call. The same seed gives the same run.

Every call passes through :meth:`Kernel._execute`: it runs the handler that the call
table (:mod:`iochannels.sim.calltable`) names and records one Event; a call
that must wait parks its process on a wait channel, xv6-style, and is tried
again when something wakes that channel. Harnesses drive processes call by
call instead with :meth:`attach`, :meth:`syscall` and :meth:`settle`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from typing import Any

from iochannels.model import Event, Snapshot, Step
from iochannels.sim import calltable
from iochannels.sim.addresses import Addresses
from iochannels.sim.devices import DevNull, Terminal
from iochannels.sim.errors import SimOSError, WouldBlock, fail
from iochannels.sim.fdtable import FdTable
from iochannels.sim.files import Chan, OpenFile
from iochannels.sim.fs import Fifo, Filesystem
from iochannels.sim.outcome import Blocked, Done, Failed, Outcome
from iochannels.sim.pipes import Pipe
from iochannels.sim.proc import Proc, Program
from iochannels.sim.run import SimRun, deadlock_of
from iochannels.sim.snapshot import Camera, NoCamera
from iochannels.sim.sockets import DgramSocket, Socket, StreamSocket
from iochannels.sim.task import Call, Task, Trap

__all__ = ["Kernel"]

FIRST_PID = 100


class Kernel:
    def __init__(self, *, seed: int = 0, max_files: int = 1024, pipe_capacity: int = 65536,
                 socket_buffer: int = 65536, snapshots: bool | int = True,
                 preempt: float = 0.0, max_procs: int = 1024) -> None:
        # Every option takes an int (a bool is one) so that Kernel(**{"max_files": 10}) types.
        self.rng = random.Random(seed)
        self.seed, self.preempt = seed, preempt
        self.max_files, self.pipe_capacity = max_files, pipe_capacity
        self.max_procs = max_procs  # fork(2) EAGAIN beyond it, as RLIMIT_NPROC
        self.socket_buffer, self.snapshots = socket_buffer, bool(snapshots)
        self.procs: dict[int, Task] = {}
        self.exit_status: dict[int, int | str] = {}
        self.fs = Filesystem()
        self.net = Addresses(self.fs)
        self._ids: dict[str, int] = {}
        self._next_pid = FIRST_PID
        self._adopted: set[int] = set()  # orphans: init reaps them when they exit
        self.tty = Terminal(self.new_id("tty"), self.wakeup)
        self.fs.nodes["/dev/tty"] = self.tty
        self.fs.nodes["/dev/null"] = DevNull(self.new_id("null"), self.wakeup)
        self._sleepers: dict[object, list[Task]] = {}
        self._ready: deque[Task] = deque()
        self._current: Task | None = None
        self._woken: list[Task] = []  # attached processes whose call may finish now
        self.events: list[Event] = []
        # The camera takes a picture after every call; with snapshots off, one that
        # does nothing but draw the first and the last.
        self.camera: Camera | NoCamera = Camera() if self.snapshots else NoCamera()
        self.camera.begin(self.procs)
        self.turns = 0

    @property
    def steps(self) -> list[Step]:
        """The pictures so far: the first one, then one after every call (snapshots on)."""
        return self.camera.steps

    # -- the filesystem and the run's results ---------------------------------------------
    @property
    def files(self) -> Mapping[str, bytes]:
        return self.fs.contents()

    def type_in(self, keys: bytes) -> None:
        """Input for the terminal: reads of /dev/tty return it, then end of file."""
        self.tty.keyboard += keys

    def snapshot(self) -> Snapshot:
        return self.camera.picture(self.procs, float(len(self.events)))

    # -- processes ------------------------------------------------------------------------
    def spawn(self, program: Program, name: str | None = None,
              argv: tuple[str, ...] = ()) -> int:
        """A new process running ``program``, with fds 0, 1 and 2 on the terminal."""
        name = name or str(getattr(program, "__name__", "prog"))
        p = self.new_process(name, argv or (name,), self._tty_table(), program)
        return p.pid

    def attach(self, name: str = "proc", argv: tuple[str, ...] = ()) -> int:
        """A process with fds 0, 1, 2 on the terminal, driven call by call by :meth:`syscall`."""
        p = self.new_process(name, argv or (name,), self._tty_table(), None)
        p.sigpipe_kills = False  # harness processes ignore SIGPIPE, as Python does
        return p.pid

    def _tty_table(self) -> FdTable:
        table = FdTable(self.max_files)
        tty = OpenFile(self.tty, "rw", largefile=True)  # opened by path: O_LARGEFILE
        for fd in (0, 1, 2):
            table.install(tty, fd=fd)
        return table

    def new_process(self, name: str, argv: tuple[str, ...], fds: FdTable,
                    program: Program | None, ppid: int | None = None) -> Task:
        p = Task(self._next_pid, name, argv, fds, ppid)
        self._next_pid += 1
        self.procs[p.pid] = p
        self.camera.mark_table(p.pid)
        if program is not None:
            self.load(p, program)
            self._ready.append(p)
        return p

    def load(self, p: Task, program: Program) -> None:
        """Start ``program`` in ``p`` (spawn, fork, exec); the old one, if any, is gone."""
        if p.body is not None:
            p.body.close()
        awaitable = program(Proc(p))
        p.body = awaitable.__await__()
        p.resume, p.call = None, None

    def terminate(self, p: Task, status: int | str) -> None:
        """exit(2), or death by a signal: close every fd; a zombie until the parent waits."""
        if isinstance(status, int):
            status &= 0xFF  # exit(3): "status & 0377 is returned to the parent" (wait(2))
        for fd, _ in list(p.fds):
            self.drop(p.fds.remove(fd))
        if p.body is not None:
            p.body.close()
            p.body = None
        p.state, p.status, p.call = "zombie", status, None
        self.exit_status[p.pid] = status
        self.camera.mark_table(p.pid)
        for child in p.children:
            kid = self.procs[child]
            kid.ppid = None  # orphans: init adopts and reaps them
            if kid.alive:
                self._adopted.add(child)
            else:
                self._init_reaps(kid)
            self.camera.mark_process(child)
        if p.ppid is not None:
            self.wakeup(self.procs[p.ppid])
        elif p.pid in self._adopted:
            self._init_reaps(p)

    def _init_reaps(self, p: Task) -> None:
        """An orphan's zombie is gone at once (init waits for it), so the table stays bounded."""
        self._adopted.discard(p.pid)
        del self.procs[p.pid]
        self.camera.mark_gone(p.pid)

    def reap(self, parent: Task, child: Task) -> None:
        parent.children.remove(child.pid)
        del self.procs[child.pid]
        self.camera.mark_gone(child.pid)

    def sigpipe(self, p: Task) -> None:
        if p.sigpipe_kills:
            p.status = "SIGPIPE"  # delivered once the call's event is recorded

    # -- tables ---------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        self._ids[prefix] = self._ids.get(prefix, 0) + 1
        return f"{prefix}#{self._ids[prefix]}"

    def new_socket(self, family: str, kind: str) -> Socket:
        cls = StreamSocket if kind == "stream" else DgramSocket
        return cls(self.new_id("socket"), self.wakeup, family, self.socket_buffer)

    def install(self, p: Task, f: OpenFile, cloexec: bool = False,
                fd: int | None = None) -> int:
        fd = p.fds.install(f, cloexec, fd)
        self.camera.mark_fd(p.pid, fd)
        return fd

    def drop(self, f: OpenFile) -> None:
        """One fd fewer on ``f``; the last one releases the channel's end (xv6 fileclose)."""
        f.refs -= 1
        assert f.refs >= 0, "an open file lost more references than it had"
        if f.refs == 0:
            in_flight = f.chan.unsent()  # files sent to it (SCM_RIGHTS) nobody will receive
            f.chan.released(f)
            self._forget_fifo(f.chan)
            for held in in_flight:
                self.drop(held)

    def _forget_fifo(self, chan: Chan) -> None:
        """fifo(7): once no end is open the pipe, and any bytes left in it, are gone."""
        if isinstance(chan, Pipe) and chan.path and chan.readers == chan.writers == 0:
            node = self.fs.nodes.get(chan.path)
            if isinstance(node, Fifo) and node.pipe is chan:
                node.pipe = None

    # -- sleep and wakeup -----------------------------------------------------------------
    def wakeup(self, chan: object, one: bool = False) -> None:
        """Make the processes that sleep on ``chan`` ready (only the first with ``one``)."""
        self.camera.mark_channel(chan)  # channels wake their sleepers when they change
        sleepers = self._sleepers.pop(chan, None)
        if not sleepers:
            return
        if one and len(sleepers) > 1:
            self._sleepers[chan] = sleepers[1:]
            sleepers = sleepers[:1]
        if self.seed and len(sleepers) > 1:
            self.rng.shuffle(sleepers)
        for p in sleepers:
            if p.state == "blocked" and p.call is not None and _waits_on(p.call, chan):
                p.state = "ready"
                self.camera.mark_process(p.pid)
                (self._ready if p.body is not None else self._woken).append(p)

    def _sleep(self, p: Task, chan: object) -> None:
        p.state = "blocked"
        self.camera.mark_process(p.pid)
        for each in chan if isinstance(chan, tuple) else (chan,):  # poll waits on several
            self._sleepers.setdefault(each, []).append(p)

    # -- running programs -----------------------------------------------------------------
    def run(self, max_steps: int = 1_000_000) -> SimRun:
        """Run until every program has exited, all wait (a deadlock), or ``max_steps`` turns."""
        if not self.events:
            # The first picture was taken before anything was spawned: retake it, so that
            # "start" shows the programs with their fds 0, 1, 2, not an empty machine.
            self.camera.begin(self.procs)
        while self.turns < max_steps:
            p = self._next()
            if p is None:
                break
            self.turns += 1
            self._turn(p)
        return self.result(stopped=self.turns >= max_steps and self._runnable())

    def _runnable(self) -> bool:
        return self._current is not None or bool(self._ready)

    def _next(self) -> Task | None:
        p = self._current
        if p is not None and p.state == "ready":
            if not (self.preempt and self.rng.random() < self.preempt and self._ready):
                return p
            self._ready.append(p)
        self._current = self._ready.popleft() if self._ready else None
        return self._current

    def _turn(self, p: Task) -> None:
        if p.call is None and not self._advance(p):
            return
        assert p.call is not None
        self._execute(p, p.call)

    def _advance(self, p: Task) -> bool:
        """Run the program up to its next system call; False once it has ended."""
        assert p.body is not None
        resume, p.resume = p.resume, None
        try:
            trap = p.body.throw(resume) if isinstance(resume, SimOSError) else p.body.send(resume)
        except StopIteration as stop:
            status = stop.value if isinstance(stop.value, int) else 0
            self._implicit_exit(p, status, "")
            return False
        except SimOSError as exc:  # uncaught, as a Python program would die of it
            self._implicit_exit(p, 1, f"uncaught {exc.name}: the program dies with status 1")
            return False
        assert isinstance(trap, Trap), f"a program awaited {trap!r}, not a system call"
        p.call = trap.call
        return True

    def _implicit_exit(self, p: Task, status: int, note: str) -> None:
        p.body = None
        self._execute(p, Call("exit", (status,)), note)

    def _execute(self, p: Task, call: Call, note: str = "") -> Outcome:
        """Perform ``call`` for ``p`` once: done, failed, or parked (and maybe done later)."""
        try:
            value = calltable.CALLS[call.name].handler(self, p, call, *call.args)
        except WouldBlock as wait:
            if call.nonblock is None:
                # A socket call takes its timeout once, at its start (sock_rcvtimeo,
                # sock_sndtimeo, inet_csk_accept's timeo): woken after another process
                # set O_NONBLOCK on the shared open file, it keeps waiting. (pipe_read and
                # pipe_write recheck O_NONBLOCK on each pass, but a parked pipe call is
                # woken only when it can go on, so the answer is the same.)
                call.nonblock = wait.nonblock
            if call.nonblock:
                exc = fail("EAGAIN")
                self._finish(p, call, exc, note or exc.note)
                return Failed(exc.name)
            if wait.ended is not None:  # it could wait for ever: end of data at once
                self._finish(p, call, wait.ended, note)
                return Done(wait.ended)
            return self._park(p, call, wait)
        except SimOSError as exc:
            self._finish(p, call, exc, note or exc.note)
            return Failed(exc.name)
        self._finish(p, call, value, note)
        return Done(value)

    def _park(self, p: Task, call: Call, wait: WouldBlock) -> Outcome:
        call.wchan, call.what = wait.chan, wait.what
        args, _ = calltable.describe(call)
        call.shown = args[0] if args else ""  # the state reads "blocked in read(3)"
        self._sleep(p, wait.chan)
        if not call.blocked:
            call.blocked = True
            self._record(p, call, args, None, None, True, "")
        return Blocked(wait.what)

    def _finish(self, p: Task, call: Call, value: Any, note: str) -> None:
        """Record the finished call; the picture after it shows what it did (a death too)."""
        failed = isinstance(value, SimOSError)
        row = calltable.CALLS[call.name]
        args, result = row.printer(call.args, None if failed else value, not failed)
        if p.alive and p.status == "SIGPIPE":
            note = "SIGPIPE: its default action terminates the process (signal(7))"
            self.terminate(p, "SIGPIPE")
        elif row.ends == "process":
            self.terminate(p, call.args[0])
        elif row.ends != "program" or failed:
            p.state, p.call, p.resume = "ready", None, value
        self._record(p, call, args, None if failed else result,
                     value.name if failed else None, False, note)

    def _record(self, p: Task, call: Call, args: tuple[Any, ...], result: Any,
                error: str | None, blocked: bool, note: str) -> None:
        row = calltable.CALLS[call.name]
        event = Event(len(self.events) + 1, p.pid, row.strace_name(call.args), args,
                      result if isinstance(result, int | str) or result is None else str(result),
                      error, blocked, note)
        self.events.append(event)
        self.camera.after_call(self.procs, event, p, row.fds_of(call.args),
                               row.ends == "program", row.open_file)

    # -- driven call by call (the fidelity harness) ---------------------------------------
    def syscall(self, pid: int, name: str, *args: Any) -> Outcome:
        """Perform one call for an attached process: Done(value), Failed(errno), Blocked.

        ``name`` and ``args`` are those of the :class:`Proc` method, keywords spelled out
        (``open`` takes path, mode, create, truncate, append, nonblock, cloexec); ``fork``
        takes ``(None, None)`` and makes another attached process. ``exec`` needs a
        program to run, so it belongs to programs, not to harnesses.
        """
        p = self.procs[pid]
        assert p.body is None and p.alive, "syscall() drives attached processes only"
        assert p.call is None, f"process {pid} still waits in {p.call and p.call.name}"
        call = Call(name, args)
        p.call = call
        outcome = self._execute(p, call)
        if not isinstance(outcome, Blocked):
            p.call = None
        return outcome

    def settle(self) -> list[tuple[int, Outcome]]:
        """Try again the calls of attached processes that were woken; return what finished."""
        finished: list[tuple[int, Outcome]] = []
        while self._woken:
            p = self._woken.pop(0)
            if p.call is None or p.state != "ready":
                continue
            outcome = self._execute(p, p.call)
            if not isinstance(outcome, Blocked):
                p.call = None
                finished.append((p.pid, outcome))
        return finished

    # -- the result -----------------------------------------------------------------------
    def result(self, stopped: bool = False) -> SimRun:
        return SimRun(tuple(self.events), self.camera.film(self.procs, self.events),
                      dict(self.exit_status), deadlock_of(self.procs), bytes(self.tty.screen),
                      stopped)


def _waits_on(call: Call, chan: object) -> bool:
    """Whether ``call`` sleeps on ``chan``: its one wait channel, or one of poll's."""
    wchan = call.wchan
    return wchan is chan or (isinstance(wchan, tuple) and any(c is chan for c in wchan))
