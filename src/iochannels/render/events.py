"""System calls as short lines for people: ``write(4, "hi", 2) = 2``, ``accept(3) … blocks``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from iochannels.model import Event, Step
from iochannels.render.names import shown

__all__ = ["call_line", "event_line", "names", "result_line"]


def _arg(value: str | int) -> str:
    # The producer quoted it as strace does ("a\\"b\\n"); whatever raw control byte
    # slipped through is written out, never printed.
    return shown(value) if isinstance(value, str) else str(value)


def call_line(event: Event) -> str:
    return f"{event.call}({', '.join(_arg(a) for a in event.args)})"


def result_line(event: Event) -> str:
    if event.blocked:
        return "blocks"
    if event.error:
        return f"-1 {event.error}"
    return "?" if event.result is None else shown(str(event.result))  # "?": never returned (exit)


def event_line(event: Event, name: str = "") -> str:
    """``[101 writer] write(4, "hi", 2) = 2`` (or ``… blocks``)."""
    who = f"[{event.pid}{' ' + shown(name) if name else ''}] "
    tail = " … blocks" if event.blocked else f" = {result_line(event)}"
    return f"{who}{call_line(event)}{tail}"


def names(steps: Sequence[Step]) -> Mapping[int, str]:
    """Every process name seen in the run, by pid (the latest name wins: exec renames)."""
    found: dict[int, str] = {}
    for step in steps:
        for proc in step.snapshot.processes:
            found[proc.pid] = proc.name
    return found
