"""The simulator against Linux: the same scripts on both, the same results.

Hypothesis draws the scripts (the generator of ``iochannels.fidelity.generate``
through a chooser over ``data.draw``); one real root worker serves them all.
"""

from __future__ import annotations

import pytest
from fidelitykit import DrawChooser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iochannels.fidelity import EXCLUSIONS, Op, Script, check, compare
from iochannels.fidelity.generate import script_from
from iochannels.fidelity.linux import LinuxRunner
from iochannels.fidelity.observe import Result
from iochannels.fidelity.script import payload
from iochannels.fidelity.simrun import run_sim
from iochannels.sim import Kernel
from iochannels.sim.task import Call, Task


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_scripts_agree_with_linux(linux: LinuxRunner, data: st.DataObject) -> None:
    chooser = DrawChooser(data)
    script = script_from(chooser, chooser.integer(3, 24))
    difference, _, _ = compare(script, linux)
    assert difference is None, str(difference)


def test_blocking_and_its_later_completion_are_compared(linux: LinuxRunner) -> None:
    script = Script((Op(0, "pipe", (0, 0)), Op(0, "fork"), Op(1, "read", (3, 100)),
                     Op(0, "write", (4, 5000)), Op(0, "close", (4,)), Op(1, "read", (3, 100))))
    sim = run_sim(script)
    records = linux.run(script, sim.records)
    assert [r.result.kind for r in records] == ["done", "done", "blocked", "done", "done", "done"]
    assert records[3].completed[0][0] == 2 and records[3].completed[0][1].kind == "done"
    assert records[3].completed[0][1] == Result("done", payload(3, 5000)[:100])
    assert records[5].result == Result("done", payload(3, 5000)[100:200])  # not EOF: bytes left
    assert list(sim.records) == records


def test_a_wrong_pipe_capacity_is_caught(linux: LinuxRunner) -> None:
    script = Script((Op(0, "pipe", (1, 0)), Op(0, "write", (4, 70000))))
    assert compare(script, linux)[0] is None
    difference, _, _ = compare(script, linux, {"pipe_capacity": 32768})
    assert difference is not None and "step 1" in difference.where


def test_a_wrong_fd_flag_is_caught(linux: LinuxRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A simulator whose dup copies close-on-exec (dup(2) says it must not) is caught."""
    from dataclasses import replace

    from iochannels.sim import calltable

    def buggy_dup(k: Kernel, p: Task, call: Call, fd: int) -> int:
        return k.install(p, p.file(fd), p.fds.get(fd).cloexec)

    script = Script((Op(0, "pipe", (0, 1)), Op(0, "dup", (3,))))
    assert compare(script, linux)[0] is None
    buggy = replace(calltable.CALLS["dup"], handler=buggy_dup)
    monkeypatch.setattr(calltable, "CALLS", {**calltable.CALLS, "dup": buggy})
    difference, _, _ = compare(script, linux)
    assert difference is not None and "fds" in difference.where


def test_check_reports_scripts_steps_and_stops() -> None:
    report = check(n_scripts=30, seed=11)
    assert report.ok, report.failures
    assert report.scripts == 30 and report.steps > 30
    assert "30 scripts" in report.summary() and "all agree" in report.summary()
    assert set(report.stopped_by) <= {s.name for s in EXCLUSIONS}


def test_fifo_opens_and_shared_file_offsets_agree(linux: LinuxRunner) -> None:
    """fifo(7): a blocking read-open waits for a writer; fork(2): parent and child share
    one offset of a file; O_APPEND writes land at the end."""
    script = Script((
        Op(0, "mkfifo", (2,)), Op(0, "fork"),
        Op(1, "open", (2, 0, 0)),  # waits for a writer
        Op(0, "open", (2, 1, 0)),  # the writer: both opens finish
        Op(0, "write", (3, 10)), Op(1, "read", (3, 100)),
        Op(0, "open", (0, 2, 1)), Op(0, "fork"),  # f0 at fd 4, shared with p2
        Op(2, "write", (4, 7)), Op(0, "write", (4, 5)), Op(0, "lseek", (4, 0, 1)),
        Op(0, "open", (0, 1, 4)), Op(0, "write", (5, 3)), Op(2, "lseek", (4, 0, 2)),
    ))
    sim = run_sim(script)
    records = linux.run(script, sim.records)
    assert records[2].result == Result("blocked")
    assert records[3].completed == ((2, Result("done", 3)),)
    assert records[10].result == Result("done", 12)  # 7 by the child, then 5: one offset
    assert records[13].result == Result("done", 15)  # O_APPEND wrote at the end
    assert list(sim.records) == records


def test_accept_queue_takes_backlog_plus_one_on_both(linux: LinuxRunner) -> None:
    """listen(fd, 1): two connections wait for accept, the third connect says EAGAIN; and
    af_unix.c looks at the listener's queue before it says the socket is connected."""
    steps = [Op(0, "socket", (0,)), Op(0, "bind", (3, 4)), Op(0, "listen", (3, 1))]
    for fd in (4, 5, 6):
        steps += [Op(0, "socket", (0,)), Op(0, "set_nonblock", (fd, 1)),
                  Op(0, "connect", (fd, 4))]
    steps += [Op(0, "accept", (3,)), Op(0, "connect", (6, 4)), Op(0, "connect", (6, 4)),
              Op(0, "accept", (3,)), Op(0, "connect", (6, 4))]
    script = Script(tuple(steps))
    sim = run_sim(script)
    records = linux.run(script, sim.records)
    connects = [r.result for op, r in zip(script.steps, records, strict=True)
                if op.call == "connect"]
    assert connects == [Result("done", None), Result("done", None), Result("error", "EAGAIN"),
                        Result("done", None), Result("error", "EAGAIN"),  # full: checked first
                        Result("error", "EISCONN")]
    assert list(sim.records) == records


def test_a_datagram_reply_needs_a_bound_client(linux: LinuxRunner) -> None:
    """unix(7): recvfrom names the sender only if it is bound; then the reply reaches it."""
    script = Script((
        Op(0, "socket", (1,)), Op(0, "bind", (3, 4)), Op(0, "socket", (1,)),
        Op(0, "sendto", (4, 5, 4)), Op(0, "recvfrom", (3, 100)),
        Op(0, "bind", (4, 5)), Op(0, "sendto", (4, 6, 4)), Op(0, "recvfrom", (3, 100)),
        Op(0, "sendto", (3, 7, 5)), Op(0, "recvfrom", (4, 100)),
    ))
    sim = run_sim(script)
    records = linux.run(script, sim.records)
    senders = [r.result.value[1] for op, r in zip(script.steps, records, strict=True)
               if op.call == "recvfrom"]
    assert senders == [None, "s1", "s0"]
    assert list(sim.records) == records
