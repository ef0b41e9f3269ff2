"""Section 5 on real sockets: 1 + N server sockets for TCP, 1 for UDP, round-trip times."""

from __future__ import annotations

import socket

import pytest

from iochannels.demos.registry import get
from iochannels.demos.runner import run_demo
from iochannels.demos.socket_operations import (
    ONE_ROUNDS,
    Round,
    _missing,
    _shares,
    percentile,
)
from iochannels.demos.stage import Say, Show, Stage, Table
from iochannels.errors import IoChannelsError
from iochannels.render import render_snapshot

N = 20


def test_tcp_counts_n_plus_one_and_udp_one() -> None:
    result = run_demo("clients", quick=True, options={"clients": N})
    facts = result.facts
    assert facts["tcp_server_sockets"] == N + 1
    assert facts["udp_server_sockets"] == 1
    assert facts["tcp_answered"] == N
    assert facts["udp_answered"] == N
    for kind in ("tcp", "udp"):
        stats = facts[f"{kind}_rtt_ms"]
        assert 0 < stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
    assert any(isinstance(b, Table) for b in result.blocks)
    assert len([b for b in result.blocks if isinstance(b, Show)]) == 2


def test_one_open_connection_is_timed_by_the_bench() -> None:
    """The baseline beside the N clients: round trips on one connection, every one counted
    (``bench.measures.pingpong``), shown as a row of the table each."""
    result = run_demo("clients", quick=True, options={"clients": 3})
    facts = result.facts
    for kind in ("tcp", "udp"):
        assert facts[f"{kind}_one_connection_round_trips"] == ONE_ROUNDS // 5
        stats = facts[f"{kind}_one_connection_rtt_ms"]
        assert 0 < stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
    first, second = (b for b in result.blocks if isinstance(b, Table))
    assert [row[0] for row in first.rows] == [row[0] for row in second.rows] == ["TCP", "UDP"]
    assert [row[1] for row in second.rows] == [f"{ONE_ROUNDS // 5:,}"] * 2


def test_backlog_and_several_workers() -> None:
    facts = run_demo("clients", quick=True, options={"clients": 150, "backlog": 64}).facts
    assert facts["backlog"] == 64
    assert facts["tcp_server_sockets"] == 151
    assert facts["tcp_answered"] == 150


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(IoChannelsError, match=f"cannot bind 127.0.0.1:{port}"):
            run_demo("clients", quick=True, options={"clients": 2, "port": port})


def test_percentiles_and_shares() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, q) for q in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert percentile([], 50) == 0.0
    assert _shares(20) == [20]
    assert sum(_shares(20_000)) == 20_000 and len(_shares(20_000)) == 4


def test_one_client_is_said_in_the_singular() -> None:
    said = " ".join(b.text for b in run_demo("clients", quick=True, options={"clients": 1}).blocks
                    if isinstance(b, Say))
    assert "1 client," in said and "1 socket for 1 client;" in said
    assert "1 clients" not in said


def test_clients_that_failed_are_not_blamed_on_the_fd_limit() -> None:
    """Fewer sockets than 1 + N because clients failed (backlog 0 gave ECONNRESET): say that,
    not that the server ran out of fds when it had 20,000 to spare."""
    stage = Stage(get("clients"))
    failed = Round("tcp", 20, (1.0,) * 13, {"ECONNRESET": 7}, 0, 14, 20_000)
    _missing(stage, failed)
    said = " ".join(b.text for b in stage.blocks if isinstance(b, Say))
    assert "7 clients never got an answer" in said and "RLIMIT_NOFILE" not in said
    stage = Stage(get("clients"))
    _missing(stage, Round("tcp", 20_000, (1.0,) * 20_000, {}, 0, 19_985, 20_000))
    assert "RLIMIT_NOFILE" in " ".join(b.text for b in stage.blocks if isinstance(b, Say))


def test_the_tcp_picture_keeps_the_listening_socket_apart() -> None:
    """Five similar fds collapse into one svg row ("tcp ×5"), hiding 1 listening + N."""
    result = run_demo("clients", quick=True, options={"clients": 6})
    tcp = next(b.step.snapshot for b in result.blocks if isinstance(b, Show))
    svg = render_snapshot(tcp, "svg")
    assert "LISTEN" in svg and "×" not in svg
    assert result.facts["tcp_server_sockets"] == 7  # all counted, fewer drawn


def test_progress_names_each_round() -> None:
    calls: list[tuple[str, int, int]] = []
    run_demo("clients", quick=True,
             options={"clients": 3, "progress": lambda *call: calls.append(call)})
    assert calls == [("TCP, 3 clients", 0, 2), ("UDP, 3 clients", 1, 2), ("done", 2, 2)]
