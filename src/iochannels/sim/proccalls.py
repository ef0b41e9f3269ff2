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

__all__ = ["EXITED", "sys_exec", "sys_exit", "sys_fork", "sys_getpid", "sys_getppid", "sys_signal",
           "sys_wait", "sys_waitpid"]


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


WNOHANG = 1  # waitpid(2)


def sys_waitpid(k: Services, p: Task, call: Call, pid: int, options: int) -> tuple[int, int | str]:
    """waitpid(2): wait, and with WNOHANG ``(0, 0)`` at once while the children run (as
    Python's os.waitpid reports it)."""
    if options & ~WNOHANG:
        raise fail("EINVAL")
    try:
        return sys_wait(k, p, call, pid)
    except WouldBlock:
        if options & WNOHANG:
            return 0, 0
        raise


SIGPIPE = 13
DISPOSITIONS = ("SIG_DFL", "SIG_IGN")  # signal.SIG_DFL is 0, SIG_IGN 1


def sys_signal(k: Services, p: Task, call: Call, signum: int | str,
               handler: int | str) -> str:
    """signal(2) for SIGPIPE, the one signal the simulator delivers: SIG_IGN makes a write
    to a pipe without readers fail with EPIPE instead of killing (pipe(7)). The old
    disposition comes back. fork keeps it; so does exec (signal(7): ignored stays ignored)."""
    if signum not in (SIGPIPE, "SIGPIPE"):
        raise fail("EINVAL", "the simulator delivers SIGPIPE only")
    if isinstance(handler, int) and 0 <= handler < len(DISPOSITIONS):
        handler = DISPOSITIONS[handler]
    if handler not in DISPOSITIONS:
        raise fail("EINVAL", "a handler function is not simulated: SIG_DFL or SIG_IGN")
    old = "SIG_DFL" if p.sigpipe_kills else "SIG_IGN"
    p.sigpipe_kills = handler == "SIG_DFL"
    return old


def sys_getpid(k: Services, p: Task, call: Call) -> int:
    return p.pid


def sys_getppid(k: Services, p: Task, call: Call) -> int:
    """getppid(2): an orphan's parent is init, pid 1, which adopted it."""
    return 1 if p.ppid is None else p.ppid
