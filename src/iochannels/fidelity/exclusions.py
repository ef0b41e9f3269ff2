"""The simulator's deliberate simplifications, by name, and how the harness keeps them out.

Each one is documented in ``docs/readme/sim-kernel.md``. The harness never
skips a difference silently: a script that would reach one of these stops
just before, and the report counts the stops by name.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SIMPLIFICATIONS", "SOCKET_BUDGET", "Simplification"]


@dataclass(frozen=True, slots=True)
class Simplification:
    name: str
    what: str
    kept_out: str


SOCKET_BUDGET = 65536  # payload bytes a script may send on sockets, in all
SOCKET_SENDS = 32  # and in how many calls

SIMPLIFICATIONS = (
    Simplification(
        "socket-buffer-accounting",
        "socket buffers count payload bytes; Linux charges each message's kernel memory "
        "(skb truesize) against SO_SNDBUF, so when a socket fills depends on message sizes",
        f"a script stops before its socket sends pass {SOCKET_BUDGET} bytes or "
        f"{SOCKET_SENDS} calls, far below Linux's limits and the harness kernel's",
    ),
    Simplification(
        "pids",
        "process ids are the simulator's own (100 and up)",
        "fork's return value is compared as 'a pid', not as a number",
    ),
    Simplification(
        "terminal",
        "fds 0, 1, 2 are a simulated terminal; the real workers have /dev/null there",
        "both are compared as 'chr'; reads see end of file on both; a script stops "
        "before an lseek on them (a terminal says ESPIPE, /dev/null says 0)",
    ),
    Simplification(
        "two-waiters",
        "when two processes wait at once, which one Linux wakes and runs first is a race",
        "a script stops before a second process would wait while another still waits",
    ),
)
