"""A command's fd actions, decided in the parent before ``fork`` (as CPython's subprocess).

A pipeline stage first takes its pipe ends (``dup2`` onto 0 and 1, then ``close`` every pipe
fd it was given, so no stray write end keeps a reader from seeing end of file: pipe(7)),
then its redirections in the order written (XCU 2.7: ``>f 2>&1`` and ``2>&1 >f`` differ).

>>> [a.text() for a in pipe_actions(3, 5, 6)]
['dup2(3, 0)', 'close(3)', 'close(5)', 'dup2(6, 1)', 'close(6)']
>>> [a.text() for a in pipe_actions(0, None, None)]  # stdin was closed: pipe(2) gave 0
['fcntl(0, F_SETFD, 0)']
>>> [a.text() for a in redirect_actions([(2, ">&", "1"), (1, ">", "out")])]
['dup2(1, 2)', 'open("out", O_WRONLY|O_CREAT|O_TRUNC) as 1']
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass

from iochannels.shell.builtins import BUILTINS
from iochannels.shell.syntax import Command, Exec

__all__ = ["OPEN_FLAGS", "Action", "pipe_actions", "redirect_actions"]

# dash's flags for each operator (redir.c openredirect); mode 0666 less the umask.
OPEN_FLAGS = {
    "<": os.O_RDONLY,
    ">": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    ">|": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    ">>": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "<>": os.O_RDWR | os.O_CREAT,
}
_FLAG_NAMES = ((os.O_WRONLY, "O_WRONLY"), (os.O_RDWR, "O_RDWR"), (os.O_CREAT, "O_CREAT"),
               (os.O_TRUNC, "O_TRUNC"), (os.O_APPEND, "O_APPEND"))


def flag_names(flags: int) -> str:
    """``O_WRONLY|O_CREAT|O_TRUNC``, as strace prints open's flags."""
    names = [name for bit, name in _FLAG_NAMES if flags & bit]
    return "|".join(names) or "O_RDONLY"


@dataclass(frozen=True, slots=True)
class Action:
    """One fd action: ``dup2`` (source onto fd), ``close`` fd, ``open`` path as fd,
    ``inherit`` (fd loses close-on-exec), or a here-document's ``text`` as fd (through a
    pipe, as dash does)."""

    kind: str
    fd: int
    source: int = -1
    path: str = ""
    flags: int = 0
    body: str = ""
    creates: bool = False  # an output redirection: dash says "cannot create"

    def text(self) -> str:
        match self.kind:
            case "dup2":
                return f"dup2({self.source}, {self.fd})"
            case "close":
                return f"close({self.fd})"
            case "inherit":
                return f"fcntl({self.fd}, F_SETFD, 0)"
            case "open":
                return f'open("{self.path}", {flag_names(self.flags)}) as {self.fd}'
            case _:
                return f"here-document ({len(self.body)} bytes) as {self.fd}"


def pipe_actions(read_end: int | None, spare_read: int | None,
                 write_end: int | None) -> list[Action]:
    """A stage's pipe work: stdin from the previous pipe, stdout into the next one.

    ``spare_read`` is the next pipe's read end: the stage holds it only because fork copied
    it, and must close it (else the next stage would never see end of file... and the
    reader would count this stage as a reader: pipe(7)).
    """
    actions: list[Action] = []
    if read_end is not None:
        actions += _onto(read_end, 0)
    if spare_read is not None:
        actions.append(Action("close", spare_read))
    if write_end is not None:
        actions += _onto(write_end, 1)
    return actions


def _onto(end: int, fd: int) -> list[Action]:
    """A pipe end made the stage's ``fd``.

    pipe(2) returns the lowest free fds, so after `exec 0<&-` a pipe's read end is 0
    already: dup2(0, 0) does nothing (dup2(2)) and close(0) would leave the stage no stdin.
    The end stays where it is, only made inheritable (this shell's pipes are close-on-exec;
    dash's are not, and it makes no call: eval.c evalpipe, ``if (prevfd > 0)``).
    """
    if end == fd:
        return [Action("inherit", fd)]
    return [Action("dup2", fd, end), Action("close", end)]


def redirect_actions(redirects: Iterable[tuple[int, str, str]]) -> list[Action]:
    """Expanded redirections ``(fd, op, target)`` -> actions, in the order written."""
    actions: list[Action] = []
    for fd, op, target in redirects:
        if op in ("<&", ">&"):
            if target == "-":
                actions.append(Action("close", fd))
            else:
                actions.append(Action("dup2", fd, int(target) if target.isdigit() else -1,
                                      path=target))
        elif op in ("<<", "<<-"):
            actions.append(Action("heredoc", fd, body=target))
        else:
            actions.append(Action("open", fd, path=target, flags=OPEN_FLAGS[op],
                                  creates=op != "<"))
    return actions


@dataclass(frozen=True, slots=True)
class Stage:
    """One command of a pipeline, expanded and planned in the parent."""

    command: Command
    argv: tuple[str, ...] = ()
    assigns: tuple[tuple[str, str], ...] = ()
    actions: tuple[Action, ...] = ()
    path: str = ""  # the program found on PATH ("" for builtins and compound commands)
    lookup_error: int = 0  # ENOENT / EACCES found while searching PATH

    @property
    def external(self) -> bool:
        return isinstance(self.command, Exec) and bool(self.argv) and self.argv[0] not in BUILTINS


def find_program(name: str, path: str) -> tuple[str, int]:
    """The file ``name`` runs, searched on PATH as execvp(3) does; or the errno."""
    if "/" in name:
        return name, 0
    denied = ""
    for directory in path.split(":"):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate):
            if os.access(candidate, os.X_OK):
                return candidate, 0
            denied = denied or candidate
    return (denied, errno.EACCES) if denied else ("", errno.ENOENT)
