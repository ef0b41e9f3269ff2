"""Sockets: socketpair, UNIX stream and datagram, TCP and UDP on simulated addresses."""

from __future__ import annotations

from simkit import blocks, err, ok

from iochannels.model import BufferRole, Kind
from iochannels.sim import Done, Kernel, Proc


def test_socketpair_connection_has_four_buffers() -> None:
    k = Kernel(socket_buffer=8)
    p = k.attach()
    a, b = ok(k, p, "socketpair", "stream")
    ok(k, p, "set_nonblock", a, True)
    assert ok(k, p, "send", a, b"0123456789AB") == 12  # 8 in b's recv, 4 in a's send
    snap = k.snapshot()
    ends = [snap.channels[snap.process(p).fd(fd).channel] for fd in (a, b)]  # type: ignore[union-attr]
    assert [ch.peer for ch in ends] == [ends[1].id, ends[0].id]
    used = {(ch.id, b.role): b.used for ch in ends for b in ch.buffers}
    assert used == {(ends[0].id, BufferRole.SEND): 4, (ends[0].id, BufferRole.RECV): 0,
                    (ends[1].id, BufferRole.SEND): 0, (ends[1].id, BufferRole.RECV): 8}
    assert ok(k, p, "send", a, b"CDEFGHIJ") == 4  # a's send buffer is full after 4 more
    assert err(k, p, "send", a, b"x") == "EAGAIN"
    assert ok(k, p, "recv", b, 100) == b"01234567"
    assert ok(k, p, "recv", b, 100) == b"89ABCDEF"  # moved over as b read


def test_shutdown_write_is_end_of_stream_for_the_peer() -> None:
    k = Kernel()
    p = k.attach()
    a, b = ok(k, p, "socketpair", "stream")
    ok(k, p, "send", a, b"bye")
    ok(k, p, "shutdown", a, "w")
    assert err(k, p, "send", a, b"more") == "EPIPE"
    assert ok(k, p, "recv", b, 10) == b"bye"
    assert ok(k, p, "recv", b, 10) == b""
    assert ok(k, p, "send", b, b"still") == 5  # the other direction is open


def test_close_with_unread_bytes_resets_the_peer() -> None:
    k = Kernel()
    p = k.attach()
    a, b = ok(k, p, "socketpair", "stream")
    ok(k, p, "send", a, b"unread")
    ok(k, p, "close", b)
    assert err(k, p, "recv", a, 10) == "ECONNRESET"
    assert ok(k, p, "recv", a, 10) == b""
    assert err(k, p, "send", a, b"x") == "EPIPE"


def test_dgram_socketpair_keeps_boundaries_and_truncates() -> None:
    k = Kernel()
    p = k.attach()
    a, b = ok(k, p, "socketpair", "dgram")
    ok(k, p, "send", a, b"first")
    ok(k, p, "send", a, b"second")
    assert ok(k, p, "recv", b, 3) == b"fir"  # the rest of the datagram is lost
    assert ok(k, p, "recv", b, 100) == b"second"
    ok(k, p, "close", b)
    assert err(k, p, "send", a, b"x") == "ECONNREFUSED"
    assert err(k, p, "send", a, b"x") == "ENOTCONN"


def test_unix_stream_server_and_client() -> None:
    k = Kernel()
    server, client = k.attach("server"), k.attach("client")
    ls = ok(k, server, "socket", "unix", "stream")
    assert err(k, server, "listen", ls, 5) == "EINVAL"  # unbound
    c = ok(k, client, "socket", "unix", "stream")
    assert err(k, client, "connect", c, "srv.sock") == "ENOENT"
    ok(k, server, "bind", ls, "srv.sock")
    assert err(k, client, "connect", c, "srv.sock") == "ECONNREFUSED"  # not listening
    ok(k, server, "listen", ls, 5)
    blocks(k, server, "accept", ls)
    ok(k, client, "connect", c, "srv.sock")
    [(pid, done)] = k.settle()
    assert pid == server and isinstance(done, Done) and done.value == (4, None)
    ok(k, client, "send", c, b"ping")
    assert ok(k, server, "recv", 4, 10) == b"ping"
    assert err(k, server, "read", ls, 10) == "EINVAL"
    other = ok(k, server, "socket", "unix", "stream")
    assert err(k, server, "bind", other, "srv.sock") == "EADDRINUSE"
    assert err(k, server, "open", "srv.sock", "r", False, False, False, False, False) == "ENXIO"


def test_accept_queue_holds_backlog_plus_one() -> None:
    k = Kernel()
    server = k.attach("server")
    ls = ok(k, server, "socket", "inet", "stream")
    ok(k, server, "bind", ls, ("127.0.0.1", 80))
    ok(k, server, "listen", ls, 1)
    clients = [k.attach(f"c{i}") for i in range(3)]
    for c in clients[:2]:
        ok(k, c, "connect", ok(k, c, "socket", "inet", "stream"), ("127.0.0.1", 80))
    s3 = ok(k, clients[2], "socket", "inet", "stream")
    ok(k, clients[2], "set_nonblock", s3, True)
    assert err(k, clients[2], "connect", s3, ("127.0.0.1", 80)) == "EAGAIN"
    conn, addr = ok(k, server, "accept", ls)
    assert addr == ("127.0.0.1", 32768)  # the first ephemeral port
    assert ok(k, clients[2], "connect", s3, ("127.0.0.1", 80)) == 0
    snap = k.snapshot()
    server_fds = snap.process(server).fds  # type: ignore[union-attr]
    assert [snap.channels[e.channel].state for e in server_fds[3:]] == ["LISTEN", "ESTABLISHED"]
    assert snap.channels[snap.process(server).fd(conn).channel].kind == Kind.TCP  # type: ignore[union-attr]


def test_tcp_refused_and_address_in_use() -> None:
    k = Kernel()
    p = k.attach()
    s = ok(k, p, "socket", "inet", "stream")
    assert err(k, p, "connect", s, ("127.0.0.1", 9)) == "ECONNREFUSED"
    ok(k, p, "bind", s, ("0.0.0.0", 8080))
    t = ok(k, p, "socket", "inet", "stream")
    assert err(k, p, "bind", t, ("0.0.0.0", 8080)) == "EADDRINUSE"
    assert err(k, p, "bind", s, ("0.0.0.0", 8081)) == "EINVAL"
    assert err(k, p, "recv", 1, 10) == "ENOTSOCK"
    assert err(k, p, "socket", "ipx", "stream") == "EAFNOSUPPORT"


def test_udp_one_socket_for_every_client() -> None:
    async def server(p: Proc) -> int:
        s = await p.socket("inet", "dgram")
        await p.bind(s, ("0.0.0.0", 53))
        for _ in range(3):
            data, sender = await p.recvfrom(s, 100)
            await p.sendto(s, data.upper(), sender)
        return 0

    def client(n: int):  # type: ignore[no-untyped-def]
        async def run(p: Proc) -> int:
            s = await p.socket("inet", "dgram")
            await p.sendto(s, f"hi {n}".encode(), ("127.0.0.1", 53))
            data, _ = await p.recvfrom(s, 100)
            await p.write(1, data + b"\n")
            return 0
        return run

    k = Kernel()
    k.spawn(server, name="server")
    for n in range(3):
        k.spawn(client(n), name=f"client{n}")
    run = k.run()
    assert sorted(run.terminal.splitlines()) == [b"HI 0", b"HI 1", b"HI 2"]
    assert set(run.exit_status.values()) == {0}


def test_udp_to_nobody_is_lost_and_full_queues_drop() -> None:
    k = Kernel(socket_buffer=10)
    p = k.attach()
    s = ok(k, p, "socket", "inet", "dgram")
    assert ok(k, p, "sendto", s, b"void", ("127.0.0.1", 7)) == 4  # udp(7): nobody there
    r = ok(k, p, "socket", "inet", "dgram")
    ok(k, p, "bind", r, ("127.0.0.1", 7))
    assert ok(k, p, "sendto", s, b"12345678", ("127.0.0.1", 7)) == 8
    assert ok(k, p, "sendto", s, b"abcdef", ("127.0.0.1", 7)) == 6  # no room: dropped
    assert ok(k, p, "recvfrom", r, 100) == (b"12345678", ("127.0.0.1", 32768))
    ok(k, p, "set_nonblock", r, True)
    assert err(k, p, "recvfrom", r, 100) == "EAGAIN"
    assert err(k, p, "send", r, b"x") == "EDESTADDRREQ"
    assert err(k, p, "sendto", s, b"x" * 11, ("127.0.0.1", 7)) == "EMSGSIZE"


def test_unix_dgram_reply_needs_a_bound_client() -> None:
    k = Kernel()
    server, client = k.attach("server"), k.attach("client")
    s = ok(k, server, "socket", "unix", "dgram")
    ok(k, server, "bind", s, "srv")
    c = ok(k, client, "socket", "unix", "dgram")
    ok(k, client, "sendto", c, b"anonymous", "srv")
    data, sender = ok(k, server, "recvfrom", s, 100)
    assert (data, sender) == (b"anonymous", None)  # nowhere to reply to
    ok(k, client, "bind", c, "cli")
    ok(k, client, "sendto", c, b"named", "srv")
    assert ok(k, server, "recvfrom", s, 100) == (b"named", "cli")
    ok(k, server, "sendto", s, b"reply", "cli")
    assert ok(k, client, "recv", c, 100) == b"reply"


def test_tcp_close_is_a_fin_and_data_after_it_a_reset() -> None:
    """tcp(7), unlike unix(7): the first send to a closed peer succeeds and brings its RST
    (EPIPE next, end of file for recv); a listener's close resets the connections it had
    not accepted; send on an unconnected socket says EPIPE, connect on a connected one
    EISCONN, shutdown on a listener 0."""
    k = Kernel()
    p = k.attach()
    ls = ok(k, p, "socket", "inet", "stream")
    ok(k, p, "bind", ls, ("127.0.0.1", 8080))
    assert err(k, p, "send", ls, b"x") == "EPIPE"
    ok(k, p, "listen", ls, 5)
    c = ok(k, p, "socket", "inet", "stream")
    ok(k, p, "connect", c, ("127.0.0.1", 8080))
    conn, _ = ok(k, p, "accept", ls)
    assert err(k, p, "connect", c, ("127.0.0.1", 9)) == "EISCONN"
    ok(k, p, "close", conn)
    assert ok(k, p, "send", c, b"hello") == 5
    assert err(k, p, "send", c, b"again") == "EPIPE"
    assert ok(k, p, "recv", c, 10) == b""
    assert err(k, p, "shutdown", c, "w") == "ENOTCONN"
    d = ok(k, p, "socket", "inet", "stream")
    ok(k, p, "connect", d, ("127.0.0.1", 8080))
    assert ok(k, p, "shutdown", ls, "w") == 0
    ok(k, p, "close", ls)
    assert err(k, p, "recv", d, 10) == "ECONNRESET"
    assert ok(k, p, "recv", d, 10) == b""
