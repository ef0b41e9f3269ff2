"""Every view draws a LIVE snapshot: real children holding a real pipe and a socketpair."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from render_samples import SVG, parse, svg_problems

from iochannels import live
from iochannels.model import Kind, Snapshot
from iochannels.render import FORMATS, render_graph, render_snapshot

CHILD = "import sys; sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()"


@pytest.fixture
def talking_pair() -> Iterator[tuple[Snapshot, int, int]]:
    """Parent -> pipe -> child A; A <-> socketpair <-> child B. Yields (snapshot, a, b)."""
    ours, theirs = socket.socketpair()
    r, w = os.pipe()
    a = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, pass_fds=(r, ours.fileno()), text=True)
    b = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, pass_fds=(theirs.fileno(),), text=True)
    os.close(r)
    ours.close()
    theirs.close()
    try:
        for child in (a, b):
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
        yield live.snapshot([a.pid, b.pid]), a.pid, b.pid
    finally:
        os.close(w)
        for child in (a, b):
            assert child.stdin is not None and child.stdout is not None
            child.stdin.close()
            child.wait(timeout=10)
            child.stdout.close()


def test_live_snapshot_in_every_format(talking_pair: tuple[Snapshot, int, int]) -> None:
    snap, a, b = talking_pair
    kinds = {snap.channels[e.channel].kind for _, e in snap.entries() if e.channel in snap.channels}
    assert Kind.PIPE in kinds and Kind.UNIX_STREAM in kinds
    for fmt in FORMATS:
        assert render_snapshot(snap, fmt) == render_snapshot(snap, fmt)
        assert render_graph(snap, fmt)
    json.loads(render_snapshot(snap, "json"))
    svg = render_snapshot(snap, "svg")
    assert svg_problems(svg) == []
    rows = [el for el in parse(svg).iter(f"{SVG}rect") if el.get("class") in ("row", "rowalt")]
    assert {el.get("data-pid") for el in rows} == {str(a), str(b)}
    rects = parse(svg).iter(f"{SVG}rect")
    pairs = [el.get("data-pair") for el in rects if el.get("class") == "group"]
    assert len(pairs) == 1  # the socketpair: two sockets linked, four buffers
    graph = render_graph(snap, "svg")
    assert svg_problems(graph) == []
    # a, b, and this process at the other end of a's pipe, as the text graph names it too
    assert graph.count('class="proc"') == 3 and f'data-pid="{os.getpid()}"' in graph
