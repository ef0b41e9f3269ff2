"""The package's one exception root.

User mistakes become a one-line message and an exit status (see ``cli``):
``UsageError`` exits 2, every other ``IoChannelsError`` exits 1. Broken
invariants are assertions, not these.
"""

from __future__ import annotations

__all__ = ["IoChannelsError", "NotFound", "UsageError"]


class IoChannelsError(Exception):
    """Something the user should be told in one line; exit status 1."""

    exit_status = 1


class UsageError(IoChannelsError):
    """Bad arguments or input; exit status 2."""

    exit_status = 2


class NotFound(IoChannelsError):
    """A process, name, scenario or demo that does not exist; exit status 1."""
