"""A script read from stdin, as ``printf 'echo hi\\n' | sh`` runs it: no prompt, no line
editing, each complete command run as soon as it has been read.

XCU 2 (sh, "-i"): a shell is interactive when it reads commands from a terminal
(dash: stdin and stderr are terminals); otherwise stdin is a script like any other. As
dash does, the shell reads stdin in blocks, not a byte at a time: a command of the script
that reads the same stdin (``cat``) gets what the shell has not read yet, which for a
short script is nothing (``printf 'cat\\nhello\\n' | dash`` runs ``hello``).
"""

from __future__ import annotations

import errno
import os
import signal

from iochannels.errors import UsageError
from iochannels.shell.errors import ShellExit, ShellSyntaxError
from iochannels.shell.interactive import read_command
from iochannels.shell.session import new_runner
from iochannels.shell.state import Options

__all__ = ["run_stdin"]

BLOCK = 8192  # dash's input buffer (input.c: IBUFSIZ is BUFSIZ + 1)


class _Lines:
    """``ask(prompt)`` for ``read_command``: the next line of fd 0 with its newline (the
    last may have none), the prompt ignored."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = b""
        self.ended = False

    def __call__(self, _prompt: str) -> str:
        while b"\n" not in self.pending and not self.ended:
            chunk = self._read()
            self.ended = not chunk
            self.pending += chunk
        if not self.pending:
            raise EOFError
        line, newline, self.pending = self.pending.partition(b"\n")
        return (line + newline).decode("utf-8", "surrogateescape")

    def _read(self) -> bytes:
        try:
            return os.read(self.fd, BLOCK)
        except OSError as exc:
            if exc.errno == errno.EBADF:  # stdin closed (`<&-`): nothing to run, as dash
                return b""
            raise UsageError(f"cannot read the commands from stdin: "
                             f"{exc.strerror}") from None


def run_stdin(options: Options, positional: list[str] | None = None) -> int:
    """``sh < FILE``, ``... | sh``: run the commands of stdin, return sh's exit status."""
    # A shell whose stdout reader is gone ends by SIGPIPE, quietly, as dash does.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    runner = new_runner(options, positional or [options.name])
    ask = _Lines(0)
    lines = 0  # the lines read before the current command, for error messages' numbers
    while True:
        try:
            text = read_command(ask, with_newlines=True)
        except ShellSyntaxError as exc:
            # XCU 2.8.1: a syntax error ends a non-interactive shell with status 2.
            runner.state.line = exc.line
            runner.state.lines_before = lines
            runner.error(f"Syntax error: {exc.message}")
            return 2
        if text is None:
            return runner.state.status
        runner.state.lines_before = lines
        lines += text.count("\n")
        try:
            runner.run_source(text)
        except ShellExit as exc:
            return exc.status
