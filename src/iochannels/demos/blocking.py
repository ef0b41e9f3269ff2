"""Section 6, blocking actions: each bullet of the lecture on real channels.

Block channels: a file read returns at once (the data comes from the page
cache or storage; no other process is waited for). Stream channels: a sender
blocks when the buffer is full (a child writing into a pipe nobody reads
stops after exactly the pipe's capacity, asleep in ``pipe_write``), a
receiver blocks when it is empty (asleep in ``pipe_read``), a read returns
what is there (a partial read), ``0`` at end of stream; in non-blocking mode a
write is partial and then ``EAGAIN``; writing with no reader left gives
``EPIPE``, and the SIGPIPE that comes with it kills a process that keeps the
default action (pipe(7), signal(7)).
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import time

from iochannels.demos.children import pipe_ends
from iochannels.demos.children.shared import fionread
from iochannels.demos.pictures import snapshot
from iochannels.demos.proc_state import state, wchan
from iochannels.demos.processes import program, read_json, start, wait_for
from iochannels.demos.stage import Stage
from iochannels.model import Snapshot

__all__ = ["Fds", "blocking"]

FILE_SIZE = 1 << 20
BIG_WRITE = 100_000  # more than a pipe holds, and more than PIPE_BUF: may be split (pipe(7))
SLEEP_SECONDS = 5.0  # how long to wait for a child to fall asleep


class Fds:
    """The demo's own pipe ends: each closed once, the rest when the demo ends."""

    def __init__(self, stage: Stage) -> None:
        self.open: set[int] = set()
        stage.defer(self.close_all)

    def pipe(self) -> tuple[int, int]:
        read_end, write_end = os.pipe()
        self.open |= {read_end, write_end}
        return read_end, write_end

    def close(self, fd: int) -> None:
        if fd in self.open:
            self.open.remove(fd)
            os.close(fd)

    def close_all(self) -> None:
        for fd in sorted(self.open):
            self.close(fd)


def blocking(stage: Stage) -> None:
    fds = Fds(stage)
    file_read(stage)
    full_pipe(stage, fds)
    empty_pipe(stage, fds)
    nonblocking(stage, fds)
    broken_pipe(stage, fds)
    _summary(stage)


def file_read(stage: Stage) -> None:
    """A block channel: the reader waits only for storage (here: the page cache)."""
    path = stage.workdir / "data.bin"
    path.write_bytes(b"x" * FILE_SIZE)
    fd = os.open(path, os.O_RDONLY)
    try:
        began = time.perf_counter()
        got = len(os.read(fd, FILE_SIZE))
        seconds = time.perf_counter() - began
        at_end = len(os.read(fd, FILE_SIZE))  # past the end: 0 at once, nobody to wait for
    finally:
        os.close(fd)
    stage.say(f"A block channel first: read({FILE_SIZE:,}) on a regular file returned "
              f"{got:,} bytes in {seconds * 1e3:.2f} ms, and read at its end returned "
              f"{at_end} at once. The reader of a file waits for storage, never for "
              "another process; a writer rarely blocks (memory is allocated, the write ends).")
    stage.fact("file_read_bytes", got)
    stage.fact("file_read_at_end", at_end)
    stage.fact("file_read_ms", round(seconds * 1e3, 3))


def full_pipe(stage: Stage, fds: Fds) -> None:
    """A sender on a full buffer: a child writes 4 KiB chunks into a pipe nobody reads."""
    read_end, write_end = fds.pipe()
    capacity = fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ)  # pipe(7): 65,536 by default
    child = start(stage, program(pipe_ends.fill), stdout=write_end)
    fds.close(write_end)
    wait_for(lambda: fionread(read_end) >= capacity and _asleep(child.pid, "write"),
             "the writer to fill the pipe")
    _show_full(stage, child.pid, read_end, capacity)
    _drain_a_little(stage, read_end, capacity)
    fds.close(read_end)  # no reader left: the writer's next write fails with EPIPE and SIGPIPE
    code = child.wait(10)
    name = signal.Signals(-code).name if code < 0 else f"none, exit status {code}"
    stage.say(f"Then this demo closed the read end. The writer's next write got EPIPE and "
              f"the signal SIGPIPE with it, whose default action ends the process: it died "
              f"by signal {-code if code < 0 else 'none'} ({name}).")
    stage.fact("writer_killed_by", -code if code < 0 else None)


def _show_full(stage: Stage, pid: int, read_end: int, capacity: int) -> None:
    written, where = fionread(read_end), wchan(pid)
    stage.show(_with_own(pid, read_end), f"the writer asleep in {where or 'write'}: "
               f"{written:,} bytes in the pipe, its capacity is {capacity:,}")
    stage.say(f"The writer wrote {written:,} bytes, exactly the pipe's capacity, and its next "
              f"write(2) put it to sleep ({where}, state {state(pid)}): a sender blocks "
              "when the buffer is full.")
    stage.fact("pipe_capacity", capacity)
    stage.fact("blocked_writer_wrote", written)
    stage.fact("blocked_writer_wchan", where)


def _drain_a_little(stage: Stage, read_end: int, capacity: int) -> None:
    os.read(read_end, 4096)
    wait_for(lambda: fionread(read_end) >= capacity, "the writer to fill the pipe again")
    stage.say("This demo read 4,096 bytes: the writer woke up, filled the free room and went "
              "back to sleep: it blocks until there is room in the buffer.")
    stage.fact("writer_refilled", fionread(read_end))


def _asleep(pid: int, call: str) -> bool:
    """Asleep (state S) in a ``call`` or pipe function of the kernel, when /proc tells where.

    The name depends on the kernel: ``pipe_write`` or ``anon_pipe_write`` (6.x),
    ``pipe_wait`` for both sides before 5.5; "0" where wchan is hidden (proc(5)).
    """
    where = wchan(pid)
    return state(pid) == "S" and (call in where or "pipe" in where or where in ("", "0"))


def _with_own(pid: int, own_fd: int) -> Snapshot:
    """The child's fd table and this demo's end of the channel."""
    me = os.getpid()
    return snapshot([pid, me], keep=lambda p, fd: p != me or fd == own_fd)


def empty_pipe(stage: Stage, fds: Fds) -> None:
    """A receiver on an empty buffer; then a partial read; then 0 at end of stream."""
    read_end, write_end = fds.pipe()
    child = start(stage, program(pipe_ends.drain), stdin=read_end, stderr=subprocess.PIPE)
    fds.close(read_end)
    wait_for(lambda: _asleep(child.pid, "read"), "the reader to block", SLEEP_SECONDS)
    where = wchan(child.pid)
    stage.show(_with_own(child.pid, write_end), f"the reader asleep in {where or 'read'}: "
               "the pipe is empty")
    stage.fact("blocked_reader_wchan", where)
    os.write(write_end, b"hi")
    _partial_read(stage, read_json(child.stderr, "the reader"))
    fds.close(write_end)
    eof = read_json(child.stderr, "the reader at end of stream")
    child.wait(10)
    stage.say(f"Then this demo closed the write end: the reader's read returned {eof['got']}, "
              "end of stream, and it ended (a receiver gets 0 when the connection is closed).")
    stage.fact("eof_read", eof["got"])


def _partial_read(stage: Stage, got: dict[str, int]) -> None:
    stage.say(f"A receiver blocks when the buffer is empty. This demo wrote 2 bytes: the "
              f"reader, which had asked for {got['asked']:,}, woke up with {got['got']}: a "
              "read returns what is there (a partial read).")
    stage.fact("partial_read", got["got"])


def nonblocking(stage: Stage, fds: Fds) -> None:
    """O_NONBLOCK: a partial write, then EAGAIN instead of sleeping (pipe(7), fcntl(2))."""
    read_end, write_end = fds.pipe()
    os.set_blocking(write_end, False)
    os.set_blocking(read_end, False)
    empty = _errno_of(lambda: os.read(read_end, 1))
    wrote = os.write(write_end, b"x" * BIG_WRITE)
    full = _errno_of(lambda: os.write(write_end, b"x"))
    drained = len(os.read(read_end, BIG_WRITE))
    stage.say(f"In non-blocking mode (O_NONBLOCK) nothing sleeps: read on the empty pipe gave "
              f"{empty}; write({BIG_WRITE:,}) returned {wrote:,}, a partial write of what fit; "
              f"the next write gave {full}; read({BIG_WRITE:,}) then returned the {drained:,} "
              "bytes available.")
    stage.fact("nonblock_read_empty", empty)
    stage.fact("partial_write", wrote)
    stage.fact("partial_write_asked", BIG_WRITE)
    stage.fact("nonblock_write_full", full)
    fds.close(read_end)
    fds.close(write_end)


def broken_pipe(stage: Stage, fds: Fds) -> None:
    """Write with no reader: EPIPE here (Python ignores SIGPIPE), death by SIGPIPE for C."""
    read_end, write_end = fds.pipe()
    fds.close(read_end)
    error = _errno_of(lambda: os.write(write_end, b"x"))
    fds.close(write_end)
    stage.say(f"A write with no reader left returns an error: {error} here, because Python "
              "ignores SIGPIPE; a process with the default action is killed instead, as the "
              "writer above was.")
    stage.fact("no_reader_write", error)


def _errno_of(call: object) -> str:
    """The errno name the call fails with, or what it returned."""
    try:
        result = call()  # type: ignore[operator]
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc))
    return f"returned {result!r}"


def _summary(stage: Stage) -> None:
    f = stage.facts
    stage.table("section 6 on real channels", ("situation", "what happened"), (
        ("read a regular file", f"{f['file_read_bytes']:,} bytes at once; 0 at its end"),
        ("write into a full pipe", f"blocked after {f['blocked_writer_wrote']:,} bytes "
         f"(capacity {f['pipe_capacity']:,})"),
        ("read an empty pipe", f"blocked in {f['blocked_reader_wchan'] or 'read'}"),
        ("read 64 KiB, 2 bytes there", f"returned {f['partial_read']} (partial read)"),
        ("read, writer gone", f"returned {f['eof_read']} (end of stream)"),
        ("non-blocking write, 100,000 bytes", f"returned {f['partial_write']:,}, then "
         f"{f['nonblock_write_full']}"),
        ("non-blocking read, empty", f["nonblock_read_empty"]),
        ("write, reader gone", f"{f['no_reader_write']}; a C-like writer is killed by "
         f"signal {f['writer_killed_by']} (SIGPIPE)"),
    ))
