"""The demos' side of their child processes: start, talk, snapshot, always kill and reap.

A child is a small Python program (``iochannels.demos._peers``) started in a
process group of its own, so that one ``killpg`` ends it and whatever it
forked (a pipe demo's server, a popen demo's grep). The kill is registered
with ``stage.defer`` before anything else can fail, so it runs on success, on
error and on Ctrl-C (which the children, in their own group, do not receive).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import iochannels
from iochannels.demos.base import Stage
from iochannels.errors import IoChannelsError
from iochannels.model import Snapshot

__all__ = [
    "Child",
    "from_three",
    "keep_fds",
    "peer_env",
    "peer_program",
    "snapshot",
    "spawn",
]

ANSWER_SECONDS = 10.0


@dataclass
class Child:
    """A started program and the JSON lines it has said but nobody asked for yet."""

    popen: subprocess.Popen[bytes]
    name: str
    pending: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def send(self, cmd: str, **data: Any) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write((json.dumps({"cmd": cmd, **data}) + "\n").encode())
        self.popen.stdin.flush()

    def expect(self, event: str, role: str | None = None) -> dict[str, Any]:
        """The next line saying ``event`` (from ``role``, when several share the line)."""
        while True:
            for said in self.pending:
                if said["event"] == event and role in (None, said.get("role")):
                    self.pending.remove(said)
                    return said
            self.pending.append(self._next_line())

    def _next_line(self) -> dict[str, Any]:
        out = self.popen.stdout
        assert out is not None
        ready, _, _ = select.select([out], [], [], ANSWER_SECONDS)
        line = out.readline() if ready else b""
        if not line:
            raise IoChannelsError(f"the {self.name} process stopped answering{self._why()}")
        said: dict[str, Any] = json.loads(line)
        if said["event"] == "error":
            raise IoChannelsError(str(said["message"]))
        return said

    def _why(self) -> str:
        if self.popen.poll() is None or self.popen.stderr is None:
            return ""
        # A forked grandchild may still hold stderr open: read what is there, never wait.
        ready, _, _ = select.select([self.popen.stderr], [], [], 0.5)
        text = os.read(self.popen.stderr.fileno(), 65536) if ready else b""
        last = text.decode(errors="replace").strip().splitlines()
        return f": {last[-1]}" if last else ""

    def wait(self, seconds: float = ANSWER_SECONDS) -> int:
        return self.popen.wait(seconds)


def peer_program(*args: str) -> list[str]:
    """The command line of a peer program run with this Python."""
    return [sys.executable, "-m", "iochannels.demos._peers", *args]


def peer_env() -> dict[str, str]:
    """This environment, with this package importable (also when run from a source tree)."""
    env = dict(os.environ)
    src = str(Path(iochannels.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def spawn(stage: Stage, args: list[str], name: str) -> Child:
    """Start ``args`` in its own process group, talking over fds 0 and 1; kill it at the end."""
    popen = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        bufsize=0, env=peer_env(), process_group=0,
    )
    stage.defer(lambda: _end(popen))
    return Child(popen, name)


def _end(popen: subprocess.Popen[bytes]) -> None:
    """Kill the child's whole process group, reap the child, close our ends of its pipes."""
    with suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(popen.pid, signal.SIGKILL)  # kill(2): its own children too (same group)
    try:
        popen.wait(ANSWER_SECONDS)
    finally:
        for stream in (popen.stdin, popen.stdout, popen.stderr):
            if stream is not None:
                stream.close()


def snapshot(pids: Iterable[int], keep: Callable[[int, int], bool] | None = None) -> Snapshot:
    """The fd tables of ``pids`` now (``iochannels.live``), keeping only the fds ``keep`` says."""
    from iochannels import live

    taken = live.snapshot(list(pids))
    return taken if keep is None else keep_fds(taken, keep)


def keep_fds(snap: Snapshot, keep: Callable[[int, int], bool]) -> Snapshot:
    """The same snapshot with only the fds ``keep(pid, fd)`` accepts, and their channels."""
    processes = tuple(
        replace(p, fds=tuple(e for e in p.fds if keep(p.pid, e.fd))) for p in snap.processes
    )
    used = {e.channel for p in processes for e in p.fds}
    channels = {cid: ch for cid, ch in snap.channels.items() if cid in used}
    return replace(snap, processes=processes, channels=channels)


def from_three(*pids: int) -> Callable[[int, int], bool]:
    """Keep fds 3 and up of ``pids`` (their 0-2 are the demo's control lines), all of others."""
    return lambda pid, fd: fd >= 3 or pid not in pids

