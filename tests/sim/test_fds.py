"""File descriptor tables: lowest free fd, EMFILE, dup/dup2, shared open files, close-on-exec."""

from __future__ import annotations

from simkit import err, ok

from iochannels.sim import Kernel, Proc


def test_new_fds_take_the_lowest_free_slot() -> None:
    k = Kernel()
    p = k.attach()
    assert ok(k, p, "pipe", False, False) == (3, 4)
    ok(k, p, "close", 3)
    assert ok(k, p, "socket", "unix", "stream") == 3
    assert ok(k, p, "dup", 0) == 5


def test_emfile_when_the_table_is_full() -> None:
    k = Kernel(max_files=6)
    p = k.attach()
    assert ok(k, p, "pipe", False, False) == (3, 4)
    assert err(k, p, "pipe", False, False) == "EMFILE"  # one slot left, a pipe needs two
    assert ok(k, p, "dup", 0) == 5
    assert err(k, p, "dup", 0) == "EMFILE"
    assert err(k, p, "open", "/dev/null", "r", False, False, False, False, False) == "EMFILE"


def test_lowest_free_after_dup2_to_a_high_fd_and_closes() -> None:
    k = Kernel(max_files=64)
    p = k.attach()
    assert ok(k, p, "dup2", 1, 10) == 10
    for expected in range(3, 10):
        assert ok(k, p, "dup", 0) == expected
    assert ok(k, p, "dup", 0) == 11  # 10 is taken
    ok(k, p, "close", 5)
    ok(k, p, "close", 4)
    assert ok(k, p, "dup", 0) == 4


def test_bad_fds_are_ebadf() -> None:
    k = Kernel(max_files=16)
    p = k.attach()
    assert err(k, p, "close", 7) == "EBADF"
    assert err(k, p, "read", 7, 1) == "EBADF"
    assert err(k, p, "dup2", 7, 3) == "EBADF"
    assert err(k, p, "dup2", 1, 16) == "EBADF"  # dup2(2): newfd out of range
    r, w = ok(k, p, "pipe", False, False)
    assert err(k, p, "read", w, 1) == "EBADF"  # the write end is not open for reading
    assert err(k, p, "write", r, b"x") == "EBADF"


def test_dup2_closes_the_target_and_shares_the_open_file() -> None:
    k = Kernel()
    p = k.attach()
    r, w = ok(k, p, "pipe", False, False)
    assert ok(k, p, "dup2", w, r) == r  # fd 3 now the write end; the read end is gone
    assert err(k, p, "write", w, b"x") == "EPIPE"  # no read end is left (pipe(7))
    assert ok(k, p, "dup2", 1, 1) == 1


def test_status_flags_are_shared_by_dups_but_cloexec_is_per_fd() -> None:
    k = Kernel()
    p = k.attach()
    r, _ = ok(k, p, "pipe", False, False)
    copy = ok(k, p, "dup", r)
    ok(k, p, "set_nonblock", r, True)
    ok(k, p, "set_cloexec", r, True)
    assert err(k, p, "read", copy, 10) == "EAGAIN"  # O_NONBLOCK lives in the open file
    snap = k.snapshot().process(p)
    assert snap is not None
    entry, twin = snap.fd(r), snap.fd(copy)
    assert entry is not None and twin is not None
    assert entry.flags == {"nonblock", "cloexec"} and twin.flags == {"nonblock"}
    assert entry.channel == twin.channel == "pipe#1"


def test_fork_shares_the_offset_of_a_file() -> None:
    async def child(p: Proc) -> int:
        await p.write(3, b"child ")
        return 0

    async def parent(p: Proc) -> int:
        fd = await p.open("log", "w", create=True, truncate=True)
        await p.write(fd, b"parent ")
        await p.fork(child)
        await p.wait()
        await p.write(fd, b"parent again")  # after the child's bytes: one shared offset
        return 0

    k = Kernel()
    k.spawn(parent)
    k.run()
    assert k.files["log"] == b"parent child parent again"


def test_exec_closes_cloexec_fds_and_keeps_the_others() -> None:
    seen: list[list[int]] = []

    async def program(p: Proc) -> int:
        seen.append([fd for fd in range(8) if await _is_open(p, fd)])
        return 7

    async def shell(p: Proc) -> int:
        await p.pipe(cloexec=True)  # 3, 4
        await p.pipe()  # 5, 6
        await p.exec(program, ("program", "arg"))
        return 1  # never reached

    k = Kernel()
    pid = k.spawn(shell, name="sh")
    run = k.run()
    assert seen == [[0, 1, 2, 5, 6]]
    assert run.exit_status[pid] == 7
    assert run.steps[-1].snapshot.process(pid) is not None
    assert [e.call for e in run.events if e.pid == pid][2] == "exec"


async def _is_open(p: Proc, fd: int) -> bool:
    from iochannels.sim import SimOSError

    try:
        await p.dup2(fd, fd)
    except SimOSError:
        return False
    return True
