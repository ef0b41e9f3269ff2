"""`iochannels fds`: the fd tables of processes, with the other end of every channel."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from iochannels.cli.common import add_format_options, chosen_format, emit, existing_pids
from iochannels.errors import NotFound, UsageError
from iochannels.render.columns import LEGEND

if TYPE_CHECKING:
    from iochannels.model import Snapshot

__all__ = ["parse_fd_range", "register", "run"]

KIND_CHOICES = ("file", "dir", "chr", "blk", "pipe", "fifo", "unix", "unix-stream",
                "unix-dgram", "unix-seqpacket", "tcp", "udp", "raw", "netlink", "socket",
                "sockets", "anon", "unknown")

EPILOG = f"""\
examples:
  iochannels fds $$                       this shell's fd table
  iochannels fds --name cat -d 0-2        stdin, stdout, stderr of every 'cat'
  iochannels fds 1234 --kind unix --kind pipe
  iochannels fds --all --summary          counts by kind for every process
  iochannels fds 1234 --json | jq .counts the schema is docs/readme/fds.md
  iochannels fds 1234 --watch 1           refresh every second until Ctrl-C

{LEGEND}
With no PID, --name or --all, it asks for one (exit status 2).
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "fds", help="the fd tables of processes: kinds, other ends, buffers",
        description="Show processes' file descriptors, the channel each points to, "
                    "who holds the other end, and how full the buffers are.",
        epilog=EPILOG,
    )
    parser.add_argument("pids", nargs="*", metavar="PID", help="process ids to inspect")
    parser.add_argument("--name", action="append", default=[], metavar="NAME",
                        help="processes with this command name (repeatable)")
    parser.add_argument("--all", action="store_true", help="every process")
    parser.add_argument("-d", dest="fds", metavar="RANGE",
                        help="only these fds, as lsof -d: 0-1023, 0,1,2, 3-")
    parser.add_argument("--kind", action="append", default=[], choices=KIND_CHOICES,
                        metavar="KIND", help="only fds of this kind (repeatable): "
                        + ", ".join(KIND_CHOICES))
    parser.add_argument("--summary", action="store_true", help="only the counts by kind")
    parser.add_argument("--json", action="store_true",
                        help="the snapshot as JSON: the same as --format json")
    parser.add_argument("--watch", type=float, metavar="SECONDS",
                        help="redraw every SECONDS until Ctrl-C")
    add_format_options(parser)
    parser.set_defaults(run=run)


def parse_fd_range(text: str) -> frozenset[int] | range:
    """lsof-style fd lists: "0-1023" -> range(0, 1024); "0,1,2"; "3-" (3 and up).

    >>> parse_fd_range("0-2"), sorted(parse_fd_range("0,5,7-8"))
    (range(0, 3), [0, 5, 7, 8])
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        ranges = [_one_range(p) for p in parts]
    except ValueError:
        raise UsageError(f"bad fd range {text!r} (try 0-1023 or 0,1,2)") from None
    if len(ranges) == 1:
        return ranges[0]
    return frozenset(fd for r in ranges for fd in r)


def _one_range(part: str) -> range:
    low, dash, high = part.partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        raise ValueError(part)
    end = (int(high) if high else 1 << 20) if dash else int(low)
    if end < int(low):
        raise ValueError(part)
    return range(int(low), end + 1)


def kinds_of(names: list[str]) -> set[str] | None:
    """The Kind values selected by --kind; "unix" and "sockets" stand for families."""
    if not names:
        return None
    out: set[str] = set()
    for name in names:
        match name:
            case "unix":
                out |= {"unix-stream", "unix-dgram", "unix-seqpacket"}
            case "sockets":
                out |= {"unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "udp", "raw",
                        "netlink", "socket"}
            case _:
                out.add(name)
    return out


def target_pids(args: argparse.Namespace) -> list[int] | None:
    """The pids asked for (None: all); unknown pids and names are one-line errors."""
    from iochannels import live

    if args.all:
        if args.pids or args.name:
            raise UsageError("--all takes no PID or --name")
        return None
    pids = existing_pids(args.pids)
    for name in args.name:
        if not name.strip():
            raise UsageError("--name needs a command name, e.g. --name cat")
        found = [p for p in live.pids_by_name(name) if p != os.getpid()]  # not us, as pgrep
        if not found:
            raise NotFound(f"no process named {name!r}")
        pids += found
    if not pids:
        raise UsageError("give a PID, --name NAME or --all (e.g. iochannels fds $$)")
    return pids


def take(args: argparse.Namespace, pids: list[int] | None) -> Snapshot:
    from iochannels import live
    from iochannels.model import Kind

    fd_range = parse_fd_range(args.fds) if args.fds is not None else None
    chosen = kinds_of(args.kind)
    kinds = None if chosen is None else {Kind(k) for k in chosen}
    # Counts need no search for the other ends in other processes.
    return live.snapshot(pids, fd_range=fd_range, kinds=kinds, others=not args.summary)


def run(args: argparse.Namespace) -> int:
    fmt = chosen_format(args.json, args.format)
    if args.fds is not None:
        parse_fd_range(args.fds)  # a bad range (or -d '') is a usage error before any work
    if args.watch is not None:
        if fmt != "text" or args.output:
            raise UsageError("--watch draws text on the terminal; drop --json/--format/-o")
        if not 0 < args.watch < 1e6:  # float() takes "nan" and "inf"; time.sleep does not
            raise UsageError("--watch needs a positive number of seconds")
    pids = target_pids(args)
    if args.watch is not None:
        return _watch(args, pids)
    emit(_draw(args, pids, fmt, args.output is None), args.output)
    return 0


def _draw(args: argparse.Namespace, pids: list[int] | None, fmt: str, to_tty: bool) -> str:
    snap = take(args, pids)
    if pids is not None and not snap.processes:
        raise NotFound("the processes exited before they could be read")
    color, width = _terminal(to_tty and fmt == "text")
    if args.summary and fmt == "text":
        from iochannels.render.text import summary_text

        return summary_text(snap)
    from iochannels.render import render_snapshot

    return render_snapshot(snap, fmt, width=width, color=color)


def _terminal(to_tty: bool) -> tuple[bool, int]:
    """Colour and width as render.terminal decides: COLUMNS, else the terminal's width, else
    (a pipe, ``-o FILE``) no limit."""
    from iochannels.render.terminal import text_width, use_color

    tty = to_tty and _stdout_is_tty()
    return use_color(tty, os.environ), text_width(tty, os.environ, _columns() if tty else None)


def _columns() -> int | None:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):  # a terminal that does not say (TIOCGWINSZ fails)
        return None


def _stdout_is_tty() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()  # None: started with stdout closed


def _watch(args: argparse.Namespace, pids: list[int] | None) -> int:
    """Redraw until Ctrl-C: in place with rich Live on a terminal, frame after frame otherwise."""
    try:
        if _stdout_is_tty():
            _watch_live(args, pids)
        while True:  # not a terminal (a pipe, a file): one frame per interval
            emit(_draw(args, pids, "text", False))
            _sleep(args.watch)
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how a watch ends


def _watch_live(args: argparse.Namespace, pids: list[int] | None) -> None:
    from rich.live import Live
    from rich.text import Text

    def frame() -> Text:
        return Text.from_ansi(_draw(args, pids, "text", True))

    with Live(frame(), auto_refresh=False) as live:
        while True:
            _sleep(args.watch)
            live.update(frame(), refresh=True)


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)
