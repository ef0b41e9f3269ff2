"""Carry out a plan's fd actions with real system calls, each one traced.

Used in a forked child before exec, and in the shell itself for builtins, groups and
``exec`` with only redirections (then ``saved`` copies let the shell put its fds back).
Messages are dash's (redir.c): ``cannot create f: Directory nonexistent``, ``5: Bad file
descriptor``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterable

from iochannels.shell.errors import ShellError
from iochannels.shell.plan import Action, flag_names
from iochannels.shell.trace import Tracer, c_string

__all__ = ["apply", "private_pipe", "restore", "save", "traced_close", "traced_pipe"]

# Above the fds a command line can name (0-9), as dash keeps its own at 10 and up.
FIRST_PRIVATE_FD = 10


def _errmsg(err: int, creates: bool) -> str:
    """dash's errmsg(): ENOENT and ENOTDIR read as what the user most likely meant."""
    if err in (errno.ENOENT, errno.ENOTDIR):
        return "Directory nonexistent" if creates else "No such file"
    return os.strerror(err)


def traced_close(fd: int, tracer: Tracer) -> None:
    try:
        os.close(fd)
        tracer.call("close", (fd,))
    except OSError as exc:
        tracer.call("close", (fd,), -1, errno.errorcode.get(exc.errno or 0, "EIO"))


def traced_pipe(tracer: Tracer) -> tuple[int, int]:
    """A pipe whose ends are close-on-exec: only a ``dup2`` makes an end a program's fd."""
    r, w = os.pipe2(os.O_CLOEXEC)
    tracer.call("pipe2", (f"[{r}, {w}]", "O_CLOEXEC"))
    return r, w


def private_pipe() -> tuple[int, int]:
    """A pipe for the shell's own use (exec errors, --draw's signals): both ends at 10 or
    above and close-on-exec, so that no `3<&0` of the command line can meet them."""
    ends = os.pipe2(os.O_CLOEXEC)
    moved = (fcntl.fcntl(ends[0], fcntl.F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD),
             fcntl.fcntl(ends[1], fcntl.F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD))
    os.close(ends[0])
    os.close(ends[1])
    return moved


def _dup2(source: int, fd: int, tracer: Tracer, first: bool = False) -> None:
    if source == fd:
        return  # dash (redir.c dupredirect) makes no call for `9<&9`, open or not
    try:
        os.dup2(source, fd)  # the copy is inheritable: it is meant for the program
    except OSError as exc:
        tracer.call("dup2", (source, fd), -1, errno.errorcode.get(exc.errno or 0, "EIO"))
        # dash has moved fd away before its first redirection (redir.c: savefd, then
        # dup2): `2>&9` with 9 closed leaves fd 2 closed, and the message goes nowhere;
        # in `2>&1 2>&9` fd 2 is still stdout when the second one fails.
        if first:
            with contextlib.suppress(OSError):
                os.close(fd)
        raise ShellError(f"{source}: {os.strerror(exc.errno or 0)}") from None
    tracer.call("dup2", (source, fd), fd)


def _open(action: Action, tracer: Tracer) -> None:
    args: tuple[str | int, ...] = ("AT_FDCWD", c_string(action.path), flag_names(action.flags))
    if action.flags & os.O_CREAT:
        args += ("0666",)
    try:
        got = os.open(action.path, action.flags | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        tracer.call("openat", args, -1, errno.errorcode.get(exc.errno or 0, "EIO"))
        verb = "cannot create" if action.creates else "cannot open"
        raise ShellError(f"{verb} {action.path}: {_errmsg(exc.errno or 0, action.creates)}") \
            from None
    tracer.call("openat", args, got)
    if got != action.fd:
        _dup2(got, action.fd, tracer)
        traced_close(got, tracer)
    else:
        os.set_inheritable(got, True)


def _heredoc(action: Action, tracer: Tracer) -> int | None:
    """The body into a pipe; a writer child when it would not fit (pipe(7): 64 KiB)."""
    r, w = traced_pipe(tracer)
    data = action.body.encode("utf-8", "surrogateescape")
    writer = None
    if len(data) <= 4096:
        os.write(w, data)
    else:
        writer = os.fork()
        if writer == 0:
            os.close(r)
            try:
                os.write(w, data)
            finally:
                os._exit(0)
    traced_close(w, tracer)
    _dup2(r, action.fd, tracer)
    if r != action.fd:
        traced_close(r, tracer)
    else:
        os.set_inheritable(r, True)
    return writer


def apply(actions: Iterable[Action], tracer: Tracer, moves_first: bool = True) -> list[int]:
    """Do the actions in order; the pids of here-document writers to be waited for.

    ``moves_first``: the fd is put aside before its first redirection, as dash does for
    simple commands and groups (not for a subshell's, which its child applies as is).
    """
    writers = []
    touched: set[int] = set()
    for action in actions:
        first = moves_first and action.fd not in touched
        touched.add(action.fd)
        match action.kind:
            case "dup2":
                if action.source < 0:
                    raise ShellError(f"{action.path}: Bad fd number")
                _dup2(action.source, action.fd, tracer, first)
            case "inherit":
                fcntl.fcntl(action.fd, fcntl.F_SETFD, 0)  # no FD_CLOEXEC: kept across execve
                tracer.call("fcntl", (action.fd, "F_SETFD", 0))
            case "close":
                try:
                    os.close(action.fd)
                    tracer.call("close", (action.fd,))
                except OSError:
                    tracer.call("close", (action.fd,), -1, "EBADF")  # `n>&-` on a closed fd
            case "open":
                _open(action, tracer)
            case "heredoc":
                if (writer := _heredoc(action, tracer)) is not None:
                    writers.append(writer)
    return writers


def save(actions: Iterable[Action]) -> dict[int, int | None]:
    """Copies (>= 10, close-on-exec) of the fds the actions will change, None if closed."""
    saved: dict[int, int | None] = {}
    for action in actions:
        if action.fd in saved:
            continue
        try:
            saved[action.fd] = fcntl.fcntl(action.fd, fcntl.F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD)
        except OSError:
            saved[action.fd] = None
    return saved


def restore(saved: dict[int, int | None]) -> None:
    for fd, copy in saved.items():
        if copy is None:
            with contextlib.suppress(OSError):
                os.close(fd)
        else:
            os.dup2(copy, fd)
            os.close(copy)
