"""The buffer-size demo's plot (its pipe is measured by ``iochannels.bench.measures``)."""

from __future__ import annotations

import json
import sys

from iochannels.demos.children.control import reported

__all__ = ["plot"]


@reported
def plot(path: str) -> None:
    """Draw [[channel, chunk, MB/s], ...] read from stdin as a PNG or SVG (by the suffix)."""
    from matplotlib.figure import Figure

    points = json.load(sys.stdin)
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for channel in ("file", "pipe"):
        mine = [(chunk // 1024, rate) for ch, chunk, rate in points if ch == channel]
        ax.plot([c for c, _ in mine], [r for _, r in mine], "o-", label=channel)
    sizes = sorted({chunk // 1024 for _, chunk, _ in points})
    ax.set(xscale="log", xlabel="chunk (KiB)", ylabel="MB/s", title="Throughput by chunk size")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.legend()
    fig.savefig(path)
