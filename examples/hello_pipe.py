"""A parent sends a line to its child over a pipe; the child prints it.

Watch: pipe() gives fds 3 and 4; fork copies the fd table; each side closes the end
it does not use; the child's second read returns 0 bytes (end of stream) once the
parent has closed the write end.

Run it:  iochannels sim run examples/hello_pipe.py
Step it: iochannels sim step examples/hello_pipe.py
"""

from iochannels.sim import Proc


async def child(p: Proc) -> int:
    await p.close(4)  # the child only reads
    data = b""
    while chunk := await p.read(3, 100):  # b"" at end of stream
        data += chunk
    await p.write(1, b"child got: " + data)
    return 0


async def main(p: Proc) -> int:
    r, w = await p.pipe()  # 3, 4: the lowest free fds
    await p.fork(child, name="child")
    await p.close(r)  # the parent only writes
    await p.write(w, b"Hello from your parent!\n")
    await p.close(w)  # now the child's read can return 0
    await p.wait()
    return 0
