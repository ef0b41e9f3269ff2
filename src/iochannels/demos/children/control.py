"""The control line between a demo and a child it talks to: commands in on fd 0, events out on fd 1.

One JSON line per event (``{"event": "open", ...}``) and one per command
(``{"cmd": "send", "message": "..."}``). The channel a demo is about uses fds 3
and up, so the demo can leave 0-2 out of its pictures. A program wrapped in
:func:`reported` tells a setup failure as an ``error`` event and exits with 1,
which the demo turns into its one-line error.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from iochannels.demos.children.shared import say

__all__ = ["Refused", "command", "expect", "reported", "tell"]


def tell(event: str, **data: Any) -> None:
    """One JSON line on fd 1: both peers of a pipe demo share it."""
    say(1, {"event": event, **data})


def command() -> dict[str, Any]:
    """The next command from the demo; ``quit`` when the demo closed our stdin."""
    line = sys.stdin.buffer.readline()
    if not line:
        return {"cmd": "quit"}
    value: dict[str, Any] = json.loads(line)
    return value


def expect(cmd: str) -> dict[str, Any]:
    got = command()
    if got["cmd"] not in (cmd, "quit"):
        raise SystemExit(f"expected command {cmd!r}, got {got!r}")
    if got["cmd"] == "quit" and cmd != "quit":
        raise SystemExit(0)
    return got


class Refused(Exception):
    """A setup failure the demo reports in one line."""


def reported(program: Callable[..., None]) -> Callable[..., None]:
    """``program``, with a refused setup or a failed system call told as an ``error`` event."""

    @functools.wraps(program)  # keeps the name that ``processes.program`` puts on the command line
    def run(*args: str) -> None:
        try:
            program(*args)
        except Refused as exc:
            tell("error", message=str(exc))
            raise SystemExit(1) from None
        except OSError as exc:
            tell("error", message=f"{exc.strerror or exc}")
            raise SystemExit(1) from None

    return run
