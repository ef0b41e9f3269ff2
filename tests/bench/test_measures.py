"""The Python measures move what they say they move: every byte checked, every sample
counted, UDP's losses counted and matched against the kernel's own counter.

No timing is asserted: only that what was measured is what was sent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iochannels.bench import measures, zerocopy
from iochannels.bench.kinds import KINDS
from iochannels.bench.measures import BenchError, _checker, _pattern


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [64, 5000])
def test_every_byte_sent_is_received_and_checked(kind: str, size: int, tmp_path: Path) -> None:
    """5,000 B is no multiple of the pattern, the pipe's page or a socket's segment: the
    receiver's reads cut the stream at other places than the sender's writes."""
    count, reps = 60, 2
    t = measures.stream(kind, size, count, reps, workdir=tmp_path, verify=True)
    assert len(t.seconds) == len(t.received) == reps
    assert t.sent == count * reps
    if kind == "udp":
        assert t.delivered <= t.sent
        assert t.lost == t.sent - t.delivered
        assert sum(t.received) == t.delivered * size  # whole datagrams or nothing
    else:
        assert t.received == (count * size,) * reps
        assert (t.delivered, t.lost) == (count * reps, 0)
    assert list(tmp_path.iterdir()) == []  # the FIFO's name went as soon as it was open


def test_the_check_finds_a_changed_byte() -> None:
    """The checks can fail: one byte off in a stream, a datagram out of order or short."""
    size = 300
    pat = _pattern(size)
    stream_check = _checker("pipe", size, pat)
    good = bytearray(pat[7:7 + 100])
    stream_check(memoryview(good), 7)
    good[50] ^= 1
    with pytest.raises(BenchError, match="offset 7"):
        stream_check(memoryview(good), 7)
    dgram_check = _checker("udp", size, pat)
    first = bytearray((5).to_bytes(8, "little")) + bytes(pat[5:5 + size - 8])
    dgram_check(memoryview(first), 0)
    with pytest.raises(BenchError, match="after 5"):
        dgram_check(memoryview(first), 1)  # the same sequence number again
    with pytest.raises(BenchError, match="of 100 bytes"):
        dgram_check(memoryview(first[:100]), 2)


def _udp_receive_errors() -> int:
    """RcvbufErrors of /proc/net/snmp's Udp lines (proc(5)): datagrams the kernel dropped
    because a receive buffer was full, on this whole machine."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()
             if line.startswith("Udp:")]
    head, values = lines[0], lines[1]
    return int(values[head.index("RcvbufErrors")])


def test_udp_loss_is_counted_and_the_kernel_agrees(tmp_path: Path) -> None:
    """A receive buffer of the kernel's minimum (socket(7): SO_RCVBUF) holds a datagram
    or two: a sender of 20,000 finds it full, and each datagram dropped is counted both
    by the bench and by the kernel (other programs may add to the kernel's count)."""
    cpu = min(os.sched_getaffinity(0))  # both on one CPU: the receiver cannot keep pace
    before = _udp_receive_errors()
    t = measures.stream("udp", 1024, 20000, 1, workdir=tmp_path, buffer=1, pins=(cpu, cpu),
                        verify=True)
    dropped = _udp_receive_errors() - before
    assert t.sent == 20000
    assert 0 < t.lost == t.sent - t.delivered
    assert dropped >= t.lost


@pytest.mark.parametrize("kind", KINDS)
def test_round_trips_one_sample_each(kind: str, tmp_path: Path) -> None:
    rounds = 50
    lat = measures.pingpong(kind, 100, rounds, 5, workdir=tmp_path, verify=True)
    assert len(lat.samples_ns) + lat.lost == rounds
    if kind != "udp":
        assert lat.lost == 0
    assert all(s > 0 for s in lat.samples_ns)
    assert lat.pct(50) <= lat.pct(90) <= lat.pct(99) <= lat.max_us


def test_a_large_round_trip_comes_back_whole(tmp_path: Path) -> None:
    """64 KiB each way: more than one read on a stream, one datagram on a UNIX socket."""
    for kind in ("pipe", "unix-stream", "unix-dgram", "tcp", "shm"):
        lat = measures.pingpong(kind, 65536, 5, 1, workdir=tmp_path, verify=True)
        assert len(lat.samples_ns) == 5, kind


def test_splice_moves_every_byte() -> None:
    t = zerocopy.splice(65536, 16, 2, verify=True)
    assert t.received == (65536 * 16,) * 2
    assert t.kind == "splice"


def test_memcpy_counts_its_copies() -> None:
    t = measures.memcpy(4096, 100, 3)
    assert t.received == (4096 * 100,) * 3 and len(t.seconds) == 3


def test_a_ring_whose_writer_dies_unclosed_ends() -> None:
    """A ring has no end of file of its own: a writer that dies without closing it must
    not leave the reader spinning for ever (waitid(2) WNOWAIT sees it gone)."""
    from iochannels.bench.children import fork_child, reap
    from iochannels.bench.shmring import Ring

    ring = Ring(4096)
    try:
        pid = fork_child(lambda: os._exit(0), None)  # gone before writing or closing
        ring.watch(pid)
        assert ring.read_into(memoryview(bytearray(16))) == 0
        assert reap(pid) == 0
    finally:
        ring.release()


def test_a_small_ring_many_laps(tmp_path: Path) -> None:
    """1.5 MB through a 4 KiB ring: hundreds of wraps, counters past 2**16 and 2**20 (a
    counter written a byte at a time once showed the reader a torn value there)."""
    t = measures.stream("shm", 5000, 300, 1, workdir=tmp_path, buffer=4096, verify=True)
    assert t.received == (1_500_000,) and t.buffer == 4096
