"""The shell's `greet > greeting.txt`: fork, open in the child, dup2 onto fd 1, exec.

Watch: the parent's fd table never changes; in the child, dup2(3, 1) makes fds 1 and
3 point to the same file, close(3) leaves fd 1 alone on it; the exec'd program
writes to fd 1 without knowing it is a file. The terminal stays empty and the file
greeting.txt holds the text.

Run it: iochannels sim run examples/shell_redirect.py
"""

from iochannels.sim import Proc


async def greet(p: Proc) -> int:
    await p.write(1, b"Hello, world!\n")  # fd 1: whatever the shell made it
    return 0


async def child(p: Proc) -> int:
    fd = await p.open("greeting.txt", "w", create=True, truncate=True)
    await p.dup2(fd, 1)
    await p.close(fd)
    await p.exec(greet, ("greet",))
    return 127  # exec does not return when it works


async def main(p: Proc) -> int:
    await p.fork(child, name="child")
    _, status = await p.wait()
    return 0 if status == 0 else 1
