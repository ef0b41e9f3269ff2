"""What the kernel says now about a process or a channel, read without ``iochannels.live``.

A process's state letter and where it sleeps (``/proc/PID/stat``, ``/proc/PID/wchan``),
what its fds point to (``/proc/PID/fd``), the children it forked
(``/proc/PID/task/PID/children``), all from proc(5); and how many bytes wait in a pipe
or socket (ioctl FIONREAD). The standard library only: the demos' child programs use
it too, and they start in a few milliseconds.
"""

from __future__ import annotations

import array
import fcntl
import os
import termios
from pathlib import Path

__all__ = ["children", "fd_targets", "fionread", "state", "wchan"]


def state(pid: int) -> str:
    """The state letter of ``/proc/PID/stat`` (R, S, D, T, Z...), "" when the process is gone.

    The name field may hold spaces and parentheses: the state follows the last ``)``.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def wchan(pid: int) -> str:
    """Where in the kernel the process sleeps (proc(5) wchan): ``pipe_write``, ``0`` if running."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip()
    except OSError:
        return ""


def fd_targets(pid: int) -> dict[int, str]:
    """What each fd of ``pid`` points to, as the ``/proc/PID/fd`` links say; {} once it is gone."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return {}
    found = {}
    for name in names:
        try:
            found[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue  # closed while we looked
    return found


def children(pid: int) -> list[int]:
    """The children ``pid`` has forked and not yet reaped, oldest first; [] once it is gone."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def fionread(fd: int) -> int:
    """How many bytes wait in a pipe or socket (ioctl(2) FIONREAD, pipe(7), unix(7))."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]
