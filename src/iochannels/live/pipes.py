"""The one buffer of a pipe or FIFO: its capacity and how many bytes wait in it.

pipe(7): F_GETPIPE_SZ (fcntl(2)) gives the capacity and FIONREAD (ioctl) the
unread bytes, but both need an fd on the pipe in *this* process.

Looking must change nothing, so we never *open* the pipe. Opening
``/proc/PID/fd/N`` is an open of the pipe's inode, exactly as opening a FIFO
by name (proc(5), fifo(7)): it counts one more reader, which wakes a process
blocked in ``open(fifo, O_WRONLY)``, and our close then leaves that writer with
no reader, so its next write fails with EPIPE and SIGPIPE kills it (pipe(7)).
A reader blocked in open(O_RDONLY) is woken the same way by an open for writing.

pidfd_getfd(2) (Linux 5.6) instead gives us a copy of the inspected process's
own fd: a second reference to the SAME open file description, as dup(2) or
fork(2) make. No open happens, so pipe(7)'s counts of readers and writers do
not change and nobody is woken. The one trace it could leave: if the holder
closes its fd in the microseconds we hold the copy, the description is
released when we drop it, not before (that close's EOF or EPIPE comes those
microseconds later, never lost nor changed). The copy is checked to be the
inode expected: an fd number closed and reused meanwhile is not measured.

pidfd_getfd needs ptrace attach rights (PTRACE_MODE_ATTACH_REALCREDS), more
than reading /proc/PID/fd does. Where it is refused or missing, the buffer
says None and the snapshot says why: we never guess, and never fall back to
an open that others can see.
"""

from __future__ import annotations

import errno
import os

from iochannels.live.syscalls import pipe_buffer
from iochannels.model import Buffer, BufferRole

__all__ = ["PipeProbe"]


class PipeProbe:
    """Measures pipe buffers through pidfd_getfd(2); one pidfd per process, closed by close()."""

    def __init__(self) -> None:
        self._pidfds: dict[int, int | None] = {}
        self.refused: dict[int, str] = {}  # pid -> why no buffer could be measured there

    def buffer(self, pid: int, fd: int, inode: int | None = None) -> Buffer:
        """The pipe buffer behind ``pid``'s ``fd``; capacity and used None where not told.

        ``inode``: the pipe or FIFO's inode, as the fd's link or stat named it; a copy
        of another file (the fd closed and its number reused) is not measured.
        """
        pidfd = self._pidfd(pid)
        if pidfd is None:
            return Buffer(BufferRole.PIPE)
        try:
            # The copy has close-on-exec set (pidfd_getfd(2)) and is closed at once.
            measured = pipe_buffer(pidfd, fd, -1 if inode is None else inode)
        except OSError as exc:  # EBADF: closed meanwhile; ESRCH: the process is gone
            if exc.errno in (errno.EPERM, errno.EACCES, errno.ENOSYS):
                self.refused[pid] = _why(exc.errno)
            return Buffer(BufferRole.PIPE)
        return Buffer(BufferRole.PIPE) if measured is None else Buffer(BufferRole.PIPE, *measured)

    def _pidfd(self, pid: int) -> int | None:
        if pid not in self._pidfds:
            try:
                self._pidfds[pid] = os.pidfd_open(pid)
            except OSError as exc:
                if exc.errno == errno.ENOSYS:
                    self.refused[pid] = _why(errno.ENOSYS)
                self._pidfds[pid] = None
        return self._pidfds[pid]

    def close(self) -> None:
        for pidfd in self._pidfds.values():
            if pidfd is not None:
                os.close(pidfd)
        self._pidfds.clear()


def _why(code: int) -> str:
    if code == errno.ENOSYS:
        return "this kernel has no pidfd_getfd(2) (Linux 5.6+)"
    return "pidfd_getfd(2) needs ptrace attach rights (run as the owner or as root)"
