"""What a shell does for ``>`` and ``|``, as programs the redirection demos run.

They hold no control channel of their own, so that their fd tables show only what the
lecture is about: at each moment worth a picture a program stops itself with
SIGSTOP (signal(7)) and the demo, seeing state ``T`` in ``/proc/PID/stat``,
takes its snapshot and sends SIGCONT.

Programs:
  redirect PATH TEXT    open PATH, dup2(fd, 1), close(fd), write TEXT to fd 1
  shell PATH ARGV...    the shell's ``ARGV > PATH``: open, fork, dup2 in the child, exec
  manager WRITER READER the shell's ``WRITER | READER`` (each a JSON list: an argv)
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence

from iochannels.demos.children.shared import name_self, say

__all__ = ["manager", "redirect", "shell"]


def pause() -> None:
    """Stop here until the demo has taken its picture and sends SIGCONT."""
    os.kill(os.getpid(), signal.SIGSTOP)


def redirect(path: str, text: str) -> None:
    """``redirect PATH TEXT``: open PATH, dup2(fd, 1), close(fd), write TEXT to fd 1."""
    name_self("redirector")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)  # the lowest free fd: 3
    pause()  # picture: fd 1 still the demo's, fd 3 the file
    os.dup2(fd, 1)  # dup2(2): fd 1 now points to the file's open file description
    os.close(fd)
    pause()  # picture: fd 1 is the file, fd 3 is gone
    os.write(1, text.encode())


def shell(path: str, *argv: str) -> None:
    """``shell PATH ARGV...``: what sh does for ``ARGV > PATH``, stopping in the child just
    before execve(2)."""
    name_self("shell")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    pid = os.fork()
    if pid == 0:
        name_self("shell-child")
        os.dup2(fd, 1)
        os.close(fd)
        pause()
        _exec(argv)
    os.close(fd)
    _exit_like(pid)


def manager(writer: str, reader: str) -> None:
    """``manager WRITER READER`` (each a JSON list: an argv): what sh does for ``WRITER |
    READER``: one pipe, two children, both ends closed here."""
    name_self("manager")
    read_end, write_end = os.pipe2(0)  # pipe(2): fds 3 and 4, no O_CLOEXEC, as sh makes them
    tell(event="pipe", read=read_end, write=write_end)
    pause()  # picture: the manager holds both ends
    first = _child("writer", read_end, write_end, 1, json.loads(writer))  # stdout: write end
    second = _child("reader", write_end, read_end, 0, json.loads(reader))  # stdin: read end
    tell(event="forked", writer=first, reader=second)
    os.close(read_end)
    os.close(write_end)
    pause()  # picture: the children, stopped before execve, hold one end each
    statuses = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in (first, second)]
    tell(event="done", writer=statuses[0], reader=statuses[1])


def _child(name: str, unused: int, end: int, target: int, argv: Sequence[str]) -> int:
    pid = os.fork()
    if pid == 0:
        name_self(name)
        os.close(unused)  # else the reader never sees end of file (pipe(7))
        os.dup2(end, target)
        os.close(end)
        pause()
        _exec(argv)
    return pid


def _exec(argv: Sequence[str]) -> None:
    try:
        os.execv(argv[0], list(argv))
    except OSError as exc:
        os.write(2, f"cannot run {argv[0]}: {exc.strerror}\n".encode())
        os._exit(127)  # as sh does for a command it cannot run


def _exit_like(pid: int) -> None:
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    sys.exit(code if code >= 0 else 128 - code)


def tell(**data: object) -> None:
    """One JSON line on fd 2: fds 0 and 1 are the ones the lecture is about."""
    say(2, data)
