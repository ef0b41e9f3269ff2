"""What `iochannels trace` costs next to plain strace, on the same programs, in the same run.

Run with ``make bench`` (results printed and saved to ``benchmarks/results/trace.json``)
or alone: ``python benchmarks/bench_trace.py``. Three commands on each workload, in
alternation, the median of ROUNDS kept:

- ``strace -f -o /dev/null CMD``: the floor the issue names;
- ``strace -f -yy -ttt -s 32 -o /dev/null CMD``: the same decoding as ``trace`` asks for,
  so that what decoding costs strace is told apart from what parsing costs us;
- ``iochannels trace -o /dev/null -- CMD``: strace, our reading of every line, the
  rebuild after every fd call, the calls and the last tables as text;
- the same with ``--json``: the whole walkthrough, every step's picture, as JSON.

Workloads: a shell script that starts N processes (``/bin/true`` N times) and
``make -j2`` of a small C project (8 files). Memory: the peak resident size of
``iochannels trace`` (getrusage of the child, ru_maxrss) for N = 250, 500, 1000: it
must grow linearly with the number of calls, as each step keeps its own picture.
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
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "250,500,1000").split(","))


def _run(argv: list[str], cwd: str | None = None) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system, the command and every
    process it waited for) of one whole command. On a shared machine the wall time moves
    with everyone else's load; the CPU a command spent is what it costs."""
    env = {**os.environ, "PYTHONPATH": SRC}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def _script(where: str, n: int) -> list[str]:
    path = os.path.join(where, f"spawn{n}.sh")
    Path(path).write_text(f"i=0\nwhile [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done\n")
    return ["sh", path]


def _project(where: str) -> list[str]:
    for i in range(8):
        Path(where, f"f{i}.c").write_text(f"int f{i}(int x) {{ return x * {i} + 1; }}\n")
    Path(where, "main.c").write_text("int main(void) { return 0; }\n")
    objs = " ".join(f"f{i}.o" for i in range(8))
    Path(where, "Makefile").write_text(f"prog: main.o {objs}\n\tcc -o $@ $^\n"
                                       "%.o: %.c\n\tcc -O0 -c -o $@ $<\n")
    return ["make", "-s", "-B", "-j2", "-C", where]


def commands(workload: list[str]) -> dict[str, list[str]]:
    strace = shutil.which("strace") or "strace"
    return {
        "strace -f": [strace, "-f", "-o", "/dev/null", "--", *workload],
        "strace -f -yy -ttt": [strace, "-f", "-yy", "-ttt", "-s", "32", "-o", "/dev/null", "--",
                               *workload],
        "iochannels trace": [sys.executable, "-m", "iochannels", "trace", "-o", "/dev/null",
                             "--", *workload],
        "iochannels trace --json": [sys.executable, "-m", "iochannels", "trace", "--json", "-o",
                                    "/dev/null", "--", *workload],
    }


def measure(workload: list[str], rounds: int = ROUNDS) -> dict[str, dict[str, float]]:
    argvs = commands(workload)
    walls: dict[str, list[float]] = {k: [] for k in argvs}
    rss: dict[str, list[int]] = {k: [] for k in argvs}
    cpus: dict[str, list[float]] = {k: [] for k in argvs}
    for _ in range(rounds):
        for name, argv in argvs.items():
            wall, peak, cpu = _run(argv)
            walls[name].append(wall)
            rss[name].append(peak)
            cpus[name].append(cpu)
    return {name: {"seconds": statistics.median(walls[name]),
                   "cpu_seconds": statistics.median(cpus[name]),
                   "peak_rss_kib": statistics.median(rss[name])} for name in argvs}


def calls_of(workload: list[str]) -> int:
    """How many system calls strace reports for the workload (strace -c -f)."""
    done = subprocess.run(["strace", "-f", "-c", "-o", "/dev/stdout", "--", *workload],
                          capture_output=True, text=True, check=False)
    total = [line for line in done.stdout.splitlines() if line.rstrip().endswith("total")]
    return int(total[0].split()[3]) if total else 0  # % time, seconds, usecs/call, calls


def run_all() -> dict[str, object]:
    results: dict[str, object] = {"machine": os.uname().machine, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="iochannels-bench-trace-") as tmp:
        for n in SIZES:
            workload = _script(tmp, n)
            results[f"script {n} processes"] = {"calls": calls_of(workload),
                                                **measure(workload)}
        if shutil.which("make") and shutil.which("cc"):
            results["make -j2 (9 files)"] = measure(_project(tmp))
    return results


def report(results: dict[str, object]) -> str:
    lines = []
    for name, value in results.items():
        if not isinstance(value, dict) or "strace -f" not in value:
            continue
        base = value["strace -f"]["seconds"]
        cpu_base = value["strace -f"]["cpu_seconds"]
        lines.append(f"{name}" + (f" ({value['calls']} calls)" if "calls" in value else ""))
        for cmd in ("strace -f", "strace -f -yy -ttt", "iochannels trace",
                    "iochannels trace --json"):
            row = value[cmd]
            lines.append(f"  {cmd:<24} {row['seconds']:7.2f} s  x{row['seconds'] / base:5.2f}"
                         f"  cpu {row['cpu_seconds']:6.2f} s  x{row['cpu_seconds'] / cpu_base:5.2f}"
                         f"  peak {row['peak_rss_kib'] / 1024:6.1f} MiB")
    return "\n".join(lines)


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_trace_overhead() -> None:
    results = run_all()
    print("\n" + report(results))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "trace.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    found = run_all()
    print(report(found))
