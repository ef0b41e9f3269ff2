"""Fixtures for every test: nothing may leak.

After each test, the test process must hold the same file descriptors as
before, have no new child processes (running or zombie), and have left no new
``iochannels*`` entries in the temporary directory. Cleanup in the code under
test is asynchronous at times (a killed child takes a moment to be reaped), so
the check waits a little before it complains.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SETTLE_SECONDS = 3.0


def open_fds() -> dict[int, str]:
    """This process's fds and what they point to (proc(5): /proc/self/fd)."""
    fds: dict[int, str] = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the fd of the listdir itself, gone by now
    return fds


def _stat_fields() -> dict[int, list[str]]:
    """Each process's /proc/PID/stat fields after its command name: state, ppid, pgrp,
    session... (proc(5)); a process gone meanwhile is left out."""
    found: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            # A command name is bytes (any process on the machine may have set one that
            # is not UTF-8); only the fields after it are read here.
            stat = Path(f"/proc/{entry}/stat").read_bytes().decode(errors="replace")
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        found[int(entry)] = stat.rsplit(")", 1)[1].split()
    return found


def descendants(root: int | None = None) -> set[int]:
    """Every live or zombie process below ``root`` (default: this process)."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for pid, fields in _stat_fields().items():
        children.setdefault(int(fields[1]), []).append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def pytest_configure(config: pytest.Config) -> None:
    """Give this test process (each xdist worker) a temporary directory of its own.

    The leak check compares the ``iochannels*`` entries of the temporary directory
    before and after a test; a shared /tmp would show other workers' (and other
    programs') entries as leaks. Children inherit TMPDIR, so what they make lands
    here too.
    """
    private = tempfile.mkdtemp(prefix="pt-")
    os.environ["TMPDIR"] = private
    tempfile.tempdir = private
    config.stash[_PRIVATE_TMP] = private


def pytest_unconfigure(config: pytest.Config) -> None:
    private = config.stash.get(_PRIVATE_TMP, None)
    if private:
        shutil.rmtree(private, ignore_errors=True)


_PRIVATE_TMP = pytest.StashKey[str]()


def temp_entries() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("iochannels")}


def leaks(fds_before: dict[int, str], procs_before: set[int], tmp_before: set[str]) -> list[str]:
    problems = []
    fds_now = open_fds()
    extra_fds = {fd: t for fd, t in fds_now.items() if fds_before.get(fd) != t}
    if extra_fds:
        problems.append(f"fds left open: {extra_fds}")
    extra_procs = descendants() - procs_before
    if extra_procs:
        names = {}
        for pid in extra_procs:
            try:
                names[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                names[pid] = "?"
        problems.append(f"processes left behind: {names}")
    extra_tmp = temp_entries() - tmp_before
    if extra_tmp:
        problems.append(f"temporary files left behind: {sorted(extra_tmp)}")
    return problems


@pytest.fixture(autouse=True)
def no_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves an fd, a process or a temporary file behind."""
    fds_before, procs_before, tmp_before = open_fds(), descendants(), temp_entries()
    yield
    deadline = time.monotonic() + SETTLE_SECONDS
    while (problems := leaks(fds_before, procs_before, tmp_before)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if problems:
        pytest.fail("leak after test: " + "; ".join(problems), pytrace=False)


def need_program(name: str) -> str:
    """The path of an external witness program, or skip the test saying why."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make test installs it with apt where allowed)")
    return path


def session_members(sid: int) -> set[int]:
    """The processes, running or zombie, of session ``sid`` (proc(5): stat field 6).

    A demo's children stay in its session once it exits, but not in the tree below this
    test: orphans are reparented to init (or a subreaper), where ``descendants`` misses them.
    """
    return {pid for pid, fields in _stat_fields().items() if int(fields[3]) == sid}


def read_then_hang_up(command: list[str], lines: int) -> tuple[int, str, set[int]]:
    """Run ``command`` with stdout into a pipe whose reader reads ``lines`` lines and closes
    it, as ``command | head -N``; its exit status, its stderr, what is left of its session.

    The command leads a session of its own, so that its children are found after it exits.
    """
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader:
        try:
            run = subprocess.Popen(command, stdout=write_end, stderr=subprocess.PIPE,
                                   start_new_session=True)
        finally:
            os.close(write_end)  # the command's copy (its fd 1) is now the only writer
        for _ in range(lines):
            reader.readline()
    # The reader is gone: the command's next write fails with EPIPE.
    try:
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()  # only if it hung; a no-op once it has exited and been reaped
        run.wait()
    deadline = time.monotonic() + SETTLE_SECONDS  # killed children take a moment to go
    while (left := session_members(run.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return run.returncode, err.decode(), left
