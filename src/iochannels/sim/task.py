"""The kernel's record of a process (a task, as Linux calls it) and its call in progress.

Three things in iochannels are about a process; each has its own name:

- :class:`Task` (here): what the simulated kernel keeps for a process, as Linux's
  ``task_struct`` and xv6's ``struct proc`` do: pid, fd table, the program, the
  system call in progress, the state.
- :class:`~iochannels.sim.proc.Proc`: the program's handle on its task, whose
  methods are the system calls (``await p.write(1, b"hi")``).
- :class:`iochannels.model.Process`: one process in a picture, frozen; the views draw it.

A task runs a program: the generator behind an ``async def`` function's
coroutine. The program yields a :class:`Call` at every ``await p.read(...)``;
the kernel performs it and sends back the result (or throws the error) when
the call completes. A call that must wait keeps its place in ``Task.call``
(with any partial progress) until the task is woken and the kernel tries
it again: xv6's ``sleep`` in a loop that re-checks its condition.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from iochannels.sim.fdtable import FdTable
from iochannels.sim.files import OpenFile

__all__ = ["Call", "Task", "Trap"]

Body = Generator[Any, Any, Any]


@dataclass(eq=False)
class Call:
    """One system call in progress: its name, arguments and what it did so far."""

    name: str
    args: tuple[Any, ...]
    progress: int = 0  # bytes already written by a write that waits for room for the rest
    scratch: dict[str, int] = field(default_factory=dict)  # per-call state (FIFO open)
    blocked: bool = False  # its <blocked> event was recorded
    nonblock: bool | None = None  # O_NONBLOCK as the call found it, once it had to wait
    wchan: object | None = None  # what it waits on
    what: str = ""  # why it waits, for people
    held: Any = None  # what a waiting call already made (the open file of a FIFO open)
    shown: int | str = ""  # its first argument as the <blocked> trace line prints it


class Trap:
    """What ``await`` gives the kernel: the call; what it gets back: the call's result."""

    __slots__ = ("call",)

    def __init__(self, call: Call) -> None:
        self.call = call

    def __await__(self) -> Generator[Trap, Any, Any]:
        return (yield self)


@dataclass(eq=False)
class Task:
    """A simulated process as the kernel keeps it."""

    pid: int
    name: str
    argv: tuple[str, ...]
    fds: FdTable
    ppid: int | None = None
    body: Body | None = None  # None: driven from outside, call by call (Kernel.syscall)
    call: Call | None = None
    resume: Any = None  # the last call's result, or its SimOSError, for the program
    state: str = "ready"  # ready | blocked | zombie
    status: int | str | None = None
    children: list[int] = field(default_factory=list)
    sigpipe_kills: bool = True  # signal(7): SIGPIPE's default action is to terminate

    @property
    def alive(self) -> bool:
        return self.state != "zombie"

    def file(self, fd: int) -> OpenFile:
        """The open file ``fd`` points to, or EBADF."""
        return self.fds.get(fd).file

    def state_text(self) -> str:
        """``"running"``, ``"blocked in read(3)"``, ``"zombie"``: for the snapshot."""
        if self.state == "zombie":
            return "zombie"
        if self.state == "blocked" and self.call is not None:
            shown = self.call.shown
            return f"blocked in {self.call.name}({shown if isinstance(shown, int) else ''})"
        return "running"
