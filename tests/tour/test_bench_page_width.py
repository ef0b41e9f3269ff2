"""The tour's bench page at 80 columns (a pipe, a log file): the bench's tables as the bench
draws them, every kind name and every figure whole, none folded to ``unix-strea``/``m``
(as tests/bench/test_table_width.py asks of ``iochannels bench`` itself)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from iochannels.bench.jsondoc import report_from_dict
from iochannels.demos.console import ConsolePrinter, make_console
from iochannels.demos.stage import Stage, Table
from iochannels.tour.bench_page import BENCH, _views

ROOT = Path(__file__).resolve().parents[2]
SAVED = ROOT / "docs" / "bench-quick.json"  # a real --quick run: every kind, 4 sizes
KINDS = ("memcpy", "pipe", "fifo", "unix-stream", "unix-dgram", "unix-seqpacket", "tcp",
         "udp", "shm", "splice", "vmsplice")


def whole(word: str, text: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text))


@pytest.mark.parametrize("width", [80, 100])
def test_the_bench_page_keeps_every_word_and_figure_whole(width: int) -> None:
    report = report_from_dict(json.loads(SAVED.read_text()))
    out = io.StringIO()
    console = make_console(out)
    console.width = width  # a file: rich's 80 columns, or a terminal's COLUMNS
    stage = Stage(BENCH, listeners=[ConsolePrinter(console)])
    _views(stage, report)
    text = out.getvalue()
    assert "…" not in text, text
    assert max(cell_len(line) for line in text.splitlines()) <= width
    throughput = text[text.index("One-way throughput"):text.index("Round trips")]
    for kind in KINDS:
        assert whole(kind, throughput) >= 1, (kind, text)
    for t in report.throughput:
        if t.rate >= 100e6:
            figure = f"{t.rate / 1e6:.0f}"
            assert re.search(rf"(?<![\d.]){figure}(?![\d.])", throughput), (figure, text)
    for lat in report.latency:
        if lat.samples_ns:
            p50 = lat.pct(50)
            assert re.search(rf"(?<![\d.]){p50:.1f}(?![\d.])" if p50 < 100
                             else rf"(?<![\d.]){p50:.0f}(?![\d.])", text), (lat.kind, text)
    # The report and --json still read the tables as plain rows.
    tables = [b for b in stage.blocks if isinstance(b, Table)]
    assert [t.title for t in tables][:2] == [
        "One-way throughput (median of the repetitions, timed on the receiver)",
        "Round trips, the same size both ways (microseconds)"]
    assert ("unix-stream", "4 KiB") in {row[:2] for row in tables[0].rows}
