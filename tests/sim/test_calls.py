"""The calls people write in exercises, as programs use them on the simulator: what they
do to the processes and the picture (their Linux errors are compared with Linux itself in
tests/fidelity/test_calls.py)."""

from __future__ import annotations

import errno
import fcntl
import os
import select
import signal

import pytest

from iochannels.sim import Kernel, Proc, SimOSError
from iochannels.sim.scenarios import run_scenario


def _run(main: object, **options: int) -> tuple[Kernel, list[str]]:
    k = Kernel(**options)
    k.spawn(main, name="main")  # type: ignore[arg-type]
    run = k.run()
    lines = [f"{e.call}({', '.join(map(str, e.args))})"
             + (" <blocked>" if e.blocked else f" = -1 {e.error}" if e.error else f" = {e.result}")
             for e in run.events]
    return k, lines


def test_ignoring_sigpipe_turns_death_into_epipe() -> None:
    """pipe(7): a write with no reader sends SIGPIPE, whose default kills; with
    signal(SIGPIPE, SIG_IGN) the write returns EPIPE and the program goes on."""

    async def default(p: Proc) -> int:
        r, w = await p.pipe()
        await p.close(r)
        await p.write(w, b"x")
        return 0  # never reached

    async def ignoring(p: Proc) -> int:
        assert await p.signal(signal.SIGPIPE, signal.SIG_IGN) == "SIG_DFL"
        r, w = await p.pipe()
        await p.close(r)
        try:
            await p.write(w, b"x")
        except SimOSError as exc:
            return 7 if exc.errno == errno.EPIPE else 1
        return 1

    k, _ = _run(default)
    assert k.exit_status == {100: "SIGPIPE"}
    k, lines = _run(ignoring)
    assert k.exit_status == {100: 7}
    assert lines[0] == "signal(SIGPIPE, SIG_IGN) = SIG_DFL"
    assert lines[-2] == 'write(4, "x", 1) = -1 EPIPE'


def test_the_ignored_sigpipe_is_inherited_and_other_signals_are_refused() -> None:
    async def child(c: Proc) -> int:
        return 0 if await c.signal("SIGPIPE", "SIG_DFL") == "SIG_IGN" else 1

    async def main(p: Proc) -> int:
        await p.signal("SIGPIPE", "SIG_IGN")
        await p.fork(child, name="child")
        _, status = await p.wait()
        with pytest.raises(SimOSError) as refused:
            await p.signal(signal.SIGINT, signal.SIG_IGN)
        return int(status) + (0 if refused.value.errno == errno.EINVAL else 1)

    k, _ = _run(main)
    assert k.exit_status == {101: 0, 100: 0}


def test_getpid_getppid_and_waitpid_nohang() -> None:
    """getppid(2) names the parent, and 1 once init adopted the orphan; waitpid with
    WNOHANG answers (0, 0) while the child runs, then reaps it like wait."""
    seen: list[tuple[int, int]] = []

    async def child(c: Proc) -> int:
        seen.append((await c.getpid(), await c.getppid()))
        await c.read(0, 1)  # the terminal: end of file, one more turn
        return 5

    async def main(p: Proc) -> int:
        kid = await p.fork(child, name="child")
        assert await p.waitpid(-1, os.WNOHANG) == (0, 0)
        assert await p.waitpid(kid) == (kid, 5)
        with pytest.raises(SimOSError):
            await p.waitpid(-1, os.WNOHANG)  # ECHILD: no children at all
        return 0

    k, lines = _run(main)
    assert seen == [(101, 100)]
    assert k.exit_status == {101: 5, 100: 0}
    assert "waitpid(-1, WNOHANG) = 0" in lines and "waitpid(101, status=5, 0) = 101" in lines


def test_fcntl_in_a_program_and_its_trace() -> None:
    async def main(p: Proc) -> int:
        r, w = await p.pipe()
        flags = await p.fcntl(r, fcntl.F_GETFL)
        await p.fcntl(r, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        with pytest.raises(SimOSError, match="unavailable"):
            await p.read(r, 1)  # EAGAIN: the flag is on
        assert await p.fcntl(w, "F_SETPIPE_SZ", 1) == 4096
        assert await p.fcntl(r, fcntl.F_DUPFD, 10) == 10
        return 0

    k, lines = _run(main)
    assert k.exit_status == {100: 0}
    assert lines[1:5] == ["fcntl(3, F_GETFL) = 0x0 (flags O_RDONLY)",
                          "fcntl(3, F_SETFL, O_NONBLOCK) = 0", "read(3, 1) = -1 EAGAIN",
                          "fcntl(4, F_SETPIPE_SZ, 1) = 4096"]


def test_pipe2_is_traced_as_pipe2_and_a_failed_pipe_names_no_flags() -> None:
    """strace names what the program called: pipe2 with flags; EMFILE shows no fds."""

    async def main(p: Proc) -> int:
        await p.pipe(nonblock=True, cloexec=True)
        with pytest.raises(SimOSError):
            await p.pipe()  # fds 0-4 taken, max_files=5: EMFILE
        return 0

    _, lines = _run(main, max_files=5)
    assert lines[:2] == ["pipe2([3, 4], O_NONBLOCK|O_CLOEXEC) = 0", "pipe() = -1 EMFILE"]


def test_an_fd_reaches_an_unrelated_process_over_a_unix_socket() -> None:
    """SCM_RIGHTS: the third way a channel reaches a process, beside inheritance and a
    name. The client's pipe shows up in the server's fd table, same channel."""

    async def server(p: Proc) -> int:
        s = await p.socket("unix", "dgram")
        await p.bind(s, "passer")
        data, fds = await p.recvmsg(s, 100)
        await p.write(fds[0], b"from the server\n")
        return 0 if data == b"take this" else 1

    async def client(p: Proc) -> int:
        r, w = await p.pipe()
        s = await p.socket("unix", "dgram")
        await p.sendmsg(s, b"take this", [w], addr="passer")
        await p.close(w)  # the server holds the write end now
        return 0 if await p.read(r, 100) == b"from the server\n" else 1

    k = Kernel()
    k.spawn(server, name="server")
    k.spawn(client, name="client")
    run = k.run()
    assert run.exit_status == {100: 0, 101: 0}
    after = next(s.snapshot for s in run.steps
                 if s.event and s.event.call == "recvmsg" and not s.event.blocked)
    server_fds = {e.fd: e.channel for e in after.processes[0].fds}
    client_fds = {e.fd: e.channel for e in after.processes[1].fds}
    assert server_fds[4] == client_fds[3]  # its write end: reached by neither fork nor name


def test_poll_clients_serves_every_client_from_one_process() -> None:
    run = run_scenario("poll-clients", clients=5)
    assert run.deadlock is None and set(run.exit_status.values()) == {0}
    server_calls = [e.call for e in run.events if e.pid == 100]
    assert server_calls.count("accept") == 5 and "poll" in server_calls
    waits = {p.state for s in run.steps for p in s.snapshot.processes if p.pid == 100}
    assert "blocked in poll()" in waits
    most = max(len(p.fds) for s in run.steps for p in s.snapshot.processes if p.pid == 100)
    assert most == 3 + 1 + 5  # stdio, the listening socket, one socket per client


def test_poll_without_a_ready_fd_returns_at_once_with_timeout_zero() -> None:
    async def main(p: Proc) -> int:
        r, _ = await p.pipe()
        assert await p.poll([(r, select.POLLIN)], 0) == []
        assert await p.poll([(-1, select.POLLIN), (99, select.POLLIN)], 0) == [(99, 32)]
        return 0

    k, lines = _run(main)
    assert k.exit_status == {100: 0}
    assert lines[1] == "poll([{fd=3, events=POLLIN}], 1, 0) = 0 (Timeout)"


def test_recvmsg_on_a_datagram_socket_shut_for_reading_returns_at_once() -> None:
    """Linux (checked by hand: socketpair(AF_UNIX, SOCK_DGRAM), shutdown(SHUT_RD), then a
    blocking recvmsg) returns 0 bytes and no files at once, as read(2) does; the
    simulator's recvmsg returned read's bare b"" and its strace printer failed on it."""

    async def main(p: Proc) -> int:
        a, _ = await p.socketpair("dgram")
        await p.shutdown(a, "r")
        assert await p.recvmsg(a, 8) == (b"", ())
        return 0

    k, lines = _run(main)
    assert k.exit_status == {100: 0}, lines
    assert any(line.startswith("recvmsg(") and line.endswith("= 0") for line in lines), lines
