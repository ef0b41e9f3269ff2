"""Section 2: stream vs block I/O channels."""

from __future__ import annotations

from iochannels.sim import Kernel, Proc, SimOSError
from iochannels.sim.scenarios.base import Params, Scenario

__all__ = ["SCENARIOS"]


async def _stream(p: Proc) -> None:
    """A pipe: a ring buffer; bytes leave as they are read; no seek."""
    r, w = await p.pipe()
    await p.write(w, b"abcdefghij")
    await p.read(r, 4)  # "abcd": the oldest bytes first, and they are gone
    await p.write(w, b"klmnop")  # the ring wraps around past its end
    await p.read(r, 12)  # "efghijklmnop": a read returns what there is
    try:
        await p.lseek(r, 0)  # pipes cannot seek: ESPIPE (lseek(2))
    except SimOSError as exc:
        assert exc.name == "ESPIPE", exc
    await p.close(r)
    await p.close(w)


async def _block(p: Proc) -> None:
    """A file: an area buffer; read anywhere, rewrite in place, sync to storage."""
    fd = await p.open("data.txt", "rw", create=True, truncate=True)
    await p.write(fd, b"hello world")
    await p.lseek(fd, 0)
    await p.read(fd, 5)  # "hello": and the bytes stay in the file
    await p.lseek(fd, 6)
    await p.write(fd, b"WORLD")  # rewrites bytes 6..10 in the buffer (dirty)
    await p.fsync(fd)  # writes the dirty buffer back to storage (fsync(2))
    await p.lseek(fd, 0)
    await p.read(fd, 100)  # "hello WORLD": the whole area, read again
    await p.close(fd)


def stream_vs_block(kernel: Kernel, params: Params) -> None:
    async def main(p: Proc) -> int:
        await _stream(p)
        await _block(p)
        return 0

    kernel.spawn(main, name="prog", argv=("prog",))


SCENARIOS = (
    Scenario(
        "stream-vs-block", 2, "A pipe's ring buffer vs a file's area buffer",
        "The pipe's buffer fills as bytes are written and empties as they are read;\n"
        "the ring wraps around; lseek on a pipe fails with ESPIPE.\n"
        "The file keeps its bytes: lseek moves the offset, a write rewrites in place,\n"
        "fsync writes the dirty buffer back to storage, the next read sees it all again.",
        stream_vs_block,
        {"pipe_capacity": 16},
    ),
)
