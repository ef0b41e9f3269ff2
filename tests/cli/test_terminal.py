"""Every command on a real terminal (a pty), and a sweep of bad input over every command.

On a terminal the views use colour and rich markup: what the user sees there is not
what a pipe gets. Each command runs on a pty of 120 columns: its exit status, no
traceback, and nothing left behind (the leak check of conftest.py: no process, fd or
temporary file stays after the test).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from iochannels.cli import main


def on_a_pty(argv: list[str], cwd: Path, seconds: float = 120) -> tuple[int, str]:
    """Run ``iochannels argv`` with stdin, stdout and stderr on a new pty; status, output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    proc = subprocess.Popen([sys.executable, "-m", "iochannels", *argv], stdin=slave,
                            stdout=slave, stderr=slave, cwd=cwd, start_new_session=True,
                            env={**env, "TERM": "xterm-256color"})
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every holder of the pty's other side closed it
                break
            if not data:
                break
            chunks.append(data)
        return proc.wait(max(1.0, deadline - time.monotonic())), b"".join(
            chunks).decode(errors="replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("argv", "status", "words"), [
    (["fds", "SELF"], 0, "pipe:["),
    (["fds", "SELF", "--summary"], 0, "pipe"),
    (["fds", "SELF", "--watch", "0.2"], None, ""),
    (["graph"], 0, ""),
    (["demo", "list"], 0, "pipe-operator"),
    (["demo", "fifo", "--quick"], 0, "FIFO"),
    (["tour", "--quick", "--section", "0", "--out", "report"], 0, "report:"),
    (["sim", "run", "two-pipes"], 0, "pipe"),
    (["fds", "4194303"], 1, "no process 4194303"),
    (["demo", "nope"], 1, "no demo named"),
])
def test_every_command_on_a_terminal(argv: list[str], status: int | None, words: str,
                                     tmp_path: Path) -> None:
    # A pipe held by this test is the target's channel: `cat` holds its read end.
    cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        args = [str(cat.pid) if a == "SELF" else a for a in argv]
        if status is None:  # --watch: runs until Ctrl-C; ends 0, restoring the terminal
            done, out = _interrupted(args, tmp_path)
            assert done == 0 and "Traceback" not in out
            return
        done, out = on_a_pty(args, tmp_path)
        assert done == status, out
        assert "Traceback" not in out and words in out, out
    finally:
        assert cat.stdin is not None
        cat.stdin.close()
        cat.wait(10)


def _interrupted(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run on a pty; after a second, Ctrl-C typed on it (the pty sends SIGINT)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "iochannels", *argv], stdin=slave,
                            stdout=slave, stderr=slave, cwd=cwd, start_new_session=True)
    os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + 30
        while b"FD" not in out and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                out += os.read(master, 65536)
        proc.send_signal(2)  # SIGINT, as the terminal's ^C would send it
        while True:
            if not select.select([master], [], [], 5)[0]:
                break
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        return proc.wait(30), out.decode(errors="replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


BAD = [
    ["fds"], ["fds", "-1"], ["fds", "0"], ["fds", "1x"], ["fds", "1", "-d", "x"],
    ["fds", "1", "-d", "5-2"], ["fds", "1", "--kind", "nope"], ["fds", "--all", "1"],
    ["fds", "1", "--watch", "0"], ["fds", "1", "--watch", "-1"], ["fds", "1", "--watch", "x"],
    ["fds", "1", "--json", "--format", "svg"], ["fds", "1", "--format", "nope"],
    ["fds", "--name", " "], ["fds", "1", "--summary", "--json"],
    ["graph", "--all", "1"], ["graph", "x"], ["graph", "--format", "nope"],
    ["graph", "--json", "--format", "dot"],
    ["demo"], ["demo", "clients", "--clients", "-5"], ["demo", "clients", "--backlog", "x"],
    ["demo", "pitch-fds", "--pid", "0"], ["demo", "pipe", "--total", "5G"],
    ["demo", "tcp", "--port", "-1"],
    ["tour", "--section", "9"], ["tour", "--section", "x"], ["tour", "--out", ""],
    ["sim", "run"], ["sim", "nope"],
]


@pytest.mark.parametrize("argv", BAD, ids=" ".join)
def test_bad_input_is_one_line_and_status_2(argv: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    assert status == 2, captured
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
