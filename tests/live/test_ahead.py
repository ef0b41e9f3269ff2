"""Many processes read ahead on threads give the snapshot one read after another gives.

From ``_scan.AHEAD_FROM`` processes (the C part built, whole fd tables), threads of
``_scan.ahead`` read each process's stat, cmdline and fd table while Python makes the
channels of the ones before (live/ahead.py). Each test reads the same real processes
that way and by the serial pure-Python path and compares, or kills processes while
they are read; what each table holds is read from /proc by the test itself first.
Skipped where the C part was not built.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from livekit import Child, every_kind

from iochannels import live
from iochannels.live import procfs
from iochannels.model import Snapshot

_scan = pytest.importorskip("iochannels.live._scan", reason="the C part was not built")

CROWD = 40  # more than AHEAD_FROM, with every_kind: the threshold is crossed

# argv[1] processes, forked from one, each holding a pipe end and a socketpair end
# shared with each neighbour, and a file; each waits in read(2) of a pipe no one writes.
# The parent prints their pids, then waits until its stdin closes; it reaps every child
# at once (SIGCHLD ignored: sigaction(2), no zombies), so a child killed is gone.
CROWD_SCRIPT = r"""
import os, signal, socket, sys
count = int(sys.argv[1])
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
ends = [[] for _ in range(count)]
for i in range(count):
    j = (i + 1) % count
    r, w = os.pipe()
    ends[i].append(w); ends[j].append(r)
    a, b = socket.socketpair()
    ends[i].append(a.detach()); ends[j].append(b.detach())
    ends[i].append(os.open(os.devnull, os.O_RDONLY))
wait_r, wait_w = os.pipe()
pids = []
for i in range(count):
    pid = os.fork()
    if pid == 0:
        keep = {0, 1, 2, wait_r, *ends[i]}
        for fd in range(3, max(keep) + 64):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.read(wait_r, 1)
        os._exit(0)
    pids.append(pid)
for fds in ends:
    for fd in fds:
        os.close(fd)
print(" ".join(map(str, pids)), flush=True)
sys.stdin.read()
os.close(wait_w)
"""


@pytest.fixture(autouse=True)
def built() -> None:
    with procfs.native(True) as there:
        if not there:
            pytest.skip("the C part of the scan was not built (no C compiler at install)")


@pytest.fixture
def crowd() -> Iterator[list[int]]:
    """CROWD processes waiting in read(2), their channels crossing to their neighbours."""
    proc = subprocess.Popen([sys.executable, "-c", CROWD_SCRIPT, str(CROWD)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        for pid in pids:
            settled(pid)
        yield pids
    finally:
        proc.stdin.close()  # the parent closes the pipe its children wait on, and they end
        proc.wait()
        proc.stdout.close()


def settled(pid: int) -> None:
    """Wait until ``pid`` sleeps in read(2) (proc(5) /proc/pid/syscall: "0 ..."): a child
    still on its way there would show another state to each path."""
    for _ in range(500):
        with open(f"/proc/{pid}/syscall") as fh:
            if fh.read().startswith("0 "):
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never waited in read(2)")


def ahead_and_pure(pids: list[int], others: bool = True) -> tuple[Snapshot, Snapshot, int]:
    """The snapshot of ``pids`` by the C part, by Python, and the threads the first started
    (``others``: with the search for other ends, which has threads of its own)."""
    before = _scan.threads_started()
    with procfs.native(True):
        native = live.snapshot(pids, others=others)
    started = _scan.threads_started() - before
    with procfs.native(False):
        pure = live.snapshot(pids, others=others)
    return replace(native, taken_at=0.0), replace(pure, taken_at=0.0), started


def tables(pids: list[int]) -> dict[int, dict[int, str]]:
    """pid -> {fd: link}, by readlink(2) of /proc/PID/fd/N here (proc(5))."""
    return {pid: {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}")
                  for fd in os.listdir(f"/proc/{pid}/fd")} for pid in pids}


def test_many_processes_read_ahead_as_pure(every_kind: Child, crowd: list[int]) -> None:
    settled(every_kind.pid)
    gone = 2**22 + 1  # above pid_max's ceiling (proc(5)): never a process
    pids = [every_kind.pid, *crowd, gone]
    native, pure, started = ahead_and_pure(pids)
    assert started >= 1
    assert native == pure
    assert [p.pid for p in native.processes] == pids[:-1]
    assert any(f"no such process (gone before it was read): pid {gone}" == note
               for note in native.notes)
    # Each table whole, as Linux gives it; the pipes and sockets are their own channels.
    for pid, table in tables(crowd).items():
        proc = native.process(pid)
        assert proc is not None
        assert {e.fd for e in proc.fds} == set(table)
        assert all(e.channel == table[e.fd] for e in proc.fds if table[e.fd][0] != "/")
    kept = native.process(every_kind.pid)
    assert kept is not None and len(kept.fds) >= len(every_kind.fds)


@pytest.mark.parametrize("below", [True, False], ids=["below", "at"])
def test_threshold_both_sides(crowd: list[int], below: bool) -> None:
    pids = crowd[: _scan.AHEAD_FROM - below]
    native, pure, started = ahead_and_pure(pids, others=False)
    assert native == pure
    assert (started == 0) is below


def test_one_process_starts_no_thread(every_kind: Child) -> None:
    settled(every_kind.pid)
    native, pure, started = ahead_and_pure([every_kind.pid], others=False)
    assert native == pure
    assert started == 0


def test_the_order_asked_is_kept(crowd: list[int]) -> None:
    pids = random.Random(7).sample(crowd, len(crowd))
    native, pure, _ = ahead_and_pure(pids)
    assert native == pure
    assert [p.pid for p in native.processes] == pids


def test_our_own_table_without_the_scan_threads(crowd: list[int]) -> None:
    """Our table is read before any thread starts: none of their directories is in it."""
    with procfs.native(True):
        snap = live.snapshot([*crowd, os.getpid()])
    me = snap.process(os.getpid())
    assert me is not None and me.fds
    assert not any(snap.channels[e.channel].label.startswith("/proc/") for e in me.fds)


def test_killed_while_read_ahead_left_out_and_named(crowd: list[int]) -> None:
    """proc(5): a process may exit between any two reads of it, its stat and its fd
    table among them; it is then left out and named, never shown with a partial table."""
    known = tables(crowd)
    start = time.perf_counter()
    with procfs.native(True):
        live.snapshot(crowd)
    seconds = time.perf_counter() - start
    alive, noted = list(crowd), 0
    for trial in range(6):
        rng = random.Random(trial)
        doomed = rng.sample(alive, 6)
        times = sorted(rng.uniform(0, seconds) for _ in doomed)
        killer = threading.Thread(target=_kill_at, args=(doomed, times))
        killer.start()
        with procfs.native(True):
            snap = live.snapshot(alive)
        killer.join()
        shown = {p.pid for p in snap.processes}
        notes = " ".join(snap.notes)
        for pid in alive:
            proc = snap.process(pid)
            if proc is None:  # left out: gone before its read, or exited during it
                assert pid in doomed and f"{pid}" in notes, (pid, snap.notes)
                noted += "exited during the scan" in notes
                continue
            assert {e.fd for e in proc.fds} == set(known[pid]), pid
            assert all(e.channel == known[pid][e.fd] for e in proc.fds
                       if known[pid][e.fd][0] != "/")
        alive = [pid for pid in alive if pid not in doomed]
        assert shown <= set(crowd)
    assert noted, "no kill came during a scan: the race was not tried"


def _kill_at(pids: list[int], times: list[float]) -> None:
    start = time.perf_counter()
    for pid, at in zip(pids, times, strict=True):
        time.sleep(max(0.0, at - (time.perf_counter() - start)))
        os.kill(pid, signal.SIGKILL)


def test_stopped_early_leaves_no_thread(crowd: list[int]) -> None:
    tasks = len(os.listdir("/proc/self/task"))
    fds = len(os.listdir("/proc/self/fd"))
    reader = _scan.ahead("/proc", crowd)
    first = next(reader)
    reader.close()
    assert first[0] == crowd[0] and list(reader) == []
    dropped = _scan.ahead("/proc", crowd)
    del dropped  # unread: freed with its threads joined
    assert len(os.listdir("/proc/self/task")) == tasks
    assert len(os.listdir("/proc/self/fd")) == fds


__all__ = ["every_kind"]  # a fixture: imported by the tests that use it
