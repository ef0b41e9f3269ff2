"""A report as rich tables: throughput and round trips, each beside C and memcpy.

Text from the machine (the CPU's name, sysctl values) goes in as ``Text``, never as
markup.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from iochannels.bench.compare import latency_ratio, memcpy_of, ratio_to_c, ratio_to_memcpy
from iochannels.bench.goals import goals
from iochannels.bench.results import Latency, Report, Throughput, human_size

__all__ = ["human_rate", "report_view"]

ZERO_COPY = {"splice": "splice (zero-copy)", "vmsplice": "vmsplice (zero-copy)"}


def human_rate(rate: float) -> str:
    """Bytes per second, in decimal units as network and disk figures are given.

    >>> human_rate(2.5e9), human_rate(812.3e6), human_rate(9.3e3)
    ('2.50 GB/s', '812 MB/s', '0.01 MB/s')
    """
    if rate >= 1e9:
        return f"{rate / 1e9:.2f} GB/s"
    if rate >= 100e6:
        return f"{rate / 1e6:.0f} MB/s"
    if rate >= 10e6:
        return f"{rate / 1e6:.1f} MB/s"
    return f"{rate / 1e6:.2f} MB/s"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _with_spread(t: Throughput | None) -> str:
    if t is None:
        return ""
    low, high = t.spread
    half = (high - low) / 2 / t.rate * 100 if t.rate else 0.0
    return f"{_mb(t.rate)} ±{half:.0f}%"


def _mb(rate: float) -> str:
    """MB/s (decimal) with no more digits than the noise allows.

    >>> _mb(2.5e9), _mb(812.3e6), _mb(9.34e6), _mb(9.3e3)
    ('2500', '812', '9.3', '0.01')
    """
    mb = rate / 1e6
    return f"{mb:.0f}" if mb >= 100 else f"{mb:.1f}" if mb >= 1 else f"{mb:.2f}"


def throughput_table(report: Report) -> Table:
    table = Table(title="One-way throughput (median of the repetitions, timed on the receiver)",
                  title_justify="left")
    for name in ("kind", "size", "Python MB/s", "C MB/s", "Py/C", "Py/mem", "C/mem", "lost"):
        table.add_column(name, justify="left" if name == "kind" else "right")
    rows: list[tuple[str, int]] = []
    for t in report.throughput:
        if (t.kind, t.size) not in rows:
            rows.append((t.kind, t.size))
    for kind, size in rows:
        py, c = report.find(kind, "python", size), report.find(kind, "c", size)
        first = py or c
        assert first is not None
        memcpy = memcpy_of(report, size)
        lost = sum(x.lost for x in (py, c) if x)
        sent = sum(x.sent for x in (py, c) if x)
        table.add_row(
            ZERO_COPY.get(kind, kind), human_size(size), _with_spread(py), _with_spread(c),
            _ratio(ratio_to_c(report, py) if py else None),
            _ratio(ratio_to_memcpy(report, py) if py and kind != "memcpy" else None),
            _ratio(ratio_to_memcpy(report, c) if c and c is not memcpy else None),
            f"{lost / sent:.1%}" if kind == "udp" and sent else "",
        )
    return table


def _pcts(lat: Latency | None) -> list[str]:
    if lat is None or not lat.samples_ns:
        return [""] * 4
    return [_us(lat.pct(50)), _us(lat.pct(90)), _us(lat.pct(99)), _us(lat.max_us)]


def _us(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def latency_table(report: Report) -> Table:
    table = Table(title="Round trips, the same size both ways (microseconds)",
                  title_justify="left")
    for name in ("kind", "size", "Py p50", "p90", "p99", "max", "C p50", "p90", "p99", "max",
                 "Py/C", "lost"):
        table.add_column(name, justify="left" if name == "kind" else "right")
    seen: list[tuple[str, int]] = []
    for lat in report.latency:
        if (lat.kind, lat.size) in seen:
            continue
        seen.append((lat.kind, lat.size))
        py = report.find_latency(lat.kind, "python", lat.size)
        c = report.find_latency(lat.kind, "c", lat.size)
        lost = sum(x.lost for x in (py, c) if x)
        table.add_row(lat.kind, human_size(lat.size), *_pcts(py), *_pcts(c),
                      _ratio(latency_ratio(report, py) if py else None),
                      str(lost) if lost else "")
    return table


def environment_text(report: Report) -> Text:
    env, s = report.environment, report.settings
    pin = f"receiver on CPU {s.pin[0]}, sender on CPU {s.pin[1]}" if s.pin else "not pinned"
    most = f"{env.pipe_max_size:,}" if env.pipe_max_size else "?"
    lines = [
        f"CPU: {env.cpu} ({env.cpus} CPUs); {env.kernel}; Python {env.python}; "
        f"C reference: {env.compiler or 'none'}",
        f"load average {env.load[0]:.2f} {env.load[1]:.2f} {env.load[2]:.2f}; {pin}; "
        f"{s.reps} repetitions after a warm-up; {s.rounds:,} round trips per figure",
        f"pipe buffer {env.pipe_size:,} B (max {most}); "
        f"buffer asked: {s.buffer or 'the defaults'}; TCP_NODELAY on",
        "socket defaults: " + ", ".join(f"{k} {v}" for k, v in env.socket_defaults.items()),
    ]
    return Text("\n".join(lines))


def report_view(report: Report) -> Group:
    parts: list[Table | Text] = [environment_text(report), throughput_table(report)]
    if report.latency:
        parts.append(latency_table(report))
    met = goals(report)
    if met:
        table = Table(title="Goals (stated, not asserted)", title_justify="left")
        for name in ("goal", "figure", "met"):
            table.add_column(name)
        for goal in met:
            table.add_row(goal.name, goal.figure, "yes" if goal.met else "MISSED")
        parts.append(table)
    if report.notes:
        parts.append(Text("\n".join(f"note: {n}" for n in report.notes)))
    return Group(*parts)
