"""What the demos' child programs share.

A name of their own in ``ps``, ``lsof`` and the demos' tables, one JSON line
per ``write(2)`` to the demo that started them, the one host address the
network demos use (loopback), a socket's address as the demos print it, and
how many bytes wait in a pipe (FIONREAD; the demos use it too). The standard
library only: children start fast.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import fcntl
import json
import os
import socket
import termios

__all__ = ["HOST", "address", "fionread", "name_self", "say"]

HOST = "127.0.0.1"  # network demos stay on loopback
PR_SET_NAME = 15  # prctl(2): the name in /proc/PID/comm


def name_self(name: str) -> None:
    """Show as ``name`` rather than ``python`` (prctl(2) PR_SET_NAME, 15 bytes at most)."""
    with contextlib.suppress(OSError, AttributeError):  # else only the name is lost
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def say(fd: int, data: dict[str, object]) -> None:
    """One JSON line on ``fd`` in one write(2): lines of two writers never mix on a pipe
    (pipe(7): writes of up to PIPE_BUF bytes are atomic)."""
    os.write(fd, (json.dumps(data) + "\n").encode())


def address(sock: socket.socket, remote: bool = False) -> str:
    """A socket's own address (or its peer's) as the demos print it: ``host:port`` or a path."""
    addr = sock.getpeername() if remote else sock.getsockname()
    if isinstance(addr, tuple):
        return f"{addr[0]}:{addr[1]}"
    return str(addr.decode() if isinstance(addr, bytes) else addr) or "(unnamed)"


def fionread(fd: int) -> int:
    """How many bytes wait in a pipe or socket (ioctl(2) FIONREAD, pipe(7), unix(7))."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]
