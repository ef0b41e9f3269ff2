"""What each channel costs, beside C and memcpy: `iochannels bench` run whole, pinned.

Run with ``make bench`` or alone: ``python benchmarks/bench_channels.py [--quick]``.
Writes ``benchmarks/results/channels.json`` (schemas/bench.schema.json) and prints the
table with the goals of the issue, met or missed. Nothing here is asserted: the figures
move with the machine's load (the JSON keeps the load average beside them).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from iochannels.bench.jsondoc import report_json
from iochannels.bench.results import Report
from iochannels.bench.run import plan_settings, run_bench
from iochannels.bench.table import report_view

RESULTS = Path(__file__).resolve().parent / "results"


def measure(quick: bool) -> Report:
    cpus = sorted(os.sched_getaffinity(0))
    pin = (cpus[0], cpus[1] if len(cpus) > 1 else cpus[0])
    report = run_bench(plan_settings(quick=quick, pin=pin))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "channels.json").write_text(report_json(report), encoding="utf-8")
    return report


def test_channels() -> None:
    Console(width=120).print(report_view(measure(quick=False)))


if __name__ == "__main__":
    Console(width=120).print(report_view(measure(quick="--quick" in sys.argv)))
