"""What the system calls need from the kernel: a small interface, not the kernel itself.

The handlers (``filecalls``, ``netcalls``, ``proccalls``) are written against
:class:`Services`; :class:`~iochannels.sim.kernel.Kernel` provides it. So the
imports go one way, as in xv6 (``sysfile.c`` -> ``file.c`` -> ``pipe.c``): the kernel
imports the call table, the calls import the open files, the open files import the
channels, the channels the buffers; nothing imports the kernel back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from iochannels.sim.addresses import Addresses
from iochannels.sim.fdtable import FdTable
from iochannels.sim.files import OpenFile
from iochannels.sim.fs import Filesystem
from iochannels.sim.proc import Program
from iochannels.sim.sockets import Socket
from iochannels.sim.task import Task

__all__ = ["Services"]


class Services(Protocol):
    """The kernel as a system call sees it: names, tables, sleep and wakeup, processes."""

    fs: Filesystem
    net: Addresses
    pipe_capacity: int
    max_procs: int

    @property
    def procs(self) -> Mapping[int, Task]: ...

    def new_id(self, prefix: str) -> str:
        """A fresh channel id: ``pipe#3``."""

    def new_socket(self, family: str, kind: str) -> Socket:
        """A socket with the kernel's buffer size."""

    def wakeup(self, chan: object, one: bool = False) -> None:
        """Ready the processes that sleep on ``chan``."""

    def install(self, p: Task, f: OpenFile, cloexec: bool = False,
                fd: int | None = None) -> int:
        """Point a free fd of ``p`` (or ``fd``) at ``f``."""

    def drop(self, f: OpenFile) -> None:
        """One fd fewer on ``f``; the last one releases the channel's end."""

    def sigpipe(self, p: Task) -> None:
        """SIGPIPE for ``p``: its death, once the call is recorded, unless ignored."""

    def new_process(self, name: str, argv: tuple[str, ...], fds: FdTable,
                    program: Program | None, ppid: int | None = None) -> Task:
        """A new task (fork): ready to run ``program``, or driven call by call."""

    def load(self, p: Task, program: Program) -> None:
        """Start ``program`` in ``p`` (exec); the old one is gone."""

    def reap(self, parent: Task, child: Task) -> None:
        """The zombie ``child`` leaves the process table (wait)."""
