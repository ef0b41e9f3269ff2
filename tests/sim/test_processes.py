"""Processes and scheduling: wait and zombies, deadlock reports, determinism, no hangs."""

from __future__ import annotations

from simkit import blocks, err, ok

from iochannels.sim import Kernel, Proc, SimOSError


def test_wait_reaps_a_zombie_and_echild_after() -> None:
    k = Kernel()
    p = k.attach()
    assert err(k, p, "wait", -1) == "ECHILD"
    child = ok(k, p, "fork", None, None)
    blocks(k, p, "wait", -1)
    assert k.settle() == []
    ok(k, child, "exit", 3)
    [(pid, done)] = k.settle()
    assert pid == p and done.value == (child, 3)  # type: ignore[union-attr]
    assert child not in k.procs
    assert err(k, p, "wait", child) == "ECHILD"


def test_a_zombie_shows_in_the_snapshot_until_waited_for() -> None:
    k = Kernel()
    p = k.attach()
    child = ok(k, p, "fork", None, None)
    ok(k, child, "exit", 0)
    zombie = k.snapshot().process(child)
    assert zombie is not None and zombie.state == "zombie" and zombie.fds == ()


def test_blocked_state_names_the_call_and_fd() -> None:
    k = Kernel()
    p = k.attach()
    r, _ = ok(k, p, "pipe", False, False)
    blocks(k, p, "read", r, 10)
    proc = k.snapshot().process(p)
    assert proc is not None and proc.state == "blocked in read(3)"


async def _alice(p: Proc) -> int:
    await p.read(3, 100)
    return 0


async def _bob(p: Proc) -> int:
    await p.read(5, 100)
    return 0


def _both_read_first(seed: int) -> Kernel:
    async def parent(p: Proc) -> int:
        await p.pipe()
        await p.pipe()
        await p.fork(_alice, name="alice")
        await p.fork(_bob, name="bob")
        await p.wait()
        return 0

    k = Kernel(seed=seed)
    k.spawn(parent, name="parent")
    return k


def test_deadlock_is_reported_not_a_hang() -> None:
    run = _both_read_first(0).run()
    assert run.deadlock is not None
    waits = {w.name: (w.call, w.fd, w.channel) for w in run.deadlock.waiters}
    assert waits == {"alice": ("read", 3, "pipe#1"), "bob": ("read", 5, "pipe#2"),
                     "parent": ("wait", None, None)}
    assert "alice in read(3)" in run.deadlock.reason
    assert "deadlock" in run.walkthrough("t").notes[0]


def test_same_seed_same_trace_and_preemption_changes_it() -> None:
    def trace(seed: int, preempt: float) -> list[tuple[int, str]]:
        async def noisy(p: Proc) -> int:
            for i in range(5):
                await p.write(1, f"{p.name} {i}\n".encode())
            return 0

        k = Kernel(seed=seed, preempt=preempt)
        for name in ("a", "b", "c"):
            k.spawn(noisy, name=name)
        return [(e.pid, str(e.args)) for e in k.run().events]

    assert trace(5, 0.5) == trace(5, 0.5)
    assert trace(0, 0.0) == trace(9, 0.0)  # no preemption: run to completion, FIFO
    assert trace(5, 0.5) != trace(0, 0.0)


def test_max_steps_stops_a_program_that_never_ends() -> None:
    async def forever(p: Proc) -> int:
        while True:
            await p.write(1, b".")

    k = Kernel(snapshots=False)
    k.spawn(forever)
    run = k.run(max_steps=100)
    assert run.stopped and len(run.events) == 100
    assert len(run.steps) == 2  # without snapshots: the first and the last picture


def test_an_uncaught_error_ends_the_program_with_status_1() -> None:
    caught: list[str] = []

    async def careless(p: Proc) -> int:
        try:
            await p.close(42)
        except SimOSError as exc:
            caught.append(exc.name)
        await p.close(42)
        return 0

    k = Kernel()
    pid = k.spawn(careless)
    run = k.run()
    assert caught == ["EBADF"]
    assert run.exit_status[pid] == 1
    assert "uncaught EBADF" in run.events[-1].note


def test_every_event_has_a_step_with_the_picture_after_it() -> None:
    run = _both_read_first(0).run()
    assert run.steps[0].event is None
    assert [s.event for s in run.steps[1:]] == list(run.events)
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
