"""Many real processes: every view draws what it drew before the ends were indexed.

The graph's ends (``talking``) and the SVG's choice of a side per process used to read
every fd of every process once per channel, and once per placed process: quadratic, two
minutes for a machine with 24,000 fds. The old code is kept here as the reference; the
views must give the same bytes with it and without it, on a real busy snapshot (the
benchmarks' machine: processes in a ring, each holding pipes, socketpairs and TCP
connections with its neighbours). Speed is measured in the benchmarks, not asserted here.
"""

from __future__ import annotations

import importlib.util
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from iochannels import live
from iochannels.model import Process, Reach, Snapshot
from iochannels.render import FORMATS, layout, render_graph, render_snapshot, svg
from iochannels.render.grouping import Plan, plan
from iochannels.render.layout import PlacedProc, Side

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_fds.py"


def _bench_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_fds_for_tests", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ring() -> Iterator[Snapshot]:
    """40 processes, ~12 fds each, crossing to both neighbours, and their parent first: it
    holds the write end of a pipe that all of them read. The snapshot of them all, the
    children asked in a shuffled order: in ring order each would simply sit opposite the one
    before, and the choice of a side would not be tested."""
    with _bench_module().machine(40, 12) as parent:
        with open(f"/proc/{parent}/task/{parent}/children") as f:
            children = [int(p) for p in f.read().split()]
        assert len(children) == 40
        _until_all_sleep(children)
        random.Random(6).shuffle(children)
        yield live.snapshot([parent, *children])


def _until_all_sleep(pids: Sequence[int]) -> None:
    """Until each child sleeps in its read(2) of the pipe its parent holds: then it has
    closed the fds it does not keep (the parent says ready before they have)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = []
        for pid in pids:
            with open(f"/proc/{pid}/stat") as f:  # proc(5): the state follows "(comm) "
                states.append(f.read().rpartition(")")[2].split()[0])
        if set(states) == {"S"}:
            return
        time.sleep(0.05)
    raise AssertionError(f"the children did not all sleep: {states}")


def _proc_ends(snap: Snapshot) -> dict[str, set[tuple[int, int]]]:
    """Who holds what, as the kernel's fd links say (proc(5): /proc/PID/fd/N)."""
    found: dict[str, set[tuple[int, int]]] = {}
    for proc in snap.processes:
        for name in os.listdir(f"/proc/{proc.pid}/fd"):
            target = os.readlink(f"/proc/{proc.pid}/fd/{name}")
            found.setdefault(target, set()).add((proc.pid, int(name)))
    return found


def test_every_channel_has_the_ends_proc_shows(ring: Snapshot) -> None:
    index = ring.ends_by_channel()
    by_proc = _proc_ends(ring)
    for cid in ring.channels:
        if cid.startswith(("pipe:", "socket:")):
            assert {(e.pid, e.fd) for e in index.get(cid, ())} == by_proc.get(cid, set()), cid
        assert index.get(cid, ()) == ring.ends(cid)
    assert sum(map(len, index.values())) == ring.open_fds


def _talking_by_scan(snap: Snapshot) -> Snapshot:
    """talking() as it was: ends() asked for every channel and its peer."""
    snap = replace(snap, processes=(*snap.processes, *svg._outside(snap)))
    shared: set[str] = set()
    for cid, channel in snap.channels.items():
        pids = {e.pid for e in snap.ends(cid)}
        if channel.peer in snap.channels:
            pids |= {e.pid for e in snap.ends(channel.peer or "")}
        if len(pids) > 1 and channel.kind.reach == Reach.PROCESS:
            shared.add(cid)
    procs = tuple(
        Process(p.pid, p.name, p.argv, tuple(e for e in p.fds if e.channel in shared),
                p.ppid, p.state, p.error)
        for p in snap.processes if any(e.channel in shared for e in p.fds)
    )
    return replace(snap, processes=procs)


def _place_procs_by_scan(snap: Snapshot, plan: Plan, xs: dict[Side, float]) -> list[PlacedProc]:
    """_place_procs() as it was: each process's links compared with every placed one's."""
    tops: dict[Side, float] = {"left": layout.TOP, "right": layout.TOP}
    placed: list[PlacedProc] = []
    for proc in snap.processes:
        side: Side = "left"
        if len(snap.processes) > 1:
            mine = layout._links_of(proc, snap)
            shared = {s: sum(len(mine & layout._links_of(p.proc, snap))
                             for p in placed if p.side == s) for s in ("left", "right")}
            if shared["left"] != shared["right"]:
                side = "right" if shared["left"] > shared["right"] else "left"
            else:
                side = "left" if tops["left"] <= tops["right"] else "right"
        rows = plan.rows.get(proc.pid, ())
        box = layout.Box(xs[side], tops[side], layout.PROC_W, layout.proc_height(rows))
        tops[side] = box.bottom + layout.V_GAP
        boxes = tuple((row, layout.Box(box.x + 8, box.y + layout.PROC_HEAD + n * layout.ROW_H,
                                       layout.PROC_W - 16, layout.ROW_H))
                      for n, row in enumerate(rows))
        placed.append(PlacedProc(proc, box, side, boxes))
    return placed


def _every_view(snap: Snapshot) -> Sequence[str]:
    return [*(render_snapshot(snap, f) for f in FORMATS), *(render_graph(snap, f) for f in FORMATS)]


def test_every_view_draws_as_before(ring: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    now = _every_view(ring)
    monkeypatch.setattr(svg, "talking", _talking_by_scan)
    monkeypatch.setattr(layout, "_place_procs", _place_procs_by_scan)
    before = _every_view(ring)
    for fmt, new, old in zip([*FORMATS, *FORMATS], now, before, strict=True):
        assert new == old, fmt
    # Not an empty comparison: both columns hold processes, every process is in the graph.
    assert {p.side for p in layout.arrange(ring, plan(ring)).procs} == {"left", "right"}
    graph = svg.talking(ring)
    assert {p.pid for p in ring.processes} <= {p.pid for p in graph.processes}
