"""The result of a run: the events, the steps, the exit statuses, and any deadlock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from iochannels.model import Event, Step, Waiter, Walkthrough
from iochannels.sim.calltable import CALLS
from iochannels.sim.task import Task

__all__ = ["Deadlock", "SimRun", "Waiter", "deadlock_of"]


@dataclass(frozen=True, slots=True)
class Deadlock:
    waiters: tuple[Waiter, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class SimRun:
    events: tuple[Event, ...]
    steps: tuple[Step, ...]
    exit_status: Mapping[int, int | str]
    deadlock: Deadlock | None
    terminal: bytes
    stopped: bool = False  # max_steps ran out while programs could still run

    def walkthrough(self, title: str, description: str = "") -> Walkthrough:
        notes: tuple[str, ...] = ()
        if self.deadlock is not None:
            notes += (f"deadlock: {self.deadlock.reason}",)
        if self.stopped:
            notes += ("stopped after the maximum number of steps",)
        return Walkthrough(title, self.steps, description, notes)


def deadlock_of(procs: Mapping[int, Task]) -> Deadlock | None:
    """Every live program parked, none able to wake another: who waits for what."""
    programs = [p for p in procs.values() if p.alive and p.body is not None]
    if not programs or any(p.state != "blocked" for p in programs):
        return None
    waiters = tuple(_waiter(p) for p in sorted(programs, key=lambda p: p.pid))
    names = ", ".join(f"{w.name} in {w.call}({'' if w.fd is None else w.fd})" for w in waiters)
    reason = f"every process waits and none can run to wake another: {names}"
    return Deadlock(waiters, reason)


def _waiter(p: Task) -> Waiter:
    assert p.call is not None
    fds = CALLS[p.call.name].fds_of(p.call.args)
    fd = fds[0] if fds else None
    channel = getattr(p.call.wchan, "id", None)
    return Waiter(p.pid, p.name, p.call.name, fd, p.call.what,
                  channel if isinstance(channel, str) else None)
