"""Pipes as pipe(7) says: EOF, EPIPE, EAGAIN, PIPE_BUF atomicity, pages, partial writes."""

from __future__ import annotations

from simkit import blocks, err, ok

from iochannels.model import BufferRole
from iochannels.sim import Done, Kernel, Proc

PAGE = 4096


def test_read_returns_what_is_there_then_zero_at_eof() -> None:
    k = Kernel()
    p = k.attach()
    r, w = ok(k, p, "pipe", False, False)
    assert ok(k, p, "write", w, b"hello") == 5
    assert ok(k, p, "read", r, 100) == b"hello"  # a partial read: what is there
    blocks(k, p, "read", r, 100)  # empty, and a writer is left: wait


def test_eof_once_every_write_end_is_closed() -> None:
    k = Kernel()
    p = k.attach()
    r, w = ok(k, p, "pipe", False, False)
    ok(k, p, "write", w, b"last")
    ok(k, p, "close", w)
    assert ok(k, p, "read", r, 2) == b"la"
    assert ok(k, p, "read", r, 9) == b"st"
    assert ok(k, p, "read", r, 9) == b""


def test_epipe_without_readers_and_sigpipe_kills_a_program() -> None:
    async def writer(p: Proc) -> int:
        r, w = await p.pipe()
        await p.close(r)
        await p.write(w, b"anyone?")
        return 0

    k = Kernel()
    pid = k.spawn(writer)
    run = k.run()
    assert run.exit_status[pid] == "SIGPIPE"
    last = run.events[-1]
    assert (last.call, last.error) == ("write", "EPIPE") and "SIGPIPE" in last.note
    assert run.steps[-1].snapshot.process(pid).state == "zombie"  # type: ignore[union-attr]


def test_nonblocking_empty_read_and_full_write_are_eagain() -> None:
    k = Kernel()
    p = k.attach()
    r, w = ok(k, p, "pipe", True, False)
    assert err(k, p, "read", r, 1) == "EAGAIN"
    assert ok(k, p, "write", w, b"z" * 65536) == 65536
    assert err(k, p, "write", w, b"z") == "EAGAIN"


def test_pipe_buf_writes_are_atomic_bigger_ones_partial() -> None:
    k = Kernel()
    p = k.attach()
    r, w = ok(k, p, "pipe", True, False)
    ok(k, p, "write", w, b"a" * (65536 - PAGE))  # 15 pages: one page free
    assert ok(k, p, "write", w, b"b" * (2 * PAGE)) == PAGE  # > PIPE_BUF: what fits
    ok(k, p, "read", r, 1)  # one byte read: its page is not free yet
    assert err(k, p, "write", w, b"c" * 10) == "EAGAIN"  # <= PIPE_BUF: all or nothing


def test_linux_counts_pipe_room_in_pages() -> None:
    """Sixteen writes of 3000 bytes fill the sixteen pages: 48,000 bytes, and it is full."""
    k = Kernel()
    p = k.attach()
    r, w = ok(k, p, "pipe", True, False)
    for _ in range(16):
        assert ok(k, p, "write", w, b"x" * 3000) == 3000
    assert err(k, p, "write", w, b"x" * 3000) == "EAGAIN"
    assert ok(k, p, "write", w, b"x" * 1000) == 1000  # still fits in the last page
    assert ok(k, p, "read", r, 100000) == b"x" * 49000


def test_a_blocking_big_write_makes_partial_progress_then_finishes() -> None:
    k = Kernel()
    writer = k.attach("writer")
    r, w = ok(k, writer, "pipe", False, False)
    child = ok(k, writer, "fork", None, None)  # the reader: it holds both ends too
    blocks(k, writer, "write", w, b"y" * 70000)
    pipe = k.snapshot().channels["pipe#1"]
    assert pipe.buffer(BufferRole.PIPE).used == 65536  # type: ignore[union-attr]
    assert ok(k, child, "read", r, 65536) == b"y" * 65536
    assert k.settle() == [(writer, Done(70000))]
    assert ok(k, child, "read", r, 65536) == b"y" * 4464


def test_pipe_cannot_seek_or_sync() -> None:
    k = Kernel()
    p = k.attach()
    r, _ = ok(k, p, "pipe", False, False)
    assert err(k, p, "lseek", r, 0, 0) == "ESPIPE"
    assert err(k, p, "fsync", r) == "EINVAL"


def test_a_small_teaching_pipe_is_a_byte_ring() -> None:
    k = Kernel(pipe_capacity=16)
    p = k.attach()
    r, w = ok(k, p, "pipe", True, False)
    assert ok(k, p, "write", w, b"0123456789") == 10
    assert err(k, p, "write", w, b"abcdefghij") == "EAGAIN"  # 6 free: atomic, so nothing
    assert ok(k, p, "read", r, 4) == b"0123"
    assert ok(k, p, "write", w, b"abcdefghij") == 10
    assert ok(k, p, "read", r, 100) == b"456789abcdefghij"
