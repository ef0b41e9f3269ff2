"""Fill levels: known byte counts written into pipes and sockets, read back."""

from __future__ import annotations

import fcntl
import os
import select
import socket

from iochannels import live
from iochannels.model import BufferRole, Snapshot


def my_channel(snap: Snapshot, fd: int):  # type: ignore[no-untyped-def]
    proc = snap.process(os.getpid())
    assert proc is not None
    entry = proc.fd(fd)
    assert entry is not None
    return snap.channels[entry.channel]


def test_pipe_fill_and_capacity() -> None:
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 131072)
        os.write(w, b"a" * 12345)
        buf = my_channel(live.snapshot([os.getpid()]), r).buffer(BufferRole.PIPE)
        assert buf is not None and (buf.capacity, buf.used) == (131072, 12345)
        os.read(r, 345)
        buf = my_channel(live.snapshot([os.getpid()]), w).buffer(BufferRole.PIPE)
        assert buf is not None and buf.used == 12000
        assert os.read(r, 20000) == b"a" * 12000  # the snapshot took no byte
    finally:
        os.close(r)
        os.close(w)


def test_unix_socket_fill() -> None:
    a, b = socket.socketpair()
    try:
        a.sendall(b"z" * 777)
        snap = live.snapshot([os.getpid()])
        recv = my_channel(snap, b.fileno()).buffer(BufferRole.RECV)
        assert recv is not None and recv.used == 777 and recv.capacity
        assert my_channel(snap, a.fileno()).buffer(BufferRole.RECV).used == 0  # type: ignore[union-attr]
    finally:
        a.close()
        b.close()


def test_tcp_fill_on_loopback() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    try:
        client.sendall(b"q" * 4321)
        select.select([server], [], [], 5)
        snap = live.snapshot([os.getpid()])
        recv = my_channel(snap, server.fileno()).buffer(BufferRole.RECV)
        assert recv is not None and recv.used == 4321
        assert my_channel(snap, client.fileno()).peer == my_channel(snap, server.fileno()).id
    finally:
        for s in (client, server, listener):
            s.close()


def test_listener_queue() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=7)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]
    try:
        channel = my_channel(live.snapshot([os.getpid()]), listener.fileno())
        assert channel.state == "LISTEN"
        assert (channel.detail["queued"], channel.detail["backlog"]) == ("3", "7")
    finally:
        for s in [*clients, listener]:
            s.close()
