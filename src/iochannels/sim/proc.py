"""A program's handle on its process: ``await p.write(1, b"hi")``.

Every method is one system call. It hands the call to the kernel (by awaiting
a :class:`Trap`) and gets back the result, or raises the call's
:class:`SimOSError`. While a call waits (a full pipe, an empty socket), the
program is parked; the kernel resumes it when the call completes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from iochannels.sim.sockets import Addr
from iochannels.sim.task import Call, Task, Trap

__all__ = ["Proc", "Program"]


class Proc:
    """The process a program runs in; its methods are the simulated system calls.

    It holds the kernel's :class:`~iochannels.sim.task.Task` but gives the program only
    its pid and name: everything else goes through a system call. Each method is one
    row of the call table (:mod:`iochannels.sim.calltable`), same name, same arguments.
    """

    def __init__(self, task: Task) -> None:
        self._process = task

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def name(self) -> str:
        return self._process.name

    async def _sys(self, name: str, *args: Any) -> Any:
        return await Trap(Call(name, args))

    # -- files, pipes, descriptors ---------------------------------------------------------
    async def open(self, path: str, mode: str = "r", *, create: bool = False,
                   truncate: bool = False, append: bool = False, nonblock: bool = False,
                   cloexec: bool = False) -> int:
        return int(await self._sys("open", path, mode, create, truncate, append, nonblock,
                                   cloexec))

    async def close(self, fd: int) -> None:
        await self._sys("close", fd)

    async def read(self, fd: int, n: int) -> bytes:
        return bytes(await self._sys("read", fd, n))

    async def write(self, fd: int, data: bytes) -> int:
        return int(await self._sys("write", fd, bytes(data)))

    async def lseek(self, fd: int, offset: int, whence: int = 0) -> int:
        return int(await self._sys("lseek", fd, offset, whence))

    async def fsync(self, fd: int) -> None:
        await self._sys("fsync", fd)

    async def pipe(self, *, nonblock: bool = False, cloexec: bool = False) -> tuple[int, int]:
        r, w = await self._sys("pipe", nonblock, cloexec)
        return int(r), int(w)

    async def mkfifo(self, path: str) -> None:
        await self._sys("mkfifo", path)

    async def unlink(self, path: str) -> None:
        await self._sys("unlink", path)

    async def dup(self, fd: int) -> int:
        return int(await self._sys("dup", fd))

    async def dup2(self, old: int, new: int) -> int:
        return int(await self._sys("dup2", old, new))

    async def set_nonblock(self, fd: int, on: bool = True) -> None:
        await self._sys("set_nonblock", fd, on)

    async def set_cloexec(self, fd: int, on: bool = True) -> None:
        await self._sys("set_cloexec", fd, on)

    async def fcntl(self, fd: int, cmd: int | str, arg: int = 0) -> int:
        """fcntl(2): ``cmd`` by name (``"F_GETFL"``) or number (``fcntl.F_GETFL``);
        F_GETFL/F_SETFL, F_GETFD/F_SETFD, F_DUPFD(_CLOEXEC), F_GETPIPE_SZ/F_SETPIPE_SZ."""
        return int(await self._sys("fcntl", fd, cmd, arg))

    async def dup3(self, old: int, new: int, cloexec: bool = False) -> int:
        return int(await self._sys("dup3", old, new, cloexec))

    async def poll(self, fds: Sequence[tuple[int, int]],
                   timeout: int = -1) -> list[tuple[int, int]]:
        """poll(2) on ``(fd, events)`` pairs (``select.POLLIN``...): the pairs ``(fd,
        revents)`` that are ready, as Python's ``select.poll().poll()`` returns them."""
        ready = await self._sys("poll", tuple((int(fd), int(ev)) for fd, ev in fds), timeout)
        return list(ready)

    # -- processes ---------------------------------------------------------------------------
    async def fork(self, child: Program, name: str | None = None) -> int:
        return int(await self._sys("fork", child, name))

    async def exec(self, program: Program, argv: tuple[str, ...] = ()) -> None:
        await self._sys("exec", program, tuple(argv))
        raise AssertionError("exec returned")  # pragma: no cover: the kernel never resumes

    async def exit(self, status: int = 0) -> None:
        await self._sys("exit", status)

    async def wait(self, pid: int = -1) -> tuple[int, int | str]:
        child, status = await self._sys("wait", pid)
        return int(child), status

    async def waitpid(self, pid: int = -1, options: int = 0) -> tuple[int, int | str]:
        """waitpid(2); with ``os.WNOHANG`` ``(0, 0)`` at once while the children run."""
        child, status = await self._sys("waitpid", pid, options)
        return int(child), status

    async def signal(self, signum: int | str, handler: int | str) -> str:
        """signal(2) for SIGPIPE: ``await p.signal("SIGPIPE", "SIG_IGN")`` (or
        ``signal.SIGPIPE, signal.SIG_IGN``); returns the old disposition's name."""
        return str(await self._sys("signal", signum, handler))

    async def getpid(self) -> int:
        return int(await self._sys("getpid"))

    async def getppid(self) -> int:
        return int(await self._sys("getppid"))

    # -- sockets -----------------------------------------------------------------------------
    async def socket(self, family: str, type: str) -> int:
        return int(await self._sys("socket", family, type))

    async def socketpair(self, type: str = "stream") -> tuple[int, int]:
        a, b = await self._sys("socketpair", type)
        return int(a), int(b)

    async def bind(self, fd: int, addr: Addr) -> None:
        await self._sys("bind", fd, addr)

    async def listen(self, fd: int, backlog: int) -> None:
        await self._sys("listen", fd, backlog)

    async def accept(self, fd: int) -> tuple[int, Addr]:
        conn, addr = await self._sys("accept", fd)
        return int(conn), addr

    async def connect(self, fd: int, addr: Addr) -> None:
        await self._sys("connect", fd, addr)

    async def send(self, fd: int, data: bytes) -> int:
        return int(await self._sys("send", fd, bytes(data)))

    async def recv(self, fd: int, n: int) -> bytes:
        return bytes(await self._sys("recv", fd, n))

    async def sendto(self, fd: int, data: bytes, addr: Addr) -> int:
        return int(await self._sys("sendto", fd, bytes(data), addr))

    async def recvfrom(self, fd: int, n: int) -> tuple[bytes, Addr]:
        data, addr = await self._sys("recvfrom", fd, n)
        return bytes(data), addr

    async def shutdown(self, fd: int, how: int | str) -> None:
        """shutdown(2): ``how`` is ``socket.SHUT_RD``, ``SHUT_WR`` or ``SHUT_RDWR`` (0, 1, 2,
        Linux's numbers), their names, or ``"r"``, ``"w"``, ``"rw"``."""
        await self._sys("shutdown", fd, how)

    async def getsockname(self, fd: int) -> Addr:
        return await self._sys("getsockname", fd)  # type: ignore[no-any-return]

    async def getpeername(self, fd: int) -> Addr:
        return await self._sys("getpeername", fd)  # type: ignore[no-any-return]

    async def sendmsg(self, fd: int, data: bytes, fds: Sequence[int] = (),
                      addr: Addr = None) -> int:
        """sendmsg(2); ``fds`` go along as SCM_RIGHTS (UNIX sockets only)."""
        return int(await self._sys("sendmsg", fd, bytes(data), tuple(fds), addr))

    async def recvmsg(self, fd: int, n: int) -> tuple[bytes, tuple[int, ...]]:
        """recvmsg(2): the bytes, and the fds that came with them (SCM_RIGHTS)."""
        data, fds = await self._sys("recvmsg", fd, n)
        return bytes(data), tuple(fds)


Program = Callable[[Proc], Awaitable[int | None]]  # async def main(p: Proc) -> int | None
