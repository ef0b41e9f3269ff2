"""`iochannels graph`: processes and the channels between them (who talks to whom)."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from iochannels.cli.common import add_format_options, chosen_format, emit, existing_pids
from iochannels.errors import UsageError

__all__ = ["register", "run"]

EPILOG = """\
examples:
  iochannels graph                  every process-to-process channel on this machine
  iochannels graph 1234 1240        the channels of these processes, and who is at the other end
  iochannels graph --all --json     the snapshot as JSON (schemas/snapshot.schema.json)

text: one line per link, writer first for pipes and FIFOs:
  1234 sleep fd1 --pipe:[99]--> 1240 cat fd0
  1300 server fd4 <--unix-stream socket:[51]=socket:[52]--> 1301 client fd3
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "graph", help="who talks to whom: processes and the channels between them",
        description="Processes and the pipes, FIFOs and sockets that connect them.",
        epilog=EPILOG,
    )
    parser.add_argument("pids", nargs="*", metavar="PID", help="processes (default: all)")
    parser.add_argument("--all", action="store_true", help="every process (the default)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    add_format_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from iochannels import live
    from iochannels.render import render_graph

    fmt = chosen_format(args.json, args.format)
    if args.all and args.pids:
        raise UsageError("--all takes no PID")
    pids = existing_pids(args.pids) or None
    snap = live.snapshot(pids)
    if pids is None:  # every process but this one, as pgrep leaves itself out
        snap = replace(snap, processes=tuple(p for p in snap.processes if p.pid != os.getpid()))
    emit(render_graph(snap, fmt), args.output)
    return 0
