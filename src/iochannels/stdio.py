"""The one answer to an output that cannot take more: a closed pipe, a full disk.

When a write to stdout fails (EPIPE when the reader went away, ENOSPC for /dev/full),
what Python still buffers for it would fail again as the interpreter exits ("Exception
ignored ... BrokenPipeError", status 120). Every command that meets such an error points
the descriptor at /dev/null first, then says so in its own way (quietly for a reader
that went away, as cat does; one line for a full disk).
"""

from __future__ import annotations

import os

__all__ = ["drop_output"]


def drop_output(fileno: int = 1) -> None:
    """Point ``fileno`` at /dev/null: later writes and the final flush go nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)
