"""Views: pure functions from the model to text.

``render_snapshot(snap, fmt)`` and ``render_walkthrough(run, fmt)`` are the one
door the commands use; each format lives in its own module. Same input, same
output, byte for byte.
"""

from __future__ import annotations

from iochannels.errors import UsageError
from iochannels.model import Snapshot, Walkthrough

__all__ = ["FORMATS", "render_graph", "render_snapshot", "render_walkthrough"]

FORMATS = ("text", "svg", "html", "mermaid", "dot", "json")


def render_snapshot(snap: Snapshot, fmt: str, *, width: int = 100, color: bool = False) -> str:
    match fmt:
        case "json":
            from iochannels.render.json import snapshot_json

            return snapshot_json(snap)
        case "text":
            from iochannels.render.text import snapshot_text

            return snapshot_text(snap, width=width, color=color)
    raise UsageError(f"format {fmt!r} is not available yet for a snapshot")


def render_walkthrough(run: Walkthrough, fmt: str, *, width: int = 100, color: bool = False) -> str:
    match fmt:
        case "json":
            from iochannels.render.json import walkthrough_json

            return walkthrough_json(run)
    raise UsageError(f"format {fmt!r} is not available yet for a walkthrough")


def render_graph(snap: Snapshot, fmt: str, *, width: int = 100, color: bool = False) -> str:
    """Who talks to whom: processes as nodes, the channels between them as edges."""
    match fmt:
        case "json":
            from iochannels.render.json import snapshot_json

            return snapshot_json(snap)
        case "text":
            from iochannels.render.text import graph_text

            return graph_text(snap, width=width, color=color)
    raise UsageError(f"format {fmt!r} is not available yet for a graph")
