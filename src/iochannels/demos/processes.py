"""The demos' side of their child processes: start, talk, wait, and always kill and reap.

A child is a small Python program (a function of :mod:`iochannels.demos.children`)
started in a process group of its own, so that Ctrl-C at the terminal reaches
the demo, not it, and one ``killpg`` ends it with whatever it forked (a pipe
demo's server, a popen demo's grep). The kill is registered with
``stage.defer`` before anything else can fail, so it runs on success, on error
and on Ctrl-C.

Two ways to talk to one: a :class:`Child` made by :func:`spawn` obeys JSON
commands on its fd 0 and answers JSON lines on its fd 1; a program made by
:func:`start` wires its fds as the demo says, and may say JSON lines on a pipe
(:func:`read_json`) or stop itself with SIGSTOP at the moments worth a picture
(:func:`wait_stopped`, :func:`resume`).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import iochannels
from iochannels.demos.proc_state import state
from iochannels.demos.stage import Stage
from iochannels.errors import IoChannelsError

__all__ = [
    "WAIT_SECONDS",
    "Child",
    "child_env",
    "last_words",
    "program",
    "read_json",
    "resume",
    "spawn",
    "start",
    "wait_for",
    "wait_stopped",
]

WAIT_SECONDS = 10.0
CHILDREN = "iochannels.demos.children"  # the package of the programs the demos start


def program(function: Callable[..., None], *args: str) -> list[str]:
    """The command line running a child program's ``function`` with this Python.

    ``program(echo.server, "tcp", "0")`` is ``python -m iochannels.demos.children
    echo.server tcp 0``: what ``ps -f`` shows, and a definition one can jump to.
    """
    package, _, module = function.__module__.rpartition(".")
    assert package == CHILDREN, f"{function.__qualname__} is not in {CHILDREN}"
    return [sys.executable, "-m", CHILDREN, f"{module}.{function.__name__}", *args]


def child_env() -> dict[str, str]:
    """This environment, with this package importable (also when run from a source tree)."""
    env = dict(os.environ)
    src = str(Path(iochannels.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def start(stage: Stage, args: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``args`` in its own process group; kill the group and reap it when the demo ends."""
    popen.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.Popen(args, env=child_env(), process_group=0, **popen)
    stage.defer(lambda: _end(proc))
    return proc


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's whole process group, reap the child, close our ends of its pipes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone and reaped already
        os.killpg(proc.pid, signal.SIGKILL)  # kill(2) on the group: its own children too
    try:
        proc.wait(WAIT_SECONDS)
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


# -- a child that obeys JSON commands -------------------------------------------------------


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
            said = read_json(self.popen.stdout, f"the {self.name}", stderr=self.popen.stderr)
            if said["event"] == "error":
                raise IoChannelsError(str(said["message"]))
            self.pending.append(said)

    def wait(self, seconds: float = WAIT_SECONDS) -> int:
        return self.popen.wait(seconds)


def spawn(stage: Stage, args: list[str], name: str) -> Child:
    """Start ``args`` talking JSON lines over its fds 0 and 1 (unbuffered); end it with the demo."""
    pipe = subprocess.PIPE
    return Child(start(stage, args, stdin=pipe, stdout=pipe, stderr=pipe, bufsize=0), name)


# -- reading what a program says, waiting for it ---------------------------------------------


def read_json(stream: IO[bytes] | None, what: str, seconds: float = WAIT_SECONDS, *,
              stderr: IO[bytes] | None = None) -> dict[str, Any]:
    """The next JSON line a program says on ``stream``; if none comes, why (its last words)."""
    assert stream is not None
    ready, _, _ = select.select([stream], [], [], seconds)
    line = stream.readline() if ready else b""
    if not line:
        raise IoChannelsError(f"{what}: the program stopped answering{last_words(stderr)}")
    try:
        said: dict[str, Any] = json.loads(line)
    except ValueError:
        raise IoChannelsError(f"{what}: {line.decode(errors='replace').strip()}") from None
    return said


def last_words(stderr: IO[bytes] | None) -> str:
    """The last line a program wrote on its stderr pipe, if it wrote one (never waits long).

    A forked grandchild may still hold the pipe open: read what is there, never to its end.
    """
    if stderr is None or not select.select([stderr], [], [], 0.5)[0]:
        return ""
    lines = os.read(stderr.fileno(), 65536).decode(errors="replace").strip().splitlines()
    return f": {lines[-1]}" if lines else ""


def wait_for(ready: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll until ``ready()``; a one-line error naming ``what`` if it never comes."""
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise IoChannelsError(f"gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(0.005)


def wait_stopped(pid: int, what: str, stderr: IO[bytes] | None = None) -> None:
    """Wait until ``pid`` has stopped itself (SIGSTOP, signal(7)); if it ended instead, say why."""
    wait_for(lambda: state(pid) in ("T", "t", "", "Z"), what)
    if state(pid) in ("", "Z"):
        raise IoChannelsError(f"{what}: the process ended instead of stopping{last_words(stderr)}")


def resume(*pids: int) -> None:
    """Let stopped programs go on (SIGCONT, signal(7))."""
    for pid in pids:
        os.kill(pid, signal.SIGCONT)
