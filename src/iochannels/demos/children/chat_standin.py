"""A stand-in for a chat client: it holds what such a program holds, by kind (the pitch).

``standin WORKDIR SOCKET_DIR PORT``: UNIX socket pairs and a named UNIX socket,
pipes, a FIFO, an eventfd and an epoll, /dev/null and /dev/urandom, two files
and a TCP connection to the demo's server on PORT; it says how many fds of each
kind it opened, then waits for ``quit``.
"""

from __future__ import annotations

import os
import select
import socket
from collections.abc import Iterator
from contextlib import ExitStack

from iochannels.demos.children.control import expect, reported, tell
from iochannels.demos.children.shared import HOST, address, name_self

__all__ = ["standin"]


@reported
def standin(workdir: str, socket_dir: str, port: str) -> None:
    """Hold what a chat client holds; say what was opened, by kind; wait for "quit"."""
    name_self("chat-standin")
    with ExitStack() as stack:
        opened: dict[str, int] = {}
        for kind, fds in _standin_fds(workdir, socket_dir, int(port), stack):
            opened[kind] = opened.get(kind, 0) + fds
        tell("open", role="standin", opened=opened)
        expect("quit")


def _standin_fds(workdir: str, socket_dir: str, port: int,
                 stack: ExitStack) -> Iterator[tuple[str, int]]:
    for stype, kind in ((socket.SOCK_STREAM, "unix-stream"), (socket.SOCK_SEQPACKET,
                                                                "unix-seqpacket")):
        for sock in socket.socketpair(socket.AF_UNIX, stype):  # unix(7): connected pairs
            stack.enter_context(sock)
        yield kind, 2
    yield "unix-stream", _hold_unix_named(os.path.join(socket_dir, "app.sock"), stack)
    yield "pipe", _hold_pipes(2, stack)
    yield "fifo", _hold(stack, os.path.join(workdir, "events.fifo"), fifo=True)
    yield "anon", _hold_anon(stack)
    yield "chr", _hold(stack, "/dev/null") + _hold(stack, "/dev/urandom")
    for name in ("history.db", "settings.json"):
        yield "file", _hold(stack, os.path.join(workdir, name), create=True)
    yield "tcp", _hold_tcp(port, stack)


def _hold(stack: ExitStack, path: str, *, fifo: bool = False, create: bool = False) -> int:
    if fifo:
        os.mkfifo(path)
    # O_RDWR on a FIFO opens without waiting for a peer (Linux, fifo(7)).
    flags = os.O_RDWR | (os.O_CREAT if create else 0) if fifo or create else os.O_RDONLY
    fd = os.open(path, flags, 0o600)
    stack.callback(os.close, fd)
    return 1


def _hold_unix_named(path: str, stack: ExitStack) -> int:
    """A named UNIX socket the program listens on and one connection to it (unix(7))."""
    listening = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    listening.bind(path)
    listening.listen(1)
    client = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    client.connect(path)
    stack.enter_context(listening.accept()[0])
    return 3


def _hold_pipes(count: int, stack: ExitStack) -> int:
    for _ in range(count):
        for fd in os.pipe():  # a read end and a write end on one inode (pipe(2))
            stack.callback(os.close, fd)
    return 2 * count


def _hold_anon(stack: ExitStack) -> int:
    efd = os.eventfd(0)  # eventfd(2): a counter the kernel keeps
    stack.callback(os.close, efd)
    epoll = stack.enter_context(select.epoll())  # epoll(7): the fds a loop waits on
    epoll.register(efd, select.EPOLLIN)
    return 2


def _hold_tcp(port: int, stack: ExitStack) -> int:
    listening = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    listening.bind((HOST, 0))
    listening.listen(5)
    conn = stack.enter_context(socket.create_connection((HOST, port)))
    tell("tcp", role="standin", listening=address(listening), local=address(conn),
         remote=address(conn, remote=True))
    return 2
