"""The measures, in Python: one-way throughput timed on the receiver, and round trips.

LMbench's method (bw_pipe, lat_pipe, lat_unix, lat_tcp), and the C reference's protocol
(``cref.c``), so that the two differ only in the language of the loops:

- throughput: a child sends ``count`` messages of ``size`` bytes per repetition, started
  by a byte on a control pipe; the parent, the receiver, takes the time from that byte
  to the last byte in (``time.perf_counter``: CLOCK_MONOTONIC on Linux). The first
  repetition warms up and is not kept. Afterwards the child says on a second pipe how
  many messages it sent: where a channel drops (UDP, udp(7)), the difference is the loss.
- round trips: the same ``size`` both ways; one sample per round trip, after a warm-up.

The loops avoid what makes Python slow without changing what is measured: buffers
allocated once (``readinto``/``recv_into`` into a memoryview), bound methods looked up
once, one system call per message as in C. ``verify`` fills every message with a known
pattern (and a sequence number in each datagram) and checks every byte received; it is
for the tests, not for timing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import struct
import time
from collections.abc import Callable
from pathlib import Path

from iochannels.bench.children import child, pinned, reap
from iochannels.bench.kinds import DATAGRAM, End, Link, open_link
from iochannels.bench.results import Latency, Throughput
from iochannels.errors import IoChannelsError

__all__ = ["BenchError", "memcpy", "pingpong", "stream"]

PERIOD = 251  # the pattern's period: a prime, so that message edges move along it
_SEQ = struct.Struct("=Q")
_DROPPED = (errno.ENOBUFS, errno.ECONNREFUSED, errno.EAGAIN)  # a datagram not sent
UDP_WAIT_MS = 1000  # a round trip whose datagram is lost is given up after this


class BenchError(IoChannelsError):
    """A measure went wrong: a byte differed, a peer vanished, a channel could not be made."""


def _pattern(length: int) -> memoryview:
    return memoryview(bytes(i % PERIOD for i in range(length + PERIOD)))


def stream(kind: str, size: int, count: int, reps: int, *, workdir: Path,
           buffer: int | None = None, pins: tuple[int, int] | None = None,
           verify: bool = False) -> Throughput:
    """``reps`` timed repetitions (after one warm-up) of ``count`` messages of ``size``."""
    link = open_link(kind, both_ways=False, buffer=buffer, workdir=workdir)
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    sender = _sender(link.child_out, kind, size, count, reps, go_r, done_w, verify)

    def body() -> None:
        link.in_child()
        os.close(go_w)
        os.close(done_r)
        sender()

    try:
        with child(body, pins[1] if pins else None) as pid, \
                pinned(pins[0] if pins else None):
            link.in_parent()
            for ring in link.rings:
                ring.watch(pid)
            os.close(go_r)
            os.close(done_w)
            go_r = done_w = -1
            receive = _receiver(link, kind, size, count, done_r, verify)
            seconds, received, sent, delivered = [], [], 0, 0
            for rep in range(reps + 1):
                os.write(go_w, b"g")
                start = time.perf_counter()
                took, got, msgs, n_sent = receive(start)
                if rep:  # the first repetition warms up (caches, page faults, the CPU's clock)
                    seconds.append(took)
                    received.append(got)
                    sent += n_sent
                    # a stream keeps no message edges: count what its bytes make
                    delivered += msgs if kind in DATAGRAM else got // size
            os.close(go_w)
            go_w = -1
            if reap(pid) != 0:
                raise BenchError(f"{kind}: the sending process failed")
    finally:
        for fd in (go_r, go_w, done_r, done_w):
            if fd >= 0:
                os.close(fd)
        link.close()
    return Throughput(kind, "python", size, tuple(seconds), tuple(received), sent, delivered,
                      link.buffer)


def _sender(out: End, kind: str, size: int, count: int, reps: int, go: int, done: int,
            verify: bool) -> Callable[[], None]:
    write = out.write
    pat = _pattern(size)
    msg = bytearray(pat[:size])
    view = memoryview(msg)
    datagram = kind in DATAGRAM

    def one_rep(base: int) -> None:
        if datagram:  # sequence numbers go on across repetitions: the receiver checks order
            for seq in range(base, base + count):
                if verify:
                    _SEQ.pack_into(msg, 0, seq)
                    view[8:] = pat[seq % PERIOD: seq % PERIOD + size - 8]
                try:
                    write(view)
                except OSError as exc:
                    if exc.errno not in _DROPPED:
                        raise
        else:
            for seq in range(count):
                data = pat[seq * size % PERIOD:][:size] if verify else view
                put = write(data) or 0
                while put < size:  # a stream may take part of a write (socket(7))
                    put += write(data[put:]) or 0

    def run() -> None:
        try:
            for rep in range(reps + 1):
                if os.read(go, 1) != b"g":
                    return
                one_rep(rep * count)
                os.write(done, _SEQ.pack(count))
        finally:
            out.close()  # the receiver sees the end, also if this side failed

    return run


Receive = Callable[[float], tuple[float, int, int, int]]


def _receiver(link: Link, kind: str, size: int, count: int, done: int,
              verify: bool) -> Receive:
    """The parent's loop for one repetition: (seconds, bytes, messages, messages sent)."""
    read_into = link.parent_in.read_into
    buf = memoryview(bytearray(size))
    want = size * count
    pat = _pattern(size)
    check = _checker(kind, size, pat) if verify else None

    def sent_count() -> int:
        raw = os.read(done, 8)
        if len(raw) != 8:
            raise BenchError(f"{kind}: the sending process stopped early")
        return int(_SEQ.unpack(raw)[0])

    def streamed(start: float) -> tuple[float, int, int, int]:
        got = msgs = 0
        while got < want:
            n = read_into(buf)
            if not n:
                raise BenchError(f"{kind}: the channel ended after {got:,} of {want:,} bytes")
            if check:
                check(buf[:n], got)
            got += n
            msgs += 1
        took = time.perf_counter() - start
        return took, got, msgs, sent_count()

    def lossy(start: float) -> tuple[float, int, int, int]:
        # udp(7): a datagram that finds the receive buffer full is dropped. Read until
        # the sender says it is done, then what is left, and count the rest as lost.
        fd = link.parent_in.fileno
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.register(done, select.POLLIN)
        got = msgs = 0
        last = start
        sent = -1
        while sent < 0:
            ready = {f for f, _ in poller.poll()}
            if done in ready:
                sent = sent_count()
                os.set_blocking(fd, False)
            if fd in ready or sent >= 0:
                while True:
                    try:
                        n = read_into(buf)
                    except BlockingIOError:
                        break
                    if check:
                        check(buf[:n or 0], msgs)
                    got += n or 0
                    msgs += 1
                    last = time.perf_counter()
                    if sent < 0:
                        break
        os.set_blocking(fd, True)
        return last - start, got, msgs, sent

    return lossy if kind == "udp" else streamed


def _checker(kind: str, size: int, pat: memoryview) -> Callable[[memoryview, int], None]:
    """A check of every byte received against what the sender sent."""
    if kind not in DATAGRAM:
        def at_offset(data: memoryview, offset: int) -> None:
            start = offset % PERIOD
            if data != pat[start:start + len(data)]:
                raise BenchError(f"{kind}: bytes differ at stream offset {offset:,}")
        return at_offset

    last = [-1]

    def datagram(data: memoryview, index: int) -> None:
        if len(data) != size:
            raise BenchError(f"{kind}: a datagram of {len(data)} bytes, {size} sent")
        seq = _SEQ.unpack_from(data, 0)[0]
        if seq <= last[0]:
            raise BenchError(f"{kind}: datagram {seq} after {last[0]}")
        last[0] = seq
        if data[8:] != pat[seq % PERIOD: seq % PERIOD + size - 8]:
            raise BenchError(f"{kind}: bytes differ in datagram {seq}")

    return datagram


def pingpong(kind: str, size: int, rounds: int, warmup: int, *, workdir: Path,
             buffer: int | None = None, pins: tuple[int, int] | None = None,
             verify: bool = False) -> Latency:
    """``rounds`` round trips of ``size`` bytes each way (after ``warmup`` untimed ones)."""
    link = open_link(kind, both_ways=True, buffer=buffer, workdir=workdir)
    assert link.parent_out is not None and link.child_in is not None
    datagram = kind in DATAGRAM
    echo_in, echo_out = link.child_in, link.child_out

    def echo() -> None:
        link.in_child()
        buf = memoryview(bytearray(size))
        read_into, write = echo_in.read_into, echo_out.write
        while True:
            got = _fill(read_into, buf, datagram)
            if not got:
                return
            _write_all(write, buf[:got], datagram)

    samples: list[int] = []
    lost = 0
    try:
        with child(echo, pins[1] if pins else None) as pid, \
                pinned(pins[0] if pins else None):
            link.in_parent()
            for ring in link.rings:
                ring.watch(pid)
            out, back = link.parent_out, link.parent_in
            read_into, write = back.read_into, out.write
            msg = memoryview(bytearray(_pattern(size)[:size]))
            buf = memoryview(bytearray(size))
            poller = select.poll()
            if kind == "udp":
                poller.register(back.fileno, select.POLLIN)
            clock = time.perf_counter_ns
            for i in range(warmup + rounds):
                start = clock()
                _write_all(write, msg, datagram)
                if kind == "udp" and not poller.poll(UDP_WAIT_MS):
                    lost += i >= warmup
                    continue
                got = _fill(read_into, buf, datagram)
                took = clock() - start
                if got != size:
                    raise BenchError(f"{kind}: a reply of {got} bytes, {size} sent")
                if verify and buf != msg:
                    raise BenchError(f"{kind}: the reply differs from the message")
                if i >= warmup:
                    samples.append(took)
            _end_exchange(link, datagram)
            status = reap(pid, wait=0.5 if kind == "udp" else 2.0)
            if status != 0 and kind != "udp":  # udp: the empty datagram may be lost
                raise BenchError(f"{kind}: the echoing process failed")
    finally:
        link.close()
    return Latency(kind, "python", size, tuple(samples), lost)


def _fill(read_into: Callable[[memoryview], int | None], buf: memoryview,
          datagram: bool) -> int:
    """One message in: a datagram whole, or ``len(buf)`` bytes of a stream; 0 at the end."""
    n = read_into(buf) or 0
    if datagram or not n:
        return n
    while n < len(buf):
        more = read_into(buf[n:]) or 0
        if not more:
            return 0
        n += more
    return n


def _write_all(write: Callable[[memoryview], int | None], data: memoryview,
               datagram: bool) -> None:
    try:
        put = write(data) or 0
    except OSError as exc:
        if datagram and exc.errno in _DROPPED:
            return
        raise
    while put < len(data):
        put += write(data[put:]) or 0


def _end_exchange(link: Link, datagram: bool) -> None:
    """Tell the echoing child to stop: end of file, or (a datagram socket has none) an
    empty datagram (unix(7), udp(7))."""
    assert link.parent_out is not None
    if datagram and link.parent_out.send_empty is not None:
        with contextlib.suppress(OSError):  # the peer may be gone already
            link.parent_out.send_empty()
        return
    link.parent_out.close()  # a stream socket: the child reads end of file


def memcpy(size: int, count: int, reps: int) -> Throughput:
    """Copying ``size`` bytes from one buffer to another, ``count`` times per repetition
    (a memoryview slice assignment: one memcpy per copy, as the C reference makes)."""
    src = memoryview(bytearray(b"x" * size))
    dst = memoryview(bytearray(size))
    seconds, received = [], []
    for rep in range(reps + 1):
        start = time.perf_counter()
        for _ in range(count):
            dst[:] = src
        took = time.perf_counter() - start
        if rep:
            seconds.append(took)
            received.append(size * count)
    return Throughput("memcpy", "python", size, tuple(seconds), tuple(received),
                      count * reps, count * reps)
