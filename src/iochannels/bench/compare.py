"""Every figure beside its limits: its ratio to the C reference and to memcpy, same run."""

from __future__ import annotations

from iochannels.bench.results import Latency, Report, Throughput

__all__ = ["latency_ratio", "memcpy_of", "ratio_to_c", "ratio_to_memcpy"]


def memcpy_of(report: Report, size: int) -> Throughput | None:
    """The memcpy figure at ``size``: the faster of C's and Python's copy, the limit of
    copying through memory on this machine (Python's slice copy calls memmove, C's
    memcpy; which one wins at large sizes depends on the C library's choices)."""
    found = [t for impl in ("c", "python") if (t := report.find("memcpy", impl, size))]
    return max(found, key=lambda t: t.rate) if found else None


def ratio_to_c(report: Report, t: Throughput) -> float | None:
    """Python's rate over C's for the same kind and size (1.0: as fast as C)."""
    if t.impl != "python":
        return None
    c = report.find(t.kind, "c", t.size)
    return t.rate / c.rate if c and c.rate > 0 else None


def ratio_to_memcpy(report: Report, t: Throughput) -> float | None:
    """The rate over memcpy's at the same size: the share of the memory's speed it gets."""
    ref = memcpy_of(report, t.size)
    if ref is None or ref is t or ref.rate <= 0:
        return None
    return t.rate / ref.rate


def latency_ratio(report: Report, lat: Latency) -> float | None:
    """Python's median round trip over C's (1.0: as fast as C; 1.3: 30 % slower)."""
    if lat.impl != "python" or not lat.samples_ns:
        return None
    c = report.find_latency(lat.kind, "c", lat.size)
    if c is None or not c.samples_ns:
        return None
    return lat.pct(50) / c.pct(50)
