"""Section 2, stream vs block: how the chunk size changes throughput, how much a channel holds.

``buffer_size`` times file writes (one region rewritten, so it stays in the
page cache) and pipe transfers (a child writes, this process reads: the bench's
own measure, ``iochannels.bench.measures.stream``) across chunk sizes from 1 KiB
to 128 KiB. ``capacity`` fills a pipe and two kinds of
socket connection without blocking until EAGAIN, beside what the kernel says
their buffers are, and finds the largest UDP datagram.

Options (``stage.options``) of buffer-size: ``total`` (bytes per measurement,
an int or "5G"; default 512 MiB, 64 MiB quick), ``progress`` (a callable
``(label, done, of)`` called before each of the 16 measurements and once at the
end with ``("done", 16, 16)``), ``plot_dir`` and ``plot_format`` (png, svg).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import select
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from iochannels.bench import measures
from iochannels.demos.children import throughput
from iochannels.demos.children.shared import HOST
from iochannels.demos.pictures import snapshot
from iochannels.demos.processes import child_env, program
from iochannels.demos.stage import Stage
from iochannels.errors import UsageError

__all__ = ["SIZES", "Point", "buffer_size", "capacity", "parse_size"]

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
SIZES = tuple(KiB << i for i in range(8))  # 1 KiB .. 128 KiB
REGION = MiB  # the file region rewritten each round (the lecture's demo: 1 MiB, seek back to 0)
QUICK_TOTAL, DEFAULT_TOTAL = 64 * MiB, 512 * MiB  # bytes per measurement
PIPE_REPS = 3  # timed repetitions of a pipe measurement, after a warm-up: the median is kept

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Point:
    """One measurement: ``total`` bytes moved through ``channel`` in ``chunk``-byte calls."""

    channel: str  # "file" or "pipe"
    chunk: int
    total: int
    seconds: float

    @property
    def mb_per_s(self) -> float:
        return self.total / self.seconds / 1e6 if self.seconds > 0 else float("inf")


def parse_size(value: object) -> int:
    """Bytes from ``5G``, ``5GiB``, ``512M``, ``64k`` or a plain number.

    >>> parse_size("5G"), parse_size("64KiB"), parse_size(1000)
    (5368709120, 65536, 1000)
    """
    if isinstance(value, int):
        return value
    found = re.fullmatch(r"\s*(\d+)\s*([kmg]?)(i?b)?\s*", str(value).lower())
    if found is None:
        raise UsageError(f"not a size: {value!r} (try 5G, 512M, 64K)")
    return int(found[1]) * {"": 1, "k": KiB, "m": MiB, "g": GiB}[found[2]]


def _label(size: int) -> str:
    return f"{size // MiB} MiB" if size >= MiB else f"{size // KiB} KiB"


# -- buffer-size ----------------------------------------------------------------------------


def buffer_size(stage: Stage) -> None:
    total = parse_size(stage.options.get("total") or (QUICK_TOTAL if stage.quick
                                                      else DEFAULT_TOTAL))
    if total < MiB:
        raise UsageError(f"--total {total:,} bytes is too little to time: give 1M or more")
    progress: Progress = stage.options.get("progress") or (lambda label, done, of: None)
    stage.say(f"Move {_label(total)} through a file and through a pipe, once for each of "
              f"{len(SIZES)} chunk sizes from 1 KiB to 128 KiB: one system call per chunk. "
              f"The pipe is timed as `iochannels bench` times it: a warm-up, then "
              f"{PIPE_REPS} repetitions of a {PIPE_REPS}rd each, the median kept.")
    points = list(_measure_all(stage, total, progress))
    _report(stage, points, total)
    _plot(stage, points)
    _explain(stage, points)


def _measure_all(stage: Stage, total: int, progress: Progress) -> Iterator[Point]:
    steps = 2 * len(SIZES)
    path = stage.workdir / "region.bin"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    stage.defer(lambda: os.close(fd))
    for done, chunk in enumerate(SIZES):
        progress(f"file, {_label(chunk)} chunks", done, steps)
        yield _time_file(fd, chunk, total)
    for done, chunk in enumerate(SIZES, start=len(SIZES)):
        progress(f"pipe, {_label(chunk)} chunks", done, steps)
        yield _time_pipe(stage, chunk, total)
    progress("done", steps, steps)


def _time_file(fd: int, chunk: int, total: int) -> Point:
    """Write the same region again and again: it stays in the page cache (no disk waits)."""
    data = b"f" * chunk
    region = max(min(REGION, total), chunk)
    rounds, per_round = max(total // region, 1), region // chunk
    start = time.perf_counter()
    for _ in range(rounds):
        os.lseek(fd, 0, os.SEEK_SET)  # lseek(2): back to the start of the region
        for _ in range(per_round):
            os.write(fd, data)
    return Point("file", chunk, rounds * per_round * chunk, time.perf_counter() - start)


def _time_pipe(stage: Stage, chunk: int, total: int) -> Point:
    """The bench's one-way measure (``bench.measures.stream``): a child writes ``chunk``-byte
    messages, this process reads with the same size and times them on its own clock.

    ``total`` is split into ``PIPE_REPS`` timed repetitions after one untimed warm-up
    (LMbench's method); the point is the repetition with the median rate.
    """
    count = max(total // (chunk * PIPE_REPS), 1)
    measured = measures.stream("pipe", chunk, count, PIPE_REPS, workdir=stage.workdir)
    rates = measured.rates
    middle = sorted(range(len(rates)), key=rates.__getitem__)[len(rates) // 2]
    return Point("pipe", chunk, measured.received[middle], measured.seconds[middle])


def _report(stage: Stage, points: list[Point], total: int) -> None:
    by = {(p.channel, p.chunk): p for p in points}
    rows = [(_label(c), f"{by['file', c].mb_per_s:,.0f}", f"{by['pipe', c].mb_per_s:,.0f}")
            for c in SIZES]
    stage.table(f"MB/s moving {_label(total)}", ("chunk", "file MB/s", "pipe MB/s"), rows)
    stage.code("throughput, MB/s", bar_chart(points))
    stage.fact("total", total)
    stage.fact("sizes", list(SIZES))
    stage.fact("mb_per_s", {ch: {str(p.chunk): round(p.mb_per_s, 1) for p in points
                                 if p.channel == ch} for ch in ("file", "pipe")})
    stage.fact("seconds", {ch: {str(p.chunk): round(p.seconds, 4) for p in points
                                if p.channel == ch} for ch in ("file", "pipe")})


def bar_chart(points: list[Point], width: int = 40) -> str:
    """A text bar chart, one line per measurement, bars scaled to the fastest."""
    best = max(p.mb_per_s for p in points)
    lines = []
    for channel in ("file", "pipe"):
        for p in (p for p in points if p.channel == channel):
            bar = "█" * max(1, round(p.mb_per_s / best * width))
            lines.append(f"{channel} {_label(p.chunk):>7} {bar:<{width}} {p.mb_per_s:>8,.0f}")
    return "\n".join(lines)


def knee(points: list[Point], channel: str, share: float = 0.9) -> int:
    """The smallest chunk that reaches ``share`` of the channel's best throughput."""
    mine = [p for p in points if p.channel == channel]
    best = max(p.mb_per_s for p in mine)
    return min(p.chunk for p in mine if p.mb_per_s >= share * best)


def _explain(stage: Stage, points: list[Point]) -> None:
    file_knee, pipe_knee = knee(points, "file"), knee(points, "pipe")
    pipe = {p.chunk: p.mb_per_s for p in points if p.channel == "pipe"}
    best = max(pipe, key=lambda c: pipe[c])
    slower = pipe[SIZES[-1]] < pipe[best]
    stage.fact("knee", {"file": file_knee, "pipe": pipe_knee})
    stage.fact("best", {"file": max((p for p in points if p.channel == "file"),
                                    key=lambda p: p.mb_per_s).chunk, "pipe": best})
    stage.fact("pipe_slower_past_best", slower)
    stage.say(f"Small chunks cost one system call each: going from 1 KiB to {_label(file_knee)} "
              "makes the file writes much faster. Past that, the calls are few and copying "
              "the bytes dominates: bigger chunks gain little.")
    stage.say(_pipe_story(best, slower))


def _pipe_story(best: int, slower: bool) -> str:
    why = ("the pipe's own buffer (64 KiB, pipe(7)) fills with each write, the writer blocks "
           "until the reader empties it, and the two take turns instead of working at once.")
    if best == SIZES[-1]:
        return (f"Here the pipe kept gaining up to {_label(best)} chunks. In the lecture it got "
                f"slower past 32 KiB, because {why} How much that costs depends on how the two "
                "processes are scheduled on the CPUs: run it again, or with a larger --total.")
    return (f"The pipe peaks at {_label(best)} chunks. "
            + ("Past that it gets slower: " if slower else "Past that the gain stops: ") + why)


def _plot(stage: Stage, points: list[Point]) -> None:
    """A PNG or SVG plot in ``plot_dir`` when matplotlib is installed (the ``plot`` extra).

    Drawn by a child Python: matplotlib keeps its font files open once loaded,
    and a demo leaves no fd behind in the process that ran it.
    """
    plot_dir = stage.options.get("plot_dir")
    if not plot_dir:
        return
    fmt = str(stage.options.get("plot_format") or "png")
    path = Path(plot_dir) / f"buffer-size.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps([[p.channel, p.chunk, p.mb_per_s] for p in points])
    done = subprocess.run(program(throughput.plot, str(path)), input=data.encode(),
                          capture_output=True, timeout=60, env=child_env())
    why = done.stderr.decode(errors="replace").strip().splitlines()
    if done.returncode == 0:
        stage.files.append(path)
        stage.say(f"The plot is in {path}.")
    elif any("No module named 'matplotlib'" in line for line in why):
        stage.say("No picture: matplotlib is not installed (pip install 'iochannels[plot]').")
    else:
        stage.say(f"No picture: {why[-1] if why else 'the plotting program failed'}.")


# -- capacity -------------------------------------------------------------------------------

LADDER = (64 * KiB, 4 * KiB, 512, 1)  # write sizes to fill a buffer to the last byte


def fill(send: Callable[[bytes], int], fd: int, settle: float = 0.0) -> int:
    """Bytes written without blocking until EAGAIN (fd set O_NONBLOCK, fcntl(2)).

    For sockets, wait ``settle`` seconds for room after EAGAIN: TCP moves bytes
    from the sender's buffer to the receiver's a moment later.
    """
    total = 0
    for size in LADDER:
        data = bytes(size)
        while True:
            try:
                total += send(data)
            except BlockingIOError:
                if settle and select.select([], [fd], [], settle)[1]:
                    continue
                break
    return total


def capacity(stage: Stage) -> None:
    _pipe_capacity(stage)
    _pipe_max(stage)
    _socket_buffers(stage)
    _udp_largest(stage)


def _pipe(stage: Stage) -> tuple[int, int]:
    r, w = os.pipe()
    stage.defer(lambda: os.close(r))
    stage.defer(lambda: os.close(w))
    os.set_blocking(w, False)
    return r, w


def _pipe_capacity(stage: Stage) -> None:
    r, w = _pipe(stage)
    size = fcntl.fcntl(w, fcntl.F_GETPIPE_SZ)  # fcntl(2) F_GETPIPE_SZ: the buffer's size
    filled = fill(lambda d: os.write(w, d), w)
    me = os.getpid()
    stage.show(snapshot([me], lambda pid, fd: pid == me and fd in (r, w)),
               f"this process (pid {me}) holds both ends of a full pipe")
    stage.fact("pipe_size", size)
    stage.fact("pipe_filled", filled)
    stage.say(f"A new pipe: F_GETPIPE_SZ says {size:,} bytes. Writing without blocking, "
              f"{filled:,} bytes went in before write(2) failed with EAGAIN: the buffer is full "
              "(pipe(7)). A blocking writer would have waited here for a reader.")


def _pipe_max(stage: Stage) -> None:
    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    _r, w = _pipe(stage)
    try:
        size = fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, limit)  # rounded up to a power of two pages
    except PermissionError:
        stage.say(f"F_SETPIPE_SZ to {limit:,} was refused (the user's pipe pages are used up).")
        return
    filled = fill(lambda d: os.write(w, d), w)
    stage.fact("pipe_max_size", limit)
    stage.fact("pipe_size_set", size)
    stage.fact("pipe_filled_set", filled)
    stage.say(f"F_SETPIPE_SZ can grow a pipe up to /proc/sys/fs/pipe-max-size, {limit:,} bytes "
              f"here: asked for that, the pipe took {size:,}, and {filled:,} bytes fit.")


def _socket_buffers(stage: Stage) -> None:
    rows, facts, fds = [], {}, set()
    for name, (sender, receiver) in (("unix-stream", _unix_pair(stage)),
                                     ("tcp", _tcp_pair(stage))):
        fds |= {sender.fileno(), receiver.fileno()}
        sndbuf = sender.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        rcvbuf = receiver.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        sender.setblocking(False)
        fits = fill(sender.send, sender.fileno(), settle=0.05 if name == "tcp" else 0.0)
        facts[name] = {"sndbuf": sndbuf, "rcvbuf": rcvbuf, "filled": fits}
        rows.append((name, f"{sndbuf:,}", f"{rcvbuf:,}", f"{fits:,}"))
    stage.table("socket buffers (socket(7))", ("connection", "SO_SNDBUF of the sender",
                                               "SO_RCVBUF of the receiver", "bytes that fit"),
                rows)
    stage.fact("sockets", facts)
    me = os.getpid()
    stage.show(snapshot([me], lambda pid, fd: pid == me and fd in fds),
               f"this process (pid {me}) holds both ends of a full UNIX stream connection and "
               "of a full TCP connection")
    _doubling(stage)
    stage.say("A connection has a send and a receive buffer at each end. What fits before "
              "EAGAIN is not SO_SNDBUF. On the UNIX connection the bytes wait in the receiver's "
              "queue but are charged to the sender's send buffer, so the table shows them on "
              "both sides (unix(7)). On TCP they fill the receiver's receive buffer, then the "
              "sender's send buffer: what fits is about the sum of the two (tcp(7)).")


def _unix_pair(stage: Stage) -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)  # unix(7)
    stage.defer(a.close)
    stage.defer(b.close)
    return a, b


def _tcp_pair(stage: Stage) -> tuple[socket.socket, socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stage.defer(listener.close)
    listener.bind((HOST, 0))  # port 0: the kernel picks a free one
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    stage.defer(client.close)
    server, _ = listener.accept()
    stage.defer(server.close)
    return client, server


def _doubling(stage: Stage) -> None:
    """socket(7): "The kernel doubles this value" for SO_SNDBUF and SO_RCVBUF."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * KiB)
        got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    stage.fact("sndbuf_set", {"asked": 64 * KiB, "got": got})
    stage.say(f"Asked for a 65,536-byte SO_SNDBUF, the kernel keeps {got:,}: it doubles the "
              "value to leave room for its bookkeeping (socket(7)).")


def _udp_largest(stage: Stage) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stage.defer(sock.close)
    sock.bind((HOST, 0))
    lo, hi = 1, 70_000  # lo is sent whole, hi is refused
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _sends(sock, mid) else (lo, mid)
    stage.fact("udp_largest", lo)
    stage.fact("udp_error_past", "EMSGSIZE")
    stage.say(f"The largest UDP datagram sent to ourselves on loopback: {lo:,} bytes. One more "
              "and sendto(2) fails with EMSGSIZE: an IPv4 packet holds at most 65,535 bytes, "
              "less 20 of IP header and 8 of UDP header (udp(7)).")


def _sends(sock: socket.socket, size: int) -> bool:
    try:
        sock.sendto(bytes(size), sock.getsockname())
    except OSError as exc:
        if exc.errno != errno.EMSGSIZE:
            raise
        return False
    return len(sock.recv(size + 1)) == size

