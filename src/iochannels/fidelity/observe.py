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

__all__ = ["FdView", "Namer", "Ports", "Record", "Result", "first_difference"]


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


class Ports:
    """Port numbers of one kernel, as names both kernels share.

    TCP and UDP name their ports apart (their port tables are apart; a UDP port's
    number may be any TCP socket's on the host). A port bound through a script's
    port name (``bind_in``) shows as that name (``"a"``); any other port (one the
    kernel picked in ``connect`` or a first ``sendto``) as ``"e1"``, ``"e2"``... in
    order of first appearance. So two runs agree when the same sockets send and
    connect, whatever numbers their kernels chose.
    """

    def __init__(self, names: tuple[str, ...], nobody: int) -> None:
        self.names = names
        self.nobody = nobody  # a port no socket of the script binds: nothing listens there
        self._ports: dict[tuple[str, int], int] = {}  # (proto, name index) -> port
        self._labels: dict[tuple[str, int], str] = {}  # (proto, port) -> label
        self._others = 0

    def port(self, proto: str, name: int) -> int | None:
        """The port a name was bound to, or None while it is not."""
        return self._ports.get((proto, name))

    def target(self, proto: str, name: int) -> int:
        """Where a connect or sendto to ``name`` goes: its port, or the port of nobody."""
        return self._ports.get((proto, name), self.nobody)

    def choices(self, name: int) -> dict[str, int]:
        """For the Linux worker, which looks at the socket's type: proto -> port or 0."""
        return {proto: self.port(proto, name) or 0 for proto in ("tcp", "udp")}

    def targets(self, name: int) -> dict[str, int]:
        return {proto: self.target(proto, name) for proto in ("tcp", "udp")}

    def bound(self, proto: str, name: int, port: int) -> None:
        if (proto, name) not in self._ports:
            self._ports[(proto, name)] = port
            self._labels[(proto, port)] = self.names[name]

    def label(self, proto: str, address: object) -> object:
        """``("127.0.0.1", 41234)`` -> ``("127.0.0.1", "a")``; paths and None stay."""
        if not isinstance(address, tuple):
            return address
        host, port = address
        if (proto, port) not in self._labels:
            self._others += 1
            self._labels[(proto, port)] = f"e{self._others}"
        return (host, self._labels[(proto, port)])


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
