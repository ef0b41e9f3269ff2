"""A shell's life: set up its state from the environment, run a command line or a file,
end with sh's exit status."""

from __future__ import annotations

import fcntl
import os
import signal

from iochannels.shell.errors import ShellExit
from iochannels.shell.run import Runner
from iochannels.shell.state import Options, ShellState

__all__ = ["new_runner", "private_fd", "run_command_line", "run_file"]


def private_fd(fd: int) -> int:
    """A close-on-exec copy of ``fd`` at 10 or above, out of the command line's reach."""
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)


def new_runner(options: Options, positional: list[str]) -> Runner:
    state = ShellState.from_environment(options, os.environ, positional)
    state.variables.setdefault("PWD", os.getcwd())
    state.exported.add("PWD")
    return Runner(state)


def _finish(runner: Runner, text: str) -> int:
    # A shell whose stdout reader is gone ends by SIGPIPE, quietly, as dash does (Python
    # ignores SIGPIPE and would turn each write into an "I/O error" line instead).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        return runner.run_source(text)
    except ShellExit as exc:
        return exc.status


def run_command_line(text: str, options: Options, positional: list[str] | None = None) -> int:
    """``sh -c TEXT``: run it, return the exit status."""
    return _finish(new_runner(options, positional or [options.name]), text)


def run_file(path: str, options: Options, args: list[str]) -> int:
    """``sh FILE ARGS``: the file read whole and closed first (no fd of the shell's own
    stays in 0-9, where the script's redirections could meet it)."""
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        text = fh.read()
    return _finish(new_runner(options, [path, *args]), text)
