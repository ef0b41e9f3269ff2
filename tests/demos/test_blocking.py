"""Section 6 on real channels: each bullet, asserted from what the kernel did."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from iochannels.demos.runner import run_demo
from iochannels.demos.stage import Show, Table


@pytest.fixture(scope="module")
def result() -> Any:
    return run_demo("blocking", quick=True)


def test_a_writer_blocks_after_exactly_the_capacity(result: Any) -> None:
    facts = result.facts
    assert facts["pipe_capacity"] == 65_536
    assert facts["blocked_writer_wrote"] == 65_536
    assert facts["writer_refilled"] == 65_536
    assert "pipe" in facts["blocked_writer_wchan"] or facts["blocked_writer_wchan"] in ("", "0")


def test_sigpipe_kills_the_writer_and_epipe_is_seen(result: Any) -> None:
    assert result.facts["writer_killed_by"] == signal.SIGPIPE == 13
    assert result.facts["no_reader_write"] == "EPIPE"


def test_reader_blocks_then_partial_read_then_zero_at_eof(result: Any) -> None:
    facts = result.facts
    assert "pipe" in facts["blocked_reader_wchan"] or facts["blocked_reader_wchan"] in ("", "0")
    assert facts["partial_read"] == 2
    assert facts["eof_read"] == 0


def test_nonblocking_partial_write_and_eagain(result: Any) -> None:
    facts = result.facts
    assert facts["partial_write"] == 65_536 < facts["partial_write_asked"]
    assert facts["nonblock_write_full"] == "EAGAIN"
    assert facts["nonblock_read_empty"] == "EAGAIN"


def test_a_file_read_returns_at_once(result: Any) -> None:
    assert result.facts["file_read_bytes"] == 1 << 20
    assert result.facts["file_read_at_end"] == 0


def test_it_shows_the_blocked_processes_and_a_summary(result: Any) -> None:
    shows = [b for b in result.blocks if isinstance(b, Show)]
    assert len(shows) == 2
    assert any(isinstance(b, Table) for b in result.blocks)
