"""The bench's tables at the width of a pipe (rich draws 80 columns when stdout is not a
terminal) or of a narrow terminal: every kind name and every figure whole, none cut to
``unix-seq…``. Speed is not asserted: the runs use the smallest settings."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from iochannels.bench.jsondoc import report_from_dict
from iochannels.bench.table import report_view

ROOT = Path(__file__).resolve().parents[2]
SAVED = ROOT / "docs" / "bench-quick.json"  # a real --quick run: every kind, 4 sizes
KINDS = ("memcpy", "pipe", "fifo", "unix-stream", "unix-dgram", "unix-seqpacket", "tcp",
         "udp", "shm")
TINY = ["bench", "--quick", "--sizes", "64", "--latency-sizes", "64", "--reps", "1",
        "--rounds", "20"]


def whole(kind: str, text: str) -> int:
    """How many times ``kind`` stands whole in ``text`` (not a part of a longer name)."""
    return len(re.findall(rf"(?<![\w-]){re.escape(kind)}(?![\w-])", text))


@pytest.mark.parametrize("columns", ["80", None], ids=["COLUMNS=80", "no COLUMNS"])
def test_a_quick_run_piped_keeps_every_kind_name_whole(columns: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if columns:
        env["COLUMNS"] = columns
    env["PYTHONPATH"] = str(ROOT / "src")
    proc = subprocess.run([sys.executable, "-m", "iochannels", *TINY], env=env,
                          capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "…" not in out, out
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    throughput = out[out.index("One-way throughput"):out.index("Round trips")]
    round_trips = re.split(r"\nGoals|\nnote:", out[out.index("Round trips"):])[0]
    for kind in KINDS:
        assert whole(kind, throughput) == 1, (kind, out)
        if kind != "memcpy":
            assert whole(kind, round_trips) == 1, (kind, out)


@pytest.mark.parametrize("width", [80, 83, 90, 100, 112, 140])
def test_a_saved_report_keeps_every_word_whole_at_any_usual_width(width: int) -> None:
    report = report_from_dict(json.loads(SAVED.read_text()))
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(report_view(report))
    out = buffer.getvalue()
    assert "…" not in out, out
    assert max(cell_len(line) for line in out.splitlines()) <= width
    for kind in (*KINDS, "splice", "vmsplice"):
        assert whole(kind, out) >= 1, (kind, out)
    # every figure of the saved report is there, whole (a cell may wrap between words)
    for t in report.throughput:
        figure = f"{t.rate / 1e6:.0f}" if t.rate >= 100e6 else None
        if figure:
            assert re.search(rf"(?<![\d.]){figure}(?![\d.])", out), (figure, t.kind, out)
    for lat in report.latency:
        if lat.samples_ns:
            p50 = lat.pct(50)
            assert (f"{p50:.1f}" if p50 < 100 else f"{p50:.0f}") in out
