"""One program, two kernels: an ``async def prog(p)`` run on the simulator and on Linux.

The program is written against the simulator's user-program API (:class:`Proc`);
:class:`LinuxProc` offers the same methods as real system calls, so the very same
calls, in the same order, meet both kernels. A program returns what it saw; a failed
call is seen as its errno name (:func:`attempt`). Paths are relative: the test runs
in its own directory on Linux.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from iochannels.sim import Kernel

__all__ = ["LinuxProc", "attempt", "on_both", "on_linux", "on_sim"]

Program = Callable[[Any], Awaitable[Any]]
FAMILIES = {"unix": socket.AF_UNIX, "inet": socket.AF_INET}
TYPES = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM}
HOWS = {"r": socket.SHUT_RD, "w": socket.SHUT_WR, "rw": socket.SHUT_RDWR}


async def attempt(call: Awaitable[Any]) -> Any:
    """The call's value, or its errno name if it failed."""
    try:
        return await call
    except OSError as exc:
        if exc.errno is None:  # Python refused before any system call
            return f"python: {exc}"
        return errno.errorcode[exc.errno]


def _addr(value: Any) -> Any:
    """An address as both kernels can show it: unnamed is None, an autobound one 'abstract'."""
    if value in ("", b"", None):
        return None
    if (isinstance(value, bytes) and value.startswith(b"\0")) or \
            (isinstance(value, str) and value.startswith("\0")):
        return "abstract"
    return value


class LinuxProc:
    """The simulator's Proc API as real system calls on this machine (one process)."""

    def __init__(self) -> None:
        self.socks: dict[int, socket.socket] = {}
        self.fds: list[int] = []

    def cleanup(self) -> None:
        for s in self.socks.values():
            s.close()
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)

    async def open(self, path: str, mode: str = "r", *, create: bool = False,
                   truncate: bool = False, append: bool = False, nonblock: bool = False,
                   cloexec: bool = False) -> int:
        flags = {"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR}[mode]
        flags |= (os.O_CREAT * create) | (os.O_TRUNC * truncate) | (os.O_APPEND * append)
        flags |= (os.O_NONBLOCK * nonblock) | (os.O_CLOEXEC * cloexec)
        fd = os.open(path, flags, 0o644)
        self.fds.append(fd)
        return fd

    async def close(self, fd: int) -> None:
        if fd in self.socks:
            self.socks.pop(fd).close()
        else:
            os.close(fd)

    async def read(self, fd: int, n: int) -> bytes:
        return os.read(fd, n)

    async def write(self, fd: int, data: bytes) -> int:
        return os.write(fd, data)

    async def lseek(self, fd: int, offset: int, whence: int = 0) -> int:
        return os.lseek(fd, offset, whence)

    async def pipe(self) -> tuple[int, int]:
        r, w = os.pipe()
        self.fds += [r, w]
        return r, w

    async def unlink(self, path: str) -> None:
        os.unlink(path)

    async def mkfifo(self, path: str) -> None:
        os.mkfifo(path)

    async def fork(self, child: Program, name: str | None = None) -> int:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child runs its program, then exits
            status = 0
            try:
                status = _drive(child(self)) or 0
            finally:
                os._exit(status & 0xFF if isinstance(status, int) else 0)
        return pid

    async def exit(self, status: int = 0) -> None:  # pragma: no cover - in a child
        os._exit(status & 0xFF)  # the C library passes the int; the kernel keeps 8 bits

    async def wait(self, pid: int = -1) -> tuple[int, int | str]:
        got, status = os.waitpid(pid, 0)
        return got, os.waitstatus_to_exitcode(status)

    async def socket(self, family: str, type: str) -> int:
        s = socket.socket(FAMILIES[family], TYPES[type])
        s.setblocking(False)  # as the simulated socket below: EAGAIN, never a wait
        self.socks[s.fileno()] = s
        return s.fileno()

    async def bind(self, fd: int, addr: Any) -> None:
        self.socks[fd].bind(addr)

    async def listen(self, fd: int, backlog: int) -> None:
        self.socks[fd].listen(backlog)

    async def accept(self, fd: int) -> tuple[int, Any]:
        conn, addr = self.socks[fd].accept()
        self.socks[conn.fileno()] = conn
        return conn.fileno(), _addr(addr)

    async def connect(self, fd: int, addr: Any) -> None:
        self.socks[fd].connect(addr)

    async def send(self, fd: int, data: bytes) -> int:
        return self.socks[fd].send(data, socket.MSG_DONTWAIT)

    async def recv(self, fd: int, n: int) -> bytes:
        return self.socks[fd].recv(n, socket.MSG_DONTWAIT)

    async def sendto(self, fd: int, data: bytes, addr: Any) -> int:
        return self.socks[fd].sendto(data, socket.MSG_DONTWAIT, addr)

    async def recvfrom(self, fd: int, n: int) -> tuple[bytes, Any]:
        data, addr = self.socks[fd].recvfrom(n, socket.MSG_DONTWAIT)
        return data, _addr(addr)

    async def shutdown(self, fd: int, how: int | str) -> None:
        self.socks[fd].shutdown(HOWS.get(how, how) if isinstance(how, str) else how)

    async def set_nonblock(self, fd: int, on: bool = True) -> None:
        os.set_blocking(fd, not on)

    async def getsockname(self, fd: int) -> Any:
        return _addr(self.socks[fd].getsockname())


def _drive(coro: Awaitable[Any]) -> Any:
    """Run a coroutine that never really waits (every call above returns at once)."""
    it = coro.__await__()
    try:
        while True:
            next(it)
    except StopIteration as stop:
        return stop.value


def on_linux(prog: Program) -> Any:
    p = LinuxProc()
    try:
        return _drive(prog(p))
    finally:
        p.cleanup()


def on_sim(prog: Program, **options: int) -> Any:
    """The program's return value on the simulator (it runs as the only program)."""
    seen: list[Any] = []

    async def main(p: Any) -> int:
        seen.append(await prog(_SimProc(p)))
        return 0

    k = Kernel(**options)
    k.spawn(main, "prog")
    run = k.run()
    assert run.deadlock is None, run.deadlock
    assert seen, f"the program died: {run.events[-1]}"
    return seen[0]


class _SimProc:
    """Proc, with addresses shown as :class:`LinuxProc` shows them."""

    def __init__(self, p: Any) -> None:
        self._p = p

    def __getattr__(self, name: str) -> Any:
        return getattr(self._p, name)

    async def socket(self, family: str, type: str) -> int:
        fd = int(await self._p.socket(family, type))
        await self._p.set_nonblock(fd)
        return fd

    async def recvfrom(self, fd: int, n: int) -> tuple[bytes, Any]:
        data, addr = await self._p.recvfrom(fd, n)
        return data, _addr(addr)

    async def accept(self, fd: int) -> tuple[int, Any]:
        conn, addr = await self._p.accept(fd)
        return conn, _addr(addr)


def on_both(prog: Program, **options: int) -> tuple[Any, Any]:
    """(what Linux gave, what the simulator gave)."""
    return on_linux(prog), on_sim(prog, **options)
