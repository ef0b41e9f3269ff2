"""The command line: argument parsing and dispatch only.

Each command lives in its own module here (``cli/fds.py``, ``cli/sim.py``...)
with a ``register(subparsers)`` that adds its parser and sets ``run``. The
modules import the heavy parts (rich, live, sim, render) inside ``run`` so
that ``iochannels --help`` and ``iochannels fds PID --json`` start fast.
Nothing imports ``cli``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from iochannels import __version__
from iochannels.cli.common import Parser
from iochannels.errors import IoChannelsError, ReaderGone, UsageError

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = ("fds", "graph", "why", "trace", "sim", "demo", "tour", "shell", "bench")

EPILOG = """\
examples:
  iochannels fds $$                 the fd table of this shell
  iochannels fds --name python --summary
  iochannels graph --all            who talks to whom on this machine
  iochannels why 1234               why a process waits, and who could wake it
  iochannels trace -- sh -c 'ls | wc'   a real program's fd tables, call by call
  iochannels sim list               the lecture's scenarios, simulated
  iochannels demo list              the lecture's demos, on real processes
  iochannels tour                   the whole lecture, section 0 to 6
  iochannels shell --trace -c 'ls | wc -l'   a small shell that shows its forks and dup2s
  iochannels bench --quick          what each channel costs here, beside C and memcpy
"""


def build_parser(only: str | None = None) -> Parser:
    """The parser of every command, or, with ``only``, of that one command alone.

    ``main`` asks for one command when the command line names it: the others'
    modules (and what they import: json, pathlib, signal...) are then not loaded,
    which is a good part of the start-up time of ``iochannels fds PID --json``.
    """
    parser = Parser(
        prog="iochannels",
        description="See the I/O channels of Linux processes: fd tables, pipes, FIFOs, sockets.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and "
                        "which path reads /proc (native scan or pure Python), and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in (only,) if only in COMMANDS else COMMANDS:
        importlib.import_module(f"iochannels.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = argparse.Namespace(usage_prog="iochannels")
    try:
        # Parsing writes too (--version, --help): a closed or full stdout there is the
        # same one-line failure, and a reader gone the same quiet end, as any command's.
        args = build_parser(argv[0] if argv else None).parse_args(argv)
        return int(args.run(args) or 0)
    except UsageError as exc:
        # Found by the command, not argparse (`fds -d 5-3`): the same line as argparse's.
        from iochannels.cli.common import usage_line

        sys.stderr.write(usage_line(args.usage_prog, str(exc)))
        return exc.exit_status
    except IoChannelsError as exc:
        from iochannels.render.names import shown  # a message may quote a path or a name

        print(f"iochannels: {shown(str(exc))}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        # Cleanup ran in the commands' finally blocks; say so in one line. A simulated
        # program interrupted before it started is a coroutine never awaited: Python would
        # warn about each one as it exits, lines that say nothing to the user.
        import warnings

        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        print("iochannels: interrupted", file=sys.stderr)
        return 130
    except (BrokenPipeError, ReaderGone):
        # The reader went away (`iochannels fds --all | head`, `iochannels demo X | head`):
        # stop quietly, as cat does. A demo's cleanup ran in its stage's finally block.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0


class _Version(argparse.Action):
    """--version, with the path the scan takes: the C part is optional (setup.py), and
    IOCHANNELS_PURE=1 sets it aside. Looked up only when asked (it imports live)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from iochannels.cli.common import write_stdout
        from iochannels.live.procfs import scan_path

        write_stdout(f"iochannels {__version__} ({scan_path()})\n", hint="")
        parser.exit()
