"""A whole bench run: what to measure, in which order, beside which references.

Python and C take turns on each (kind, size), so that a machine busy with other work
slows both alike and their ratio holds better than either figure. Everything the run
makes (a directory for the FIFOs, the child processes) is gone when ``run_bench``
returns or raises, Ctrl-C included.
"""

from __future__ import annotations

import errno
import shutil
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from iochannels.bench import measures, zerocopy
from iochannels.bench.creference import CError, CReference, find_reference
from iochannels.bench.environment import describe
from iochannels.bench.kinds import DATAGRAM, KINDS
from iochannels.bench.measures import BenchError
from iochannels.bench.results import Latency, Report, Settings, Throughput, human_size

__all__ = ["LATENCY_SIZES", "QUICK_SIZES", "SIZES", "Progress", "plan_settings", "run_bench"]

KiB, MiB = 1 << 10, 1 << 20
SIZES = (64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB)
QUICK_SIZES = (64, 4 * KiB, 64 * KiB, MiB)
LATENCY_SIZES = (100, 4 * KiB, 64 * KiB)
QUICK_LATENCY_SIZES = (100,)
UDP_MAX = 65507  # udp(7)/ip(7): 65,535 less the IP and UDP headers
SPLICE_MIN = 4 * KiB  # below a page, splice moves parts of pages: not its use

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Budget:
    """How much each repetition moves: enough to time, little enough to finish."""

    bytes_per_rep: int
    max_messages: int
    warmup_rounds: int

    def count(self, size: int) -> int:
        return max(4, min(self.max_messages, self.bytes_per_rep // size))


QUICK_BUDGET = Budget(4 * MiB, 4000, 50)
BUDGET = Budget(16 * MiB, 16000, 200)


def plan_settings(*, quick: bool, kinds: tuple[str, ...] = KINDS,
                  sizes: tuple[int, ...] | None = None,
                  latency_sizes: tuple[int, ...] | None = None, reps: int | None = None,
                  rounds: int | None = None, buffer: int | None = None,
                  pin: tuple[int, int] | None = None) -> Settings:
    return Settings(
        quick=quick, kinds=kinds,
        sizes=sizes or (QUICK_SIZES if quick else SIZES),
        latency_sizes=latency_sizes or (QUICK_LATENCY_SIZES if quick else LATENCY_SIZES),
        reps=reps or (3 if quick else 5), rounds=rounds or (1000 if quick else 2000),
        buffer=buffer, pin=pin)


def max_datagram(kind: str, buffer: int | None) -> int | None:
    """The largest datagram ``kind`` takes, None for a stream; for a UNIX socket the
    send buffer decides (unix(7): EMSGSIZE above it), so ask the kernel."""
    if kind == "udp":
        return UDP_MAX
    if kind not in DATAGRAM:
        return None
    kind_type = socket.SOCK_DGRAM if kind == "unix-dgram" else socket.SOCK_SEQPACKET
    a, b = socket.socketpair(socket.AF_UNIX, kind_type)
    with a, b:
        if buffer:
            a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer)
            b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)
        a.setblocking(False)
        fits = 0
        for size in sorted({*SIZES, *LATENCY_SIZES, *QUICK_SIZES}):
            try:
                a.send(bytes(size))
                b.recv(size)
                fits = size
            except OSError as exc:
                if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS, errno.EAGAIN):
                    raise
                break
        return fits


def run_bench(settings: Settings, progress: Progress | None = None) -> Report:
    """Measure everything ``settings`` asks for; ``progress(label, done, of)`` as it goes."""
    ref, why = find_reference()
    notes: list[str] = []
    if ref is None:
        notes.append(f"no C reference: {why}; Python figures alone, ratios to the "
                     "Python memcpy")
    jobs = _jobs(settings, ref, notes)
    tell = progress or (lambda label, done, of: None)
    workdir = Path(tempfile.mkdtemp(prefix="iochannels-bench-"))
    throughput: list[Throughput] = []
    latency: list[Latency] = []
    try:
        for done, (label, job) in enumerate(jobs):
            tell(label, done, len(jobs))
            try:
                result = job(workdir)
            except (BenchError, CError, OSError) as exc:
                # One figure lost (a peer died on a loaded machine, a buffer refused):
                # said in the notes, the run goes on.
                notes.append(f"{label}: not measured: {exc}")
                continue
            if isinstance(result, Latency):
                latency.append(result)
            else:
                throughput.append(result)
        tell("done", len(jobs), len(jobs))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if any(t.kind == "udp" and t.lost for t in throughput):
        notes.append("udp: datagrams that found the receiver's buffer full were dropped "
                     "(udp(7)); the rate counts only those received")
    return Report(settings, describe(ref.compiler if ref else None), tuple(throughput),
                  tuple(latency), tuple(notes))


Job = Callable[[Path], Throughput | Latency]


def _jobs(s: Settings, ref: CReference | None, notes: list[str]) -> list[tuple[str, Job]]:
    budget = QUICK_BUDGET if s.quick else BUDGET
    jobs: list[tuple[str, Job]] = []
    for size in s.sizes:
        count = budget.count(size)
        jobs.append((f"memcpy {size:,} B", _memcpy_job("python", ref, size, count, s.reps)))
        if ref:
            jobs.append((f"memcpy {size:,} B, C",
                         _memcpy_job("c", ref, size, count, s.reps)))
    limits = {kind: max_datagram(kind, s.buffer) for kind in s.kinds}
    for kind in s.kinds:
        too_big = [size for size in (*s.sizes, *s.latency_sizes)
                   if (limit := limits[kind]) is not None and size > limit]
        if too_big:
            listed = ", ".join(human_size(n) for n in sorted(set(too_big)))
            why = ("a UDP datagram holds at most 65,507 B (udp(7))" if kind == "udp" else
                   "a UNIX datagram larger than the send buffer is refused (EMSGSIZE, "
                   "unix(7)); --buffer raises the limit")
            notes.append(f"{kind}: not measured at {listed}: {why}")
        for size in s.sizes:
            if size not in too_big:
                count = budget.count(size)
                jobs.append((f"{kind} {size:,} B", _stream_job(kind, None, size, count, s)))
                if ref:
                    jobs.append((f"{kind} {size:,} B, C", _stream_job(kind, ref, size, count, s)))
    if "pipe" in s.kinds:
        for size in s.sizes:
            if size >= SPLICE_MIN:
                count = budget.count(size)
                jobs.append((f"splice {size:,} B", _splice_job(None, "splice", size, count, s)))
                if ref:
                    for mode in ("splice", "vmsplice"):
                        jobs.append((f"{mode} {size:,} B, C",
                                     _splice_job(ref, mode, size, count, s)))
    for kind in s.kinds:
        for size in s.latency_sizes:
            if (limit := limits[kind]) is None or size <= limit:
                jobs.append((f"round trips {kind} {size:,} B",
                             _pingpong_job(kind, None, size, budget.warmup_rounds, s)))
                if ref:
                    jobs.append((f"round trips {kind} {size:,} B, C",
                                 _pingpong_job(kind, ref, size, budget.warmup_rounds, s)))
    return jobs


def _memcpy_job(impl: str, ref: CReference | None, size: int, count: int, reps: int) -> Job:
    if impl == "c" and ref is not None:
        return lambda _: ref.memcpy(size, count, reps)
    return lambda _: measures.memcpy(size, count, reps)


def _stream_job(kind: str, ref: CReference | None, size: int, count: int, s: Settings) -> Job:
    if ref is None:
        return lambda wd: measures.stream(kind, size, count, s.reps, workdir=wd,
                                          buffer=s.buffer, pins=s.pin)
    return lambda wd: ref.stream(kind, size, count, s.reps, workdir=wd, buffer=s.buffer,
                                 pins=s.pin, datagram=kind in DATAGRAM)


def _splice_job(ref: CReference | None, mode: str, size: int, count: int,
                s: Settings) -> Job:
    if ref is None:
        return lambda _: zerocopy.splice(size, count, s.reps, buffer=s.buffer, pins=s.pin)
    return lambda wd: ref.zerocopy(mode, size, count, s.reps, buffer=s.buffer, pins=s.pin,
                                   workdir=wd)


def _pingpong_job(kind: str, ref: CReference | None, size: int, warmup: int,
                  s: Settings) -> Job:
    if ref is None:
        return lambda wd: measures.pingpong(kind, size, s.rounds, warmup, workdir=wd,
                                            buffer=s.buffer, pins=s.pin)
    return lambda wd: ref.pingpong(kind, size, s.rounds, warmup, workdir=wd,
                                   buffer=s.buffer, pins=s.pin)
