"""`iochannels tour`: the whole lecture, section 0 to 6, and a browsable report."""

from __future__ import annotations

import argparse
import errno
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from iochannels.cli.demo import check_stdout, interrupt_once, restore_signals
from iochannels.errors import IoChannelsError, UsageError
from iochannels.render.names import shown
from iochannels.stdio import drop_output

if TYPE_CHECKING:
    from rich.console import Console

EPILOG = """\
examples:
  iochannels tour                       every section, 10 to 20 s; report in ./tour-report
  iochannels tour --quick --out /tmp/r  smaller sizes, a few seconds per section
  iochannels tour --section 4 --section 6
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tour", help="run the lecture from section 0 to 6 and write an HTML report",
        description="Run the lecture's demos and simulated walkthroughs, section by section, "
        "and write a browsable report (index.html).",
        epilog=EPILOG,
    )
    parser.add_argument("--out", metavar="DIR", type=_directory, default=Path("tour-report"),
                        help="where to write the report (default: ./tour-report)")
    parser.add_argument("--quick", action="store_true", help="small sizes: much faster")
    parser.add_argument("--section", metavar="N", type=int, action="append",
                        help="only section N (0 .. 6); may be repeated")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from iochannels.demos.registry import SECTIONS
    from iochannels.tour.run import run_tour

    for number in args.section or ():
        if number not in SECTIONS:
            raise UsageError(f"no section {number} (the lecture has 0 .. {max(SECTIONS)})")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: not a directory")
    try:  # before an hour of demos, not after
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IoChannelsError(f"cannot write the report in {args.out}: {exc.strerror}") from None
    check_stdout("the tour")
    # SIGTERM ends the tour as Ctrl-C does: demos clean up, the report is written (signal(7)).
    previous = {sig: signal.signal(sig, interrupt_once) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        outcome = run_tour(args.out, quick=args.quick, sections=args.section)
        console = _console()
        where = shown(str(outcome.index.resolve()))  # --out is any name the user chose
        console.print(f"report: {where}  ({outcome.seconds:.0f} s)",
                      soft_wrap=True)
        if not outcome.ok:
            console.print(f"failed: {', '.join(outcome.failed)}", style="bold red",
                          soft_wrap=True)
            return 1
        return 0
    except KeyboardInterrupt:  # run_tour wrote the sections done: say where, then stop
        _partial(args.out / "index.html")
        raise
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        drop_output()  # what is still buffered would fail again as Python exits
        raise IoChannelsError(f"cannot write the output: {exc.strerror}") from None
    finally:
        restore_signals(previous)


# write(2): the errors of an output that cannot take more (a full disk, /dev/full, a quota).
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})



def _directory(text: str) -> Path:
    # Path("") is Path("."): an empty --out would write the report into the current directory.
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a directory, e.g. --out tour-report")
    return Path(text)


def _partial(index: Path) -> None:
    if index.exists():
        _console().print(f"report of the sections done so far: {shown(str(index.resolve()))}",
                         soft_wrap=True)


def _console() -> Console:
    from iochannels.demos.console import make_console

    return make_console()
