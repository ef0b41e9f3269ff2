"""The interactive shell: a prompt, line editing and history through the standard
``readline``, more lines for an open quote, a trailing ``|`` or an open here-document.

Ctrl-C at the prompt drops the line; Ctrl-C while a pipeline runs reaches its processes
(they share the terminal's foreground process group) and the shell waits them and goes
on; Ctrl-D on an empty line ends the shell with the last status, as dash does.
"""

from __future__ import annotations

import contextlib
import os

from iochannels.shell.errors import Incomplete, ShellExit, ShellSyntaxError
from iochannels.shell.parse import parse_all
from iochannels.shell.session import new_runner
from iochannels.shell.state import Options

__all__ = ["interact", "read_command"]

PROMPT = "$ "
MORE = "> "


def read_command(ask: object = input, with_newlines: bool = False) -> str | None:
    """Lines until they make a complete command line; None at end of input (Ctrl-D).

    ``ask(prompt)`` returns one line (``input`` by default, which uses readline), without
    its newline, or ``with_newlines``, with it (a last line may have none: the end of the
    input is then where the parser says what is left open, as dash does).
    Raises ``ShellSyntaxError`` for text no more input could mend.
    """
    text = ""
    while True:
        try:
            line = ask(MORE if text else PROMPT)  # type: ignore[operator]
        except EOFError:
            if text:
                return text  # the end of input ends what is open; the parser says what
            return None
        text += str(line) + ("" if with_newlines else "\n")
        try:
            parse_all(text, final=False)
        except Incomplete:
            continue
        return text


def interact(options: Options) -> int:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - input() edits lines and keeps history once loaded
    runner = new_runner(options, [options.name])
    lines = 0  # dash numbers the lines of an interactive session, as those of a script
    while True:
        runner.reap_jobs()
        try:
            text = read_command()
        except KeyboardInterrupt:
            os.write(1, b"\n")  # ^C at the prompt: a fresh prompt, the shell stays
            continue
        except ShellSyntaxError as exc:
            runner.state.line = exc.line
            runner.error(f"Syntax error: {exc.message}")
            runner.state.status = 2
            continue
        if text is None:
            os.write(1, b"\n")
            return runner.state.status
        runner.state.lines_before = lines
        lines += text.count("\n")
        try:
            # The whole command line, not just the waits: a Ctrl-C that comes while the
            # shell is still expanding or forking must not end the shell either.
            with runner.ignoring_interrupts():
                runner.run_source(text)
        except ShellExit as exc:
            return exc.status
