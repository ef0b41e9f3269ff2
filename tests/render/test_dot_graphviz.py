"""Graphviz itself reads our DOT: live pipelines, every scenario, awkward labels.

``dot -Tsvg`` and ``dot -Tjson`` must exit 0 with nothing on stderr (graphviz warns
about what it had to guess), the SVG must be well-formed XML, and graphviz's JSON
must hold what we meant: a node per process whose text lines are its pid and name
and its fd rows, a node per channel box whose text lines are its label (escaping
round-trips: quotes, backslashes, non-ASCII; newlines, tabs and other control
characters written out as ``\\n``, ``\\t``, ``\\x1b``), and every edge between the nodes
and ports we meant.
Skipped when graphviz is not installed (make test installs it with apt).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from render_samples import pipe_between, random_snapshot, redirection, tcp_pair, tty

from conftest import need_program
from iochannels import live
from iochannels.model import Buffer, BufferRole, Channel, FdEntry, Kind, Process, Snapshot
from iochannels.render import fullest, render_graph, render_snapshot, render_walkthrough
from iochannels.render.chanbox import stream_buffers
from iochannels.render.columns import nature_word
from iochannels.render.dot import snapshot_dot
from iochannels.render.grouping import fd_span, node_ids, plan
from iochannels.render.names import shown
from iochannels.render.openfiles import shared_files
from iochannels.render.svg import talking
from iochannels.render.units import human_size
from iochannels.sim import scenarios

DIRECTION = {"w": "forward", "r": "back", "rw": "both"}
AWKWARD = 'q"uo\'te \\back\\slash\\ \\N\\l\\n é✓文 <b>&amp;</b> a\nb\x1b[31m\tend\\'
LONG_PATH = "/" + "/".join(f"very-long-directory-name-{i:03}" for i in range(150)) + "/f.txt"


def graphviz(dot_text: str, fmt: str) -> str:
    """``dot -T<fmt>`` of the text; it must succeed without a word on stderr."""
    exe = need_program("dot")
    run = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True,
                         timeout=60, check=False)
    assert run.returncode == 0 and run.stderr == b"", (
        f"dot -T{fmt} exited {run.returncode}: {run.stderr.decode(errors='replace')}")
    return run.stdout.decode()


def lines(text: str) -> list[str]:
    """The line graphviz should draw for ``text``: a name is never cut at a newline; its
    control characters are written out as every view writes them (``\\n``, ``\\x1b``)."""
    return [shown(text)] if text else []


def drawn_text(node: dict[str, Any]) -> list[str]:
    """The text lines graphviz drew for a node, in order (xdot text ops of its label)."""
    return [op["text"] for op in node.get("_ldraw_", []) if op["op"] == "T" and op["text"]]


def channel_lines(channel: Channel, count: int) -> list[str]:
    if count > 1:
        return [f"{channel.kind} ({nature_word(channel.kind)}) ×{count}",
                f"{count} channels, one fd each"]
    found = [f"{channel.kind} ({nature_word(channel.kind)})",
             *lines(channel.label or channel.id)]
    found += lines(channel.state) if channel.state else []
    return found + [f"{b.role}: {human_size(b.used)} / {human_size(b.capacity)}"
                    for b in stream_buffers(channel)]


def check_with_graphviz(snap: Snapshot, dot_text: str | None = None) -> None:
    """Graphviz draws ``snap``'s DOT cleanly, with the nodes, labels and edges we meant."""
    text = snapshot_dot(snap) if dot_text is None else dot_text
    ET.fromstring(graphviz(text, "svg"))  # well-formed: no stray control characters
    # graphviz copies a tab into its JSON strings as it is: not strict JSON
    doc = json.loads(graphviz(text, "json"), strict=False)
    objects = doc.get("objects", [])
    names = [o["name"] for o in objects]
    nodes = {o["name"]: o for o in objects}
    layout = plan(snap)
    ids = node_ids(layout.groups)
    # fds sharing an open file description go through its node (render/openfiles.py)
    shared = shared_files(snap)
    through = {end: f"of_{one.mark}" for one in shared for end in one.ends}
    assert sorted(names) == sorted({f"p{p.pid}" for p in snap.processes} | set(ids.values())
                                   | set(through.values()))

    for proc in snap.processes:
        rows = layout.rows.get(proc.pid, ())
        want = lines(f"{proc.pid} {proc.name}")
        want += [t for r in rows for t in (fd_span(r.fds), r.access or "-", r.kind_text)]
        assert drawn_text(nodes[f"p{proc.pid}"]) == (want if rows else [*want, "(no open fds)"])
    for _, entry in snap.entries():  # every channel an fd names has its node
        if entry.channel in snap.channels:
            assert ids[entry.channel] in nodes
    for group in layout.groups:
        for channel in group.channels[:1] if group.shape == "many" else group.channels:
            assert drawn_text(nodes[ids[channel.id]]) == channel_lines(channel, group.count)
    for one in shared:
        holders = "; ".join(f"{pid} fd {', '.join(map(str, fds))}" for pid, fds in one.holders)
        offset = [] if one.offset is None else [f"offset {one.offset}"]
        assert drawn_text(nodes[f"of_{one.mark}"]) == [f"open file ({one.mark})", holders,
                                                       *offset]

    want_edges: Counter[tuple[str, str, str, str]] = Counter()
    for proc in snap.processes:
        for row in layout.rows.get(proc.pid, ()):
            if row.channel in ids:
                node = through.get((row.pid, row.fds[0]))
                way = DIRECTION.get(row.access or "", "none")
                want_edges[(f"p{row.pid}", f"fd{row.fds[0]}", node or ids[row.channel],
                            way)] += 1
                if node is not None:  # the open file to its channel, once
                    want_edges[(node, "", ids[row.channel], way)] = 1
    for group in layout.groups:
        if group.shape == "pair":
            a, b = group.channels
            want_edges[(ids[a.id], "", ids[b.id], "both")] += 1
    drawn = Counter((names[e["tail"]], e.get("tailport", ""), names[e["head"]], e.get("dir", ""))
                    for e in doc.get("edges", []))
    assert "headport" not in str(doc.get("edges", []))
    assert drawn == want_edges


def awkward() -> Snapshot:
    """Labels that need escaping everywhere: names, paths, addresses, states."""
    a, b = (Channel(f"socket:[{n}]", Kind.UNIX_STREAM, f"@{AWKWARD}{n}", f'ST"{n}\\',
                    peer=f"socket:[{3 - n}]",
                    buffers=(Buffer(BufferRole.SEND, 212992, 7),
                             Buffer(BufferRole.RECV, 212992, 0)))
            for n in (1, 2))
    chans = {c.id: c for c in (
        tty(), a, b,
        Channel("file:awk", Kind.FILE, AWKWARD),
        Channel("file:long", Kind.FILE, LONG_PATH),
        Channel("fifo:é", Kind.FIFO, "/tmp/fïfo \"named\"\\"),
        Channel('id"with\\odd\nid', Kind.ANON, ""),  # no label: the id is shown
        *(Channel(f"file:run{n}", Kind.FILE, f"/lib/\\{n}\".so") for n in range(6)),
    )}
    procs = (
        Process(5, AWKWARD, (), (
            FdEntry(0, "/dev/pts/0", "rw"), FdEntry(1, "file:awk", "w"),
            FdEntry(3, a.id, "rw"), FdEntry(4, "fifo:é", "w"), FdEntry(9, "gone:[1]", "r"),
            *(FdEntry(10 + n, f"file:run{n}", "r") for n in range(6)))),
        Process(6, "<&>é\x01", (), (
            FdEntry(0, "fifo:é", "r"), FdEntry(3, b.id, "rw"), FdEntry(4, "file:long", "r"),
            FdEntry(5, 'id"with\\odd\nid', "rw"))),
        Process(7, "", (), ()),
    )
    return Snapshot(procs, chans, "sim", 1.0)


SAMPLES: dict[str, Callable[[], Snapshot]] = {
    "pipe_between": pipe_between, "redirection": redirection, "tcp_pair": tcp_pair,
    "random": lambda: random_snapshot(3, processes=4, fds=40), "awkward": awkward,
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_graphviz_draws_sample_snapshots(name: str) -> None:
    snap = SAMPLES[name]()
    check_with_graphviz(snap)
    check_with_graphviz(talking(snap), render_graph(snap, "dot"))


@pytest.mark.parametrize("name", [s.name for s in scenarios.SCENARIOS])
def test_graphviz_draws_every_scenario(name: str) -> None:
    scenario = scenarios.get(name)
    run = scenarios.run_scenario(name).walkthrough(scenario.title, scenario.watch)
    check_with_graphviz(fullest(run), render_walkthrough(run, "dot"))
    check_with_graphviz(run.steps[-1].snapshot)


# Names itself with quotes, a backslash, '<', non-ASCII, ESC and a newline (comm: 15 bytes).
NAMED = ("import sys; open('/proc/self/comm', 'w').write('q\"b\\\\<\\u00e9\\x1b\\nz');"
         "sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()")


@pytest.fixture
def pipeline() -> Iterator[list[int]]:
    """``sleep 60 | cat``, and a child with an awkward command name; yields their pids."""
    sleep = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)
    cat = subprocess.Popen(["cat"], stdin=sleep.stdout, stdout=subprocess.DEVNULL)
    named = subprocess.Popen([sys.executable, "-c", NAMED], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert sleep.stdout is not None
        sleep.stdout.close()  # cat holds the read end now
        assert named.stdout is not None and named.stdout.readline() == "ready\n"
        yield [sleep.pid, cat.pid, named.pid]
    finally:
        sleep.kill()
        for child in (sleep, cat):
            child.wait(timeout=10)  # cat sees end of file once sleep is gone
        assert named.stdin is not None and named.stdout is not None
        named.stdin.close()
        named.wait(timeout=10)
        named.stdout.close()


def test_graphviz_draws_a_live_pipeline(pipeline: list[int]) -> None:
    need_program("dot")
    snap = live.snapshot(pipeline)
    sleep, cat, named = (next(p for p in snap.processes if p.pid == pid) for pid in pipeline)
    assert (sleep.name, cat.name, named.name) == ("sleep", "cat", 'q"b\\<é\x1b\nz')
    out = next(e.channel for e in sleep.fds if e.fd == 1)
    assert snap.channels[out].kind == Kind.PIPE
    assert next(e.channel for e in cat.fds if e.fd == 0) == out
    check_with_graphviz(snap, render_snapshot(snap, "dot"))
    check_with_graphviz(talking(snap), render_graph(snap, "dot"))
    assert os.getpid() not in {p.pid for p in snap.processes}
