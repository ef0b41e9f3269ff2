"""The issue's goals, read off a report: met or missed, and by how much. Stated, never
asserted: a busy machine moves the figures (README: "Goals")."""

from __future__ import annotations

from dataclasses import dataclass

from iochannels.bench.compare import latency_ratio, ratio_to_c
from iochannels.bench.results import Report

__all__ = ["Goal", "goals"]

STREAM_SIZE, STREAM_MIN = 64 * 1024, 0.95
PINGPONG_SIZE, PINGPONG_MAX = 100, 1.3
SPLICE_MIN = 4e9


@dataclass(frozen=True, slots=True)
class Goal:
    name: str
    figure: str
    met: bool


def goals(report: Report) -> list[Goal]:
    found: list[Goal] = []
    for t in report.throughput:
        if t.impl == "python" and t.size == STREAM_SIZE and t.kind in report.settings.kinds:
            ratio = ratio_to_c(report, t)
            if ratio is not None:
                found.append(Goal(f"Python streaming {t.kind} at 64 KiB >= 0.95x C",
                                  f"{ratio:.2f}x", ratio >= STREAM_MIN))
    pinned = " (pinned)" if report.settings.pin else " (NOT pinned: --pin)"
    for lat in report.latency:
        if lat.impl == "python" and lat.size == PINGPONG_SIZE:
            ratio = latency_ratio(report, lat)
            if ratio is not None:
                found.append(Goal(f"round trip {lat.kind} at 100 B <= 1.3x C{pinned}",
                                  f"{ratio:.2f}x", ratio <= PINGPONG_MAX))
    best = max((t for t in report.throughput if t.kind in ("splice", "vmsplice")),
               key=lambda t: t.rate, default=None)
    if best is not None:
        found.append(Goal("zero-copy through a pipe >= 4 GB/s",
                          f"{best.rate / 1e9:.2f} GB/s ({best.kind}, {best.impl}, "
                          f"{best.size // 1024} KiB)", best.rate >= SPLICE_MIN))
    return found
