"""The call table: every simulated system call, described once.

One row per call says what the rest of the simulator needs to know about it:

- ``name``: the :class:`~iochannels.sim.proc.Proc` method and the harness's name;
- ``handler``: the function that performs it (``filecalls``, ``netcalls``, ``proccalls``),
  called as ``handler(kernel, task, call, *args)``;
- ``params``: its arguments, in the order the Proc method passes them;
- ``fds``: which of them are file descriptors (the picture redraws those slots; a
  waiting call is shown waiting on the first);
- ``printer``: how strace prints it (:mod:`iochannels.sim.strace`), and ``traced``, the
  name strace prints when it is not ``name`` (``set_nonblock`` is an ``fcntl``; ``pipe``
  with flags is a ``pipe2``: a function of the arguments);
- ``ends``: ``"process"`` for a call after which the process is gone (exit),
  ``"program"`` for one after which another program runs in it (exec);
- ``open_file``: what it may change on the open file, seen through every fd on it:
  ``"flags"`` (O_NONBLOCK), ``"offset"`` (the file position, for seekable channels).

Adding a call: a handler, a row here, a method on Proc (and its tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from iochannels.sim import filecalls as fc
from iochannels.sim import netcalls as nc
from iochannels.sim import proccalls as pc
from iochannels.sim import strace
from iochannels.sim.strace import Printer
from iochannels.sim.task import Call

__all__ = ["CALLS", "Syscall", "describe", "spec"]

Handler = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Syscall:
    name: str
    handler: Handler
    params: tuple[str, ...]
    fds: tuple[int, ...] = ()
    printer: Printer = strace.plain
    traced: str | Callable[[tuple[Any, ...]], str] = ""
    ends: Literal["", "process", "program"] = ""
    open_file: Literal["", "flags", "offset"] = ""

    def strace_name(self, args: tuple[Any, ...]) -> str:
        if callable(self.traced):
            return self.traced(args)
        return self.traced or self.name

    def fds_of(self, args: tuple[Any, ...]) -> list[int]:
        """The fds among ``args``."""
        return [args[i] for i in self.fds if i < len(args) and isinstance(args[i], int)]


_ROWS = (
    # files, pipes, descriptors
    Syscall("open", fc.sys_open, ("path", "mode", "create", "truncate", "append", "nonblock",
                                  "cloexec"), printer=strace.open_),
    Syscall("close", fc.sys_close, ("fd",), (0,)),
    Syscall("read", fc.sys_read, ("fd", "n"), (0,), strace.read, open_file="offset"),
    Syscall("write", fc.sys_write, ("fd", "data"), (0,), strace.write, open_file="offset"),
    Syscall("lseek", fc.sys_lseek, ("fd", "offset", "whence"), (0,), open_file="offset"),
    Syscall("fsync", fc.sys_fsync, ("fd",), (0,)),
    Syscall("pipe", fc.sys_pipe, ("nonblock", "cloexec"), printer=strace.pipe,
            traced=strace.pipe_name),
    Syscall("mkfifo", fc.sys_mkfifo, ("path",), printer=strace.path),
    Syscall("unlink", fc.sys_unlink, ("path",), printer=strace.path),
    Syscall("dup", fc.sys_dup, ("fd",), (0,)),
    Syscall("dup2", fc.sys_dup2, ("old", "new"), (0, 1)),
    Syscall("set_nonblock", fc.sys_set_nonblock, ("fd", "on"), (0,), strace.set_nonblock,
            "fcntl", open_file="flags"),
    Syscall("set_cloexec", fc.sys_set_cloexec, ("fd", "on"), (0,), strace.set_cloexec,
            "fcntl"),
    Syscall("fcntl", fc.sys_fcntl, ("fd", "cmd", "arg"), (0,), strace.fcntl,
            open_file="flags"),
    Syscall("dup3", fc.sys_dup3, ("old", "new", "cloexec"), (0, 1), strace.dup3),
    Syscall("poll", fc.sys_poll, ("fds", "timeout"), printer=strace.poll),
    # processes
    Syscall("fork", pc.sys_fork, ("child", "name"), printer=strace.fork),
    Syscall("exec", pc.sys_exec, ("program", "argv"), printer=strace.exec_, ends="program"),
    Syscall("exit", pc.sys_exit, ("status",), printer=strace.exit_, ends="process"),
    Syscall("wait", pc.sys_wait, ("pid",), printer=strace.wait),
    Syscall("waitpid", pc.sys_waitpid, ("pid", "options"), printer=strace.waitpid),
    Syscall("signal", pc.sys_signal, ("signum", "handler"), printer=strace.signal),
    Syscall("getpid", pc.sys_getpid, ()),
    Syscall("getppid", pc.sys_getppid, ()),
    # sockets
    Syscall("socket", nc.sys_socket, ("family", "type"), printer=strace.socket),
    Syscall("socketpair", nc.sys_socketpair, ("type",), printer=strace.socketpair),
    Syscall("bind", nc.sys_bind, ("fd", "addr"), (0,), strace.fd_addr),
    Syscall("listen", nc.sys_listen, ("fd", "backlog"), (0,)),
    Syscall("accept", nc.sys_accept, ("fd",), (0,), strace.accept),
    Syscall("connect", nc.sys_connect, ("fd", "addr"), (0,), strace.fd_addr),
    Syscall("send", nc.sys_send, ("fd", "data"), (0,), strace.write),
    Syscall("recv", nc.sys_recv, ("fd", "n"), (0,), strace.read),
    Syscall("sendto", nc.sys_sendto, ("fd", "data", "addr"), (0,), strace.sendto),
    Syscall("recvfrom", nc.sys_recvfrom, ("fd", "n"), (0,), strace.recvfrom),
    Syscall("shutdown", nc.sys_shutdown, ("fd", "how"), (0,), strace.shutdown),
    Syscall("getsockname", nc.sys_getsockname, ("fd",), (0,), strace.sockname),
    Syscall("getpeername", nc.sys_getpeername, ("fd",), (0,), strace.sockname),
    Syscall("sendmsg", nc.sys_sendmsg, ("fd", "data", "fds", "addr"), (0,), strace.sendmsg),
    Syscall("recvmsg", nc.sys_recvmsg, ("fd", "n"), (0,), strace.recvmsg),
)

CALLS: Mapping[str, Syscall] = {row.name: row for row in _ROWS}


def spec(call: Call) -> Syscall:
    return CALLS[call.name]


def describe(call: Call, value: Any = None, done: bool = False) -> tuple[tuple[Any, ...], Any]:
    """(args, result) of ``call`` as strace prints them; ``done`` with its ``value``."""
    return CALLS[call.name].printer(call.args, value, done)
