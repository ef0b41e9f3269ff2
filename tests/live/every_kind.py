"""A child process that opens one channel of every kind, then waits.

Run as ``python every_kind.py DIR``: it creates its FIFO, files and socket paths
in DIR, prints one JSON line {"name": fd, ...} on stdout, then waits until its
stdin closes, and removes what it made. The tests inspect it from outside.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys


def main(workdir: str) -> None:
    fds: dict[str, int] = {}
    keep: list[object] = []

    def add(name: str, obj: object) -> None:
        keep.append(obj)
        fds[name] = obj if isinstance(obj, int) else obj.fileno()  # type: ignore[attr-defined]

    fifo = os.path.join(workdir, "fifo")
    os.mkfifo(fifo)
    add("fifo_r", os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    add("fifo_w", os.open(fifo, os.O_WRONLY))
    r, w = os.pipe()
    add("pipe_r", r)
    add("pipe_w", w)
    os.write(w, b"x" * 1000)
    add("file", os.open(os.path.join(workdir, "file"), os.O_RDWR | os.O_CREAT | os.O_APPEND))
    os.write(fds["file"], b"hello")
    add("dir", os.open(workdir, os.O_RDONLY | os.O_DIRECTORY))
    add("devnull", os.open(os.devnull, os.O_WRONLY))
    deleted = os.path.join(workdir, "gone")
    add("deleted", os.open(deleted, os.O_RDWR | os.O_CREAT))
    os.unlink(deleted)
    add("memfd", os.memfd_create("iochannels-memfd"))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.path.join(workdir, "sock"))
    listener.listen(4)
    add("unix_listen", listener)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(os.path.join(workdir, "sock"))
    add("unix_client", client)
    server_side, _ = listener.accept()
    add("unix_accepted", server_side)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    add("dgram_a", a)
    add("dgram_b", b)
    c, d = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    add("seq_a", c)
    add("seq_b", d)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(f"\0iochannels-test-{os.getpid()}")
    add("abstract", abstract)
    tcp_listen = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp_listen.bind(("127.0.0.1", 0))
    tcp_listen.listen(4)
    add("tcp_listen", tcp_listen)
    tcp_client = socket.create_connection(tcp_listen.getsockname())
    add("tcp_client", tcp_client)
    tcp_server, _ = tcp_listen.accept()
    add("tcp_server", tcp_server)
    tcp_client.sendall(b"y" * 300)
    tcp6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    tcp6.bind(("::1", 0))
    tcp6.listen(1)
    add("tcp6_listen", tcp6)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    add("udp", udp)
    udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp6.bind(("::1", 0))
    add("udp6", udp6)
    add("netlink", socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
    with contextlib.suppress(PermissionError):  # raw(7) needs CAP_NET_RAW: root only
        add("raw", socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
    add("eventfd", os.eventfd(0))
    ep = select.epoll()
    ep.register(fds["pipe_r"], select.EPOLLIN)
    ep.register(fds["eventfd"], select.EPOLLIN)
    add("epoll", ep)
    add("pidfd", os.pidfd_open(os.getpid()))
    add("signalfd", _signalfd())
    add("timerfd", _timerfd())
    add("inotify", _inotify())
    add("nonblock_pipe", _nonblock_dup(fds["pipe_r"]))
    print(json.dumps(fds), flush=True)
    sys.stdin.read()
    for path in ("fifo", "file", "sock"):
        os.unlink(os.path.join(workdir, path))


def _libc_call(name: str, *args: int) -> int:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fd = int(getattr(libc, name)(*args))
    if fd < 0:
        raise OSError(ctypes.get_errno(), name)
    return fd


def _signalfd() -> int:
    import ctypes

    mask = ctypes.c_uint64(1 << (signal.SIGUSR1 - 1))
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.signalfd(-1, ctypes.byref(mask), 0))


def _timerfd() -> int:
    if hasattr(os, "timerfd_create"):  # Python 3.13
        return int(os.timerfd_create(time_clock()))
    return _libc_call("timerfd_create", 1, 0)  # CLOCK_MONOTONIC


def time_clock() -> int:
    import time

    return time.CLOCK_MONOTONIC


def _inotify() -> int:
    return _libc_call("inotify_init1", 0)


def _nonblock_dup(fd: int) -> int:
    new = os.dup(fd)
    os.set_blocking(new, False)
    return new


if __name__ == "__main__":
    main(sys.argv[1])
