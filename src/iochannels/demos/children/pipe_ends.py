"""A writer that fills a pipe and a reader that drains one, for the blocking demo.

They hold no control channel of their own: fds 0 and 1 are the ones the lecture
is about; the reader tells each read on fd 2.
"""

from __future__ import annotations

import os
import signal

from iochannels.demos.children.shared import name_self, say

__all__ = ["drain", "fill"]

CHUNK = 4096


def fill() -> None:
    """Write 4 KiB chunks to fd 1 forever, SIGPIPE left to kill it."""
    name_self("writer")
    # Python ignores SIGPIPE at start-up; a writer as the lecture means it gets the default,
    # so that writing to a pipe with no reader kills it (pipe(7), signal(7)).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    chunk = b"x" * CHUNK
    while True:
        os.write(1, chunk)


def drain() -> None:
    """Read fd 0 until end of file; one JSON line on fd 2 per read."""
    name_self("reader")
    while True:
        data = os.read(0, 1 << 16)
        say(2, {"event": "read", "asked": 1 << 16, "got": len(data)})
        if not data:
            return
