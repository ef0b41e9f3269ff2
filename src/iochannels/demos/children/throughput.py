"""The buffer-size demo's writer, which fills a pipe in chunks of a given size, and its plot."""

from __future__ import annotations

import json
import os
import sys

from iochannels.demos.children.control import reported
from iochannels.demos.children.shared import name_self

__all__ = ["plot", "writer"]


@reported
def writer() -> None:
    """Say "r" when ready; then for each line "CHUNK TOTAL", write TOTAL bytes in CHUNK writes."""
    name_self("writer")
    os.write(1, b"r")
    for line in sys.stdin.buffer:
        chunk, total = (int(word) for word in line.split())
        data = memoryview(b"x" * chunk)
        left = total
        while left > 0:
            # A blocking write(2) to a pipe waits for room and returns the whole count
            # (pipe(7)); counting what it returns costs nothing and is always right.
            left -= os.write(1, data[: min(chunk, left)])


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
