"""`iochannels demo`: list the lecture's demos, or run one on real processes."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iochannels.cli.common import emit
from iochannels.errors import IoChannelsError, UsageError

if TYPE_CHECKING:
    from iochannels.demos.console import ConsolePrinter
    from iochannels.demos.stage import Block, DemoInfo, DemoResult, Listener

EPILOG = """\
examples:
  iochannels demo list                      the demos, by lecture section
  iochannels demo pipe-operator             the | operator built from pipe, fork, dup2, exec
  iochannels demo clients --clients 1000 --backlog 10
  iochannels demo blocking --json           its facts, machine-readable
  iochannels demo redirect-stdout --sim     its simulated twin, step by step
"""

MAX_CLIENTS = 20_000
MAX_BACKLOG = 65_535


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo", help="run one of the lecture's demos on real processes",
        description="Run one of the lecture's demos on real processes, or list them.",
        epilog=EPILOG,
    )
    parser.add_argument("name", metavar="NAME", help="a demo's name, or 'list'")
    parser.add_argument("--quick", action="store_true", help="small sizes: seconds, not minutes")
    parser.add_argument("--json", action="store_true", help="print the demo's facts as JSON")
    parser.add_argument("--svg", metavar="DIR", type=Path, help="write each fd picture as SVG")
    parser.add_argument("--sim", action="store_true", help="show the simulated twin instead")
    _demo_options(parser.add_argument_group("options of some demos"))
    parser.set_defaults(run=run)


def _demo_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--clients", type=int, metavar="N", help=f"clients: 1 .. {MAX_CLIENTS:,}")
    group.add_argument("--backlog", type=int, metavar="N",
                       help=f"clients: the listen backlog, 1 .. {MAX_BACKLOG:,} (default 10)")
    group.add_argument("--pid", type=int, help="pitch-fds: inspect this process")
    group.add_argument("--name", dest="proc_name", metavar="NAME",
                       help="pitch-fds: inspect processes with this name")
    group.add_argument("--total", metavar="SIZE", help="buffer-size: bytes per run (5G, 512M)")
    group.add_argument("--strace", action="store_true",
                       help="pipe-operator: the real trace of sh -c 'writer | reader' beside")
    group.add_argument("--port", type=int, help="network demos: the port (default: a free one)")


# The demos each per-demo option applies to; given to another demo it is a usage error,
# not silently dropped (the user would believe it did something).
APPLIES = {"clients": ("clients",), "backlog": ("clients",), "pid": ("pitch-fds",),
           "name": ("pitch-fds",), "total": ("buffer-size",), "strace": ("pipe-operator",),
           "port": ("pitch-fds", "tcp", "udp", "clients")}


def check_applies(name: str, options: dict[str, Any], sim: bool) -> None:
    """A usage error for an option given to a demo (or to --sim, or list) it does not apply to."""
    for option in options:
        flag = f"--{option}"
        if name == "list":
            raise UsageError(f"{flag} applies to a demo's run, not to 'demo list'")
        if sim:
            raise UsageError(f"{flag} applies to the real run; --sim shows a fixed scenario")
        if name not in APPLIES[option]:
            raise UsageError(f"{flag} does not apply to demo {name} "
                             f"(only to {', '.join(APPLIES[option])})")


def interrupt_once(signum: int, frame: object) -> None:
    """SIGINT and SIGTERM handler: the first one interrupts; later ones are ignored while
    the cleanup runs, so that a second Ctrl-C cannot cut it short and leave processes or
    files behind, nor end the command by the signal instead of exit status 130."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def restore_signals(previous: Mapping[signal.Signals, Any]) -> None:
    """Put back the handlers, unless interrupted: then the signals stay ignored until the
    command has said "interrupted" and exited 130."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def check_stdout(what: str) -> None:
    """A one-line failure when stdout is closed (``>&-``): the narration would go nowhere."""
    closed = sys.stdout is None  # started with fd 1 closed
    if not closed:
        try:
            fd = sys.stdout.fileno()
        except (OSError, ValueError):  # not a file (a StringIO, pytest's capture): open
            fd = None
        try:
            if fd is not None:
                os.fstat(fd)
        except OSError:  # EBADF: fd 1 closed after Python started
            closed = True
    if closed:
        raise IoChannelsError(f"stdout is closed: {what} writes there (try > FILE)")


def options_of(args: argparse.Namespace) -> dict[str, Any]:
    """The per-demo options the user gave, checked, for ``stage.options``."""
    if args.clients is not None and not 1 <= args.clients <= MAX_CLIENTS:
        raise UsageError(f"--clients must be 1 .. {MAX_CLIENTS:,}, not {args.clients}")
    # listen(2): Linux caps the backlog at net.core.somaxconn. With 0 the SYN queue is
    # bounded by it too: clients wait out SYN retries (tcp(7)), minutes for 20 of them.
    if args.backlog is not None and not 1 <= args.backlog <= MAX_BACKLOG:
        raise UsageError(f"--backlog must be 1 .. {MAX_BACKLOG:,}, not {args.backlog}")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 .. 65535, not {args.port}")
    if args.pid is not None and args.pid <= 0:
        raise UsageError(f"not a process id: {args.pid}")
    given = {"clients": args.clients, "backlog": args.backlog, "pid": args.pid,
             "name": args.proc_name, "total": args.total, "port": args.port,
             "strace": args.strace or None}
    return {key: value for key, value in given.items() if value is not None}


def run(args: argparse.Namespace) -> int:
    from iochannels.demos.registry import get

    options = options_of(args)
    check_applies(args.name, options, args.sim)
    if args.name == "list":
        check_stdout("the list")
        return _list(args.json)
    info = get(args.name)
    check_stdout("the demo")
    if args.sim:
        if args.svg is not None:  # asked for pictures that --sim would never write
            raise UsageError(f"--svg draws the real run; the simulated twin as SVG: "
                             f"iochannels sim run {info.sim or 'SCENARIO'} --format svg -o FILE")
        return _sim(info, args.json)
    if args.svg is not None:  # plots too (buffer-size), in the same directory
        _svg_dir(args.svg)
        options.update(plot_dir=str(args.svg), plot_format="svg")
    # SIGTERM ends a demo as Ctrl-C does: the stage's cleanup runs (signal(7)).
    previous = {sig: signal.signal(sig, interrupt_once) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _run(info, args, options)
    finally:
        restore_signals(previous)


def _svg_dir(directory: Path) -> None:
    """Make --svg DIR before the demo starts: a bad DIR is one line, not a traceback at the end."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--svg {directory}: not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IoChannelsError(f"cannot write pictures in {directory}: {exc.strerror}") from None
    if not os.access(directory, os.W_OK):  # access(2): an existing, read-only directory
        raise IoChannelsError(f"cannot write pictures in {directory}: permission denied")


def _run(info: DemoInfo, args: argparse.Namespace, options: dict[str, Any]) -> int:
    from iochannels.demos.console import ConsolePrinter
    from iochannels.demos.runner import run_demo

    if args.json:
        result = run_demo(info, quick=args.quick, options=options, svg_dir=args.svg)
        emit(json.dumps(_json_of(result), indent=2, default=str))
        return 0
    printer = ConsolePrinter()
    options.setdefault("progress", _progress(printer))
    result = run_demo(info, quick=args.quick, options=options,
                      listeners=[_headed(printer, info)], svg_dir=args.svg)
    printer.facts(result.facts)
    for path in result.files:
        printer.wrote(path)
    return 0


def _headed(printer: ConsolePrinter, info: DemoInfo) -> Listener:
    """The printer, with the demo's heading before its first block: a bad option the demo
    finds before it says anything (``--total 1K``, ``--pid`` of no process) is one line."""
    started = False

    def listen(block: Block) -> None:
        nonlocal started
        if not started:
            printer.heading(info)
            started = True
        printer(block)

    return listen


def _progress(printer: ConsolePrinter) -> Callable[[str, int, int], None]:
    def progress(label: str, done: int, of: int) -> None:
        if printer.console.is_terminal:
            printer.console.print(f"  [{done}/{of}] {label}", style="dim")

    return progress


def _json_of(result: DemoResult) -> dict[str, Any]:
    info = result.info
    return {"demo": info.name, "section": info.section, "title": info.title,
            "facts": dict(result.facts), "files": [str(p) for p in result.files]}


def _sim(info: DemoInfo, as_json: bool) -> int:
    from iochannels.demos.runner import sim_walkthrough

    walkthrough = sim_walkthrough(info)
    if as_json:
        from iochannels.render import render_walkthrough

        emit(render_walkthrough(walkthrough, "json"))
        return 0
    from iochannels.demos.console import ConsolePrinter

    ConsolePrinter().walkthrough(walkthrough)
    return 0


def _list(as_json: bool) -> int:
    from iochannels.demos.registry import DEMOS, SECTIONS

    if as_json:
        rows = [{"name": d.name, "section": d.section, "title": d.title, "summary": d.summary,
                 "sim": d.sim} for d in DEMOS]
        emit(json.dumps(rows, indent=2))
        return 0
    lines = []
    for number, title in SECTIONS.items():
        demos = [d for d in DEMOS if d.section == number]
        if demos:
            lines.append(f"{number}. {title}")
            lines.extend(f"   {d.name:<16} {d.title}" for d in demos)
    lines.append("\niochannels demo NAME [--quick] [--json] [--svg DIR] [--sim]; "
                 "iochannels tour for them all")
    emit("\n".join(lines))
    return 0
