"""The zero-copy path through a pipe, in Python: splice(2) in, splice(2) out.

The sender splices ``size`` bytes from a memfd (pages in memory, memfd_create(2)) into
the pipe: the pipe's buffer then holds references to those pages, not copies. The
receiver splices them on to /dev/null: no byte is copied and none is read, which is why
the figure can pass memcpy's. It is a mode of its own, labelled so, not a pipe figure.
Python has ``os.splice`` but no ``vmsplice``; the C reference measures both.
``verify`` splices into a second memfd instead of /dev/null and reads it back.
"""

from __future__ import annotations

import fcntl
import os
import time

from iochannels.bench.children import child, pinned, reap
from iochannels.bench.measures import PERIOD, BenchError
from iochannels.bench.results import Throughput

__all__ = ["splice"]


def splice(size: int, count: int, reps: int, *, buffer: int | None = None,
           pins: tuple[int, int] | None = None, verify: bool = False) -> Throughput:
    """``reps`` timed repetitions (after a warm-up) of ``count`` splices of ``size`` bytes."""
    message = bytes(i % PERIOD for i in range(size))
    fds: list[int] = []
    try:
        r, w = os.pipe()
        fds += [r, w]
        if buffer:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, buffer)
        source = os.memfd_create("iochannels-bench-source")
        fds.append(source)
        os.write(source, message)
        go_r, go_w = os.pipe()
        done_r, done_w = os.pipe()
        fds += [go_r, go_w, done_r, done_w]

        def send() -> None:
            for fd in (r, go_w, done_r):
                os.close(fd)
            for _ in range(reps + 1):
                if os.read(go_r, 1) != b"g":
                    return
                for _ in range(count):
                    off = 0
                    while off < size:
                        off += os.splice(source, w, size - off, offset_src=off)
                os.write(done_w, b"d")

        sink = os.memfd_create("iochannels-bench-sink") if verify else os.open(
            os.devnull, os.O_WRONLY)
        fds.append(sink)
        with child(send, pins[1] if pins else None) as pid, \
                pinned(pins[0] if pins else None):
            for fd in (w, go_r, done_w):
                os.close(fd)
                fds.remove(fd)
            seconds, received = [], []
            want = size * count
            for rep in range(reps + 1):
                os.write(go_w, b"g")
                start = time.perf_counter()
                got = 0
                while got < want:
                    n = os.splice(r, sink, want - got)
                    if not n:
                        raise BenchError("splice: the pipe ended early")
                    got += n
                took = time.perf_counter() - start
                if os.read(done_r, 1) != b"d":
                    raise BenchError("splice: the sending process stopped early")
                if rep:
                    seconds.append(took)
                    received.append(got)
            os.close(go_w)
            fds.remove(go_w)
            if reap(pid) != 0:
                raise BenchError("splice: the sending process failed")
        if verify:
            _check_sink(sink, message, count * (reps + 1))
    finally:
        for fd in fds:
            os.close(fd)
    n = count * reps
    return Throughput("splice", "python", size, tuple(seconds), tuple(received), n, n)


def _check_sink(sink: int, message: bytes, copies: int) -> None:
    os.lseek(sink, 0, os.SEEK_SET)
    for i in range(copies):
        got = b""
        while len(got) < len(message):
            more = os.read(sink, len(message) - len(got))
            if not more:
                break
            got += more
        if got != message:
            raise BenchError(f"splice: message {i} arrived changed")
    if os.read(sink, 1):
        raise BenchError("splice: more bytes arrived than were sent")
