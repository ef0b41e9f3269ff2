"""`iochannels trace -- CMD`: a real program under strace(1), its fd tables step by step."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from iochannels.cli.common import FORMATS, chosen_format, emit
from iochannels.errors import UsageError

if TYPE_CHECKING:
    from iochannels.model import Snapshot
    from iochannels.trace.run import Traced

__all__ = ["first_table", "register", "run", "shared_text"]

EPILOG = """\
examples:
  iochannels trace -- sh -c 'ls | wc -l'          the calls, then the tables at the end
  iochannels trace --steps -- sh -c 'echo hi | cat'   the fd tables after every call
  iochannels trace --timeout 2 -- ./my-hanging-program   who waits on what when stopped
  iochannels trace --format html -o run.html -- sh -c 'sort < /etc/passwd | uniq'
  iochannels trace --json -- ./prog                the run as a Walkthrough (schemas/)
  iochannels trace --all-calls -- true              every call, not only the fd-related

strace(1) must be installed, and ptrace allowed (kernel.yama.ptrace_scope <= 1;
in a container: --cap-add=SYS_PTRACE). The first table is read from /proc when
the program starts; Ctrl-C or --timeout stops it and draws what was recorded.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "trace", help="run a program under strace and draw its fd tables step by step",
        description="Run CMD under strace -f, rebuild after every fd-related call the "
        "processes, their fd tables, the open files they share and the channels with "
        "their other ends, and draw them. Notes name the sharp edges: an fd inherited "
        "across execve, a pipe whose writer never closed it, who waits on what at the end.",
        epilog=EPILOG,
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS...",
                        help="the program to run, after --")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                        help="stop the program after SECONDS and draw what was recorded")
    parser.add_argument("--all-calls", action="store_true",
                        help="every system call, not only the fd-related ones")
    parser.add_argument("--steps", action="store_true",
                        help="text: the fd tables after every call (default: at the end)")
    parser.add_argument("--json", action="store_true", help="the run as a Walkthrough in JSON")
    parser.add_argument("--format", choices=FORMATS, default=None,  # None: not given
                        help="how to draw the run (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.set_defaults(run=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def first_table(pid: int) -> Snapshot | None:
    """A process's fd table, read from /proc (``trace`` itself reads no process)."""
    from iochannels import live

    return live.snapshot([pid], others=False)


def run(args: argparse.Namespace) -> int:
    from iochannels.trace.run import trace

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("no command to trace: give it after --, e.g. iochannels trace -- ls")
    fmt = chosen_format(args.json, args.format)
    traced = trace(command, timeout=args.timeout, all_calls=args.all_calls,
                   first_table=first_table)
    emit(_drawn(traced, fmt, args.steps), args.output)
    if traced.stopped == "interrupted":
        return 130  # as a shell reports a program ended by Ctrl-C (128 + SIGINT)
    return 0 if traced.status in (0, None) else 1


def shared_text(snap: Snapshot) -> str:
    """One line per open file description held by several fds: ``101 fd 1, 2; 102 fd 1``.

    >>> from iochannels.model import FdEntry, Process, Snapshot
    >>> fds = (FdEntry(1, "c", "w", open_file="of:1"), FdEntry(2, "c", "w", open_file="of:1"))
    >>> print(shared_text(Snapshot((Process(7, "sh", fds=fds),), {}, "trace")), end="")
      7 fd 1, 2
    """
    groups: dict[str, dict[int, list[int]]] = {}
    for proc, entry in snap.entries():
        if entry.open_file is not None:
            groups.setdefault(entry.open_file, {}).setdefault(proc.pid, []).append(entry.fd)
    return "".join("  " + "; ".join(f"{pid} fd {', '.join(map(str, fds))}"
                                     for pid, fds in holders.items()) + "\n"
                   for _, holders in sorted(groups.items()))


def _shown(snap: Snapshot) -> Snapshot:
    """The names a traced program gave itself (argv, paths) made printable for the terminal
    table, whatever the text view does with control bytes."""
    from dataclasses import replace

    from iochannels.cli.why import printable

    procs = tuple(replace(p, name=printable(p.name), argv=tuple(printable(a) for a in p.argv))
                  for p in snap.processes)
    chans = {k: replace(c, label=printable(c.label)) for k, c in snap.channels.items()}
    return replace(snap, processes=procs, channels=chans)


def _drawn(traced: Traced, fmt: str, steps: bool) -> str:
    from iochannels.render import render_snapshot, render_walkthrough

    run = traced.walkthrough
    if fmt == "json":
        from iochannels.render.json import walkthrough_text

        # the bytes of json.dumps(indent=2, sort_keys=True), each unchanged table written once
        return walkthrough_text(run, {"exit_status": traced.status,
                                      "stopped": traced.stopped or None})
    if fmt != "text" or steps:
        return render_walkthrough(run, fmt)
    from iochannels.cli.why import printable
    from iochannels.render.trace import trace_text

    last = run.steps[-1].snapshot if run.steps else None
    parts = [f"{printable(run.title)}\n", "calls\n" + printable(trace_text(run), keep="\n")]
    if last is not None:
        # the table marks the fds that share an open file description and lists them
        parts.append("at the end\n" + render_snapshot(_shown(last), "text"))
    if run.notes:  # they name processes: names from the outside are data
        parts.append("notes\n" + "".join(f"  {printable(n)}\n" for n in run.notes))
    return "\n".join(parts)
