"""The tour's bench page: what a pipe, a UNIX stream socket and loopback TCP cost here.

Section 2 asks what a buffer's size does to throughput; ``demo buffer-size`` answers for
a file and a pipe. This page answers the next question in the same section with a quick
``iochannels bench`` run on three kinds: one-way throughput at 4 KiB and 64 KiB (the
pipe's own buffer size, pipe(7)) and the round trip of a 100-byte message, each beside
the C reference and memcpy where the machine has a compiler. The figures are the
bench's own (``bench.run.run_bench``), drawn by the bench's views (``bench.table``,
``bench.plot``): this page adds no measuring code. Everything the run makes (its FIFOs,
its processes) is gone when it returns, Ctrl-C included (``run_bench``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.table import Table
from rich.text import Text

from iochannels.bench.plot import svg_plot
from iochannels.bench.results import Report, human_size
from iochannels.bench.run import plan_settings, run_bench
from iochannels.bench.table import report_view
from iochannels.demos.stage import DemoInfo, Stage

__all__ = ["BENCH", "COMMAND", "KINDS", "LATENCY_SIZES", "SIZES", "bench_page"]

KINDS = ("pipe", "unix-stream", "tcp")
SIZES = (4096, 65536)  # a page, and the pipe's default buffer (pipe(7))
LATENCY_SIZES = (100,)
COMMAND = ("iochannels bench --quick --kind pipe --kind unix-stream --kind tcp --sizes 4K,64K "
           "--latency-sizes 100")

BENCH = DemoInfo(
    "bench", 2, "What a pipe, a UNIX socket and TCP cost on this machine",
    "A quick iochannels bench run: one-way throughput at 4 KiB and 64 KiB, timed on the "
    "receiver, and 100-byte round trips, each beside a C reference and memcpy.",
    "iochannels.tour.bench_page", "bench_page",
)

Progress = Callable[[str, int, int], None]


def bench_page(stage: Stage) -> None:
    progress: Progress | None = stage.options.get("progress")
    stage.say("The buffer-size demo timed one pipe. How does a pipe compare with the other "
              "channels of section 3, for the same messages? A quick run of iochannels bench "
              "on a pipe, a UNIX stream socket and TCP on loopback: a child sends, this "
              "process receives and stops its clock at the last byte; then round trips.")
    report = run_bench(plan_settings(quick=True, kinds=KINDS, sizes=SIZES,
                                     latency_sizes=LATENCY_SIZES), progress)
    _views(stage, report)
    _facts(stage, report)
    _plot(stage, report)
    _explain(stage, report)


def _views(stage: Stage, report: Report) -> None:
    """The bench's own rich views, each table as a table of the page, text as text.

    The terminal draws each table as the bench does (``view``): its columns wrap between
    words at 80 columns, and the round trips take one row per language where they must.
    Redrawn as a plain table it cut ``unix-stream`` to ``unix-strea``/``m``."""
    for part in report_view(report).renderables:
        if isinstance(part, Table):
            columns = [str(c.header) for c in part.columns]
            cells = [[_plain(cell) for cell in c.cells] for c in part.columns]
            stage.table(str(part.title or ""), columns, list(zip(*cells, strict=True)),
                        view=part)
        elif isinstance(part, Text):
            stage.code("the machine and the method", part.plain)


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _facts(stage: Stage, report: Report) -> None:
    stage.fact("kinds", list(KINDS))
    stage.fact("c_reference", report.environment.compiler is not None)
    stage.fact("mb_per_s", {kind: {str(size): round(t.rate / 1e6, 1) for size in SIZES
                                   if (t := report.find(kind, "python", size)) is not None}
                            for kind in KINDS})
    stage.fact("round_trip_us", {kind: round(lat.pct(50), 2) for kind in KINDS
                                 if (lat := report.find_latency(kind, "python", 100))
                                 is not None and lat.samples_ns})
    stage.fact("notes", list(report.notes))


def _plot(stage: Stage, report: Report) -> None:
    """The bench's SVG plot, into the report's files (the tour's ``plot_dir``)."""
    directory = stage.options.get("plot_dir")
    if not directory:
        return
    path = Path(directory) / f"{stage.info.name}.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg_plot(report), encoding="utf-8")
    stage.files.append(path)
    stage.say(f"The plot is in {path.name}: throughput by message size per kind, and the "
              "round trips' percentiles.")


def _explain(stage: Stage, report: Report) -> None:
    big = {kind: t.rate for kind in KINDS
           if (t := report.find(kind, "python", SIZES[-1])) is not None}
    if len(big) < 2:
        stage.say("Too few figures were measured to compare the kinds: see the notes.")
        return
    fastest = max(big, key=lambda k: big[k])
    slowest = min(big, key=lambda k: big[k])
    stage.say(f"At {human_size(SIZES[-1])} messages, {fastest} moved the most bytes per "
              f"second here, {big[fastest] / big[slowest]:.1f} times what {slowest} moved. A "
              "pipe copies each byte once into its single buffer and once out; a UNIX socket "
              "does the same between its two ends' buffers; TCP on loopback also makes "
              "segments of the bytes and runs the protocol on them, acknowledgements "
              "included (tcp(7)).")
    stage.say(f"The same run outside the tour: {COMMAND}. Without --quick and the options, "
              "iochannels bench measures every kind (FIFOs, datagrams, UDP, a shared-memory "
              "ring) at eight sizes.")
