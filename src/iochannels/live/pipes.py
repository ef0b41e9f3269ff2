"""The one buffer of a pipe or FIFO: its capacity and how many bytes wait in it.

pipe(7): F_GETPIPE_SZ (fcntl(2)) gives the capacity and FIONREAD (ioctl) the
unread bytes, but both need an fd on the pipe in *this* process. We get one by
opening ``/proc/PID/fd/N``, which re-opens the pipe's inode as a FIFO open
would (proc(5)), with the same ptrace access check as reading the link.

Why that is safe for the inspected process:
- O_RDONLY|O_NONBLOCK never blocks: fifo(7) says a non-blocking open for
  reading succeeds at once even with no writer;
- we never read, so no byte is taken from the reader it was meant for;
- we close it at once, so at most for a few microseconds does the pipe count
  one extra reader (during which a writer whose reader has gone would not get
  EPIPE).
Where the open is denied, the buffer says None: we never guess.
"""

from __future__ import annotations

import array
import fcntl
import os
import termios

from iochannels.model import Buffer, BufferRole

__all__ = ["pipe_buffer"]


def pipe_buffer(pid: int, fd: int) -> Buffer:
    """The pipe buffer behind ``/proc/pid/fd/fd``; capacity and used None where denied."""
    try:
        handle = os.open(f"/proc/{pid}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return Buffer(BufferRole.PIPE)  # gone or denied: the kernel did not tell
    try:
        capacity = fcntl.fcntl(handle, fcntl.F_GETPIPE_SZ)
        waiting = array.array("i", [0])
        fcntl.ioctl(handle, termios.FIONREAD, waiting, True)
        return Buffer(BufferRole.PIPE, capacity, waiting[0])
    except OSError:
        return Buffer(BufferRole.PIPE)
    finally:
        os.close(handle)
