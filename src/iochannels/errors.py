"""The package's one exception root.

User mistakes become a one-line message and an exit status (see ``cli``):
``UsageError`` exits 2, every other ``IoChannelsError`` exits 1. Broken
invariants are assertions, not these. ``ReaderGone`` is no error at all: the
end of the output, exit status 0.
"""

from __future__ import annotations

__all__ = ["IoChannelsError", "NotFound", "ReaderGone", "UsageError"]


class IoChannelsError(Exception):
    """Something the user should be told in one line; exit status 1."""

    exit_status = 1


class UsageError(IoChannelsError):
    """Bad arguments or input; exit status 2."""

    exit_status = 2


class NotFound(IoChannelsError):
    """A process, name, scenario or demo that does not exist; exit status 1."""


class ReaderGone(BaseException):
    """The reader of stdout went away (``iochannels demo blocking | head -3``): stop quietly.

    Raised by the demos' console when a write finds the pipe closed (EPIPE). Not an
    ``Exception``, as ``KeyboardInterrupt`` is not: the handlers that keep the tour going
    past one demo's failure (``except Exception``) and that turn a demo's unexpected
    ``OSError`` into one line must let it through, while the stages' ``finally`` blocks
    still clean up on its way out. Not a ``BrokenPipeError`` either: a demo's own pipes
    break on purpose (EPIPE is a lesson), and that must not end the command. ``main``
    exits 0, as ``cat`` and ``iochannels fds --all | head`` do.
    """
