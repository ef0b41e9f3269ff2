"""Section 5 on real sockets: 1 + N server sockets for TCP, 1 for UDP, round-trip times."""

from __future__ import annotations

import socket

import pytest

from iochannels.demos.base import Show, Table
from iochannels.demos.runner import run_demo
from iochannels.demos.sockets import _shares, percentile
from iochannels.errors import IoChannelsError

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
