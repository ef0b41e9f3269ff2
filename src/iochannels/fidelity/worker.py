"""A real process that performs system calls on command: the Linux side of the harness.

Started once as ``python .../iochannels/fidelity/worker.py CTLFD`` (the
*root* worker; it imports only the standard library). Its control socket
moves to a high fd (``CONTROL_FD`` and up) so that the fds a script's calls
return, from 3 up, are the lowest free ones exactly as in the simulator; fds
0, 1 and 2 are /dev/null. Each script's first process is a fork of the root;
a script's ``fork`` forks the worker that runs it. The root is a child
subreaper (prctl(2) PR_SET_CHILD_SUBREAPER) so that it reaps every process of
a script, orphans too.

Messages on a control socket: a 4-byte length, then a pickled tuple.
Python ignores SIGPIPE (so EPIPE comes back as an error, as in the harness's
simulator processes). Calls are made with plain os and fcntl functions and
libc's send/recv/shutdown, avoiding Python's default of close-on-exec for new
fds and its shortcuts around some system calls.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import pickle
import resource
import select
import signal
import socket
import struct
import sys
from typing import Any

__all__ = ["CONTROL_FD", "receive", "send"]

CONTROL_FD = 900  # above any fd a script uses, below the root's RLIMIT_NOFILE
HANDSHAKE_MS = 2000  # how long a nonblocking TCP connect's handshake may take on loopback
PR_SET_CHILD_SUBREAPER = 36
_HEADER = struct.Struct("<I")


def send(sock: socket.socket, message: Any) -> None:
    data = pickle.dumps(message)
    sock.sendall(_HEADER.pack(len(data)) + data)


def receive(sock: socket.socket) -> Any:
    header = _exactly(sock, _HEADER.size)
    return pickle.loads(_exactly(sock, _HEADER.unpack(header)[0]))


def _exactly(sock: socket.socket, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = sock.recv(n - got)
        if not part:
            raise EOFError("control socket closed")
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _take_control(ctl: socket.socket, slot: int) -> socket.socket:
    """Receive a new control socket and put it at fd ``CONTROL_FD + slot``.

    The script's fd limit (RLIMIT_NOFILE) may be low and its table full:
    the soft limit is lifted while the control socket arrives and moves, so
    that neither the script's fds nor its EMFILE are disturbed.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        _, fds, _, _ = socket.recv_fds(ctl, 1, 1)
        os.dup2(fds[0], CONTROL_FD + slot, inheritable=False)
        os.close(fds[0])
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return socket.socket(fileno=CONTROL_FD + slot)


def call(op: str, args: tuple[Any, ...]) -> Any:
    """One system call, as the script names it; raises OSError as Linux fails it."""
    match op, args:
        case "pipe", (nonblock, cloexec):
            flags = (os.O_NONBLOCK if nonblock else 0) | (os.O_CLOEXEC if cloexec else 0)
            return os.pipe2(flags)
        case "socketpair", (kind,):
            a, b = socket.socketpair(socket.AF_UNIX, (socket.SOCK_STREAM, socket.SOCK_DGRAM)[kind])
            for s in (a, b):
                s.set_inheritable(True)  # Python sets FD_CLOEXEC; socketpair(2) does not
            return a.detach(), b.detach()
        case "dup", (fd,):
            return fcntl.fcntl(fd, fcntl.F_DUPFD, 0)  # dup(2) without Python's FD_CLOEXEC
        case "dup2", (old, new):
            return os.dup2(old, new, inheritable=True)
        case "close", (fd,):
            return os.close(fd)
        case "read", (fd, n):
            return os.read(fd, n)
        case "write", (fd, data):
            return os.write(fd, data)
        case "set_nonblock", (fd, on):
            return os.set_blocking(fd, not on)
        case "set_cloexec", (fd, on):
            return os.set_inheritable(fd, not on)
        case "open", (path, flags, cloexec):
            fd = os.open(path, flags, 0o644)  # Python adds O_CLOEXEC; open(2) would not
            os.set_inheritable(fd, not cloexec)
            return fd
        case "lseek", (fd, offset, whence):
            return os.lseek(fd, offset, whence)
        case "mkfifo", (path,):
            return os.mkfifo(path)
        case "socket", (kind,):
            family = socket.AF_UNIX if kind < 2 else socket.AF_INET
            fd = socket.socket(family, (socket.SOCK_STREAM, socket.SOCK_DGRAM)[kind % 2])
            fd.set_inheritable(True)
            if kind == 2:  # TCP: no Nagle (see the tcp-nagle simplification)
                fd.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return fd.detach()
        case _:
            return more_call(op, args)


def more_call(op: str, args: tuple[Any, ...]) -> Any:
    """The calls people write in exercises: fcntl, dup3, poll, getsockname, SCM_RIGHTS."""
    match op, args:
        case "fcntl", (fd, cmd, arg):
            return fcntl.fcntl(fd, getattr(fcntl, cmd), arg)
        case "dup3", (old, new, cloexec):
            n = _LIBC.dup3(old, new, os.O_CLOEXEC if cloexec else 0)
            if n < 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code))
            return n
        case "poll", (fd, events, wait):
            poller = select.poll()
            poller.register(fd, events)
            return poller.poll(-1 if wait else 0)
        case "getsockname" | "getpeername", (fd,):
            raw, length = _sockaddr(), ctypes.c_uint(_SOCKADDR_MAX)
            call = _LIBC.getsockname if op == "getsockname" else _LIBC.getpeername
            if call(fd, raw, ctypes.byref(length)) < 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code))
            return _address(raw.raw, length.value)
        case "waitpid_nohang", ():
            return os.waitpid(-1, os.WNOHANG)
        case "wait_status", ():
            pid, wstatus = os.waitpid(-1, os.WNOHANG)
            if not pid:
                return 0, 0
            code = os.waitstatus_to_exitcode(wstatus)  # -N: killed by signal N
            return pid, code if code >= 0 else signal.Signals(-code).name
        case "exit", (status,):
            os._exit(status)  # no reply: the harness watches the process become a zombie
        case "getpid", ():
            return os.getpid()
        case "getppid", ():
            return os.getppid()
        case "sigpipe_ignore", ():
            old = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
            return "SIG_IGN" if old == signal.SIG_IGN else "SIG_DFL"
        case "sendmsg", (fd, data, passed):
            sock = socket.socket(fileno=fd)
            try:
                rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", passed))]
                return sock.sendmsg([data], rights if passed >= 0 else [])
            finally:
                sock.detach()
        case "recvmsg", (fd, n):
            sock = socket.socket(fileno=fd)
            try:
                data, ancillary, _, _ = sock.recvmsg(n, socket.CMSG_SPACE(4 * 16))
            finally:
                sock.detach()
            fds = [fd for level, kind, raw in ancillary
                   if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
                   for fd in struct.unpack(f"{len(raw) // 4}i", raw[: len(raw) // 4 * 4])]
            return data, tuple(fds)
        case _:
            return socket_call(op, args)


_LIBC = ctypes.CDLL(None, use_errno=True)


class _SockaddrUn(ctypes.Structure):
    _fields_ = (("sun_family", ctypes.c_ushort), ("sun_path", ctypes.c_char * 108))


def _sockaddr_un(path: str) -> _SockaddrUn:
    return _SockaddrUn(socket.AF_UNIX, path.encode())


def _sun_len(path: str) -> int:
    """The address length: the whole struct, or only sun_family for the empty path (unix(7):
    bind autobinds then; connect and sendto say EINVAL)."""
    return ctypes.sizeof(_SockaddrUn) if path else ctypes.sizeof(ctypes.c_ushort)


_SOCKADDR_MAX = 128  # sizeof(struct sockaddr_storage)
_LOOPBACK = socket.inet_aton("127.0.0.1")


def _sockaddr_in(port: int) -> ctypes.Array[ctypes.c_char]:
    """struct sockaddr_in for 127.0.0.1:port (ip(7))."""
    raw = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + _LOOPBACK + bytes(8)
    return ctypes.create_string_buffer(raw, len(raw))


def _address(raw: bytes, length: int) -> Any:
    """A sockaddr as the harness compares it: a UNIX path, (host, port), or None."""
    if length <= 2:
        return None  # unnamed (a UNIX socket never bound), or none given (TCP)
    family = struct.unpack_from("=H", raw)[0]
    if family == socket.AF_INET:
        return (socket.inet_ntoa(raw[4:8]), struct.unpack_from("!H", raw, 2)[0])
    if raw[2:3] == b"\0":
        return "@"  # an abstract name (autobind): its digits are the kernel's choice
    path = raw[2:length].split(b"\0", 1)[0]
    return path.decode() or None


def _sockaddr() -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer(_SOCKADDR_MAX)


def _local_port(fd: int) -> int:
    raw, length = _sockaddr(), ctypes.c_uint(_SOCKADDR_MAX)
    if _LIBC.getsockname(fd, raw, ctypes.byref(length)) < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return int(struct.unpack_from("!H", raw.raw, 2)[0])


def _proto(fd: int) -> str:
    """Which port table the socket at ``fd`` uses: "udp" for a datagram socket, else
    "tcp" (for a UNIX socket or no socket at all the call fails whatever the port)."""
    kind = ctypes.c_int(0)
    size = ctypes.c_uint(ctypes.sizeof(kind))
    found = _LIBC.getsockopt(fd, socket.SOL_SOCKET, socket.SO_TYPE, ctypes.byref(kind),
                             ctypes.byref(size))
    return "udp" if found == 0 and kind.value == socket.SOCK_DGRAM else "tcp"


def _handshake(fd: int) -> bool:
    """A nonblocking TCP connect said EINPROGRESS: wait (poll(2), POLLOUT) until the
    handshake is over, whether it succeeded or not; False if it is not over in time."""
    poller = select.poll()  # poll(2) takes fd numbers: no new fd, EMFILE or not
    poller.register(fd, select.POLLOUT)
    return bool(poller.poll(HANDSHAKE_MS))


def socket_call(op: str, args: tuple[Any, ...]) -> Any:
    """send(2), recv(2), shutdown(2) straight from libc: Python's socket methods skip
    the system call for an empty recv, and wrapping an fd in a socket object costs calls."""
    match op, args:
        case "send", (fd, data):
            n = _LIBC.send(fd, data, len(data), 0)
            result: Any = n
        case "recv", (fd, size):
            buffer = ctypes.create_string_buffer(max(size, 1))
            n = _LIBC.recv(fd, buffer, size, 0)
            result = buffer.raw[:n]
        case "shutdown", (fd, how):
            n = _LIBC.shutdown(fd, (socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR)[how])
            result = None
        case "bind" | "connect", (fd, path):
            address = _sockaddr_un(path)
            call = _LIBC.bind if op == "bind" else _LIBC.connect
            n = call(fd, ctypes.byref(address), _sun_len(path))
            result = None
        case "listen", (fd, backlog):
            n = _LIBC.listen(fd, backlog)
            result = None
        case "sendto", (fd, data, path):
            address = _sockaddr_un(path)
            n = _LIBC.sendto(fd, data, len(data), 0, ctypes.byref(address), _sun_len(path))
            result = n
        case "recvfrom", (fd, size):
            buffer, sender = ctypes.create_string_buffer(max(size, 1)), _sockaddr()
            length = ctypes.c_uint(_SOCKADDR_MAX)
            n = _LIBC.recvfrom(fd, buffer, size, 0, sender, ctypes.byref(length))
            result = (buffer.raw[: max(n, 0)], _address(sender.raw, length.value))
        case "accept", (fd,):
            peer, length = _sockaddr(), ctypes.c_uint(_SOCKADDR_MAX)
            n = _LIBC.accept(fd, peer, ctypes.byref(length))  # accept(2): no FD_CLOEXEC
            client = _address(peer.raw, length.value) if n >= 0 else None
            result = (n, client if isinstance(client, tuple) else None)
        case "bind_in", (fd, ports):
            proto = _proto(fd)
            inet = _sockaddr_in(ports[proto])
            n = _LIBC.bind(fd, inet, len(inet))
            result = (proto, _local_port(fd)) if n == 0 else None  # the port it got
        case "connect_in", (fd, ports):
            inet = _sockaddr_in(ports[_proto(fd)])
            n = _LIBC.connect(fd, inet, len(inet))
            if n < 0 and ctypes.get_errno() == errno.EINPROGRESS and _handshake(fd):
                # connect(2) again once the handshake is over, as a program finishing a
                # nonblocking connect may: 0 and the socket connected (later connects say
                # EISCONN), or the handshake's error and the socket unconnected again.
                n = _LIBC.connect(fd, inet, len(inet))
            result = None
        case "sendto_in", (fd, data, ports):
            inet = _sockaddr_in(ports[_proto(fd)])
            n = _LIBC.sendto(fd, data, len(data), 0, inet, len(inet))
            result = n
        case _:
            raise AssertionError(f"unknown call {op}")
    if n < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def serve(ctl: socket.socket, slot: int) -> None:
    """Run calls on command until the harness closes the control socket or kills us."""
    while True:
        try:
            op, args = receive(ctl)
        except EOFError:
            os._exit(0)
        if op == "fork":
            fork(ctl, slot)
            continue
        try:
            reply: tuple[str, Any] = ("done", call(op, args))
        except OSError as exc:
            reply = ("error", exc.errno)
        send(ctl, reply)


def fork(ctl: socket.socket, slot: int) -> None:
    """fork(2) with a new control socket for the child, passed over this one."""
    child_ctl = _take_control(ctl, slot + 1)  # the parent closes it right after the fork
    pid = os.fork()
    if pid == 0:
        ctl.close()
        send(child_ctl, ("hello", os.getpid()))
        serve(child_ctl, slot + 1)
    child_ctl.close()
    send(ctl, ("done", "pid"))


def root(ctl_fd: int) -> None:
    """The root: spawn a script's first process, reap them all, set the fd limit."""
    os.dup2(ctl_fd, CONTROL_FD, inheritable=False)
    os.close(ctl_fd)
    ctl = socket.socket(fileno=CONTROL_FD)
    _devnull_stdio()
    _LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # Ctrl-C on a terminal signals the whole foreground process group, the workers too
    # (termios(3)). The harness alone decides when they end (it kills and reaps them);
    # a worker dead of SIGINT mid-call left it a reset connection and a traceback.
    # Ignored, SIGINT stays ignored in every worker forked from here (signal(7)).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            op, args = receive(ctl)
        except EOFError:
            return
        match op:
            case "spawn":
                _spawn(ctl, *args)
            case "reap":
                _reap_all()
                send(ctl, ("done", None))


def _devnull_stdio() -> None:
    """Fds 0, 1, 2 on a fresh open of /dev/null: status flags a script sets stay its own."""
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _spawn(ctl: socket.socket, max_files: int, directory: str) -> None:
    child_ctl = _take_control(ctl, 1)
    if os.fork() == 0:
        ctl.close()
        os.chdir(directory)  # the script's paths are names in its own directory
        _devnull_stdio()
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, hard))
        send(child_ctl, ("hello", os.getpid()))
        serve(child_ctl, 1)
    child_ctl.close()


def _reap_all() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


if __name__ == "__main__":
    root(int(sys.argv[1]))
