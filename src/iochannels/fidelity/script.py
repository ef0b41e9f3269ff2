"""One script format for system calls across several processes, run on both kernels.

A :class:`Script` is a list of :class:`Op`: which process (by index: 0 is
the first, each ``fork`` adds the next), which call, and its arguments, with
fds and sizes as integers. Data to write is not in the script: a write of
``n`` bytes writes ``payload(step, n)``, a pattern that differs per step, so a
read proves which bytes arrived in which order.

Calls and their arguments::

    pipe(nonblock, cloexec)     socketpair(type)        # type: 0 stream, 1 dgram
    dup(fd)  dup2(old, new)  close(fd)
    read(fd, n)  write(fd, n)  recv(fd, n)  send(fd, n)
    set_nonblock(fd, on)  set_cloexec(fd, on)  shutdown(fd, how)  # how: SHUT_RD 0, WR 1, RDWR 2
    fork()
    socket(type)  bind(fd, path)  listen(fd, backlog)  accept(fd)  connect(fd, path)
    sendto(fd, n, path)  recvfrom(fd, n)
        # socket type: 0 UNIX stream, 1 UNIX dgram, 2 TCP, 3 UDP (AF_INET)
    bind_in(fd, port)  connect_in(fd, port)  sendto_in(fd, n, port)
        # port: an index into PORTS, a name for a port on 127.0.0.1. bind_in binds
        # port 0 (the kernel picks) the first time a name is bound and names the port
        # it got; later binds of that name ask for that port again. connect_in and
        # sendto_in go to the named port, or, for a name not bound yet, to a port
        # nobody listens on. Ports in results (accept, recvfrom) are shown by name.
    open(path, mode, flags)  lseek(fd, offset, whence)  mkfifo(path)
        # whence: 0 SEEK_SET, 1 SEEK_CUR, 2 SEEK_END, 3 SEEK_DATA, 4 SEEK_HOLE, 5 EINVAL
        # path: an index into PATHS; mode: 0 r, 1 w, 2 rw;
        # flags: a sum of CREATE 1, TRUNC 2, APPEND 4, NONBLOCK 8, CLOEXEC 16
    fcntl(fd, cmd, arg)     # cmd: an index into FCNTL_CMDS; F_SETFL's arg: a sum of
                            # NONBLOCK 8 and APPEND 4; F_SETFD's: FD_CLOEXEC 1; else a number
    dup3(old, new, cloexec)  poll(fd, events, wait)  # events: POLLIN 1, POLLOUT 4;
                            # wait: 0 timeout 0, 1 timeout -1 (may block)
    getsockname(fd)  getpeername(fd)  waitpid_nohang()  getpid()  sigpipe_ignore()
    getppid()               # the parent by index among the script's processes, or "outside"
    sendmsg(fd, n, passed)  recvmsg(fd, n)  # passed: an fd to send with SCM_RIGHTS, or -1
    exit(status)            # _exit(2) with any int: the parent sees status & 0377 (wait(2));
                            # the process's later steps are skipped
    wait_status()           # waitpid(-1, WNOHANG): ("none", 0) or ("child", exit status)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "APPEND",
    "CALLS",
    "CLOEXEC",
    "CREATE",
    "EXIT_STATUSES",
    "FCNTL_CMDS",
    "LOOPBACK",
    "MODES",
    "NONBLOCK",
    "PATHS",
    "PORTS",
    "SOCKETS",
    "SOCKET_TYPES",
    "TRUNC",
    "Op",
    "Script",
    "fcntl_arg",
    "payload",
]

CALLS = ("pipe", "socketpair", "dup", "dup2", "close", "read", "write", "recv", "send",
         "set_nonblock", "set_cloexec", "shutdown", "fork", "open", "lseek", "mkfifo",
         "socket", "bind", "listen", "accept", "connect", "sendto", "recvfrom",
         "bind_in", "connect_in", "sendto_in",
         "fcntl", "dup3", "poll", "getsockname", "getpeername", "waitpid_nohang", "getpid",
         "getppid", "sigpipe_ignore", "sendmsg", "recvmsg", "exit", "wait_status")
# exit's statuses: inside 0..255, and outside it, where Linux keeps the low 8 bits
EXIT_STATUSES = (0, 1, 255, 256, 257, 1000, -1, -256)
FCNTL_CMDS = ("F_GETFL", "F_SETFL", "F_GETFD", "F_SETFD", "F_DUPFD", "F_DUPFD_CLOEXEC",
              "F_GETPIPE_SZ", "F_SETPIPE_SZ")
# Names in the script's own directory: files f*, FIFOs q*, sockets s*; then the same
# file by another name, a name below a file (ENOTDIR) or in a missing directory
# (ENOENT: the flat-filesystem exclusion), and the empty path (bind autobinds).
PATHS = ("f0", "f1", "q0", "q1", "s0", "s1", "s2", "./f1", "f0/x", "")
MODES = ("r", "w", "rw")
CREATE, TRUNC, APPEND, NONBLOCK, CLOEXEC = 1, 2, 4, 8, 16
SOCKET_TYPES = ("stream", "dgram")  # socketpair's types
SOCKETS = (("unix", "stream"), ("unix", "dgram"), ("inet", "stream"), ("inet", "dgram"))
PORTS = ("a", "b", "c")  # names of ports on 127.0.0.1; len(PORTS) names one nobody binds
LOOPBACK = "127.0.0.1"

_PATTERN = bytes(range(256)) * 1100  # 281,600 bytes: room for any write of a script


def payload(step: int, n: int) -> bytes:
    """The bytes that step ``step`` writes: ``n`` bytes of a pattern shifted per step."""
    start = (step * 37) % 251
    assert n <= len(_PATTERN) - start, "a write bigger than the pattern"
    return _PATTERN[start : start + n]


@dataclass(frozen=True, slots=True)
class Op:
    proc: int
    call: str
    args: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        assert self.call in CALLS, f"unknown call {self.call}"

    def __str__(self) -> str:
        return f"p{self.proc}: {self.call}({', '.join(map(str, self.args))})"


@dataclass(frozen=True, slots=True)
class Script:
    steps: tuple[Op, ...]
    max_files: int = 16  # RLIMIT_NOFILE on Linux, MAX_FILES in the simulator

    def __str__(self) -> str:
        return "\n".join(f"{i:>3}  {op}" for i, op in enumerate(self.steps))

    def prefix(self, n: int) -> Script:
        return Script(self.steps[:n], self.max_files)


O_FLAGS = {"NONBLOCK": 0o4000, "APPEND": 0o2000}  # Linux's O_NONBLOCK and O_APPEND


def fcntl_arg(cmd: str, arg: int) -> int:
    """A script's fcntl argument as the call takes it: F_SETFL's script flags as O_ flags."""
    if cmd == "F_SETFL":
        return (O_FLAGS["NONBLOCK"] if arg & NONBLOCK else 0) | (
            O_FLAGS["APPEND"] if arg & APPEND else 0)
    return arg
