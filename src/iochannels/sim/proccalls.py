"""Process system calls: fork(2), execve(2), exit(2), wait(2).

``fork`` copies the fd table, so the child's fds point to the same open files
(fork(2): "the child inherits copies of the parent's set of open file
descriptors ... refer to the same open file descriptions"). ``exec`` keeps the
table but closes the fds marked close-on-exec (execve(2)). A process that exits
closes all its fds and stays a zombie until its parent's ``wait`` reaps it.
"""

from __future__ import annotations

from typing import Any

from iochannels.sim.errors import WouldBlock, fail
from iochannels.sim.proc import Program
from iochannels.sim.services import Services
from iochannels.sim.task import Call, Task

__all__ = ["EXITED", "sys_exec", "sys_exit", "sys_fork", "sys_wait"]


class _Exited:
    """What exit and exec return to the kernel: the old program must not resume."""


EXITED = _Exited()


def sys_fork(k: Services, p: Task, call: Call, child: Program | None,
             name: str | None) -> int:
    # fork(2): EAGAIN once RLIMIT_NPROC is reached. Zombies count until reaped (init reaps
    # orphans at once). Without a limit a program that forks in a loop fills the table,
    # and every picture of the run grows with it.
    if len(k.procs) >= k.max_procs:
        raise fail("EAGAIN")
    kid = k.new_process(name or p.name, p.argv, p.fds.copy(), child, ppid=p.pid)
    kid.sigpipe_kills = p.sigpipe_kills
    p.children.append(kid.pid)
    return kid.pid


def sys_exec(k: Services, p: Task, call: Call, program: Program,
             argv: tuple[str, ...]) -> Any:
    for fd, slot in list(p.fds):
        if slot.cloexec:
            k.drop(p.fds.remove(fd))  # execve(2): close-on-exec fds are closed
    p.argv = argv
    p.name = argv[0].rsplit("/", 1)[-1] if argv else getattr(program, "__name__", p.name)
    k.load(p, program)
    return EXITED


def sys_exit(k: Services, p: Task, call: Call, status: int) -> Any:
    return EXITED  # the kernel terminates the process once the call is recorded


def sys_wait(k: Services, p: Task, call: Call, pid: int) -> tuple[int, int | str]:
    children = [c for c in p.children if pid in (-1, c)]
    if not children:
        raise fail("ECHILD")  # wait(2): no such child
    for child_pid in children:
        child = k.procs[child_pid]
        if not child.alive:
            k.reap(p, child)
            assert child.status is not None
            return child.pid, child.status
    raise WouldBlock(p, "a child to exit")
