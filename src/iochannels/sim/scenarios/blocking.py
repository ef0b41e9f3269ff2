"""Section 6: blocking actions. Each bullet of the lecture on one channel, and a deadlock."""

from __future__ import annotations

from iochannels.sim import Kernel, Proc, SimOSError
from iochannels.sim.scenarios.base import Params, Scenario
from iochannels.sim.scenarios.common import read_all, say

__all__ = ["SCENARIOS"]

PAGE = 4096  # Linux counts a pipe's room in pages (pipe(7)): keep sizes page-aligned


def full_pipe(kernel: Kernel, params: Params) -> None:
    """The sender blocks while the buffer is full, and goes on as the reader empties it."""
    size = int(params["pipe_capacity"]) + int(params["extra"])

    async def reader(p: Proc) -> int:
        await p.close(4)
        data = await read_all(p, 3, PAGE * 4)
        await say(p, f"reader got {len(data)} bytes\n")
        return 0

    async def writer(p: Proc) -> int:
        await p.pipe()
        await p.fork(reader, name="reader")
        await p.close(3)
        await p.write(4, b"x" * size)  # more than the buffer holds: blocks when full
        await p.close(4)
        await p.wait()
        return 0

    kernel.spawn(writer, name="writer", argv=("writer",))


def empty_pipe(kernel: Kernel, params: Params) -> None:
    """The receiver blocks while the buffer is empty, until a byte arrives."""

    async def writer(p: Proc) -> int:
        await p.close(3)
        await p.write(4, b"Hello, world!\n")  # the reader is already waiting
        await p.close(4)
        return 0

    async def reader(p: Proc) -> int:
        await p.pipe()
        await p.fork(writer, name="writer")  # the parent keeps the CPU: it reads first
        await p.close(4)
        await p.read(3, 100)  # nothing there yet: the reader waits
        await p.close(3)
        await p.wait()
        return 0

    kernel.spawn(reader, name="reader", argv=("reader",))


def partial_write(kernel: Kernel, params: Params) -> None:
    """Non-blocking: a write larger than the free room writes what fits and says how much."""
    capacity = int(params["pipe_capacity"])

    async def main(p: Proc) -> int:
        _, w = await p.pipe(nonblock=True)
        await p.write(w, b"a" * (capacity - PAGE))  # one page of room left
        await p.write(w, b"b" * (2 * PAGE))  # returns PAGE: a partial write (pipe(7))
        return 0

    kernel.spawn(main, name="prog", argv=("prog",))


def eagain(kernel: Kernel, params: Params) -> None:
    """Non-blocking: where a call would block it fails with EAGAIN instead."""
    capacity = int(params["pipe_capacity"])

    async def main(p: Proc) -> int:
        r, w = await p.pipe(nonblock=True)
        for fd, call in ((r, "read"), (w, "fill"), (w, "write")):
            try:
                if call == "read":
                    await p.read(fd, 100)  # empty: EAGAIN, not a wait
                else:
                    await p.write(fd, b"z" * (capacity if call == "fill" else 1))
            except SimOSError as exc:
                assert exc.name == "EAGAIN", exc
        return 0

    kernel.spawn(main, name="prog", argv=("prog",))


def eof(kernel: Kernel, params: Params) -> None:
    """The receiver gets 0 bytes once the buffer is empty and no writer is left."""

    async def writer(p: Proc) -> int:
        await p.close(3)
        await p.write(4, b"last words\n")
        return 0  # exit closes fd 4, the last write end

    async def reader(p: Proc) -> int:
        await p.pipe()
        await p.fork(writer, name="writer")
        await p.close(4)  # else this process would be a writer too, and no EOF ever
        while await p.read(3, 100):  # the words, then b"": end of stream
            pass
        await p.wait()
        return 0

    kernel.spawn(reader, name="reader", argv=("reader",))


def epipe(kernel: Kernel, params: Params) -> None:
    """A write with no reader left fails with EPIPE, and SIGPIPE kills the writer."""

    async def writer(p: Proc) -> int:
        await p.write(4, b"anyone there?\n")  # EPIPE; SIGPIPE's default action: terminate
        await say(p, "not reached\n")
        return 0

    async def parent(p: Proc) -> int:
        await p.pipe()
        await p.close(3)  # the only read end: from now on nobody can read
        await p.fork(writer, name="writer")
        await p.close(4)
        await p.wait()  # says the child was killed by SIGPIPE
        return 0

    kernel.spawn(parent, name="parent", argv=("parent",))


def file_read(kernel: Kernel, params: Params) -> None:
    """A block channel: a read returns at once, with the bytes there are, or 0 at the end."""

    async def main(p: Proc) -> int:
        fd = await p.open("data.bin", "rw", create=True, truncate=True)
        await p.write(fd, b"f" * (2 * PAGE))  # the writer rarely blocks: into the cache
        await p.lseek(fd, 0)
        await p.read(fd, 3 * PAGE)  # asks for more than there is: returns 2 pages now
        await p.read(fd, PAGE)  # at the end of the file: 0 at once, no waiting
        await p.close(fd)
        return 0

    kernel.spawn(main, name="prog", argv=("prog",))


def deadlock(kernel: Kernel, params: Params) -> None:
    """Two processes, two pipes, both read first: each waits for the other, forever."""

    async def alice(p: Proc) -> int:
        await p.close(4)
        await p.close(5)
        await p.read(3, 100)  # waits for bob, who waits for alice
        await p.write(6, b"hi bob\n")
        return 0

    async def bob(p: Proc) -> int:
        await p.close(3)
        await p.close(6)
        await p.read(5, 100)
        await p.write(4, b"hi alice\n")
        return 0

    async def shell(p: Proc) -> int:
        await p.pipe()  # to alice: 3 (read), 4 (write)
        await p.pipe()  # to bob: 5 (read), 6 (write)
        await p.fork(alice, name="alice")
        await p.fork(bob, name="bob")
        for fd in (3, 4, 5, 6):
            await p.close(fd)
        await p.wait()
        await p.wait()
        return 0

    kernel.spawn(shell, name="sh", argv=("sh",))


SCENARIOS = (
    Scenario(
        "blocking-full-pipe", 6, "The sender blocks when the buffer is full",
        "The writer writes more than the pipe holds in one call: it fills the buffer\n"
        "and is parked (<blocked>) until the reader makes room; then it goes on.\n"
        "write returns only when every byte is in (a blocking write, pipe(7)).",
        full_pipe,
        {"extra": PAGE * 4},
    ),
    Scenario(
        "blocking-empty-pipe", 6, "The receiver blocks when the buffer is empty",
        "The reader reads before the writer has written: it is parked (<blocked>)\n"
        "until at least one byte is in the buffer, then read returns what is there.",
        empty_pipe,
    ),
    Scenario(
        "blocking-partial-write", 6, "Non-blocking: a partial write returns what fit",
        "The pipe is O_NONBLOCK and almost full. A write larger than the free room\n"
        "does not wait: it writes what fits and returns that count, less than asked.",
        partial_write,
    ),
    Scenario(
        "blocking-eagain", 6, "Non-blocking: EAGAIN instead of waiting",
        "On an O_NONBLOCK pipe a read of the empty buffer and a write to the full one\n"
        "fail at once with EAGAIN (\"try again\") where a blocking call would wait.",
        eagain,
    ),
    Scenario(
        "blocking-eof", 6, "The receiver gets 0 at the end of the stream",
        "The reader closes its own write end. Once the writer has exited (closing the\n"
        "last write end) and the buffer is empty, read returns 0: end of stream.",
        eof,
    ),
    Scenario(
        "blocking-epipe", 6, "The sender gets EPIPE and SIGPIPE when no reader is left",
        "Every read end is closed before the child writes. The write fails with EPIPE\n"
        "and SIGPIPE kills the writer (its default action); wait in the parent says so.",
        epipe,
    ),
    Scenario(
        "blocking-file", 6, "A file read returns at once",
        "A regular file is a block channel: a read returns the bytes there are at once,\n"
        "fewer than asked near the end, and 0 at the end of the file: it never waits\n"
        "for a writer. The writer rarely blocks either: its bytes go into the cache.",
        file_read,
    ),
    Scenario(
        "deadlock", 6, "A deadlock: two processes that both read first",
        "alice reads from bob's pipe and bob reads from alice's: both buffers are empty\n"
        "and each holds the only write end the other waits for. Nobody can go on:\n"
        "the run ends with a deadlock report naming each waiter and what it waits on.",
        deadlock,
    ),
)
