"""``--draw``: the real fd tables of a pipeline's processes, taken when each child has done
its dup2s and closes and waits just before ``execve``.

The picture is taken by ``live`` from ``/proc``, like ``iochannels fds``. Two things are
changed before drawing, both what exec itself will do a moment later: a close-on-exec fd
(the shell's own: the exec-error pipe, the trace fd) is left out, as execve(2) closes it;
and each process is named for the program it is about to become.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from iochannels import live
from iochannels.model import Snapshot
from iochannels.render import render_snapshot
from iochannels.render.names import shown
from iochannels.shell.errors import ShellError
from iochannels.stdio import write_file

__all__ = ["as_exec_will_leave_it", "drawer", "pipeline_snapshot"]


def as_exec_will_leave_it(snap: Snapshot, argvs: dict[int, list[str]]) -> Snapshot:
    """The snapshot without close-on-exec fds, each process named for its program."""
    processes = []
    for proc in snap.processes:
        fds = tuple(e for e in proc.fds if "cloexec" not in e.flags)
        argv = argvs.get(proc.pid, list(proc.argv))
        processes.append(replace(proc, name=os.path.basename(argv[0]) if argv else proc.name,
                                 argv=tuple(argv), fds=fds, state="stopped before execve"))
    used = {e.channel for p in processes for e in p.fds}
    channels = {k: v for k, v in snap.channels.items() if k in used}
    return replace(snap, processes=tuple(processes), channels=channels)


def pipeline_snapshot(pids: list[int], argvs: list[list[str]]) -> Snapshot:
    snap = live.snapshot(pids)
    return as_exec_will_leave_it(snap, dict(zip(pids, argvs, strict=True)))


def _destination(output: str | None, count: int) -> Path | None:
    """``-o pic.svg``: the first pipeline's picture there, the next in ``pic-2.svg``..."""
    if output is None or output == "-":
        return None
    path = Path(output)
    return path if count == 1 else path.with_name(f"{path.stem}-{count}{path.suffix}")


def drawer(fmt: str, output: str | None) -> Callable[[list[int], list[list[str]]], None]:
    """The ``draw`` hook the runner calls with a pipeline's stopped children."""
    count = 0

    def draw(pids: list[int], argvs: list[list[str]]) -> None:
        nonlocal count
        count += 1
        text = render_snapshot(pipeline_snapshot(pids, argvs), fmt)
        text = text if text.endswith("\n") else text + "\n"
        target = _destination(output, count)
        if target is None:
            # stderr: stdout belongs to the command line's own output.
            sys.stderr.write(text)
            sys.stderr.flush()
        else:
            try:
                write_file(str(target), text)
            except OSError as exc:
                raise ShellError(f"cannot write {shown(str(target))}: {exc.strerror}") from None

    return draw
