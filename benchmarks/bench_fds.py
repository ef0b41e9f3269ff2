"""How long `iochannels fds --json` takes next to `lsof +E`, lsfd and ss, on the same processes.

Run with ``make bench-fds`` (or ``make bench``, pytest: results printed and saved to
``benchmarks/results/fds.json`` and ``fds.md``) or alone: ``python benchmarks/bench_fds.py``.
Each command is run whole (a new process, as a user runs it), several times in
alternation, and the median wall time is kept, with the peak memory (ru_maxrss).

The yardstick is ``lsof +E`` (it finds the other ends of pipes, UNIX sockets and local
TCP, as ``iochannels fds`` does). Five cases:
- one process with 200 fds, then one with 10,000 fds, of mixed kinds (pipes, UNIX
  socketpairs, files, eventfds, /dev/null, UDP sockets, epoll), 10 per group:
  ``fds PID --json`` against ``lsof -nP -w -p PID +E``, on the machine as it is;
- the same two beside a busy machine: 300 more processes with ~40 fds each (pipes,
  socketpairs and TCP connections on 127.0.0.1, each crossing to the next process).
  Both tools look for the other ends in every process, so the same one-process scan
  costs what the machine around it holds;
- that busy machine whole: ``fds --all --json`` against ``lsof -nP -w +E``.
Both paths of iochannels are run: the C part of the scan ("native scan") and
``IOCHANNELS_PURE=1`` ("pure Python"). The floor is ``fdfloor.c``: the same calls as
the scan (fdinfo and link of every fd), in C alone, compiled with ``cc`` when there is one,
on one thread and on as many as the C part of the scan takes.
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
SIZES = (200, 10000)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
MACHINE = (300, 40)  # processes, fds each

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
        built = subprocess.run([compiler, "-O2", "-pthread", "-o", program,
                                str(HERE / "fdfloor.c")],
                               capture_output=True, text=True, check=False)
        yield program if built.returncode == 0 else None


# 300 processes forked from one, each holding ~40 fds whose other ends are in its
# neighbours: per neighbour 8 pipe ends, 8 socketpair ends and 4 TCP connections (127.0.0.1).
MACHINE_SCRIPT = r"""
import os, resource, socket, sys
count, per = int(sys.argv[1]), int(sys.argv[2])
side = per // 2  # fds shared with each of the two neighbours
limit = count * per + 1000
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1024)
ends = [[] for _ in range(count)]  # fds each process keeps
for i in range(count):
    j = (i + 1) % count
    for _ in range(side * 2 // 5):
        r, w = os.pipe()
        ends[i].append(w); ends[j].append(r)
        a, b = socket.socketpair()
        ends[i].append(a.detach()); ends[j].append(b.detach())
    for _ in range(side // 5):
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        ends[i].append(client.detach()); ends[j].append(server.detach())
listener.close()
ctrl_r, ctrl_w = os.pipe()
children = []
for i in range(count):
    pid = os.fork()
    if pid == 0:
        keep = sorted({0, 1, 2, ctrl_r, *ends[i]})
        low = 3
        for fd in keep:
            if fd >= low:
                os.closerange(low, fd)
                low = fd + 1
        os.closerange(low, limit)
        os.read(ctrl_r, 1)  # until the parent closes its end
        os._exit(0)
    children.append(pid)
for fds in ends:
    for fd in fds:
        os.close(fd)
os.close(ctrl_r)
print(sum(len(e) for e in ends), flush=True)
sys.stdin.read()
os.close(ctrl_w)
for pid in children:
    os.waitpid(pid, 0)
"""


@contextmanager
def machine(count: int = MACHINE[0], per: int = MACHINE[1]) -> Iterator[int]:
    """``count`` more processes holding ~``per`` fds each, crossing to their neighbours."""
    proc = subprocess.Popen([sys.executable, "-c", MACHINE_SCRIPT, str(count), str(per)],
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


NATIVE = "iochannels (native scan)"
PURE = "iochannels (pure Python)"
LSOF = "lsof +E"
FLOOR = "floor: fdinfo + readlink of each fd (C)"
# The same calls on as many threads as the C part of the scan takes (_scan.c: the online
# CPUs, at most 4).
THREADS = max(1, min(os.sysconf("SC_NPROCESSORS_ONLN"), 4))
FLOOR_THREADS = f"floor: the same on {THREADS} threads (C)"
PYTHON_START = "floor: python -c pass"


def commands(pid: int | None, floor: str | None = None) -> dict[str, list[str]]:
    """The commands to compare; None for pid means every process."""
    me = [*_iochannels(), "fds"]
    if pid is None:
        found = {NATIVE: [*me, "--all", "--json"], PURE: [*me, "--all", "--json"],
                 LSOF: ["lsof", "-n", "-P", "-w", "+E"], "lsfd": ["lsfd"],
                 "ss -axp": ["ss", "-axp"]}
        if floor is not None:
            found[FLOOR] = [floor, "all", "links"]
            found[FLOOR_THREADS] = [floor, "all", "links", str(THREADS)]
    else:
        found = {NATIVE: [*me, str(pid), "--json"], PURE: [*me, str(pid), "--json"],
                 LSOF: ["lsof", "-n", "-P", "-w", "-p", str(pid), "+E"],
                 "lsfd -p PID": ["lsfd", "-p", str(pid)], "ss -axp": ["ss", "-axp"],
                 PYTHON_START: [sys.executable, "-c", "pass"]}
        if floor is not None:
            found[FLOOR] = [floor, str(pid), "links"]
            found[FLOOR_THREADS] = [floor, str(pid), "links", str(THREADS)]
    return {k: v for k, v in found.items() if shutil.which(v[0]) or os.access(v[0], os.X_OK)}


def _iochannels() -> list[str]:
    """The command as a user runs it: the installed script beside this Python (no runpy),
    else ``python -m iochannels``. Either way PYTHONPATH makes it this source tree's."""
    script = Path(sys.executable).parent / "iochannels"
    return [str(script)] if os.access(script, os.X_OK) else [sys.executable, "-m", "iochannels"]


def _env(cache: str, name: str) -> dict[str, str]:
    """The environment of the runs: bytecode cached, as after a pip install.

    pip compiles the package's bytecode at install; run from a source tree with
    PYTHONDONTWRITEBYTECODE set (as on the development VM) every run would compile
    every module again, ~25 ms that no installed copy pays. PYTHONPYCACHEPREFIX
    keeps that cache out of the source tree. The pure-Python run sets IOCHANNELS_PURE.
    """
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONPYCACHEPREFIX": cache,
           "IOCHANNELS_PURE": "1" if name == PURE else "0"}
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


def _peak(argv: list[str], env: dict[str, str]) -> float:
    """Peak memory (MiB, the maximum resident set) of one run; NaN without GNU time.

    Not wait4's ru_maxrss: a child forked from this benchmark keeps, across exec, the
    high-water mark of the copy of us it began as (~30 MiB), whatever it runs. GNU time
    is a small program: what it reports is the command's own.
    """
    if not os.access("/usr/bin/time", os.X_OK):
        return float("nan")
    with tempfile.NamedTemporaryFile("r", prefix="iochannels-bench-") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        text = out.read().split()
    return int(text[-1]) / 1024 if text and text[-1].isdigit() else float("nan")


Results = dict[str, dict[str, float]]


def median_seconds(argvs: dict[str, list[str]], rounds: int = ROUNDS) -> tuple[
        dict[str, float], dict[str, float], dict[str, float]]:
    """Each command ``rounds`` times, in alternation, after one untimed warm-up round.

    Returns the median wall time, the median CPU time and the peak memory of each.
    """
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in argvs}
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="iochannels-bench-pyc-") as cache:
        for number in range(rounds + 1):
            for name, argv in argvs.items():
                if number == 0:  # round 0 warms the caches (bytecode, dentries) and
                    peaks[name] = _peak(argv, _env(cache, name))  # measures the memory
                else:
                    runs[name].append(_run(argv, _env(cache, name)))
    return ({n: statistics.median(r[0] for r in t) for n, t in runs.items()},
            {n: statistics.median(r[1] for r in t) for n, t in runs.items()}, peaks)


def measure(sizes: Sequence[int] = SIZES) -> tuple[Results, Results, Results]:
    """(wall, cpu, peak MiB): case -> command -> median seconds (MiB)."""
    walls: Results = {}
    cpus: Results = {}
    peaks: Results = {}
    count, per = MACHINE
    with floor_program() as floor:
        for n in sizes:
            case = f"1 process, {n:,} fds"
            with holder(n) as pid:
                walls[case], cpus[case], peaks[case] = median_seconds(commands(pid, floor))
        with machine():
            # lsof +E and fds look for the other ends in every process: the same scan
            # of one process costs what the machine around it holds.
            for n in sizes:
                case = f"1 process, {n:,} fds, beside {count} busy ones"
                with holder(n) as pid:
                    walls[case], cpus[case], peaks[case] = median_seconds(commands(pid, floor))
            case = f"--all, {count} more processes x ~{per} fds"
            walls[case], cpus[case], peaks[case] = median_seconds(commands(None, floor))
    return walls, cpus, peaks


def scan_path() -> str:
    """Which path the native runs took (``iochannels --version`` says it)."""
    out = subprocess.run([sys.executable, "-m", "iochannels", "--version"], capture_output=True,
                         text=True, check=False, env={**os.environ, "PYTHONPATH": SRC})
    return out.stdout.strip()


def table(walls: Results, cpus: Results, peaks: Results) -> str:
    lines = [f"`{scan_path()}`; median of {ROUNDS} runs each, in alternation, in one run.", "",
             "| case | command | median wall ms | median CPU ms | peak MiB | lsof +E / it |",
             "|---|---|---:|---:|---:|---:|"]
    for case, row in walls.items():
        lsof = row.get(LSOF)
        for cmd, secs in row.items():
            ratio = f"{lsof / secs:.2f}" if lsof and cmd != LSOF else ""
            lines.append(f"| {case} | `{cmd}` | {secs * 1000:.0f} | {cpus[case][cmd] * 1000:.0f}"
                         f" | {peaks[case][cmd]:.0f} | {ratio} |")
    lines += ["", "Goal: `lsof +E` / `iochannels (native scan)` at least 2.0 in each case:"]
    for case, row in walls.items():
        if LSOF in row and NATIVE in row:
            lines.append(f"- {case}: {row[LSOF] / row[NATIVE]:.2f} "
                         f"(pure Python: {row[LSOF] / row[PURE]:.2f})")
    return "\n".join(lines)


def test_bench_fds(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole comparison (make bench); fails only if a command is missing from the run."""
    walls, cpus, peaks = measure()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    text = table(walls, cpus, peaks)
    (out / "fds.json").write_text(
        json.dumps({"wall": walls, "cpu": cpus, "peak_mib": peaks}, indent=2) + "\n")
    (out / "fds.md").write_text(text + "\n")
    with capsys.disabled():
        print("\n" + text)
    assert NATIVE in walls[f"1 process, {SIZES[-1]:,} fds"]


if __name__ == "__main__":
    print(table(*measure()))
