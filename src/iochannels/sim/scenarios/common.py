"""Small helpers the scenarios' programs share: print a line, read to the end."""

from __future__ import annotations

from collections.abc import Sequence

from iochannels.sim import Addr, Kernel, Proc, Program, SimOSError

__all__ = ["Program", "connect", "read_all", "say", "sendto", "start_many", "start_pair"]

# With preemption (the `preempt` parameter) a client may run before its server is ready.
# A real client then tries again; so do these, a bounded number of times.
TRIES = 50
NOT_YET = ("ECONNREFUSED", "ENOENT")  # nobody listens there, or the path is not bound yet


CHUNK = 4096


async def say(p: Proc, text: str, fd: int = 1) -> None:
    """Write ``text`` to ``fd`` (stdout by default) as one write(2)."""
    await p.write(fd, text.encode())


async def read_all(p: Proc, fd: int, chunk: int = CHUNK) -> bytes:
    """Read until read(2) returns 0 bytes: end of stream, every writer closed (pipe(7))."""
    parts: list[bytes] = []
    while data := await p.read(fd, chunk):
        parts.append(data)
    return b"".join(parts)


def start_pair(kernel: Kernel, server: Program, client: Program) -> None:
    """A server and an unrelated client; the server runs first so it is ready."""
    start_many(kernel, server, (client,))


def start_many(kernel: Kernel, server: Program, clients: Sequence[Program]) -> None:
    """A server and unrelated clients, named client1, client2...; the server first."""
    kernel.spawn(server, name="server", argv=("server",))
    for number, client in enumerate(clients, start=1):
        name = "client" if len(clients) == 1 else f"client{number}"
        kernel.spawn(client, name=name, argv=(name,))


async def connect(p: Proc, fd: int, addr: Addr) -> None:
    """connect(2), tried again while nobody listens at ``addr`` yet."""
    for _ in range(TRIES - 1):
        try:
            return await p.connect(fd, addr)
        except SimOSError as exc:
            if exc.name not in NOT_YET:
                raise
    await p.connect(fd, addr)


async def sendto(p: Proc, fd: int, data: bytes, addr: Addr) -> int:
    """sendto(2) on a UNIX datagram socket, tried again while ``addr`` is not bound yet.

    (A UDP datagram to a port nobody has bound is lost without an error: udp(7).)
    """
    for _ in range(TRIES - 1):
        try:
            return await p.sendto(fd, data, addr)
        except SimOSError as exc:
            if exc.name not in NOT_YET:
                raise
    return await p.sendto(fd, data, addr)
