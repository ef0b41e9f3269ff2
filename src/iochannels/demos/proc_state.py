"""What the kernel says now about a process, read straight from /proc while a demo waits.

A process's state letter and where it sleeps (``/proc/PID/stat``, parsed as
``iochannels.live`` parses it, and ``/proc/PID/wchan``), what its fds point to
(``/proc/PID/fd``), the children it forked (``/proc/PID/task/PID/children``), all
from proc(5). Cheap enough to poll every few milliseconds, unlike a whole snapshot.
How many bytes wait in a pipe (FIONREAD) is :func:`.children.shared.fionread`: the
child programs need it too, and they import nothing but the standard library.
"""

from __future__ import annotations

import os
from pathlib import Path

from iochannels.live import procfs

__all__ = ["children", "fd_targets", "state", "wchan"]


def state(pid: int) -> str:
    """The state letter of ``/proc/PID/stat`` (R, S, D, T, Z...), "" when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")  # a name is any bytes
    except OSError:
        return ""
    return procfs.parse_stat(stat)[1]


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
