"""`iochannels sim`: the lecture's scenarios on a simulated kernel: list, run, step."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from iochannels.cli.common import FORMATS, emit
from iochannels.errors import UsageError

if TYPE_CHECKING:
    from iochannels.model import Walkthrough
    from iochannels.sim.scenarios import Prepared

EPILOG = """\
examples:
  iochannels sim list                        the scenarios, by lecture section
  iochannels sim run pipe                    run one: the calls, the fd tables, what to watch
  iochannels sim run tcp-clients --param clients=5
  iochannels sim run two-pipes -p preempt=50 -s 3   let the seed interleave the calls
  iochannels sim run deadlock --trace        only the strace-like lines
  iochannels sim run pipe --format html -o pipe.html
  iochannels sim run examples/hello_pipe.py  a program of your own: async def main(p)
  iochannels sim step pipe                   Enter: next call; q: quit
  iochannels sim step pipe --predict         guess each result before it is shown
  iochannels sim check -n 500                the simulator against real Linux
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sim", help="step through the lecture's scenarios on a simulated kernel",
        description="Run the lecture's scenarios (or a program of your own) on a simulated "
        "kernel that shows every system call, every fd table and every buffer.",
        epilog=EPILOG,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the scenarios, by lecture section")
    listing.add_argument("--json", action="store_true", help="as JSON")
    # Caught here, not by the top parser, so that the error names 'iochannels sim list'.
    listing.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    listing.set_defaults(listing=listing)
    _run_parser(actions)
    _step_parser(actions)
    _check_parser(actions)
    parser.set_defaults(run=run)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="SCENARIO|FILE.py",
                        help="a scenario's name (see 'sim list') or a file defining main(p)")
    parser.add_argument("-s", "--seed", type=int, default=0, help="the scheduler's seed")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a scenario parameter, e.g. clients=5 (at most 1,000) or "
                        "pipe_capacity=16")
    parser.add_argument("--max-steps", type=_positive, default=50_000, metavar="N",
                        help="stop after N turns of the scheduler (default: 50,000)")
    parser.add_argument("--time-limit", type=_seconds, default=10.0, metavar="SECONDS",
                        help="stop a program of your own that runs this long without a "
                        "system call (default: 10)")


def _run_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("run", help="run a scenario and show what happened",
                                epilog=EPILOG, description="Run a scenario to its end.")
    _common(parser)
    parser.add_argument("--trace", action="store_true", help="only the strace-like call lines")
    parser.add_argument("--json", action="store_true",
                        help="the run as JSON: statuses, terminal, files, deadlock, steps")
    parser.add_argument("--format", choices=FORMATS, default=None,  # None: not given
                        help="how to draw the walkthrough (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def _step_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("step", help="step through a scenario, one call per Enter",
                                epilog=EPILOG, description="Step through a scenario: Enter "
                                "shows the next call and the fd tables after it; q quits.")
    _common(parser)
    parser.add_argument("--predict", action="store_true",
                        help="show each call first; Enter reveals its result")


def _check_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "check", help="run random system-call scripts on the simulator and on Linux; compare",
        description="Generate N random scripts of system calls (pipes, socketpairs, dup/dup2, "
        "close, O_NONBLOCK, reads and writes past capacity, shutdown, fork, FIFOs, UNIX "
        "sockets), run each on the simulated kernel and on real processes, and compare "
        "return values, errno, bytes read and fd tables. Exit status 1 if any differ.",
    )
    parser.add_argument("-n", "--scripts", type=_positive, default=200, metavar="N",
                        help="how many scripts (default: 200)")
    parser.add_argument("-s", "--seed", type=int, default=0, help="the generator's seed")
    parser.add_argument("--json", action="store_true", help="the report as JSON")


def run(args: argparse.Namespace) -> int:
    match args.action:
        case "check":
            return _check(args)
        case "list":
            if args.extra:
                args.listing.error(f"unrecognized arguments: {' '.join(args.extra)}")
            return _list(args.json)
        case "run":
            return _run(args)
        case "step":
            return _step(args)
    raise UsageError(f"unknown action {args.action!r}")


def _check(args: argparse.Namespace) -> int:
    import signal

    from iochannels.fidelity import check

    asked: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        asked.append(signum)  # remembered: a raise inside a finalizer is lost
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        report = check(args.scripts, seed=args.seed, stop=lambda: bool(asked))
    except (OSError, EOFError):
        if asked:  # the harness lost step with its workers because of the Ctrl-C
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        emit(json.dumps({
            "scripts": report.scripts, "steps": report.steps, "agree": report.ok,
            "stopped_by": dict(report.stopped_by), "seconds": round(report.seconds, 3),
            "calls": dict(report.calls),
            "differences": [str(d) for d in report.failures],
        }, indent=2, sort_keys=True))
    else:
        emit("\n\n".join([report.summary(), report.per_call(),
                            *(str(d) for d in report.failures)]))
    return 0 if report.ok else 1


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a positive integer: {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1e6:  # nan and inf fail too
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def _prepare(args: argparse.Namespace) -> Prepared:
    from iochannels.sim.scenarios import parse_params, prepare

    return prepare(args.target, args.seed, parse_params(args.param), bounded=True)


def _list(as_json: bool) -> int:
    from iochannels.render.simreport import catalogue_text
    from iochannels.sim.scenarios import SECTIONS, catalogue

    emit(json.dumps(catalogue(), indent=2) if as_json else catalogue_text(SECTIONS, catalogue()))
    return 0


def _run(args: argparse.Namespace) -> int:
    from iochannels.render import render_walkthrough
    from iochannels.render.simreport import report_dict, report_text, trace_report

    if args.json + args.trace + (args.format is not None) > 1:  # each prints another document
        raise UsageError("--json, --trace and --format are alternatives: give one")
    fmt = args.format or "text"
    prepared = _prepare(args)  # the trace too: its names come from the pictures
    result = prepared.run(args.max_steps, args.time_limit)
    report = prepared.report(result, args.seed)
    if args.json:
        text = json.dumps(report_dict(report), indent=2, sort_keys=True)
    elif args.trace:
        text = trace_report(report, result.events)
    elif fmt == "text":
        text = report_text(report)
    else:
        text = render_walkthrough(report.walkthrough, fmt)
    emit(text, args.output)
    return 0


def _step(args: argparse.Namespace) -> int:
    from iochannels.render.simreport import echo_text, summary_text, watch_text

    prepared = _prepare(args)
    report = prepared.report(prepared.run(args.max_steps, args.time_limit), args.seed)
    print(echo_text(report), flush=True)
    if report.watch:
        print(watch_text(report), flush=True)
    if _page(report.walkthrough, args.predict):
        print(summary_text(report), end="", flush=True)
    return 0


def _page(walkthrough: Walkthrough, predict: bool) -> bool:
    """Show one step per Enter; False when the user quit (q) or input ended early."""
    from iochannels.render.simreport import pages
    from iochannels.render.trace import step_text

    print(step_text(walkthrough.steps[0]), flush=True)
    for prompt, text in pages(walkthrough, predict):
        if not _ask(prompt):
            return False
        print(text, flush=True)
    print("end of the run\n", flush=True)
    return True


def _ask(prompt: str) -> bool:
    """Prompt and read one line; False on q or at the end of the input."""
    try:  # the prompt too: a Ctrl-C right after it is printed still gets its own line
        print(prompt, end="", flush=True)
        # None: started with stdin closed (`<&-`), which is the end of the input too.
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except KeyboardInterrupt:
        print(flush=True)  # "iochannels: interrupted" on its own line, not after the prompt
        raise
    if not line or sys.stdin is None or not sys.stdin.isatty():
        print(flush=True)  # a terminal echoes the Enter; a pipe does not
    return bool(line) and line.strip().lower() not in ("q", "quit")
