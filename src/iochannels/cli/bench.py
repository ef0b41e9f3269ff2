"""`iochannels bench`: what each channel costs on this machine, beside C and memcpy."""

from __future__ import annotations

import argparse
import re
import signal
from typing import TYPE_CHECKING

from iochannels.errors import UsageError

if TYPE_CHECKING:
    from iochannels.bench.results import Report, Settings

EPILOG = """\
examples:
  iochannels bench --quick               every kind at 4 sizes, about 10 s
  iochannels bench                       8 sizes, 64 B to 1 MiB, about a minute
  iochannels bench --pin --plot bench.svg
  iochannels bench --kind pipe --kind tcp --buffer 1M --json > pipe-tcp.json
environment: IOCHANNELS_NO_CC=1 leaves the C reference out; CC names the compiler
"""

KINDS = ("pipe", "fifo", "unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "udp", "shm")


def size_arg(text: str) -> int:
    """Bytes from ``64``, ``4K``, ``1M``, ``1MiB`` (powers of 1024)."""
    found = re.fullmatch(r"\s*(\d+)\s*([kmg]?)(i?b)?\s*", text.lower())
    if found is None or int(found[1]) == 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 64, 4K, 1M)")
    return int(found[1]) << {"": 0, "k": 10, "m": 20, "g": 30}[found[2]]


def sizes_arg(text: str) -> tuple[int, ...]:
    return tuple(size_arg(part) for part in text.split(","))


def pin_arg(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"(\d+),(\d+)", text)
    if found is None:
        raise UsageError(f"--pin takes RECEIVER,SENDER CPUs such as 0,1, not {text!r}")
    return int(found[1]), int(found[2])


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return int(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "bench", help="measure what each channel costs here, beside C and memcpy",
        description="Throughput and round trips of pipes, FIFOs, UNIX sockets, TCP and UDP "
        "on loopback and a shared-memory ring, in Python beside a C reference and memcpy "
        "measured in the same run.",
        epilog=EPILOG,
    )
    parser.add_argument("--quick", action="store_true", help="4 sizes, fewer rounds: ~10 s")
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON (schemas/bench.schema.json)")
    parser.add_argument("--plot", metavar="FILE", help="draw the figures to FILE.svg or .png")
    parser.add_argument("--pin", nargs="?", const="auto", metavar="R,S",
                        help="pin the receiver and the sender to CPUs (default 0,1)")
    parser.add_argument("--buffer", metavar="SIZE", type=size_arg,
                        help="the channels' buffer: F_SETPIPE_SZ, SO_SNDBUF/SO_RCVBUF, ring")
    parser.add_argument("--kind", action="append", choices=KINDS,
                        help="only this kind; may be repeated")
    parser.add_argument("--sizes", metavar="LIST", type=sizes_arg,
                        help="message sizes for throughput, e.g. 64,4K,64K")
    parser.add_argument("--latency-sizes", metavar="LIST", type=sizes_arg,
                        help="message sizes for round trips (default 100, 4K, 64K)")
    parser.add_argument("--load", metavar="FILE.json",
                        help="show a report saved with --json (and --plot it); measure nothing")
    parser.add_argument("--reps", metavar="N", type=positive, help="timed repetitions")
    parser.add_argument("--rounds", metavar="N", type=positive, help="round trips per figure")
    parser.set_defaults(run=run)


def _pins(value: str | None) -> tuple[int, int] | None:
    import os

    if value is None:
        return None
    cpus = sorted(os.sched_getaffinity(0))
    pins = (cpus[0], cpus[1] if len(cpus) > 1 else cpus[0]) if value == "auto" else pin_arg(value)
    for cpu in pins:
        if cpu not in cpus:
            raise UsageError(f"--pin: CPU {cpu} is not available (this process may use "
                             f"{', '.join(map(str, cpus))})")
    return pins


def run(args: argparse.Namespace) -> int:
    from iochannels.bench.run import plan_settings

    if args.plot and not args.plot.lower().endswith((".svg", ".png")):
        raise UsageError(f"--plot {args.plot}: give a file name ending in .svg or .png")
    settings = plan_settings(
        quick=args.quick, kinds=tuple(args.kind) if args.kind else KINDS, sizes=args.sizes,
        latency_sizes=args.latency_sizes, reps=args.reps, rounds=args.rounds,
        buffer=args.buffer, pin=_pins(args.pin))
    if args.plot:
        from iochannels.bench.plot import check_plot_target

        check_plot_target(args.plot)
    if args.load:
        return _show(_load(args.load), args)
    # SIGTERM ends the bench as Ctrl-C does: children killed and reaped (signal(7)).
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        report = _with_progress(settings)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return _show(report, args)


def _load(name: str) -> Report:
    import json

    from iochannels.bench.jsondoc import report_from_dict
    from iochannels.errors import IoChannelsError

    try:
        with open(name, encoding="utf-8") as fh:
            return report_from_dict(json.load(fh))
    except OSError as exc:
        raise IoChannelsError(f"cannot read {name}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{name}: not a report of iochannels bench --json ({exc})") from None


def _show(report: Report, args: argparse.Namespace) -> int:
    if args.plot:
        from iochannels.bench.plot import write_plot

        write_plot(report, args.plot)
    if args.json:
        from iochannels.bench.jsondoc import report_json
        from iochannels.cli.common import emit

        emit(report_json(report))
        return 0
    from rich.console import Console

    from iochannels.bench.table import report_view

    Console().print(report_view(report))
    if args.plot:
        Console().print(f"plot: {args.plot}", markup=False, highlight=False)
    return 0


def _with_progress(settings: Settings) -> Report:
    """The run, with a progress bar on stderr (gone when done). No refresh thread: the
    measures fork, and a child must not inherit a thread's half-held lock."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from iochannels.bench.run import run_bench

    with Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True, auto_refresh=False) as bar:
        task = bar.add_task("starting", total=None)

        def tell(label: str, done: int, of: int) -> None:
            bar.update(task, description=label, completed=done, total=of)
            bar.refresh()

        return run_bench(settings, tell)
