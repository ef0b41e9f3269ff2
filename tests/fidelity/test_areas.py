"""Areas the generated scripts never reached, written from the man pages: each program
runs on Linux and on the simulator, and both must see the same (or the difference is a
named simplification, checked to still show)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from twokernels import LinuxProc, attempt, on_both


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# -- exit statuses: wait(2) reports the low 8 bits (WEXITSTATUS) -----------------------

@pytest.mark.parametrize("status", [0, 1, 255, 256, 257, 300, -1, -256, 1 << 20])
def test_exit_status_keeps_the_low_8_bits(status: int) -> None:
    async def child(p: Any) -> None:
        await p.exit(status)

    async def prog(p: Any) -> Any:
        pid = await p.fork(child)
        _, got = await p.wait(pid)
        return got

    linux, sim = on_both(prog)
    assert linux == status & 0xFF
    assert sim == linux


@pytest.mark.parametrize("status", [3, 256, 1000])
def test_a_returned_status_is_an_exit_status(status: int) -> None:
    async def child(p: Any) -> int:
        return status

    async def prog(p: Any) -> Any:
        return (await p.wait(await p.fork(child)))[1]

    assert on_both(prog) == (status & 0xFF, status & 0xFF)


# -- open flags and lseek whence: open(2), lseek(2) ---------------------------------------

FLAG_SETS = [dict(create=c, truncate=t, append=a) for c in (False, True)
             for t in (False, True) for a in (False, True)]


@pytest.mark.parametrize("mode", ["r", "w", "rw"])
@pytest.mark.parametrize("flags", FLAG_SETS,
                         ids=lambda f: "".join(k[0] for k, v in f.items() if v) or "-")
def test_open_flag_combinations(mode: str, flags: dict[str, bool]) -> None:
    async def prog(p: Any) -> Any:
        w = await p.open("f", "w", create=True)
        await p.write(w, b"0123456789")
        await p.close(w)
        seen = [await attempt(p.open("f", mode, **flags)),
                await attempt(p.open("g", mode, **flags))]
        fd = seen[0]
        if isinstance(fd, int):
            seen.append(await attempt(p.write(fd, b"ab")))
            seen.append(await attempt(p.lseek(fd, 0, 1)))
            seen.append(await attempt(p.lseek(fd, 0, 2)))
            seen.append(await attempt(p.lseek(fd, 0, 0)))
            seen.append(await attempt(p.read(fd, 100)))
        return ["fd" if isinstance(s, int) and i < 2 else s for i, s in enumerate(seen)]

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("whence", [0, 1, 2, 3, 4, 5, -1])
@pytest.mark.parametrize("offset", [-11, -1, 0, 3, 10, 11, 5000])
def test_lseek_whence_on_a_file(whence: int, offset: int) -> None:
    async def prog(p: Any) -> Any:
        fd = await p.open("f", "rw", create=True)
        await p.write(fd, b"0123456789")
        await p.lseek(fd, 4)
        return [await attempt(p.lseek(fd, offset, whence)), await attempt(p.lseek(fd, 0, 1))]

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("whence", [0, 1, 2, 3, 4])
def test_lseek_on_char_devices_opened_by_path(whence: int) -> None:
    async def prog(p: Any) -> Any:
        null = await p.open("/dev/null", "rw")
        return [await attempt(p.lseek(null, 7, whence)), await attempt(p.lseek(null, 0, 1))]

    linux, sim = on_both(prog)
    assert sim == linux


# -- paths ------------------------------------------------------------------------------

def test_dot_slash_names_the_same_file() -> None:
    async def prog(p: Any) -> Any:
        fd = await p.open("f", "w", create=True)
        await p.write(fd, b"abc")
        seen = [await attempt(p.open("./f", "r", create=True, truncate=False))]
        seen.append(await attempt(p.read(seen[0], 10)))
        seen.append(await attempt(p.open(".//./f", "r")))
        seen.append(await attempt(p.mkfifo("./f")))
        seen.append(await attempt(p.unlink("./f")))
        seen.append(await attempt(p.open("f", "r")))
        return [s if not isinstance(s, int) else "fd" for s in seen]

    linux, sim = on_both(prog)
    assert sim == linux


def test_a_file_used_as_a_directory_is_enotdir() -> None:
    async def prog(p: Any) -> Any:
        await p.close(await p.open("f", "w", create=True))
        await p.mkfifo("q")
        return [await attempt(p.open("f/g", "w", create=True)),
                await attempt(p.open("f/g", "r")),
                await attempt(p.open("q/g", "r")),
                await attempt(p.mkfifo("f/q")),
                await attempt(p.unlink("f/g"))]

    linux, sim = on_both(prog)
    assert sim == linux


# -- UNIX datagram sockets: unix(7) ------------------------------------------------------

async def _dgram(p: Any, path: str | None) -> int:
    s = await p.socket("unix", "dgram")
    if path is not None:
        await p.bind(s, path)
    return int(s)


def test_connect_decides_who_may_send_to_whom() -> None:
    async def prog(p: Any) -> Any:
        a, b, c = [await _dgram(p, n) for n in ("a", "b", "c")]
        seen = [await attempt(p.connect(a, "b"))]
        seen.append(await attempt(p.sendto(c, b"c->a", "a")))  # a only hears b now
        seen.append(await attempt(p.sendto(b, b"b->a", "a")))
        seen.append(await attempt(p.sendto(c, b"c->b", "b")))  # b is not connected
        seen.append(await attempt(p.send(a, b"a->b")))
        seen.append(await attempt(p.sendto(a, b"a->c", "c")))  # connected: EISCONN?
        seen.append(await attempt(p.recvfrom(a, 100)))
        seen.append(await attempt(p.recvfrom(b, 100)))
        seen.append(await attempt(p.recvfrom(b, 100)))
        seen.append(await attempt(p.recvfrom(c, 100)))
        return seen

    linux, sim = on_both(prog)
    assert sim == linux


def test_a_peers_close_and_later_sends() -> None:
    async def prog(p: Any) -> Any:
        a, b = await _dgram(p, "a"), await _dgram(p, "b")
        seen = [await attempt(p.connect(a, "b")), await attempt(p.connect(b, "a")),
                await attempt(p.send(a, b"one")), await attempt(p.send(b, b"two"))]
        await p.close(b)
        seen.append(await attempt(p.send(a, b"after")))  # the peer is gone
        seen.append(await attempt(p.recv(a, 100)))  # what b sent before it closed
        seen.append(await attempt(p.send(a, b"again")))
        seen.append(await attempt(p.recv(a, 100)))
        b2 = await _dgram(p, None)
        seen.append(await attempt(p.unlink("b")))
        seen.append(await attempt(p.bind(b2, "b")))  # a new socket at the old name
        seen.append(await attempt(p.send(a, b"new")))
        seen.append(await attempt(p.connect(a, "b")))
        seen.append(await attempt(p.send(a, b"new")))
        seen.append(await attempt(p.recvfrom(b2, 100)))
        return seen

    linux, sim = on_both(prog)
    assert sim == linux


def test_reconnect_drops_the_queue_of_the_old_peer() -> None:
    async def prog(p: Any) -> Any:
        a, b, c = [await _dgram(p, n) for n in ("a", "b", "c")]
        seen = [await attempt(p.connect(b, "a")), await attempt(p.connect(a, "b")),
                await attempt(p.send(b, b"from b")),
                await attempt(p.connect(a, "c")),  # a leaves b: b's datagram?
                await attempt(p.recvfrom(a, 100)),
                await attempt(p.send(b, b"b again")),
                await attempt(p.sendto(c, b"from c", "a")),
                await attempt(p.recvfrom(a, 100))]
        return seen

    linux, sim = on_both(prog)
    assert sim == linux


def test_sender_addresses_seen_by_recvfrom() -> None:
    async def prog(p: Any) -> Any:
        a = await _dgram(p, "a")
        unnamed = await _dgram(p, None)
        named = await _dgram(p, "n")
        await p.sendto(unnamed, b"1", "a")
        await p.sendto(named, b"2", "a")
        pair = [await attempt(p.recvfrom(a, 10)), await attempt(p.recvfrom(a, 10))]
        return pair

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("qlen", [0, 1, 5, 11, 12, 20])
def test_how_many_datagrams_fit(qlen: int) -> None:
    async def prog(p: Any) -> Any:
        _a, b = await _dgram(p, "a"), await _dgram(p, "b")
        await p.connect(b, "a")
        sent = 0
        for _ in range(qlen + 1):
            if await attempt(p.send(b, b"x")) == 1:
                sent += 1
        unconnected = await _dgram(p, None)
        return sent, await attempt(p.sendto(unconnected, b"y", "a"))

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("size", [1, 65536, 65537, 200_000, 212_960, 212_961, 300_000])
def test_message_size_limit_follows_sndbuf(size: int) -> None:
    async def prog(p: Any) -> Any:
        _a, b = await _dgram(p, "a"), await _dgram(p, "b")
        return await attempt(p.sendto(b, b"x" * size, "a"))

    # Both with Linux's default SO_SNDBUF (net.core.wmem_default, 212,992 here).
    linux, sim = on_both(prog, socket_buffer=WMEM_DEFAULT)
    assert sim == linux


WMEM_DEFAULT = int(Path("/proc/sys/net/core/wmem_default").read_text())


# -- UNIX addresses ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["stream", "dgram"])
def test_bind_to_an_empty_path_autobinds(kind: str) -> None:
    async def prog(p: Any) -> Any:
        s = await p.socket("unix", kind)
        t = await p.socket("unix", kind)
        seen = [await attempt(p.bind(s, "")), await attempt(p.bind(s, "")),
                await attempt(p.bind(s, "x")), await attempt(p.bind(t, "y")),
                await attempt(p.bind(t, ""))]
        if kind == "dgram":  # the autobound name is the sender's address
            seen.append(await attempt(p.sendto(s, b"hi", "y")))
            seen.append(await attempt(p.recvfrom(t, 10)))
        return seen

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("length", [1, 100, 107, 108, 109, 200])
def test_sun_path_length(length: int) -> None:
    async def prog(p: Any) -> Any:
        s = await p.socket("unix", "dgram")
        return await attempt(p.bind(s, "x" * length))

    linux, sim = on_both(prog)
    if length < 108:
        assert sim == linux is None
    else:
        # Python refuses a path of 108 bytes or more before any system call; the kernel
        # takes 108 (it adds the null itself) and says EINVAL past sockaddr_un.
        assert linux == "python: AF_UNIX path too long"
        assert sim == (None if length == 108 else "EINVAL")


def test_the_address_accept_reports() -> None:
    async def prog(p: Any) -> Any:
        ls = await p.socket("unix", "stream")
        await p.bind(ls, "ls")
        await p.listen(ls, 5)
        anon = await p.socket("unix", "stream")
        await attempt(p.connect(anon, "ls"))
        named = await p.socket("unix", "stream")
        await p.bind(named, "me")
        await attempt(p.connect(named, "ls"))
        return [(await attempt(p.accept(ls)))[1], (await attempt(p.accept(ls)))[1]]

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("how", ["r", "w", "rw"])
def test_a_listener_after_shutdown(how: str) -> None:
    async def prog(p: Any) -> Any:
        ls = await p.socket("unix", "stream")
        await p.bind(ls, "ls")
        await p.listen(ls, 5)
        c1 = await p.socket("unix", "stream")
        seen = [await attempt(p.connect(c1, "ls")), await attempt(p.shutdown(ls, how))]
        c2 = await p.socket("unix", "stream")
        seen.append(await attempt(p.connect(c2, "ls")))
        got = await attempt(p.accept(ls))
        seen.append(got if isinstance(got, str) else "accepted")
        got = await attempt(p.accept(ls))
        seen.append(got if isinstance(got, str) else "accepted")
        return seen

    linux, sim = on_both(prog)
    assert sim == linux


def test_shutdown_takes_pythons_constants() -> None:
    """shutdown(2)'s how is a number: socket.SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2, as in
    ``sock.shutdown(socket.SHUT_WR)``; another number is EINVAL (unix_shutdown)."""
    async def prog(p: Any) -> Any:
        ls = await p.socket("unix", "stream")
        await p.bind(ls, "ls")
        await p.listen(ls, 5)
        c = await p.socket("unix", "stream")
        await p.connect(c, "ls")
        a, _ = await p.accept(ls)
        return [await attempt(p.send(c, b"last")),
                await attempt(p.shutdown(c, socket.SHUT_WR)),
                await attempt(p.recv(a, 10)), await attempt(p.recv(a, 10)),  # then EOF
                await attempt(p.shutdown(a, socket.SHUT_RD)),
                await attempt(p.shutdown(a, socket.SHUT_RDWR)),
                await attempt(p.shutdown(a, 3)), await attempt(p.shutdown(a, -1))]

    linux, sim = on_both(prog)
    assert linux == [4, None, b"last", b"", None, None, "EINVAL", "EINVAL"]
    assert sim == linux


# -- UDP: udp(7) -----------------------------------------------------------------------------

def test_udp_sendto_port_0() -> None:
    async def prog(p: Any) -> Any:
        s = await p.socket("inet", "dgram")
        return await attempt(p.sendto(s, b"x", ("127.0.0.1", 0)))

    linux, sim = on_both(prog)
    assert sim == linux


# -- found by the generator once it drew them ---------------------------------------------

@pytest.mark.parametrize("whence", [3, 5, 99])
def test_lseek_checks_whence_before_the_kind_of_file(whence: int) -> None:
    async def prog(p: Any) -> Any:
        r, w = await p.pipe()
        s = await p.socket("unix", "dgram")
        null = await p.open("/dev/null", "r")
        return [await attempt(p.lseek(fd, 1, whence)) for fd in (r, w, s, null)]

    linux, sim = on_both(prog)
    assert sim == linux


def test_an_empty_path_is_enoent_before_a_full_table_is_emfile() -> None:
    async def prog(p: Any) -> Any:
        while isinstance(await attempt(p.open("/dev/null", "r")), int):
            pass
        return [await attempt(p.open("", "r")), await attempt(p.open("f", "w", create=True))]

    linux, sim = on_both(prog, max_files=1024)
    assert sim == linux


def test_the_order_of_a_datagram_sends_checks() -> None:
    """Each pair of reasons to fail, in the order Linux checks them."""
    async def prog(p: Any) -> Any:
        seen = []
        s = await _dgram(p, None)
        seen.append(await attempt(p.send(s, b"x" * 300_000)))  # EMSGSIZE before ENOTCONN
        await p.shutdown(s, "w")
        seen.append(await attempt(p.send(s, b"x")))  # EPIPE before ENOTCONN
        seen.append(await attempt(p.sendto(s, b"x", "nobody")))  # EPIPE before ENOENT
        seen.append(await attempt(p.sendto(s, b"x", "")))  # EINVAL before EPIPE
        a, b, _c = [await _dgram(p, n) for n in ("a", "b", "c")]
        await p.connect(a, "b")
        await p.connect(b, "a")
        await p.send(b, b"1")
        await p.connect(a, "c")  # b now has ECONNRESET pending
        seen.append(await attempt(p.send(b, b"x" * 300_000)))  # EMSGSIZE before it
        await p.shutdown(b, "w")
        seen.append(await attempt(p.send(b, b"x")))  # the error before EPIPE
        seen.append(await attempt(p.send(b, b"x")))
        x, _y, z = [await _dgram(p, n) for n in ("x", "y", "z")]
        await p.connect(z, "x")
        await p.connect(x, "y")
        await p.close(x)  # dead, and no longer anyone's: ECONNREFUSED, not EPERM
        seen.append(await attempt(p.send(z, b"q")))
        seen.append(await attempt(p.send(z, b"q")))
        return seen

    linux, sim = on_both(prog, socket_buffer=WMEM_DEFAULT)
    assert sim == linux


# -- the named simplifications still show (once one does not, its name must go) -------------

def test_flat_filesystem_still_differs() -> None:
    async def prog(p: Any) -> Any:
        got = await attempt(p.open("missing/f", "w", create=True))
        return "fd" if isinstance(got, int) else got

    assert on_both(prog) == ("ENOENT", "fd")


def test_port_alone_still_differs() -> None:
    async def prog(p: Any) -> Any:
        a = await p.socket("inet", "dgram")
        await p.bind(a, ("127.0.0.1", 0))
        # Linux: the port it got; the simulator hands out its first ephemeral port, 32768.
        port = (await p.getsockname(a))[1] if isinstance(p, LinuxProc) else 32768
        b = await p.socket("inet", "dgram")
        return await attempt(p.bind(b, ("127.0.0.2", port)))

    assert on_both(prog) == (None, "EADDRINUSE")


def test_file_holes_still_differ() -> None:
    async def prog(p: Any) -> Any:
        fd = await p.open("f", "rw", create=True)
        await p.write(fd, b"x")
        await p.lseek(fd, 1 << 20)
        await p.write(fd, b"y")
        return await attempt(p.lseek(fd, 0, 4))  # SEEK_HOLE: the first hole from 0

    linux, sim = on_both(prog)
    assert sim == (1 << 20) + 1  # the end: the simulator's files have no holes
    assert linux < sim  # this filesystem keeps the hole of 1 MiB (tmpfs, ext4, xfs do)


def test_a_tcp_listener_stopped_by_shut_rd_connects_no_more() -> None:
    """Found by `sim check -n 1000 -s 7` once the generator drew other scripts."""
    async def prog(p: Any) -> Any:
        srv = await p.socket("inet", "stream")
        await p.bind(srv, ("127.0.0.1", 0))
        await p.listen(srv, 5)
        port = (await p.getsockname(srv))[1] if isinstance(p, LinuxProc) else 32768
        stopped = await p.socket("inet", "stream")
        await p.bind(stopped, ("127.0.0.1", 0))
        await p.listen(stopped, 5)
        seen = [await attempt(p.shutdown(stopped, "r")),
                await attempt(p.connect(stopped, ("127.0.0.1", port)))]
        shut_wr = await p.socket("inet", "stream")
        await p.bind(shut_wr, ("127.0.0.1", 0))
        await p.listen(shut_wr, 5)
        seen += [await attempt(p.shutdown(shut_wr, "w")),
                 await attempt(p.connect(shut_wr, ("127.0.0.1", port)))]
        return seen

    linux, sim = on_both(prog)
    assert sim == linux


def test_recvfrom_names_the_sender_as_it_is_bound_when_received() -> None:
    """unix_dgram_recvmsg copies the address of the sending socket (skb->sk) when the
    datagram is received, not when it was sent: a sender that binds in between is seen
    by its new name (found by `sim check -n 1000 -s 2026`). UDP's address is in the
    packet instead, fixed when sent."""
    async def prog(p: Any) -> Any:
        a, b = await _dgram(p, "a"), await _dgram(p, None)
        seen = [await attempt(p.sendto(b, b"unbound", "a"))]
        seen.append(await attempt(p.bind(b, "late")))
        seen.append(await attempt(p.sendto(b, b"bound", "a")))
        seen.append(await attempt(p.recvfrom(a, 100)))
        seen.append(await attempt(p.recvfrom(a, 100)))
        return seen

    linux, sim = on_both(prog)
    assert linux[3][1] == linux[4][1]  # both name the sender as it is now
    assert sim == linux

