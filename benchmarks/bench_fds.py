"""How long `iochannels fds PID --json` takes next to lsof, lsfd and ss, on the same processes.

Run with ``make bench`` (pytest, results printed and saved to
``benchmarks/results/fds.json``) or alone: ``python benchmarks/bench_fds.py``.
Each command is run whole (a new process, as a user runs it), several times in
alternation, and the median wall time is kept. A holder process opens N fds of
mixed kinds (pipes, UNIX socketpairs, files, eventfds, /dev/null, UDP sockets,
epoll), 10 per group.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")
SIZES = (1000, 10000)
ROUNDS = 7

HOLDER = r"""
import os, resource, select, socket, sys, time
n = int(sys.argv[1]); path = sys.argv[2]
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, n + 100))
keep = []
while len(keep) < n - 10:
    keep += os.pipe()
    keep += socket.socketpair()
    keep += [os.open(path, os.O_RDONLY), os.open(path, os.O_RDWR)]
    keep += [os.eventfd(0), os.open(os.devnull, os.O_WRONLY)]
    keep += [socket.socket(socket.AF_INET, socket.SOCK_DGRAM), select.epoll()]
print(len(os.listdir("/proc/self/fd")), flush=True)
sys.stdin.read()
"""


@contextmanager
def holder(n: int) -> Iterator[int]:
    """A process holding about ``n`` fds of mixed kinds; yields its pid."""
    fd, path = tempfile.mkstemp(prefix="iochannels-bench-")
    os.close(fd)
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(n), path],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        yield proc.pid
    finally:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        proc.wait()
        proc.stdout.close()
        os.unlink(path)


def commands(pid: int | None) -> dict[str, list[str]]:
    """The commands to compare; None for pid means every process."""
    me = [sys.executable, "-m", "iochannels", "fds"]
    if pid is None:
        found = {"iochannels fds --all --json": [*me, "--all", "--json"],
                 "lsof": ["lsof", "-n", "-P", "-w"], "ss -axp": ["ss", "-axp"], "lsfd": ["lsfd"]}
    else:
        found = {"iochannels fds PID --json": [*me, str(pid), "--json"],
                 "lsof -p PID": ["lsof", "-n", "-P", "-w", "-p", str(pid)],
                 "lsfd -p PID": ["lsfd", "-p", str(pid)], "ss -axp": ["ss", "-axp"]}
    return {k: v for k, v in found.items() if shutil.which(v[0]) or v[0] == sys.executable}


def median_seconds(argvs: dict[str, list[str]], rounds: int = ROUNDS) -> dict[str, float]:
    """Each command ``rounds`` times, in alternation; the median wall time of each."""
    env = {**os.environ, "PYTHONPATH": SRC}
    times: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(rounds):
        for name, argv in argvs.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                           check=False)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def measure(sizes: Sequence[int] = SIZES) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for n in sizes:
        with holder(n) as pid:
            results[f"{n} fds"] = median_seconds(commands(pid))
    results["all processes"] = median_seconds(commands(None))
    return results


def per_fd(results: dict[str, dict[str, float]]) -> dict[str, float]:
    """Cost of each added fd (seconds), between the smallest and largest holder."""
    small, large = (results[f"{n} fds"] for n in (SIZES[0], SIZES[-1]))
    return {k: (large[k] - small[k]) / (SIZES[-1] - SIZES[0]) for k in large if k in small}


def table(results: dict[str, dict[str, float]]) -> str:
    lines = ["| case | command | median ms |", "|---|---|---:|"]
    for case, row in results.items():
        lines += [f"| {case} | `{cmd}` | {secs * 1000:.0f} |" for cmd, secs in row.items()]
    lines += ["", "| command | cost per added fd (us) |", "|---|---:|"]
    lines += [f"| `{cmd}` | {secs * 1e6:.1f} |" for cmd, secs in per_fd(results).items()]
    return "\n".join(lines)


def test_bench_fds(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole comparison (make bench); fails only if a command is missing from the run."""
    results = measure()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "fds.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "fds.md").write_text(table(results) + "\n")
    with capsys.disabled():
        print("\n" + table(results))
    assert "iochannels fds PID --json" in results[f"{SIZES[-1]} fds"]


if __name__ == "__main__":
    print(table(measure()))
