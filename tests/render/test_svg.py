"""The SVG view: structure (rows, boxes, arrows, buffers), determinism, nothing overlaps."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render_samples import (
    SVG,
    parse,
    pipe_between,
    random_snapshot,
    redirection,
    svg_problems,
    tcp_pair,
)

from iochannels.model import Channel, FdEntry, Kind, Process, Snapshot
from iochannels.render import render_graph, render_snapshot
from iochannels.render.grouping import COLLAPSE_MIN


def _all(svg: str, tag: str, cls: str | None = None) -> list[dict[str, str]]:
    root = parse(svg)
    return [dict(el.attrib) for el in root.iter(f"{SVG}{tag}")
            if cls is None or el.get("class") == cls]


def _rows(svg: str) -> list[dict[str, str]]:
    return [a for a in _all(svg, "rect") if a.get("class") in ("row", "rowalt")]


def test_one_row_per_fd_and_one_box_per_channel() -> None:
    snap = pipe_between()
    svg = render_snapshot(snap, "svg")
    rows = _rows(svg)
    assert sorted((r["data-pid"], r["data-fd"]) for r in rows) == sorted(
        (str(p.pid), str(e.fd)) for p, e in snap.entries())
    chans = [a["data-channel"] for a in _all(svg, "rect", "chan")]
    assert sorted(chans) == sorted(snap.channels)  # one box each: the tty and the pipe


def test_pipe_one_buffer_shared_arrows_follow_the_data() -> None:
    svg = render_snapshot(pipe_between(), "svg")
    assert [c["data-role"] for c in _all(svg, "circle") if "data-role" in c] == ["pipe"]
    arrows = {a["data-fd"]: a["data-channel"] for a in _all(svg, "path", "arrow")}
    assert arrows["101:1"] == arrows["102:0"] == "pipe:[100]"
    assert len(arrows) == 6  # one arrow per fd


def test_socket_connection_shows_four_buffers_and_links_its_two_sockets() -> None:
    svg = render_snapshot(tcp_pair(), "svg")
    roles = sorted(c["data-role"] for c in _all(svg, "circle") if "data-role" in c)
    assert roles == ["recv", "recv", "send", "send"]  # the listening socket has none drawn
    pairs = [a["data-pair"] for a in _all(svg, "rect", "group")]
    assert len(pairs) == 1 and set(pairs[0].split("|")) == {"socket:[1]", "socket:[2]"}


def test_redirection_two_arrows_into_one_box() -> None:
    svg = render_snapshot(redirection(), "svg")
    arrows = _all(svg, "path", "arrow")
    into_file = [a["data-fd"] for a in arrows if a["data-channel"] == "file:out"]
    assert sorted(into_file) == ["7:1", "7:3"]
    assert [a["data-channel"] for a in _all(svg, "rect", "chan")].count("file:out") == 1
    assert "offset: fd 1, 3 at 6" in svg


def test_a_run_of_private_files_collapses_into_one_row() -> None:
    files = {f"f{i}": Channel(f"f{i}", Kind.FILE, f"/usr/lib/l{i}.so") for i in range(40)}
    proc = Process(5, "big", (), tuple(FdEntry(10 + i, f"f{i}", "r") for i in range(40)))
    svg = render_snapshot(Snapshot((proc,), files, "live"), "svg")
    rows = _rows(svg)
    assert [r["data-fd"] for r in rows] == ["10–49"]
    assert "file ×40" in svg
    assert [a["data-count"] for a in _all(svg, "rect", "chan")] == ["40"]
    short = tuple(FdEntry(10 + i, f"f{i}", "r") for i in range(COLLAPSE_MIN - 1))
    few = Process(5, "few", (), short)
    assert len(_rows(render_snapshot(Snapshot((few,), files, "live"), "svg"))) == COLLAPSE_MIN - 1


def test_unknown_buffers_show_a_question_mark() -> None:
    ch = Channel("pipe:[9]", Kind.PIPE, "pipe")
    proc = Process(1, "p", (), (FdEntry(3, "pipe:[9]", "r"), FdEntry(4, "pipe:[9]", "w")))
    svg = render_snapshot(Snapshot((proc,), {ch.id: ch}, "live"), "svg")
    assert 'class="ringq"' in svg and "? / ?" in svg


@pytest.mark.parametrize("make", [pipe_between, redirection, tcp_pair])
def test_same_input_same_bytes(make: object) -> None:
    assert callable(make)
    assert render_snapshot(make(), "svg") == render_snapshot(make(), "svg")
    assert render_graph(make(), "svg") == render_graph(make(), "svg")


@pytest.mark.parametrize("make", [pipe_between, redirection, tcp_pair])
def test_small_pictures_do_not_overlap(make: object) -> None:
    assert callable(make)
    assert svg_problems(render_snapshot(make(), "svg")) == []
    assert svg_problems(render_graph(make(), "svg")) == []


@pytest.mark.parametrize("seed", range(3))
def test_ten_processes_with_a_hundred_fds_do_not_overlap(seed: int) -> None:
    snap = random_snapshot(seed, processes=10, fds=100)
    svg = render_snapshot(snap, "svg")
    assert svg_problems(svg) == []
    assert svg == render_snapshot(random_snapshot(seed, 10, 100), "svg")
    assert len(_all(svg, "rect", "proc")) == 10
    assert svg_problems(render_graph(snap, "svg")) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), processes=st.integers(1, 10), fds=st.integers(0, 100))
def test_generated_snapshots_do_not_overlap(seed: int, processes: int, fds: int) -> None:
    snap = random_snapshot(seed, processes, fds)
    svg = render_snapshot(snap, "svg")
    assert svg_problems(svg) == []
    arrows = _all(svg, "path", "arrow")
    assert len(arrows) == len(_rows(svg))  # every row points to its channel


def test_graph_keeps_only_processes_that_talk() -> None:
    lonely = Process(99, "lonely", (), (FdEntry(0, "/dev/pts/0", "rw"),))
    snap = pipe_between()
    snap = Snapshot((*snap.processes, lonely), snap.channels, "sim")
    svg = render_graph(snap, "svg")
    assert sorted(a["data-pid"] for a in _all(svg, "rect", "proc")) == ["101", "102"]
    assert [r["data-fd"] for r in _rows(svg)] == ["1", "0"]


def test_empty_snapshot_draws() -> None:
    svg = render_snapshot(Snapshot((), {}, "live"), "svg")
    assert svg.startswith("<svg") and svg_problems(svg) == []


def test_a_listening_socket_keeps_its_own_row_beside_a_run_of_connections() -> None:
    from iochannels.model import Channel, FdEntry, Kind, Process, Snapshot
    from iochannels.render.grouping import plan

    channels = {"socket:[1]": Channel("socket:[1]", Kind.TCP, "listen", state="LISTEN")}
    fds = [FdEntry(3, "socket:[1]", "rw")]
    for n in range(2, 8):  # six connections whose peers are not in the snapshot
        cid = f"socket:[{n}]"
        channels[cid] = Channel(cid, Kind.TCP, "conn", state="ESTABLISHED")
        fds.append(FdEntry(n + 2, cid, "rw"))
    rows = plan(Snapshot((Process(9, "server", fds=tuple(fds)),), channels, "live")).rows[9]
    assert [r.fds for r in rows] == [(3,), (4, 5, 6, 7, 8, 9)]
