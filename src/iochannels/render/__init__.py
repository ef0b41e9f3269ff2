"""Views: pure functions from the model to text.

``render_snapshot(snap, fmt)``, ``render_graph(snap, fmt)``,
``render_walkthrough(run, fmt)`` and ``render_sequence(run, fmt)`` are the one
door the commands use; each format lives in its own module. Same input, same
output, byte for byte.

=========  ==========================================================================
format     what it gives
=========  ==========================================================================
text       the terminal tables (``text.py``); a walkthrough: each step in turn
svg        fd tables, arrows, channel boxes with buffer gauges (``svg.py``); a run
           with socket calls: its socket sequence, otherwise its fullest step
html       one self-contained page stepping through a run (a snapshot: one step)
mermaid    a flowchart; a run with socket calls: a ``sequenceDiagram``
dot        Graphviz text of a snapshot (a run: its fullest step)
json       the documented schema (``schemas/*.schema.json``)
=========  ==========================================================================
"""

from __future__ import annotations

from iochannels.errors import UsageError
from iochannels.model import Snapshot, Walkthrough

__all__ = ["FORMATS", "fullest", "render_graph", "render_sequence", "render_snapshot",
           "render_walkthrough"]

FORMATS = ("text", "svg", "html", "mermaid", "dot", "json")


def _unknown(fmt: str, what: str) -> UsageError:
    return UsageError(f"unknown format {fmt!r} for {what} (choose from {', '.join(FORMATS)})")


def render_snapshot(snap: Snapshot, fmt: str, *, width: int = 100, color: bool = False) -> str:
    match fmt:
        case "json":
            from iochannels.render.json import snapshot_json

            return snapshot_json(snap)
        case "text":
            from iochannels.render.text import snapshot_text

            return snapshot_text(snap, width=width, color=color)
        case "svg":
            from iochannels.render.svg import snapshot_svg

            return snapshot_svg(snap)
        case "html":
            from iochannels.render.html import snapshot_html

            return snapshot_html(snap)
        case "mermaid":
            from iochannels.render.mermaid import snapshot_mermaid

            return snapshot_mermaid(snap)
        case "dot":
            from iochannels.render.dot import snapshot_dot

            return snapshot_dot(snap)
    raise _unknown(fmt, "a snapshot")


def fullest(run: Walkthrough) -> Snapshot:
    """The step with the most fds open (the first such): the moment worth one picture."""
    if not run.steps:
        return Snapshot((), {}, "sim")
    return max(run.steps, key=lambda s: sum(len(p.fds) for p in s.snapshot.processes)).snapshot


def _walkthrough_text(run: Walkthrough, width: int, color: bool) -> str:
    from iochannels.render.events import event_line, names
    from iochannels.render.names import printable_run
    from iochannels.render.text import snapshot_text

    run = printable_run(run)
    who = names(run.steps)
    parts = [f"{run.title}\n"] + ([f"{run.description}\n"] if run.description else [])
    for number, step in enumerate(run.steps):
        event = step.event
        head = "start" if event is None else event_line(event, who.get(event.pid, ""))
        caption = f"  -- {step.caption}" if step.caption else ""
        parts.append(f"[{number}] {head}{caption}\n")
        parts.append(snapshot_text(step.snapshot, width=width, color=color))
    return "\n".join(parts)


def render_walkthrough(run: Walkthrough, fmt: str, *, width: int = 100, color: bool = False) -> str:
    from iochannels.render.sequence import has_socket_calls

    match fmt:
        case "json":
            from iochannels.render.json import walkthrough_json

            return walkthrough_json(run)
        case "text":
            return _walkthrough_text(run, width, color)
        case "html":
            from iochannels.render.html import walkthrough_html

            return walkthrough_html(run)
        case "svg" | "mermaid" if has_socket_calls(run):
            return render_sequence(run, fmt)
        case "svg":
            from iochannels.render.svg import snapshot_svg

            return snapshot_svg(fullest(run), f"{run.title} · the step with the most fds open")
        case "mermaid" | "dot":
            return render_snapshot(fullest(run), fmt)
    raise _unknown(fmt, "a walkthrough")


def render_sequence(run: Walkthrough, fmt: str) -> str:
    """The socket calls of a run as a sequence diagram (lecture section 5): svg or mermaid."""
    match fmt:
        case "svg":
            from iochannels.render.seqviews import sequence_svg

            return sequence_svg(run)
        case "mermaid":
            from iochannels.render.seqviews import sequence_mermaid

            return sequence_mermaid(run)
    raise UsageError(f"a sequence diagram is drawn as svg or mermaid, not {fmt!r}")


def render_graph(snap: Snapshot, fmt: str, *, width: int = 100, color: bool = False) -> str:
    """Who talks to whom: processes as nodes, the channels between them as edges."""
    match fmt:
        case "json":
            from iochannels.render.json import snapshot_json

            return snapshot_json(snap)
        case "text":
            from iochannels.render.text import graph_text

            return graph_text(snap, width=width, color=color)
        case "svg":
            from iochannels.render.svg import graph_svg

            return graph_svg(snap)
        case "html":
            from iochannels.render.html import graph_html

            return graph_html(snap)
        case "mermaid" | "dot":
            from iochannels.render.svg import talking

            return render_snapshot(talking(snap), fmt)
    raise _unknown(fmt, "a graph")
