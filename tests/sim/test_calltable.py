"""The call table: one row per system call, agreeing with the Proc methods programs call."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import iochannels.sim
from iochannels.sim import Kernel, Proc
from iochannels.sim.calltable import CALLS

PROC_METHODS = {name for name, fn in inspect.getmembers(Proc, inspect.iscoroutinefunction)
                if not name.startswith("_")}


def test_every_proc_method_is_a_row_and_every_row_a_method() -> None:
    assert set(CALLS) == PROC_METHODS


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_row_names_the_parameters_of_its_method(name: str) -> None:
    params = tuple(inspect.signature(getattr(Proc, name)).parameters)[1:]  # without self
    assert CALLS[name].params == params
    handler = tuple(inspect.signature(CALLS[name].handler).parameters)[3:]  # k, p, call
    assert len(handler) == len(params)
    for i in CALLS[name].fds:
        assert params[i] in ("fd", "old", "new")


def test_sim_has_no_import_back_edges() -> None:
    """The layers contract checks the imports that run; TYPE_CHECKING ones it would miss."""
    root = Path(iochannels.sim.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "TYPE_CHECKING" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_a_waiting_call_shows_the_fd_from_the_table() -> None:
    """A parked read names its fd, a parked wait none (its argument is a pid)."""

    async def child(c: Proc) -> int:
        r, _ = await c.pipe()
        await c.read(r, 1)  # waits for ever: it holds the write end itself
        return 0

    async def main(p: Proc) -> int:
        await p.fork(child, name="child")
        await p.wait()
        return 0

    k = Kernel()
    k.spawn(main, name="main")
    run = k.run()
    assert run.deadlock is not None
    waiting = {(w.name, w.call, w.fd) for w in run.deadlock.waiters}
    assert waiting == {("main", "wait", None), ("child", "read", 3)}
    states = {p.name: p.state for p in run.steps[-1].snapshot.processes}
    assert states == {"main": "blocked in wait(-1)", "child": "blocked in read(3)"}
