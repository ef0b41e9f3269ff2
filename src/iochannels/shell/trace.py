"""``--trace``: the calls the shell and its children make before exec, one line each, in the
project's strace-like format with the pid of the process that made the call::

    [4242] pipe2([3, 4], O_CLOEXEC) = 0
    [4243] dup2(4, 1) = 1
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from iochannels.model import Event
from iochannels.render.events import event_line

__all__ = ["Tracer", "c_string", "status_text"]


def c_string(text: str) -> str:
    r"""A string as strace prints it: quoted, with C escapes.

    >>> c_string('a"b\n\x1b')
    '"a\\"b\\n\\x1b"'
    """
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif not ch.isprintable():
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogateescape")))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def string_array(items: Sequence[str]) -> str:
    return "[" + ", ".join(c_string(s) for s in items) + "]"


def status_text(status: int) -> str:
    """A wait status as strace shows it: ``[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]``."""
    if os.WIFSIGNALED(status):
        return f"[{{WIFSIGNALED(s) && WTERMSIG(s) == {os.WTERMSIG(status)}}}]"
    return f"[{{WIFEXITED(s) && WEXITSTATUS(s) == {os.WEXITSTATUS(status)}}}]"


class Tracer:
    """Writes trace lines to one fd (>= 10, close-on-exec), or nowhere (fd -1).

    Each line is one ``write`` of less than PIPE_BUF bytes, so lines from the shell and its
    children never interleave mid-line (pipe(7): writes up to PIPE_BUF are atomic).
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @property
    def on(self) -> bool:
        return self.fd >= 0

    def call(self, call: str, args: tuple[str | int, ...], result: int | str | None = 0,
             error: str | None = None, pid: int | None = None) -> None:
        if self.fd < 0:
            return
        event = Event(0, os.getpid() if pid is None else pid, call, args, result, error)
        line = event_line(event) + "\n"
        with contextlib.suppress(OSError):  # a trace reader gone changes nothing it traces
            os.write(self.fd, line.encode("utf-8", "surrogateescape"))
