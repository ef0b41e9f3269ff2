"""Terminal views of a snapshot (placeholder: replaced by the fds work)."""

from __future__ import annotations

from iochannels.model import Snapshot


def snapshot_text(snap: Snapshot, *, width: int = 100, color: bool = False) -> str:
    lines = []
    for proc in snap.processes:
        lines.append(f"{proc.pid} {proc.name}")
        for e in proc.fds:
            ch = snap.channels.get(e.channel)
            lines.append(f"  {e.fd:>4} {e.access or '?':<2} {ch.kind if ch else '?'} {e.channel}")
    return "\n".join(lines) + "\n"


def graph_text(snap: Snapshot, *, width: int = 100, color: bool = False) -> str:
    return snapshot_text(snap, width=width, color=color)
