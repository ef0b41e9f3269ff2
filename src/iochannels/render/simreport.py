"""The report of a simulated run (``iochannels sim run``), as text and as JSON.

The simulator builds the :class:`~iochannels.model.RunReport`; this module only
words it: the options first (as OSTEP's simulators print them), the calls, the fd
tables at the busiest moment and at the end, the exit statuses, the terminal, the
files, a deadlock, what to watch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from iochannels.model import Event, RunReport, Walkthrough
from iochannels.render.json import walkthrough_to_dict
from iochannels.render.names import shown, shown_lines
from iochannels.render.trace import (
    call_line,
    call_text,
    names_of,
    result_text,
    resumed_seqs,
    snapshot_text,
    statuses_text,
    step_text,
    trace_text,
)

__all__ = ["catalogue_text", "echo_text", "pages", "report_dict", "report_text",
           "stopped_text", "summary_text", "trace_report", "watch_text"]


def catalogue_text(sections: Mapping[int, str], rows: Sequence[Mapping[str, Any]]) -> str:
    """``sim list``: the scenarios under their lecture sections."""
    width = max(len(row["name"]) for row in rows)
    lines = []
    for number, title in sections.items():
        lines.append(f"{number}. {title}")
        lines.extend(f"   {row['name']:<{width}}  {row['title']}" for row in rows
                     if row["section"] == number)
    return "\n".join(lines)


def report_text(report: RunReport) -> str:
    walkthrough = report.walkthrough
    parts = [echo_text(report), "calls\n" + trace_text(walkthrough), *_moments(report),
             statuses_text(report.exit_status, report.names), _terminal(report),
             _files(report)]
    if report.deadlock is not None:
        parts.append("\n".join(map(shown, _deadlock_lines(report))) + "\n")
    if report.stopped:
        parts.append(stopped_text(report) + "\n")
    if report.watch:
        parts.append(watch_text(report))
    return "\n".join(p for p in parts if p)


def stopped_text(report: RunReport) -> str:
    """Why a run ended with programs still running (``report.stopped``)."""
    calls = len(report.walkthrough.events)
    return (f"stopped after {calls} call{'s' if calls != 1 else ''}: the programs could "
            "still run (see --max-steps)")


def trace_report(report: RunReport, events: Sequence[Event]) -> str:
    """``sim run --trace``: the trace lines, and, as strace ends with ``+++ exited +++``,
    a last line when the run stopped at --max-steps."""
    text = trace_text(report.walkthrough, events)
    if not report.stopped:
        return text
    return f"{text.rstrip()}\n+++ {stopped_text(report)} +++\n"


def report_dict(report: RunReport) -> dict[str, Any]:
    return {
        "scenario": report.name, "seed": report.seed, "params": dict(report.params),
        "exit_status": {str(pid): status for pid, status in report.exit_status.items()},
        "terminal": report.terminal.decode(errors="replace"),
        "files": {path: data.decode(errors="replace") for path, data in report.files.items()},
        "deadlock": None if report.deadlock is None else _deadlock_lines(report),
        "walkthrough": walkthrough_to_dict(report.walkthrough),
    }


def echo_text(report: RunReport) -> str:
    """The options first, as OSTEP's simulators print them."""
    params = " ".join(f"{k}={v}" for k, v in sorted(report.params.items())) or "-"
    # The name and title of a program of one's own come from its file's name: data.
    return (f"ARG scenario {shown(report.name)}\nARG seed {report.seed}\nARG params {params}\n\n"
            f"{shown(report.title)}\n")


def watch_text(report: RunReport) -> str:
    return "what to watch\n" + _indent(report.watch)


def summary_text(report: RunReport) -> str:
    """What ``sim step`` prints at the end: statuses, terminal, deadlock."""
    extra = [_terminal(report)]
    if report.deadlock is not None:
        extra.append("\n".join(map(shown, _deadlock_lines(report))) + "\n")
    statuses = statuses_text(report.exit_status, report.names)
    return "\n".join([statuses, *extra])  # spaced as `sim run` prints them


def pages(walkthrough: Walkthrough, predict: bool) -> Iterator[tuple[str, str]]:
    """``sim step``: (prompt, text) for each call; with ``predict`` the prompt asks for the
    result first (OSTEP's -c idea: the question first, the answer on Enter). The first
    picture, before any call, is ``step_text(walkthrough.steps[0])``."""
    names = names_of(walkthrough.steps)
    resumed = resumed_seqs(walkthrough.events)
    total = len(walkthrough.steps) - 1
    for number, step in enumerate(walkthrough.steps[1:], start=1):
        event = step.event
        assert event is not None
        name, again = names.get(event.seq, {}).get(event.pid, "?"), event.seq in resumed
        prompt = f"[step {number}/{total}] Enter: next, q: quit "
        if predict:
            question = call_line(event, name, 0, again).lstrip().split("  ", 1)[1]
            prompt = f"[step {number}/{total}] {question} = ?   Enter: reveal, q: quit "
        yield prompt, step_text(step, name, again)


def _moments(report: RunReport) -> list[str]:
    """The fd tables when the most fds were open, and at the end if any fd is still open."""
    steps = report.walkthrough.steps
    event = steps[report.busiest].event
    head = "at the start" if event is None else (
        f"after call {event.seq}, {call_text(event)}{result_text(event)}: the most fds open")
    parts = [f"{head}\n{snapshot_text(steps[report.busiest].snapshot)}"]
    if report.end_differs:
        parts.append("at the end\n" + snapshot_text(steps[-1].snapshot))
    return parts


def _terminal(report: RunReport) -> str:
    if not report.terminal:
        return "terminal (/dev/tty): nothing was written\n"
    # The programs' bytes, shown as the trace shows them (\x1b, \xff), their lines kept.
    return "terminal (/dev/tty)\n" + _indent(report.terminal.decode(errors="surrogateescape"))


def _files(report: RunReport) -> str:
    if not report.files:
        return ""
    rows = [f"  {shown(path)}  {len(data)} bytes  {_preview(data)}"
            for path, data in report.files.items()]
    return "files\n" + "\n".join(rows) + "\n"


def _preview(data: bytes, limit: int = 40) -> str:
    text = data[:limit].decode(errors="replace")
    return json.dumps(text)[:-1] + ('..."' if len(data) > limit else '"')


def _deadlock_lines(report: RunReport) -> list[str]:
    lines = [f"deadlock: {report.deadlock}"]
    lines.extend(
        f"  {w.pid:>5} {w.name:<12}  waits in {w.call}({'' if w.fd is None else w.fd})"
        + (f" for {w.waits_for}" if w.waits_for else "")
        for w in report.waiters
    )
    return lines


def _indent(text: str) -> str:
    """Lines indented, each written out as the views write names (``\\x1b``): what a
    simulated program wrote on its terminal, the docstring of a program of one's own."""
    return "".join(f"  {line}\n" if line else "\n"
                   for line in shown_lines(text.removesuffix("\n")).split("\n"))
