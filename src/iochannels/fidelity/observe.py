"""What a run of a script shows, on either kernel, in one comparable form.

Per step: the call's :class:`Result` (done with a value, failed with an errno
name, blocked, or skipped because its process waits), any earlier blocked
calls that completed after it, and the acting process's fd table as
:class:`FdView` rows. Channel identities are numbered in order of first
appearance (``pipe1``, ``socket2``), so the two kernels' own ids and inode
numbers never need to match, only the sharing they describe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FdView", "Namer", "Record", "Result", "first_difference"]


@dataclass(frozen=True, slots=True)
class Result:
    kind: str  # done | error | blocked | skipped
    value: Any = None  # done: the value; error: the errno name

    def __str__(self) -> str:
        match self.kind:
            case "done" if isinstance(self.value, bytes):
                shown = self.value[:16].hex() + ("..." if len(self.value) > 16 else "")
                return f"{len(self.value)} bytes {shown}"
            case "done":
                return f"= {self.value!r}"
            case "error":
                return f"-1 {self.value}"
            case _:
                return f"<{self.kind}>"


@dataclass(frozen=True, slots=True)
class FdView:
    fd: int
    channel: str  # "chr", or "pipe1", "socket2"... numbered by first appearance
    access: str  # r | w | rw
    nonblock: bool
    cloexec: bool


@dataclass(frozen=True, slots=True)
class Record:
    """One step: its result, what completed after it (step -> result), the actor's fds."""

    result: Result
    completed: tuple[tuple[int, Result], ...] = ()
    fds: tuple[FdView, ...] = ()


class Namer:
    """Numbers channels by first appearance: the same sharing gives the same names."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, object], str] = {}

    def name(self, kind: str, identity: object) -> str:
        if kind == "chr":
            return "chr"
        key = (kind, identity)
        if key not in self._names:
            self._names[key] = f"{kind}{len(self._names) + 1}"
        return self._names[key]


def first_difference(sim: list[Record], linux: list[Record]) -> str | None:
    """The first step where the two runs differ, in one line; None if they agree."""
    for i, (s, r) in enumerate(zip(sim, linux, strict=False)):
        if s.result != r.result:
            return f"step {i}: simulator {s.result}, linux {r.result}"
        if s.completed != r.completed:
            return f"after step {i}: completed: simulator {_done(s)}, linux {_done(r)}"
        if s.fds != r.fds:
            return f"after step {i}: fds: simulator {_fds(s)}, linux {_fds(r)}"
    if len(sim) != len(linux):
        return f"the runs have {len(sim)} and {len(linux)} steps"
    return None


def _done(r: Record) -> str:
    return ", ".join(f"step {i} {res}" for i, res in r.completed) or "nothing"


def _fds(r: Record) -> str:
    return " ".join(f"{v.fd}:{v.channel}/{v.access}{'/nb' if v.nonblock else ''}"
                    f"{'/ce' if v.cloexec else ''}" for v in r.fds)
