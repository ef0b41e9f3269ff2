"""Section 2's demos: throughput by chunk size; what a pipe and sockets hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iochannels.demos import registry
from iochannels.demos import stream_vs_block as buffers
from iochannels.demos.stage import Show, staged
from iochannels.errors import UsageError


def run(demo: str, **options: Any) -> tuple[dict[str, Any], list[Show], list[Path]]:
    info = registry.get(demo)
    with staged(info, quick=True, options=options) as stage:
        getattr(buffers, info.function)(stage)
    json.dumps(stage.facts)  # --json prints them
    return stage.facts, [b for b in stage.blocks if isinstance(b, Show)], stage.files


def test_capacity_finds_65536_by_default() -> None:
    facts, shows, _ = run("capacity")
    assert facts["pipe_size"] == 65536
    assert facts["pipe_filled"] == 65536
    assert len(shows) == 2


def test_capacity_after_setpipe_sz() -> None:
    facts, _, _ = run("capacity")
    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    assert facts["pipe_max_size"] == limit
    assert facts["pipe_size_set"] >= limit
    assert facts["pipe_filled_set"] == facts["pipe_size_set"]


def test_capacity_sockets_and_udp() -> None:
    facts, _, _ = run("capacity")
    assert facts["sndbuf_set"] == {"asked": 65536, "got": 131072}  # socket(7): doubled
    for name in ("unix-stream", "tcp"):
        assert facts["sockets"][name]["filled"] > 0
        assert facts["sockets"][name]["sndbuf"] > 0
    assert facts["udp_largest"] == 65507
    assert facts["udp_error_past"] == "EMSGSIZE"


def test_buffer_size_measures_every_chunk_size(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    facts, _, files = run("buffer-size", total="4M", plot_dir=tmp_path,
                          progress=lambda label, done, of: calls.append((label, done, of)))
    assert facts["total"] == 4 << 20
    for channel in ("file", "pipe"):
        assert set(facts["mb_per_s"][channel]) == {str(s) for s in buffers.SIZES}
        assert all(v > 0 for v in facts["mb_per_s"][channel].values())
    assert calls[-1] == ("done", 16, 16)
    assert facts["knee"]["file"] in buffers.SIZES
    pytest.importorskip("matplotlib")
    assert files == [tmp_path / "buffer-size.png"]
    assert files[0].read_bytes().startswith(b"\x89PNG")


def test_buffer_size_refuses_a_tiny_total() -> None:
    with pytest.raises(UsageError, match="too little"):
        run("buffer-size", total="1K")


def test_bar_chart_and_knee() -> None:
    points = [buffers.Point("file", s, 1 << 20, 1 / (i + 1)) for i, s in
              enumerate(buffers.SIZES)]
    points += [buffers.Point("pipe", s, 1 << 20, 1.0) for s in buffers.SIZES]
    chart = buffers.bar_chart(points, width=10)
    assert chart.splitlines()[7].startswith("file 128 KiB ██████████")
    assert buffers.knee(points, "pipe") == 1024
    assert buffers.knee(points, "file") == 128 << 10


def test_parse_size() -> None:
    assert buffers.parse_size("5G") == 5 << 30
    assert buffers.parse_size("64KiB") == 64 << 10
    assert buffers.parse_size(1000) == 1000
    with pytest.raises(UsageError):
        buffers.parse_size("lots")


def test_the_pipe_is_timed_by_the_bench_in_repetitions() -> None:
    """Each timed repetition moves a third of the total, every byte counted by the
    receiver (``bench.measures.stream``)."""
    with staged(registry.get("buffer-size"), quick=True, options={}) as stage:
        point = buffers._time_pipe(stage, 4096, 3 << 20)
    assert point.channel == "pipe" and point.chunk == 4096
    assert point.total == 1 << 20
    assert point.seconds > 0
