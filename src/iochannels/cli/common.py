"""What several commands share: the parser class, the --format/-o options, output."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from iochannels.errors import IoChannelsError, UsageError

__all__ = ["FORMATS", "Parser", "add_format_options", "emit", "parse_pid"]

FORMATS = ("text", "svg", "html", "mermaid", "dot", "json")


class Parser(argparse.ArgumentParser):
    """argparse, with a one-line error for bad usage (exit status 2)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_format_options(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS) -> None:
    parser.add_argument(
        "--format", choices=formats, default="text", help="how to draw it (default: text)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def emit(text: str, output: str | None = None) -> None:
    """Write ``text`` to stdout, or to the file named by ``-o``."""
    if output is None or output == "-":
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        sys.stdout.flush()
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise IoChannelsError(f"cannot write {output}: {exc.strerror}") from None


def parse_pid(text: str) -> int:
    """A PID from the command line: a positive integer, else a usage error."""
    if not text.isdigit() or int(text) <= 0:
        raise UsageError(f"not a process id: {text!r}")
    return int(text)
