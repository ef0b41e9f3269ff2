"""How much does a pipe hold? Fill it without blocking until write fails with EAGAIN.

Watch: the pipe's buffer gauge fills; the last write fails with EAGAIN because the
write end is non-blocking (pipe(7)); the program prints the total it wrote.
Try:   iochannels sim run examples/pipe_capacity.py --param pipe_capacity=4096
"""

from iochannels.sim import Proc, SimOSError


async def main(p: Proc) -> int:
    _, w = await p.pipe(nonblock=True)
    total = 0
    try:
        while True:
            total += await p.write(w, b"x" * 16384)
    except SimOSError as exc:
        if exc.name != "EAGAIN":
            raise
    await p.write(1, f"the pipe took {total} bytes\n".encode())
    return 0
