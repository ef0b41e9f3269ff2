"""Section 4: redirection. Two fd table entries pointing to the same I/O channel."""

from __future__ import annotations

from iochannels.sim import Kernel, Proc
from iochannels.sim.scenarios.base import Params, Scenario
from iochannels.sim.scenarios.common import read_all, say

__all__ = ["SCENARIOS"]

OUT = "out.txt"


def redirect(kernel: Kernel, params: Params) -> None:
    """open, dup2(3, 1), close 3, write: what the program prints lands in the file."""

    async def main(p: Proc) -> int:
        fd = await p.open(OUT, "w", create=True, truncate=True)  # 3
        await p.dup2(fd, 1)  # 1 now points to the file: two entries, one channel (dup2(2))
        await p.close(fd)  # 3 is no longer needed; 1 keeps the file open
        await say(p, "Hello, world!\n")  # write(1, ...): into the file, not the terminal
        return 0

    kernel.spawn(main, name="prog", argv=("prog",))


async def _writer(p: Proc) -> int:
    await say(p, "Hello, world!\n")  # fd 1 is the pipe's write end: it does not know
    return 0


async def _reader(p: Proc) -> int:
    message = await read_all(p, 0)  # fd 0 is the pipe's read end
    await say(p, f"Message is: {message.decode()}")
    return 0


def pipe_operator(kernel: Kernel, params: Params) -> None:
    """The shell's `writer | reader`: pipe, fork twice, dup2 in each child, exec."""

    async def writer_child(p: Proc) -> int:
        await p.close(3)  # the writer does not read
        await p.dup2(4, 1)  # stdout -> the pipe's write end
        await p.close(4)
        await p.exec(_writer, ("writer",))
        return 127  # not reached: exec replaces the program

    async def reader_child(p: Proc) -> int:
        await p.close(4)  # else the reader never sees EOF: it would hold a write end
        await p.dup2(3, 0)  # stdin <- the pipe's read end
        await p.close(3)
        await p.exec(_reader, ("reader",))
        return 127

    async def manager(p: Proc) -> int:
        await p.pipe()  # 3: read end, 4: write end
        await p.fork(writer_child, name="writer")
        await p.fork(reader_child, name="reader")
        await p.close(3)  # the manager uses neither end
        await p.close(4)
        await p.wait()
        await p.wait()
        return 0

    kernel.spawn(manager, name="manager", argv=("manager",))


SCENARIOS = (
    Scenario(
        "redirect", 4, "Redirect standard output to a file: open, dup2(3, 1), close(3), write",
        "After dup2(3, 1) fds 1 and 3 point to the same channel, the file out.txt.\n"
        "close(3) leaves fd 1 alone on it; write(1, ...) fills the file's buffer.\n"
        "The terminal shows nothing: the text is in out.txt.",
        redirect,
    ),
    Scenario(
        "pipe-operator", 4, "The | operator: a manager, a writer and a reader",
        "The manager makes one pipe (fds 3 and 4) and forks two children.\n"
        "The writer child dup2s the write end onto fd 1, the reader child the read end\n"
        "onto fd 0; each closes the rest, then execs. The manager closes both ends.\n"
        "The reader prints 'Message is: Hello, world!' and sees EOF when the writer exits.",
        pipe_operator,
    ),
)
