"""pidfd_getfd(2) and kcmp(2): the C module and ctypes make the same calls.

Both are asked the same questions about a real child's fds, and must give the same
answers and the same errors (errno), as the kernel decides them (pidfd_getfd(2),
kcmp(2)). Skipped where the C module was not built: ctypes is then the only path.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from iochannels.live import syscalls

try:
    from iochannels.live import _syscalls
except ImportError:  # no C compiler at install
    _syscalls = None  # type: ignore[assignment]

# A child holding a pipe (fds 3, 4) with 1234 bytes unread, a dup of its read end
# (fd 5) and /dev/null (fd 6).
CHILD = """
import os, sys
r, w = os.pipe()
os.dup2(r, 5)
os.dup2(os.open(os.devnull, os.O_RDONLY), 6)
os.write(w, b"x" * 1234)
print(r, w, flush=True)
sys.stdin.read()
"""


@pytest.fixture()
def child() -> Iterator[tuple[int, int, int, int]]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, pass_fds=())
    assert proc.stdout is not None and proc.stdin is not None
    r, w = map(int, proc.stdout.readline().split())
    pidfd = os.pidfd_open(proc.pid)
    try:
        yield proc.pid, pidfd, r, w
    finally:
        os.close(pidfd)
        proc.stdin.close()
        proc.wait()
        proc.stdout.close()


def _paths() -> list[tuple[Callable[..., int], Callable[..., int]]]:
    by_ctypes = syscalls._by_ctypes()
    if _syscalls is None:
        pytest.skip("the C module _syscalls was not built (no C compiler at install)")
    return [by_ctypes, (_syscalls.pidfd_getfd, _syscalls.kcmp_file)]


def _measures() -> list[syscalls.Measure]:
    getfd, _ = syscalls._by_ctypes()
    if _syscalls is None:
        pytest.skip("the C module _syscalls was not built (no C compiler at install)")
    return [syscalls._measure_by(getfd), _syscalls.pipe_buffer]


def _errno(call: Callable[..., int], *args: int) -> int | None:
    try:
        result = call(*args)
    except OSError as exc:
        return exc.errno
    if call.__name__ == "pidfd_getfd":
        os.close(result)
    return None


def test_pidfd_getfd_copies_the_same_pipe(child: tuple[int, int, int, int]) -> None:
    pid, pidfd, r, _ = child
    target = os.stat(f"/proc/{pid}/fd/{r}")
    for getfd, _ in _paths():
        copy = getfd(pidfd, r)
        try:
            st = os.fstat(copy)
            assert (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino)
            assert os.get_inheritable(copy) is False  # pidfd_getfd(2): O_CLOEXEC is set
        finally:
            os.close(copy)


def test_kcmp_tells_a_dup_from_another_end(child: tuple[int, int, int, int]) -> None:
    pid, _, r, w = child
    me = os.getpid()
    answers = [(kcmp(pid, pid, r, 5), kcmp(pid, pid, r, w) > 0, kcmp(pid, me, r, 0) > 0)
               for _, kcmp in _paths()]
    assert answers[0] == answers[1] == (0, True, True)


def test_both_fail_alike(child: tuple[int, int, int, int]) -> None:
    pid, pidfd, _, _ = child
    closed = 99  # not open in the child
    errors = [(_errno(getfd, pidfd, closed), _errno(getfd, -1, 0),
               _errno(kcmp, pid, pid, closed, 0), _errno(kcmp, 2**22 + 7, pid, 0, 0))
              for getfd, kcmp in _paths()]
    assert errors[0] == errors[1] == (errno.EBADF, errno.EBADF, errno.EBADF, errno.ESRCH)


def test_pipe_buffer_measures_alike(child: tuple[int, int, int, int]) -> None:
    """pipe(7): a pipe's capacity is 16 pages (65536 bytes) unless F_SETPIPE_SZ changed it;
    FIONREAD counts the 1234 bytes the child wrote and nobody read."""
    pid, pidfd, r, w = child
    inode = os.stat(f"/proc/{pid}/fd/{r}").st_ino
    page = os.sysconf("SC_PAGE_SIZE")
    for measure in _measures():
        assert measure(pidfd, r, inode) == (16 * page, 1234)
        assert measure(pidfd, w, -1) == (16 * page, 1234)  # the same buffer from its write end
        assert measure(pidfd, r, inode + 1) is None  # another file than the one named
        assert measure(pidfd, 6, -1) is None  # /dev/null: no pipe
        with pytest.raises(OSError) as closed:
            measure(pidfd, 99, -1)
        assert closed.value.errno == errno.EBADF
