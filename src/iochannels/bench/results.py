"""What a bench run found: frozen records, and the statistics drawn from them.

LMbench's method: repetitions after a warm-up, the median and the spread kept, never
only a mean; for latency, percentiles of every round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "Environment",
    "Latency",
    "Report",
    "Settings",
    "Throughput",
    "human_size",
    "median",
    "percentile",
]


def human_size(size: int) -> str:
    """A message size as the tables show it: binary units where exact.

    >>> human_size(64), human_size(4096), human_size(1 << 20), human_size(5000)
    ('64 B', '4 KiB', '1 MiB', '5000 B')
    """
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    if size >= 1 << 10 and size % (1 << 10) == 0:
        return f"{size >> 10} KiB"
    return f"{size} B"


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count).

    >>> median([3.0, 1.0, 2.0]), median([4.0, 1.0, 2.0, 3.0])
    (2.0, 2.5)
    """
    if not values:
        raise ValueError("median of nothing")
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with at least pct % at or below it.

    >>> percentile(list(range(1, 101)), 90), percentile([5.0], 99), percentile([1, 2], 50)
    (90, 5.0, 1)
    """
    if not values:
        raise ValueError("percentile of nothing")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats' surprises
    return ordered[int(rank) - 1]


@dataclass(frozen=True, slots=True)
class Throughput:
    """One-way streaming of ``size``-byte messages through ``kind``, by ``impl``.

    ``impl``: ``python``, ``c``, or for the reference kinds ``memcpy`` (a copy in memory,
    no channel). ``seconds``/``received``: one per timed repetition, as the receiver saw
    them; ``sent``/``delivered``: messages the sender sent and the receiver got, summed
    over the repetitions (they differ only where a channel drops, as UDP does).
    """

    kind: str
    impl: str
    size: int
    seconds: tuple[float, ...]
    received: tuple[int, ...]
    sent: int
    delivered: int
    buffer: int | None = None  # the effective buffer size the kernel reported, bytes

    @property
    def rates(self) -> tuple[float, ...]:
        """Bytes per second of each repetition."""
        return tuple(b / s if s > 0 else 0.0 for b, s in zip(self.received, self.seconds,
                                                              strict=True))

    @property
    def rate(self) -> float:
        """The median of the repetitions' bytes per second."""
        return median(self.rates)

    @property
    def spread(self) -> tuple[float, float]:
        """The slowest and the fastest repetition, bytes per second."""
        return min(self.rates), max(self.rates)

    @property
    def lost(self) -> int:
        return self.sent - self.delivered


@dataclass(frozen=True, slots=True)
class Latency:
    """Round trips of ``size`` bytes each way through ``kind``; one sample per round trip."""

    kind: str
    impl: str
    size: int
    samples_ns: tuple[int, ...]
    lost: int = 0

    def pct(self, p: float) -> float:
        """The p-th percentile of the round trips, microseconds."""
        return percentile(self.samples_ns, p) / 1000

    @property
    def max_us(self) -> float:
        return max(self.samples_ns) / 1000


@dataclass(frozen=True, slots=True)
class Settings:
    """What the run was asked to do."""

    quick: bool
    sizes: tuple[int, ...]
    latency_sizes: tuple[int, ...]
    kinds: tuple[str, ...]
    reps: int
    rounds: int
    buffer: int | None
    pin: tuple[int, int] | None  # CPUs of the receiver and the sender
    tcp_nodelay: bool = True


@dataclass(frozen=True, slots=True)
class Environment:
    """The machine, described beside its figures (as LMbench does)."""

    cpu: str
    cpus: int
    kernel: str
    python: str
    compiler: str | None
    pipe_size: int
    pipe_max_size: int | None
    socket_defaults: dict[str, str]
    load: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Report:
    """A whole run: the settings, the machine, every figure and what could not be measured."""

    settings: Settings
    environment: Environment
    throughput: tuple[Throughput, ...]
    latency: tuple[Latency, ...]
    notes: tuple[str, ...] = field(default=())

    def find(self, kind: str, impl: str, size: int) -> Throughput | None:
        for t in self.throughput:
            if (t.kind, t.impl, t.size) == (kind, impl, size):
                return t
        return None

    def find_latency(self, kind: str, impl: str, size: int) -> Latency | None:
        for lat in self.latency:
            if (lat.kind, lat.impl, lat.size) == (kind, impl, size):
                return lat
        return None
