"""The report of a run, as ``iochannels sim run`` shows it: built here, drawn by ``render``.

The simulator decides what there is to say (the statuses, the terminal, the files,
a deadlock, the moment with the most fds open, whether the end looks different);
``render.simreport`` decides how it reads, as text or JSON.
"""

from __future__ import annotations

from collections.abc import Mapping

from iochannels.model import RunReport, Snapshot, Step
from iochannels.sim.run import SimRun

__all__ = ["run_report"]


def run_report(name: str, title: str, watch: str, seed: int, params: Mapping[str, int | str],
               run: SimRun, files: Mapping[str, bytes]) -> RunReport:
    walkthrough = run.walkthrough(title, watch)
    steps = walkthrough.steps
    # Counted per table, not per entry: a run of 1,000 clients has millions of entries.
    busiest = max(range(len(steps)), key=lambda i: _open_fds(steps[i].snapshot))
    last, shown = steps[-1].snapshot, steps[busiest].snapshot
    changed = last.processes != shown.processes or dict(last.channels) != dict(shown.channels)
    deadlock = run.deadlock
    return RunReport(
        name, title, seed, dict(params), watch, walkthrough, dict(run.exit_status),
        _final_names(steps), run.terminal, dict(sorted(files.items())),
        None if deadlock is None else deadlock.reason,
        () if deadlock is None else deadlock.waiters, run.stopped, busiest,
        changed and any(True for _ in last.entries()))


def _open_fds(snap: Snapshot) -> int:
    return sum(len(p.fds) for p in snap.processes)


def _final_names(steps: tuple[Step, ...]) -> dict[int, str]:
    names: dict[int, str] = {}
    for step in steps:
        names.update({p.pid: p.name for p in step.snapshot.processes})
    return names
