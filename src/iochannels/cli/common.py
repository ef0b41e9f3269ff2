"""What several commands share: the parser class, the --format/-o options, output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from iochannels.errors import IoChannelsError, NotFound, UsageError
from iochannels.render import FORMATS  # light: the views themselves are imported when drawn
from iochannels.render.names import shown
from iochannels.stdio import drop_output, write_file

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = [
    "FORMATS",
    "Parser",
    "add_format_options",
    "chosen_format",
    "emit",
    "existing_pids",
    "parse_pid",
    "split_pids",
    "usage_line",
    "write_stdout",
]


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, told the width as shutil.get_terminal_size would tell it.

    argparse builds a formatter for every add_argument (to check the metavar), and its
    own asks shutil, whose import (with bz2, lzma, fnmatch) is a few milliseconds of
    every start. The width is only used by --help and errors.
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


def _columns() -> int:
    """COLUMNS if it is a positive number, else stdout's terminal, else 80 (as shutil)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # no stdout (None), closed, not a terminal
        return 80


class Parser(argparse.ArgumentParser):
    """argparse, with a one-line error for bad usage (exit status 2)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # The innermost command's parser sets it last (a subparser's values win): a usage
        # error found after parsing (`fds -d 5-3`) names that command, as error() does.
        self.set_defaults(usage_prog=self.prog)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # A command's parser is run by parse_known_args, and argparse leaves what it does
        # not know to the top parser, whose error then named `iochannels --help` for
        # `iochannels fds --bogus`. A command (a parser without commands of its own)
        # refuses it itself: the message names the command and its own --help.
        parsed, extra = super().parse_known_args(args, namespace)
        if extra and self._subparsers is None:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        # argparse writes the help to stderr when stdout is closed and drops a failed
        # write (/dev/full): --help says it cannot write, as a command does (exit 1).
        if file is None:
            write_stdout(self.format_help(), hint="")
        else:
            super().print_help(file)

    def error(self, message: str) -> NoReturn:
        self.exit(2, usage_line(self.prog, message))


def usage_line(prog: str, message: str) -> str:
    """``iochannels fds: error: MESSAGE (see 'iochannels fds --help')``: bad usage names the
    command and its --help. The message may quote what was typed: shown, it cannot act on
    the terminal."""
    return f"{prog}: error: {shown(message)} (see '{prog} --help')\n"


def add_format_options(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS) -> None:
    # No default: an explicit --format text must be told from none (--json contradicts it).
    parser.add_argument(
        "--format", choices=formats, default=None, help="how to draw it (default: text)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def chosen_format(as_json: bool, fmt: str | None) -> str:
    """``--json`` is ``--format json``; with another --format (text too, given: it is not
    the default then) it is a contradiction, not a pick. None: no --format given."""
    if as_json and fmt not in (None, "json"):
        raise UsageError(f"--json and --format {fmt} contradict each other: give one")
    return "json" if as_json else fmt or "text"


def emit(text: str, output: str | None = None) -> None:
    """Write ``text`` to stdout, or to the file named by ``-o``."""
    if output is None or output == "-":
        write_stdout(text if text.endswith("\n") or not text else text + "\n")
        return
    try:
        write_file(output, text)
    except OSError as exc:
        raise IoChannelsError(f"cannot write {shown(output)}: {exc.strerror}") from None


def write_stdout(text: str, hint: str = " (try -o FILE)") -> None:
    """Write and flush; a full disk or a closed stdout is a one-line failure, not a traceback.

    ``hint`` follows the message for a closed stdout: -o FILE where the command has it."""
    if sys.stdout is None:  # started with stdout closed (`iochannels ... >&-`)
        raise IoChannelsError(f"cannot write the output: stdout is closed{hint}")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # the reader went away: main stops quietly
    except OSError as exc:
        drop_output(sys.stdout.fileno())  # what is still buffered would fail again at exit
        raise IoChannelsError(f"cannot write the output: {exc.strerror}") from None


def parse_pid(text: str) -> int:
    """A PID from the command line: a positive integer, else a usage error."""
    # isdigit() alone takes "²" and "１", which int() refuses or reads as another number.
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        raise UsageError(f"not a process id: {text!r}")
    return int(text)


def existing_pids(texts: list[str]) -> list[int]:
    """PIDs from the command line, each a running process, else a one-line error."""
    pids, missing = split_pids(texts)
    if missing:
        raise NotFound(missing[0])
    return pids


def split_pids(texts: list[str]) -> tuple[list[int], list[str]]:
    """PIDs from the command line: those of processes, and why each other one is not.

    A malformed PID is a usage error at once. /proc/TID exists for each thread
    though ``ls /proc`` lists only processes (proc(5)): a thread id is no process.
    """
    from iochannels import live

    pids: list[int] = []
    missing: list[str] = []
    for pid in (parse_pid(p) for p in texts):
        group = live.thread_group(pid)
        if not live.exists(pid):
            missing.append(f"no process {pid}")
        elif group is not None and group != pid:
            missing.append(f"{pid} is a thread of process {group}, not a process")
        else:
            pids.append(pid)
    return pids, missing
