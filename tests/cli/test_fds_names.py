"""`iochannels fds --name` finds a process by the bytes of its name, as the kernel keeps them:
a name that is not UTF-8, and one the kernel cut to 15 bytes inside a multibyte character
(proc(5): comm is TASK_COMM_LEN, 16 bytes with its NUL)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
# 0xff is never UTF-8; the 15-byte cut falls between the two bytes of 'é' (0xc3 0xa9).
NAME = b"\xffabcdefghijklm\xc3\xa9z"


@pytest.fixture
def oddly_named(tmp_path: Path) -> Iterator[int]:
    """A sleep whose executable is NAME, started with argv[0] 'x': only comm can match."""
    program = os.path.join(os.fsencode(tmp_path), NAME)
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    proc = subprocess.Popen([b"x", b"100"], executable=program)
    try:
        for _ in range(500):  # until execve is done (before it, the child is a python)
            if os.readlink(f"/proc/{proc.pid}/exe".encode()) == program:
                break
            time.sleep(0.01)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def fds_by_name(name: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    return subprocess.run([sys.executable.encode(), b"-m", b"iochannels", b"fds", b"--name",
                           name, b"--format", b"json"], capture_output=True, env=env,
                          timeout=60, check=False)


def test_the_kernel_cut_the_name_inside_a_character(oddly_named: int) -> None:
    with open(f"/proc/{oddly_named}/comm", "rb") as fh:
        assert fh.read() == NAME[:15] + b"\n"  # the kernel's own cut: the witness


@pytest.mark.parametrize("asked", [NAME, NAME[:15]], ids=["whole name", "as the kernel cut it"])
def test_fds_name_finds_a_name_that_is_not_utf8(oddly_named: int, asked: bytes) -> None:
    run = fds_by_name(asked)
    assert run.returncode == 0, run.stderr
    pids = [p["pid"] for p in json.loads(run.stdout)["processes"]]
    assert pids == [oddly_named]


def test_a_name_that_only_begins_alike_is_not_found(oddly_named: int) -> None:
    run = fds_by_name(NAME[:14])  # pgrep -x: the whole comm, not a prefix of it
    assert run.returncode == 1 and run.stdout == b""
    assert run.stderr.count(b"\n") == 1 and b"no process named" in run.stderr
