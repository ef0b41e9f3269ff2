"""The race harness: processes that exit or close fds at random points of a scan.

proc(5): a process's fd table can change, and the process can exit, between any
two reads of /proc. Every result must then be either whole and true (every fd
of the table, each of its real kind) or marked ("exited during the scan"),
never a partial table shown as whole. Bounded: a few trials of a few thousand fds.
"""

from __future__ import annotations

import functools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from iochannels import live
from iochannels.cli import main
from iochannels.model import Kind

PAIRS = 1000  # 1,000 socketpairs and 1,000 pipes: 4,000 fds
TRIALS = 6

# Holds PAIRS socketpairs and PAIRS pipes; on SIGUSR1 closes them all, highest first.
CHILD = f"""
import os, resource, signal, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
held = []
for _ in range({PAIRS}):
    held += socket.socketpair()
    held += [os.fdopen(fd, "rb", 0) for fd in os.pipe()]
def close_all(*_):
    for f in sorted(held, key=lambda f: -f.fileno()):
        f.close()
signal.signal(signal.SIGUSR1, close_all)
print(len(held), flush=True)
sys.stdin.read()
"""


def _child() -> tuple[subprocess.Popen[str], int]:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child, int(child.stdout.readline()) + 3


def _end(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


def _later(seconds: float, act: object) -> threading.Timer:
    timer = threading.Timer(seconds, act)  # type: ignore[arg-type]
    timer.start()
    return timer


def _scan_seconds(pid: int) -> float:
    start = time.perf_counter()
    live.snapshot([pid])
    return time.perf_counter() - start


def test_a_process_killed_mid_scan_is_whole_or_marked() -> None:
    seen = {"whole": 0, "marked": 0}
    for trial in range(TRIALS):
        child, total = _child()
        try:
            timer = _later(random.Random(trial).uniform(0, _scan_seconds(child.pid)), child.kill)
            snap = live.snapshot([child.pid])
            timer.join()
            proc = snap.process(child.pid)
            if proc is None:  # killed before its first read, or while it was read
                assert any(("exited during the scan" in n or "gone before it was read" in n)
                           and str(child.pid) in n for n in snap.notes), snap.notes
                seen["marked"] += 1
            else:  # read whole before it died: every fd, each of its kind
                kinds = [snap.channels[e.channel].kind for e in proc.fds]
                assert len(kinds) == total
                assert kinds.count(Kind.UNIX_STREAM) == 2 * PAIRS
                assert kinds.count(Kind.PIPE) == 2 * PAIRS + 2  # and its stdin, stdout
                seen["whole"] += 1
        finally:
            _end(child)
    assert sum(seen.values()) == TRIALS


def test_fds_closed_mid_scan_are_skipped_never_misread() -> None:
    for trial in range(TRIALS // 2):
        child, _ = _child()
        try:
            delay = random.Random(trial).uniform(0, _scan_seconds(child.pid))
            timer = _later(delay, functools.partial(os.kill, child.pid, signal.SIGUSR1))
            snap = live.snapshot([child.pid])
            timer.join()
            proc = snap.process(child.pid)
            assert proc is not None  # it lives on; some of its fds went
            for entry in proc.fds[3:]:
                kind = snap.channels[entry.channel].kind
                assert kind in (Kind.UNIX_STREAM, Kind.PIPE), (entry, kind)
        finally:
            _end(child)


@pytest.mark.parametrize("command", ["fds", "graph"])
def test_the_command_line_says_so(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`fds PID --json` of a process that dies while read: exit 1 and one line, or whole."""
    for trial in range(TRIALS // 2):
        child, total = _child()
        try:
            delay = random.Random(trial).uniform(0, _scan_seconds(child.pid))
            timer = _later(delay, child.kill)
            status = main([command, str(child.pid), "--json"])
            timer.join()
            out, err = capsys.readouterr()
            if command == "graph" or status == 0:
                assert status == 0
                snap = json.loads(out)
                procs = [p for p in snap["processes"] if p["pid"] == child.pid]
                notes = " ".join(snap.get("notes", []))
                assert (procs and len(procs[0]["fds"]) == total) or (
                    not procs and str(child.pid) in notes)
            else:
                assert (status, out) == (1, "")
                assert err == f"iochannels: process {child.pid} exited during the scan\n"
        finally:
            _end(child)


# Holds many pipes: its exit(2) closes them one by one (exit_files), while its state is
# still R or D and /proc/PID/fd already reads empty.
EXITING = """
import os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
limit = min(20000, hard) if hard != resource.RLIM_INFINITY else 20000
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
held = [os.pipe() for _ in range((limit - 100) // 2)]
print(2 * len(held), flush=True)
sys.stdin.read()
"""


def test_a_process_caught_in_exit_is_not_shown_as_running_with_no_fds(
        capsys: pytest.CaptureFixture[str]) -> None:
    """kernel/exit.c: do_exit() sets PF_EXITING, closes the fds (exit_files), and only
    then the task turns zombie. Read in between, the process is neither running with
    no fds nor a zombie: it is exiting, and said to have exited during the scan."""
    for trial in range(TRIALS):
        child = subprocess.Popen([sys.executable, "-c", EXITING], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None
            if int(child.stdout.readline()) < 2000:
                pytest.skip("RLIMIT_NOFILE too low to make the exit last")
            child.kill()  # SIGKILL: its fds go, whatever a scan reads meanwhile
            if trial % 2:
                snap = live.snapshot([child.pid])
                proc = snap.process(child.pid)
                assert proc is None or proc.state == "zombie", (proc, snap.notes)
                assert proc is not None or any(str(child.pid) in n for n in snap.notes)
            else:
                status = main(["fds", str(child.pid)])
                out, err = capsys.readouterr()
                assert (status == 1 and err == f"iochannels: process {child.pid} exited "
                        "during the scan\n") or (status == 0 and "[zombie]" in out), (out, err)
        finally:
            _end(child)
