"""The calls people write in exercises, on both kernels: fcntl, dup3, poll, getsockname and
getpeername, waitpid with WNOHANG, getpid, ignoring SIGPIPE, and passing an fd with
SCM_RIGHTS. Each directed script must agree, step by step, on the simulator and on Linux.
"""

from __future__ import annotations

import pytest
from fidelitykit import DrawChooser, agreed, done
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iochannels.fidelity import Op, compare
from iochannels.fidelity.generate import script_from
from iochannels.fidelity.linux import LinuxRunner
from iochannels.fidelity.observe import Result
from iochannels.fidelity.script import APPEND, FCNTL_CMDS, NONBLOCK, payload

GETFL, SETFL, GETFD, SETFD, DUPFD, DUPFD_CLOEXEC, GETPIPE_SZ, SETPIPE_SZ = range(8)
POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x4, 0x8, 0x10, 0x20
O_WRONLY, O_RDWR, O_APPEND, O_NONBLOCK, O_LARGEFILE = 0o1, 0o2, 0o2000, 0o4000, 0o100000
UNIX_STREAM, UNIX_DGRAM = 0, 1


def error(name: str) -> Result:
    return Result("error", name)


def test_the_commands_are_the_fcntl_modules() -> None:
    fcntl = pytest.importorskip("fcntl")
    assert all(hasattr(fcntl, name) for name in FCNTL_CMDS)


def test_fcntl_status_flags_live_on_the_open_file(linux: LinuxRunner) -> None:
    """fcntl(2) F_GETFL/F_SETFL: the access mode and O_NONBLOCK/O_APPEND, shared by a dup;
    F_SETFL ignores the access mode; a file opened by path has O_LARGEFILE (64-bit)."""
    results = agreed(linux, Op(0, "pipe", (0, 0)), Op(0, "fcntl", (4, GETFL, 0)),
                     Op(0, "dup", (3,)), Op(0, "fcntl", (3, SETFL, NONBLOCK | APPEND)),
                     Op(0, "fcntl", (5, GETFL, 0)), Op(0, "read", (5, 10)),
                     Op(0, "fcntl", (0, GETFL, 0)), Op(0, "fcntl", (9, GETFL, 0)),
                     Op(0, "open", (0, 1, 1)), Op(0, "fcntl", (6, GETFL, 0)))
    assert results[1] == done(O_WRONLY)
    assert results[4] == done(O_NONBLOCK | O_APPEND)
    assert results[5] == error("EAGAIN")  # the dup's O_NONBLOCK is the open file's
    assert results[6] == done(O_RDWR | O_LARGEFILE)
    assert results[7] == error("EBADF")
    assert results[9] == done(O_WRONLY | O_LARGEFILE)


def test_fcntl_fd_flags_and_dupfd(linux: LinuxRunner) -> None:
    """F_SETFD is the fd's own flag (a dup does not share it); F_DUPFD takes the lowest
    free fd at or above arg, EINVAL at or past the fd limit; F_DUPFD_CLOEXEC sets it."""
    results = agreed(linux, Op(0, "pipe", (0, 0)), Op(0, "fcntl", (3, SETFD, 1)),
                     Op(0, "fcntl", (3, GETFD, 0)), Op(0, "dup", (3,)),
                     Op(0, "fcntl", (5, GETFD, 0)), Op(0, "fcntl", (3, DUPFD, 5)),
                     Op(0, "fcntl", (3, DUPFD_CLOEXEC, 0)), Op(0, "fcntl", (7, GETFD, 0)),
                     Op(0, "fcntl", (3, DUPFD, 8)), Op(0, "fcntl", (3, DUPFD, 7)),
                     max_files=8)
    assert results[2] == done(1) and results[4] == done(0)
    assert results[5:7] == [done(6), done(7)]
    assert results[7] == done(1)
    assert results[8:] == [error("EINVAL"), error("EMFILE")]


def test_fcntl_pipe_size(linux: LinuxRunner) -> None:
    """F_GETPIPE_SZ/F_SETPIPE_SZ (pipe(7)): rounded up to a power-of-two number of pages;
    EBUSY below the pages the data occupies; EPERM above pipe-max-size; EBADF on a socket.
    The new size is what writes see: a nonblocking write fills it, then EAGAIN."""
    results = agreed(linux, Op(0, "pipe", (1, 0)), Op(0, "fcntl", (3, GETPIPE_SZ, 0)),
                     Op(0, "fcntl", (4, SETPIPE_SZ, 5000)), Op(0, "write", (4, 3000)),
                     Op(0, "write", (4, 3000)), Op(0, "write", (4, 3000)),
                     Op(0, "fcntl", (3, SETPIPE_SZ, 0)), Op(0, "fcntl", (3, SETPIPE_SZ, 2 << 20)),
                     Op(0, "read", (3, 5000)), Op(0, "fcntl", (3, SETPIPE_SZ, 0)),
                     Op(0, "write", (4, 5000)), Op(0, "socketpair", (0,)),
                     Op(0, "fcntl", (5, GETPIPE_SZ, 0)))
    assert results[1:3] == [done(65536), done(8192)]
    assert results[3:6] == [done(3000), done(3000), error("EAGAIN")]  # two pages: full
    assert results[6:8] == [error("EBUSY"), error("EPERM")]
    assert results[9] == done(4096)
    assert results[10] == done(904)  # one page, 1000 bytes in it: the tail merges there
    assert results[12] == error("EBADF")


def test_dup3_flags(linux: LinuxRunner) -> None:
    """dup3(2): O_CLOEXEC on the new fd; old == new is EINVAL, where dup2 does nothing."""
    results = agreed(linux, Op(0, "pipe", (0, 0)), Op(0, "dup3", (3, 7, 1)),
                     Op(0, "fcntl", (7, GETFD, 0)), Op(0, "dup3", (3, 3, 0)),
                     Op(0, "dup2", (3, 3)), Op(0, "dup3", (4, 7, 0)),
                     Op(0, "fcntl", (7, GETFD, 0)), Op(0, "dup3", (9, 9, 0)),
                     Op(0, "dup3", (9, 5, 0)), Op(0, "dup3", (3, 20, 0)))
    assert results[1:4] == [done(7), done(1), error("EINVAL")]
    assert results[4] == done(3)
    assert results[5:7] == [done(7), done(0)]
    assert results[7:] == [error("EINVAL"), error("EBADF"), error("EBADF")]


def test_poll_on_pipes_and_sockets(linux: LinuxRunner) -> None:
    """poll(2): a pipe is readable with data, hung up without writers; its write end
    errs without readers; a fresh stream socket is writable and hung up; a listener is
    readable with a connection to accept; an fd that is not open says POLLNVAL."""
    results = agreed(linux, Op(0, "pipe", (0, 0)), Op(0, "poll", (3, POLLIN, 0)),
                     Op(0, "poll", (4, POLLOUT, 0)), Op(0, "write", (4, 10)),
                     Op(0, "poll", (3, POLLIN | POLLOUT, 0)), Op(0, "close", (4,)),
                     Op(0, "poll", (3, POLLIN, 0)), Op(0, "poll", (4, POLLIN, 0)),
                     Op(0, "socket", (UNIX_STREAM,)), Op(0, "poll", (4, POLLIN | POLLOUT, 0)),
                     Op(0, "bind", (4, 4)), Op(0, "listen", (4, 1)),
                     Op(0, "poll", (4, POLLIN, 0)), Op(0, "socket", (UNIX_STREAM,)),
                     Op(0, "connect", (5, 4)), Op(0, "poll", (4, POLLIN, 0)),
                     Op(0, "poll", (5, POLLOUT, 0)))
    assert results[1:3] == [done(()), done(((4, POLLOUT),))]
    assert results[4] == done(((3, POLLIN),))
    assert results[6] == done(((3, POLLIN | POLLHUP),))
    assert results[7] == done(((4, POLLNVAL),))
    assert results[9] == done(((4, POLLOUT | POLLHUP),))
    assert results[12] == done(()) and results[15] == done(((4, POLLIN),))
    assert results[16] == done(((5, POLLOUT),))


def test_a_blocking_poll_waits_until_a_write(linux: LinuxRunner) -> None:
    """poll with timeout -1 sleeps until one of its fds is ready: the child's write wakes
    the parent's poll, which then reports the pipe readable."""
    results = agreed(linux, Op(0, "pipe", (0, 0)), Op(0, "fork"),
                     Op(0, "poll", (3, POLLIN, 1)), Op(1, "write", (4, 5)),
                     Op(0, "read", (3, 100)))
    assert results[2] == Result("blocked")
    assert results[4] == done(payload(3, 5))


def test_socket_names(linux: LinuxRunner) -> None:
    """getsockname(2) and getpeername(2) on UNIX sockets: a bound path, an unnamed socket
    (None), ENOTCONN without a peer, ENOTSOCK on a pipe; a socketpair's peer is unnamed."""
    results = agreed(linux, Op(0, "socket", (UNIX_STREAM,)), Op(0, "getsockname", (3,)),
                     Op(0, "getpeername", (3,)), Op(0, "bind", (3, 4)),
                     Op(0, "getsockname", (3,)), Op(0, "listen", (3, 1)),
                     Op(0, "socket", (UNIX_STREAM,)), Op(0, "connect", (4, 4)),
                     Op(0, "getpeername", (4,)), Op(0, "getsockname", (4,)),
                     Op(0, "accept", (3,)), Op(0, "getsockname", (5,)),
                     Op(0, "getpeername", (5,)), Op(0, "socketpair", (1,)),
                     Op(0, "getpeername", (6,)), Op(0, "pipe", (0, 0)),
                     Op(0, "getsockname", (8,)))
    assert results[1:3] == [done(None), error("ENOTCONN")]
    assert results[4] == done("s0") and results[8] == done("s0") and results[9] == done(None)
    assert results[11] == done("s0") and results[12] == done(None)
    assert results[14] == done(None) and results[16] == error("ENOTSOCK")


def test_waitpid_nohang_getpid_and_sigpipe(linux: LinuxRunner) -> None:
    """waitpid(-1, WNOHANG): ECHILD without children, 0 while they run; getpid; and
    signal(SIGPIPE, SIG_IGN) returns the old disposition, after which a write to a pipe
    without readers fails with EPIPE instead of killing."""
    results = agreed(linux, Op(0, "waitpid_nohang"), Op(0, "getpid"), Op(0, "fork"),
                     Op(0, "waitpid_nohang"), Op(0, "sigpipe_ignore"), Op(0, "pipe", (0, 0)),
                     Op(0, "close", (3,)), Op(0, "write", (4, 1)), Op(1, "getppid"),
                     Op(0, "getppid"), Op(1, "fork"), Op(2, "getppid"))
    assert results[0] == error("ECHILD") and results[1] == done("pid")
    assert results[3] == done(0) and results[4] == done("SIG_IGN")
    assert results[7] == error("EPIPE")
    assert results[8:] == [done(0), done("outside"), done("pid"), done(1)]


def test_an_fd_passed_over_a_unix_socket(linux: LinuxRunner) -> None:
    """SCM_RIGHTS (unix(7)): the receiver gets a new fd, the lowest free, on the same open
    file (so the pipe has a writer while the message is in flight and after); a plain
    recv drops the files; a stream read stops after the message that carries them."""
    results = agreed(linux, Op(0, "socketpair", (UNIX_DGRAM,)), Op(0, "pipe", (0, 0)),
                     Op(0, "sendmsg", (3, 5, 6)), Op(0, "close", (6,)),
                     Op(0, "poll", (5, POLLIN, 0)), Op(0, "recvmsg", (4, 100)),
                     Op(0, "write", (6, 3)), Op(0, "read", (5, 100)),
                     Op(0, "sendmsg", (3, 2, 99)), Op(0, "sendmsg", (3, 2, 5)),
                     Op(0, "recv", (4, 100)),
                     Op(0, "socketpair", (UNIX_STREAM,)), Op(0, "send", (7, 3)),
                     Op(0, "sendmsg", (7, 4, 5)), Op(0, "send", (7, 5)),
                     Op(0, "recvmsg", (8, 100)), Op(0, "recvmsg", (8, 100)))
    assert results[4] == done(())  # the write end is in flight: no hang-up yet
    assert results[5] == done((payload(2, 5), (6,)))
    assert results[7] == done(payload(6, 3))
    assert results[8] == error("EBADF")
    assert results[15] == done((payload(12, 3) + payload(13, 4), (9,)))
    assert results[16] == done((payload(14, 5), ()))


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_scripts_with_the_new_calls_agree(linux: LinuxRunner,
                                                    data: st.DataObject) -> None:
    chooser = DrawChooser(data)
    script = script_from(chooser, chooser.integer(3, 16), extra=True)
    difference, _, _ = compare(script, linux)
    assert difference is None, str(difference)


@pytest.mark.parametrize(("status", "seen"), [(0, 0), (255, 255), (256, 0), (257, 1),
                                              (1000, 232), (-1, 255), (-256, 0)])
def test_wait_reports_the_low_8_bits_of_an_exit_status(linux: LinuxRunner, status: int,
                                                       seen: int) -> None:
    """exit(3): "status & 0377 is returned to the parent" (wait(2)); the exiting child's
    fds close, so the parent's read of the pipe sees end of file; a step of the exited
    process is skipped on both kernels; a second wait finds no child (ECHILD)."""
    results = agreed(linux, Op(0, "pipe", (0, 0)), Op(0, "fork"), Op(0, "close", (4,)),
                     Op(0, "wait_status"), Op(1, "exit", (status,)), Op(1, "getpid"),
                     Op(0, "read", (3, 10)), Op(0, "wait_status"), Op(0, "wait_status"))
    assert results[3] == done(("none", 0)) and results[4] == done(None)
    assert results[5] == Result("skipped") and results[6] == done(b"")
    assert results[7] == done(("child", seen)) and results[8] == error("ECHILD")


def test_a_failed_udp_send_still_binds_a_port_of_its_own(linux: LinuxRunner) -> None:
    """inet_sendmsg autobinds an unbound UDP socket (inet_send_prepare) before udp_sendmsg
    says EDESTADDRREQ: getsockname then shows a port, not the TCP client's one (found by
    the generated scripts: the simulator handed UDP the number TCP already used)."""
    results = agreed(linux, Op(0, "socket", (2,)), Op(0, "bind_in", (3, 0)),
                     Op(0, "listen", (3, 0)), Op(0, "socket", (2,)),
                     Op(0, "connect_in", (4, 0)), Op(0, "accept", (3,)),
                     Op(0, "socket", (3,)), Op(0, "write", (6, 0)),
                     Op(0, "getsockname", (6,)), max_files=8)
    assert results[7] == Result("error", "EDESTADDRREQ")
    client = results[5].value[1]  # type: ignore[index]
    assert results[8].value[1] != client[1]  # type: ignore[index]


def test_waitpid_nohang_names_an_ended_child_not_its_pid(linux: LinuxRunner) -> None:
    """waitpid(-1, WNOHANG) returns 0 while the child runs and its pid once it has ended
    (wait(2)); the pids differ between the kernels, so the harness compares "child"."""
    results = agreed(linux, Op(0, "fork"), Op(0, "waitpid_nohang"), Op(1, "exit", (0,)),
                     Op(0, "waitpid_nohang"))
    assert results[1] == done(0) and results[3] == done("child")
