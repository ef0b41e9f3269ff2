"""Snapshots: the cheap, cached pictures equal pictures drawn from scratch, at every step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from iochannels.model import BufferRole, Kind, Snapshot
from iochannels.sim import Kernel, Proc
from iochannels.sim.scenarios import MAX_STEPS, SCENARIOS, get
from iochannels.sim.snapshot import draw


def _checked(k: Kernel) -> list[str]:
    """Make ``k`` compare every picture its camera takes with one drawn from scratch;
    the list collects the mismatches (checking order too: views list channels in it)."""
    mismatches: list[str] = []
    take = k.camera.take

    def checked_take(procs: Mapping[int, Any], taken_at: float) -> Snapshot:
        snap = take(procs, taken_at)
        fresh = draw(procs, taken_at)
        if snap != fresh or list(snap.channels) != list(fresh.channels):
            mismatches.append(f"after {k.events[-1] if k.events else 'the start'}")
        return snap

    k.camera.take = checked_take  # type: ignore[method-assign]
    return mismatches


CASES: list[tuple[str, dict[str, int]]] = [(s.name, {}) for s in SCENARIOS] + [
    ("tcp-clients", {"clients": 50}),
    ("tcp-clients", {"clients": 12, "backlog": 2, "preempt": 50}),
    ("udp-clients", {"clients": 12, "preempt": 50}),
    ("accept-queue", {"clients": 6, "backlog": 1, "preempt": 30}),
    ("two-pipes", {"preempt": 50}),
    ("blocking-partial-write", {"preempt": 50, "pipe_capacity": 4096}),
]


@pytest.mark.parametrize(("name", "params"), CASES,
                         ids=[f"{n}-{'-'.join(f'{k}{v}' for k, v in p.items())}" for n, p in CASES])
@pytest.mark.parametrize("seed", [0, 3])
def test_cached_pictures_equal_fresh_ones(name: str, params: dict[str, int], seed: int) -> None:
    scenario = get(name)
    k = scenario.kernel(seed, scenario.params(params))
    mismatches = _checked(k)
    run = k.run(max_steps=MAX_STEPS)
    assert len(run.steps) == len(run.events) + 1 >= 4
    assert not mismatches, mismatches[:3]
    assert k.snapshot() == draw(k.procs, float(len(k.events)))


async def _shares_open_files(p: Proc) -> int:
    """A child moves the offset and flags of open files its parent holds too."""
    f = await p.open("f.txt", "w", create=True)
    r, _ = await p.pipe()

    async def child(c: Proc) -> int:
        await c.write(f, b"hello")  # one open file: the parent's offset moves too
        await c.set_nonblock(r)  # O_NONBLOCK is the open file's: the parent's fd has it too
        await c.read(0, 1)  # another call: the parent's picture is the one to watch
        return 0

    await p.fork(child, name="child")
    await p.wait()
    await p.lseek(f, 1)
    return 0


async def _execs_with_cloexec(p: Proc) -> int:
    """exec closes the close-on-exec fds: nobody names them in the call."""
    await p.pipe()
    await p.set_cloexec(3)

    async def after(q: Proc) -> int:
        await q.write(1, b"new program\n")
        return 0

    await p.exec(after, argv=("after",))
    return 0


async def _closes_a_datagram_target(p: Proc) -> int:
    """A connected datagram socket shows its target until the target closes."""
    a, b = await p.socket("unix", "dgram"), await p.socket("unix", "dgram")
    await p.bind(b, "b")
    await p.connect(a, "b")
    await p.close(b)  # a's picture loses its peer, though only b was named
    await p.read(0, 1)
    return 0


async def _orphans_a_child(p: Proc) -> int:
    """The parent exits while its child is ready but has not run: the child has no parent."""

    async def child(c: Proc) -> int:
        await c.read(0, 1)
        return 0

    await p.fork(child, name="child")
    return 0


@pytest.mark.parametrize("program", [_shares_open_files, _execs_with_cloexec,
                                     _closes_a_datagram_target, _orphans_a_child])
def test_changes_nobody_names_are_drawn(program: Any) -> None:
    k = Kernel()
    k.spawn(program, name="main")
    mismatches = _checked(k)
    run = k.run()
    assert run.deadlock is None and set(run.exit_status.values()) == {0}
    assert not mismatches, mismatches[:3]


class _Forgetful(Kernel):
    """A kernel that does not tell its camera about the fds a call fills."""

    def install(self, p: Any, f: Any, cloexec: bool = False, fd: int | None = None) -> int:
        return int(p.fds.install(f, cloexec, fd))


def test_the_check_catches_a_change_nobody_marked() -> None:
    async def main(p: Proc) -> int:
        r, w = await p.pipe()
        await p.write(w, b"hi")
        await p.close(r)
        return 0

    k = _Forgetful()
    k.spawn(main, name="main")
    mismatches = _checked(k)
    k.run()
    assert mismatches  # pipe() installed fds 3 and 4 without a mark: the picture misses them


def test_the_cache_keeps_only_what_the_picture_shows() -> None:
    scenario = get("tcp-clients")
    k = scenario.kernel(0, scenario.params({"clients": 40}))
    most = 0
    while k.run(max_steps=k.turns + 1).stopped:
        shown = k.steps[-1].snapshot.channels
        assert k.camera.cached() == len(shown)
        most = max(most, len(shown))
    assert most > 40  # 1 listening socket, 40 connections of the server, 40 of the clients
    assert not k.snapshot().channels and k.camera.cached() == 0  # every process exited


def test_a_picture_shares_what_did_not_change() -> None:
    scenario = get("tcp-clients")
    run = scenario.kernel(0, scenario.params({"clients": 20})).run()
    before, after = run.steps[-3].snapshot, run.steps[-2].snapshot
    same = [a for a, b in zip(before.processes, after.processes, strict=False) if a is b]
    assert len(same) >= len(after.processes) - 2  # the caller and its parent at most
    shared = [c for c in after.channels if before.channels.get(c) is after.channels[c]]
    assert len(shared) >= len(after.channels) - 3  # the call's channel and its peer at most


def test_without_snapshots_the_last_picture_is_drawn_from_scratch() -> None:
    scenario = get("tcp-clients")
    k = scenario.kernel(0, scenario.params({"clients": 5}), snapshots=False)
    run = k.run()
    assert len(run.steps) == 2
    assert run.steps[-1].snapshot == draw(k.procs, float(len(k.events)))
    assert k.camera.cached() == 0  # nothing marked, nothing kept


def test_a_connection_shows_two_channels_and_four_buffers() -> None:
    async def server(p: Proc) -> int:
        ls = await p.socket("unix", "stream")
        await p.bind(ls, "s")
        await p.listen(ls, 1)
        conn, _ = await p.accept(ls)
        await p.recv(conn, 1)  # waits: the picture now shows the connection
        return 0

    async def client(p: Proc) -> int:
        s = await p.socket("unix", "stream")
        await p.connect(s, "s")
        await p.read(0, 1)  # the terminal: end of file at once
        await p.wait()  # ECHILD: ends the program with status 1
        return 0

    k = Kernel()
    k.spawn(server, name="server")
    k.spawn(client, name="client")
    run = k.run()
    snap = next(s.snapshot for s in run.steps if s.event and s.event.call == "read")
    sockets = [c for c in snap.channels.values() if c.kind == Kind.UNIX_STREAM]
    connected = [c for c in sockets if c.peer is not None]
    assert len(connected) == 2 and {c.peer for c in connected} == {c.id for c in connected}
    roles = [b.role for c in connected for b in c.buffers]
    assert roles.count(BufferRole.SEND) == 2 and roles.count(BufferRole.RECV) == 2
    listening = [c for c in sockets if c.state == "LISTEN"]
    assert listening and listening[0].detail["backlog"] == "1"
