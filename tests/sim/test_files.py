"""Regular files, FIFOs and devices: offsets, O_APPEND, fsync, fifo(7) opens."""

from __future__ import annotations

from simkit import blocks, err, ok

from iochannels.model import BufferRole
from iochannels.sim import Done, Kernel

OPEN = ("create", "truncate", "append", "nonblock", "cloexec")


def opened(k: Kernel, pid: int, path: str, mode: str, **flags: bool) -> int:
    return int(ok(k, pid, "open", path, mode, *(flags.get(f, False) for f in OPEN)))


def test_files_keep_bytes_and_seek() -> None:
    k = Kernel()
    p = k.attach()
    fd = opened(k, p, "data", "rw", create=True)
    ok(k, p, "write", fd, b"hello world")
    assert ok(k, p, "lseek", fd, 0, 1) == 11
    assert ok(k, p, "read", fd, 5) == b""  # at the end: 0 bytes at once
    assert ok(k, p, "lseek", fd, -5, 2) == 6
    assert ok(k, p, "read", fd, 100) == b"world"
    assert err(k, p, "lseek", fd, -100, 1) == "EINVAL"


def test_missing_file_and_modes() -> None:
    k = Kernel()
    p = k.attach()
    assert err(k, p, "open", "nope", "r", False, False, False, False, False) == "ENOENT"
    assert err(k, p, "open", "x", "a", True, False, False, False, False) == "EINVAL"
    fd = opened(k, p, "ro", "r", create=True)
    assert err(k, p, "write", fd, b"x") == "EBADF"


def test_append_and_truncate() -> None:
    k = Kernel()
    p = k.attach()
    a = opened(k, p, "log", "w", create=True)
    b = opened(k, p, "log", "w", append=True)
    ok(k, p, "write", a, b"12345")
    ok(k, p, "write", b, b"ab")  # O_APPEND: at the end, not at its own offset 0
    ok(k, p, "write", a, b"X")  # a's own offset is still 5: it overwrites the "a"
    assert k.files["log"] == b"12345Xb"
    opened(k, p, "log", "w", truncate=True)
    assert k.files["log"] == b""


def test_fsync_writes_dirty_pages_back() -> None:
    k = Kernel()
    p = k.attach()
    fd = opened(k, p, "f", "w", create=True)
    ok(k, p, "write", fd, b"x" * 5000)
    chan = k.snapshot().channels["file#1"]
    assert chan.detail["dirty pages"] == "2" and chan.detail["on storage"] == "0"
    assert chan.buffer(BufferRole.CACHE) is not None
    ok(k, p, "fsync", fd)
    chan = k.snapshot().channels["file#1"]
    assert chan.detail["dirty pages"] == "0" and chan.detail["on storage"] == "5000"


def test_dev_null_and_tty() -> None:
    k = Kernel()
    k.type_in(b"typed")
    p = k.attach()
    null = opened(k, p, "/dev/null", "rw")
    assert ok(k, p, "write", null, b"gone") == 4
    assert ok(k, p, "read", null, 10) == b""
    assert ok(k, p, "read", 0, 3) == b"typ"
    assert ok(k, p, "write", 1, b"shown") == 5
    assert k.result().terminal == b"shown"
    assert err(k, p, "lseek", 1, 0, 0) == "ESPIPE"


def test_fifo_open_rules() -> None:
    k = Kernel()
    p, q = k.attach("p"), k.attach("q")
    ok(k, p, "mkfifo", "f")
    assert err(k, p, "mkfifo", "f") == "EEXIST"
    assert err(k, p, "open", "f", "w", False, False, False, True, False) == "ENXIO"
    rd = opened(k, p, "f", "r", nonblock=True)  # fifo(7): a nonblocking read-open succeeds
    assert ok(k, p, "read", rd, 10) == b""  # no writer yet: end of file
    ok(k, p, "close", rd)
    blocks(k, p, "open", "f", "r", False, False, False, False, False)  # waits for a writer
    wr = opened(k, q, "f", "w")  # a reader waits: the writer goes on at once
    assert k.settle() == [(p, Done(3))]
    ok(k, q, "write", wr, b"through the fifo")
    assert ok(k, p, "read", 3, 100) == b"through the fifo"
    assert err(k, p, "open", "f", "x", False, False, False, False, False) == "EINVAL"


def test_fifo_bytes_are_dropped_when_both_ends_close() -> None:
    k = Kernel()
    p = k.attach()
    ok(k, p, "mkfifo", "f")
    both = opened(k, p, "f", "rw")  # Linux: O_RDWR on a FIFO never waits
    ok(k, p, "write", both, b"lost")
    ok(k, p, "close", both)
    again = opened(k, p, "f", "rw")
    ok(k, p, "set_nonblock", again, True)
    assert err(k, p, "read", again, 10) == "EAGAIN"
    ok(k, p, "unlink", "f")
    assert err(k, p, "unlink", "f") == "ENOENT"
