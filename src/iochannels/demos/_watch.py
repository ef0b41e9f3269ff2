"""The demo's side of the programs in ``_children`` and ``sockets``: start, watch, picture, end.

A program is started in a process group of its own (so that Ctrl-C at the
terminal reaches the demo, not it, and one ``killpg`` ends it with whatever it
forked); its end is registered with ``stage.defer`` before anything can fail.
Its state is read from ``/proc/PID/stat`` and ``/proc/PID/wchan`` (proc(5)).
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import iochannels
from iochannels.demos.base import Stage
from iochannels.errors import IoChannelsError
from iochannels.model import Channel, FdEntry, Kind, Process, Snapshot

__all__ = [
    "fionread", "keep_fds", "program", "read_json", "resume", "snapshot", "start", "state",
    "wait_for", "wait_stopped", "wchan",
]

WAIT_SECONDS = 10.0


def program(module: str, *args: str) -> list[str]:
    """The command line running ``iochannels.demos.<module>`` with this Python."""
    return [sys.executable, "-m", f"iochannels.demos.{module}", *args]


def start(stage: Stage, args: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``args`` in its own process group; kill the group and reap it when the demo ends."""
    env = dict(os.environ)
    src = str(Path(iochannels.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    popen.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.Popen(args, env=env, process_group=0, **popen)
    stage.defer(lambda: _end(proc))
    return proc


def _end(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone and reaped already
        os.killpg(proc.pid, signal.SIGKILL)  # kill(2) on the group: its children too
    try:
        proc.wait(WAIT_SECONDS)
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def state(pid: int) -> str:
    """The state letter of ``/proc/PID/stat`` (R, S, D, T, Z...), "" when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]  # the name may hold spaces and parentheses


def wchan(pid: int) -> str:
    """Where in the kernel the process sleeps (proc(5) wchan): ``pipe_write``, ``0`` if running."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip()
    except OSError:
        return ""


def wait_for(ready: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll until ``ready()``; a one-line error naming ``what`` if it never comes."""
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise IoChannelsError(f"gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(0.005)


def wait_stopped(pid: int, what: str, stderr: IO[bytes] | None = None) -> None:
    """Wait until ``pid`` has stopped itself; if it ended instead, say why (its last words)."""
    wait_for(lambda: state(pid) in ("T", "t", "", "Z"), what)
    if state(pid) in ("", "Z"):
        raise IoChannelsError(f"{what}: the process ended instead of stopping{_last(stderr)}")


def _last(stderr: IO[bytes] | None) -> str:
    """The last line a program wrote on its stderr pipe, if it wrote one (never waits long)."""
    if stderr is None or not select.select([stderr], [], [], 0.5)[0]:
        return ""
    lines = os.read(stderr.fileno(), 65536).decode(errors="replace").strip().splitlines()
    return f": {lines[-1]}" if lines else ""


def resume(*pids: int) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGCONT)


def read_json(stream: IO[bytes] | None, what: str, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
    """The next JSON line a program says on ``stream``."""
    assert stream is not None
    ready, _, _ = select.select([stream], [], [], seconds)
    line = stream.readline() if ready else b""
    if not line:
        raise IoChannelsError(f"{what}: the program stopped answering")
    try:
        said: dict[str, Any] = json.loads(line)
    except ValueError:
        raise IoChannelsError(f"{what}: {line.decode(errors='replace').strip()}") from None
    return said


def snapshot(pids: Iterable[int], keep: Callable[[int, int], bool] | None = None) -> Snapshot:
    """The live fd tables of ``pids`` (``iochannels.live``), only the fds ``keep`` accepts."""
    try:
        take = getattr(importlib.import_module("iochannels.live"), "snapshot", None)
        if not callable(take):  # not exported yet: its own module
            take = importlib.import_module("iochannels.live.snapshot").snapshot
    except (ImportError, AttributeError):
        take = bare_snapshot  # iochannels.live is being built: the links alone
    taken: Snapshot = take(list(pids))
    return taken if keep is None else keep_fds(taken, keep)


def bare_snapshot(pids: Iterable[int]) -> Snapshot:
    """A stand-in while ``iochannels.live`` is built: the ``/proc/PID/fd`` links and no more."""
    processes, channels = [], {}
    for pid in pids:
        fds = []
        for fd, target in sorted(_links(pid).items()):
            kind = _kind_of(target)
            channels[target] = Channel(target, kind, target)
            fds.append(FdEntry(fd, target))
        processes.append(Process(pid, _comm(pid), fds=tuple(fds)))
    note = "drawn from /proc/PID/fd links only (iochannels.live is not available)"
    return Snapshot(tuple(processes), channels, "live", time.time(), (note,))


def _links(pid: int) -> dict[int, str]:
    found = {}
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return {}
    for name in names:
        try:
            found[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
    return found


def _kind_of(target: str) -> Kind:
    if target.startswith("pipe:"):
        return Kind.PIPE
    if target.startswith("socket:"):
        return Kind.SOCKET
    if target.startswith("/dev/"):
        return Kind.CHR
    return Kind.FILE if target.startswith("/") else Kind.ANON


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def keep_fds(snap: Snapshot, keep: Callable[[int, int], bool]) -> Snapshot:
    """The same snapshot with only the fds ``keep(pid, fd)`` accepts, and their channels."""
    processes = tuple(
        replace(p, fds=tuple(e for e in p.fds if keep(p.pid, e.fd))) for p in snap.processes
    )
    used = {e.channel for p in processes for e in p.fds}
    channels = {cid: ch for cid, ch in snap.channels.items() if cid in used}
    return replace(snap, processes=processes, channels=channels)


def fionread(fd: int) -> int:
    """How many bytes wait in a pipe or socket (ioctl FIONREAD, pipe(7))."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]
