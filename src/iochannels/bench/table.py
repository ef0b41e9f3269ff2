"""A report as rich tables: throughput and round trips, each beside C and memcpy.

Text from the machine (the CPU's name, sysctl values) goes in as ``Text``, never as
markup. A table narrower than its natural width (80 columns, a pipe: rich's default) keeps
every word whole: the columns wrap between words (``37.8 ±102%`` on two lines), none is
cut to ``unix-seq…``; the round trips, too wide for that, then take one row per language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import replace

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from iochannels.bench.compare import latency_ratio, memcpy_of, ratio_to_c, ratio_to_memcpy
from iochannels.bench.goals import goals
from iochannels.bench.results import Latency, Report, Throughput, human_size

__all__ = ["WholeWords", "human_rate", "report_view"]

ZERO_COPY = {"splice": "splice (zero-copy)", "vmsplice": "vmsplice (zero-copy)"}


class WholeWords(Table):
    """A table that, given fewer columns than its natural width, wraps its cells between
    words rather than cutting them (rich's own narrowing shrinks the widest column first,
    below its longest word: ``unix-seq…``). Where even the longest words do not fit side by
    side, it draws ``narrow`` instead, if it has one."""

    narrow: Table | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.narrow is not None and not fits(self, options.max_width):
            yield self.narrow
            return
        table = copy(self)
        widths = fitted_widths(self, options.max_width)
        if widths is not None:
            table.columns = [replace(c, width=w) for c, w in zip(self.columns, widths,
                                                                 strict=True)]
        yield from Table.__rich_console__(table, console, options)


def _lengths(cells: Iterable[object]) -> tuple[int, list[int]]:
    """A column's longest word, and the length of each of its cells' lines."""
    word, lengths = 1, []
    for cell in cells:
        text = cell.plain if isinstance(cell, Text) else str(cell)
        for row in text.splitlines():
            lengths.append(cell_len(row))
            word = max([word, *(cell_len(w) for w in row.split())])
    return word, lengths


def _extents(table: Table, width: int) -> tuple[list[int], list[list[int]], int]:
    """Each column's longest word and lines, and the room left for them in ``width``: the
    frame of a boxed table with padding (0, 1) takes a rule before each column and after
    the last, and a space either side of each cell."""
    extents = [_lengths([c.header, *c.cells]) for c in table.columns]
    return [w for w, _ in extents], [n for _, n in extents], width - (3 * len(extents) + 1)


def fits(table: Table, width: int) -> bool:
    """Every word of ``table`` whole, side by side, in ``width`` columns."""
    words, _, room = _extents(table, width)
    return sum(words) <= room


def fitted_widths(table: Table, width: int) -> list[int] | None:
    """Column widths (without padding) that fit ``width`` with every word whole; None where
    no width need be set: the natural widths fit, or even the longest words do not (rich
    narrows then). Each column starts at its longest word; the room left goes, a step at
    a time, where it puts the most cells back on one line per column given."""
    words, lines, room = _extents(table, width)
    if sum(max(n, default=1) for n in lines) <= room or sum(words) > room:
        return None
    widths, spare = list(words), room - sum(words)
    while spare:
        best: tuple[float, int, int] | None = None
        for k, lengths in enumerate(lines):
            now = sum(n <= widths[k] for n in lengths)
            for more in range(1, spare + 1):
                gain = sum(n <= widths[k] + more for n in lengths) - now
                if gain and (best is None or gain / more > best[0]):
                    best = (gain / more, k, more)
        if best is None:
            break
        _, k, more = best
        widths[k] += more
        spare -= more
    return widths


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
    table = WholeWords(title="One-way throughput (median of the repetitions, timed on the "
                       "receiver)", title_justify="left")
    _columns(table, ("kind", "size", "Python MB/s", "C MB/s", "Py/C", "Py/mem", "C/mem",
                     "lost"))
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


def _columns(table: Table, names: Sequence[str]) -> None:
    # The kind on the left, the figures on the right. Even narrower than every word (no
    # layout left), a cell is folded onto more lines, never cut to "unix-seq…" or "34…".
    for name in names:
        table.add_column(name, justify="left" if name == "kind" else "right",
                         overflow="fold")


LATENCY_TITLE = "Round trips, the same size both ways (microseconds)"


def latency_table(report: Report) -> Table:
    """Python and C side by side; where that does not fit (80 columns), one row each."""
    table = WholeWords(title=LATENCY_TITLE, title_justify="left")
    _columns(table, ("kind", "size", "Py p50", "p90", "p99", "max", "C p50", "p90", "p99",
                     "max", "Py/C", "lost"))
    narrow = WholeWords(title=LATENCY_TITLE, title_justify="left")
    _columns(narrow, ("kind", "size", "", "p50", "p90", "p99", "max", "Py/C", "lost"))
    for kind, size, py, c in _latency_pairs(report):
        lost = sum(x.lost for x in (py, c) if x)
        ratio = _ratio(latency_ratio(report, py) if py else None)
        table.add_row(kind, human_size(size), *_pcts(py), *_pcts(c), ratio,
                      str(lost) if lost else "")
        for impl, lat in (("Py", py), ("C", c)):
            if lat is not None:
                first = impl == "Py" or py is None
                narrow.add_row(kind if first else "", human_size(size) if first else "",
                               impl, *_pcts(lat), ratio if impl == "Py" else "",
                               str(lat.lost) if lat.lost else "")
    table.narrow = narrow
    return table


def _latency_pairs(report: Report) -> list[tuple[str, int, Latency | None, Latency | None]]:
    seen: list[tuple[str, int]] = []
    for lat in report.latency:
        if (lat.kind, lat.size) not in seen:
            seen.append((lat.kind, lat.size))
    return [(kind, size, report.find_latency(kind, "python", size),
             report.find_latency(kind, "c", size)) for kind, size in seen]


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
