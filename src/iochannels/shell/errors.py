"""The shell's errors, under the package's one exception root."""

from __future__ import annotations

from iochannels.errors import IoChannelsError, UsageError

__all__ = ["Incomplete", "ShellError", "ShellExit", "ShellSyntaxError"]


class ShellSyntaxError(UsageError):
    """A command line that does not parse: ``Syntax error: ... unexpected``; sh exits 2."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"{line}: Syntax error: {message}")
        self.message = message
        self.line = line


class Incomplete(ShellSyntaxError):
    """Text that more input could finish (an open quote, a trailing ``|``)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message, line)


class ShellError(IoChannelsError):
    """A failure sh reports in one line and goes on (or exits 2 when not interactive)."""


class ShellExit(Exception):
    """``exit N``: unwinds the shell (or a subshell's child) to where it ends with N."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
