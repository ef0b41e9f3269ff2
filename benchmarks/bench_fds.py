"""How long `iochannels fds PID --json` takes next to lsof, lsfd and ss, on the same processes.

Run with ``make bench`` (pytest, results printed and saved to
``benchmarks/results/fds.json``) or alone: ``python benchmarks/bench_fds.py``.
Each command is run whole (a new process, as a user runs it), several times in
alternation, and the median wall time is kept. A holder process opens N fds of
mixed kinds (pipes, UNIX socketpairs, files, eventfds, /dev/null, UDP sockets,
epoll), 10 per group.

Two floors are measured in the same run, to show what the targets leave to spend:
the interpreter's own start (``python -c pass``) and ``fdfloor.c``, which makes
only the reads that any tool reporting per-fd flags and offsets must make (the
fdinfo of every fd; and with ``links``, each fd's link too). It is compiled with
``cc`` when a C compiler is installed, and left out otherwise.
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


@contextmanager
def floor_program() -> Iterator[str | None]:
    """``fdfloor.c`` compiled in a temporary directory; None without a C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="iochannels-bench-floor-") as tmp:
        program = os.path.join(tmp, "fdfloor")
        built = subprocess.run([compiler, "-O2", "-o", program, str(HERE / "fdfloor.c")],
                               capture_output=True, text=True, check=False)
        yield program if built.returncode == 0 else None


FLOOR_INFO = "floor: fdinfo of each fd (C)"
FLOOR_LINKS = "floor: fdinfo + readlink of each fd (C)"
PYTHON_START = "floor: python -c pass"


def commands(pid: int | None, floor: str | None = None) -> dict[str, list[str]]:
    """The commands to compare; None for pid means every process.

    ``floor``: the compiled fdfloor program, measured on the holder when given.
    """
    me = [sys.executable, "-m", "iochannels", "fds"]
    if pid is None:
        found = {"iochannels fds --all --json": [*me, "--all", "--json"],
                 "lsof": ["lsof", "-n", "-P", "-w"], "ss -axp": ["ss", "-axp"], "lsfd": ["lsfd"]}
    else:
        found = {"iochannels fds PID --json": [*me, str(pid), "--json"],
                 "lsof -p PID": ["lsof", "-n", "-P", "-w", "-p", str(pid)],
                 "lsfd -p PID": ["lsfd", "-p", str(pid)], "ss -axp": ["ss", "-axp"],
                 PYTHON_START: [sys.executable, "-c", "pass"]}
        if floor is not None:
            found[FLOOR_INFO] = [floor, str(pid)]
            found[FLOOR_LINKS] = [floor, str(pid), "links"]
    return {k: v for k, v in found.items() if shutil.which(v[0]) or v[0] == sys.executable}


def _env(cache: str) -> dict[str, str]:
    """The environment of the runs: bytecode cached, as after a pip install.

    pip compiles the package's bytecode at install; run from a source tree with
    PYTHONDONTWRITEBYTECODE set (as on the development VM) every run would compile
    every module again, ~25 ms that no installed copy pays. PYTHONPYCACHEPREFIX
    keeps that cache out of the source tree.
    """
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONPYCACHEPREFIX": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole command."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)  # wait4: the child's own rusage
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
    return wall, usage.ru_utime + usage.ru_stime


def median_seconds(
    argvs: dict[str, list[str]], rounds: int = ROUNDS
) -> tuple[dict[str, float], dict[str, float]]:
    """Each command ``rounds`` times, in alternation, after one untimed warm-up round.

    Returns the median wall time and the median CPU time of each. The CPU time
    (user + system, from wait4) moves less than the wall time when other work
    shares the machine; the targets are stated in wall time.
    """
    walls: dict[str, list[float]] = {name: [] for name in argvs}
    cpus: dict[str, list[float]] = {name: [] for name in argvs}
    with tempfile.TemporaryDirectory(prefix="iochannels-bench-pyc-") as cache:
        env = _env(cache)
        for number in range(rounds + 1):
            for name, argv in argvs.items():
                wall, cpu = _run(argv, env)
                if number:  # round 0 warms the caches: bytecode, dentries, page cache
                    walls[name].append(wall)
                    cpus[name].append(cpu)
    return ({n: statistics.median(t) for n, t in walls.items()},
            {n: statistics.median(t) for n, t in cpus.items()})


Results = dict[str, dict[str, float]]


def measure(sizes: Sequence[int] = SIZES) -> tuple[Results, Results]:
    """(wall, cpu): case -> command -> median seconds."""
    walls: Results = {}
    cpus: Results = {}
    with floor_program() as floor:
        for n in sizes:
            with holder(n) as pid:
                walls[f"{n} fds"], cpus[f"{n} fds"] = median_seconds(commands(pid, floor))
    walls["all processes"], cpus["all processes"] = median_seconds(commands(None))
    return walls, cpus


def per_fd(results: Results) -> dict[str, float]:
    """Cost of each added fd (seconds), between the smallest and largest holder."""
    small, large = (results[f"{n} fds"] for n in (SIZES[0], SIZES[-1]))
    return {k: (large[k] - small[k]) / (SIZES[-1] - SIZES[0]) for k in large if k in small}


def table(walls: Results, cpus: Results) -> str:
    lines = ["| case | command | median wall ms | median CPU ms |", "|---|---|---:|---:|"]
    for case, row in walls.items():
        lines += [f"| {case} | `{cmd}` | {secs * 1000:.0f} | {cpus[case][cmd] * 1000:.0f} |"
                  for cmd, secs in row.items()]
    wall_fd, cpu_fd = per_fd(walls), per_fd(cpus)
    lines += ["", "| command | wall per added fd (us) | CPU per added fd (us) |",
              "|---|---:|---:|"]
    lines += [f"| `{cmd}` | {secs * 1e6:.1f} | {cpu_fd[cmd] * 1e6:.1f} |"
              for cmd, secs in wall_fd.items()]
    return "\n".join(lines + budget(walls))


def budget(walls: Results) -> list[str]:
    """What the issue's targets leave once the floors are paid, at the largest size.

    Targets: the whole command at most half of ``lsof -p``'s wall time, and each added
    fd at most half of lsof's cost per added fd.
    """
    large = walls[f"{SIZES[-1]} fds"]
    lsof, floor = large.get("lsof -p PID"), large.get(FLOOR_INFO)
    start = large.get(PYTHON_START)
    if lsof is None or floor is None or start is None:
        return []
    target = lsof / 2
    left = target - floor - start
    fds = SIZES[-1]
    added = per_fd(walls)
    lsof_fd, floor_fd = added["lsof -p PID"], added[FLOOR_INFO]
    return ["", f"At {fds:,} fds: target (half of lsof -p) {target * 1e3:.0f} ms; "
            f"the fdinfo reads alone take {floor * 1e3:.0f} ms and the interpreter's start "
            f"{start * 1e3:.0f} ms, which leaves {left * 1e3:.0f} ms "
            f"({max(left, 0) / fds * 1e6:.1f} us per fd) for everything else. "
            f"Per added fd: target {lsof_fd / 2 * 1e6:.1f} us, the fdinfo read alone "
            f"{floor_fd * 1e6:.1f} us."]


def test_bench_fds(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole comparison (make bench); fails only if a command is missing from the run."""
    walls, cpus = measure()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "fds.json").write_text(json.dumps({"wall": walls, "cpu": cpus}, indent=2) + "\n")
    (out / "fds.md").write_text(table(walls, cpus) + "\n")
    with capsys.disabled():
        print("\n" + table(walls, cpus))
    assert "iochannels fds PID --json" in walls[f"{SIZES[-1]} fds"]


if __name__ == "__main__":
    print(table(*measure()))
