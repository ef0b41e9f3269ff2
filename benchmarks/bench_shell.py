"""``iochannels shell`` next to dash and bash: start-up, a 5-stage pipeline, 100 MB through
``cat | cat | cat``.

Whole processes, as a user runs them (output to /dev/null): each command once untimed (to
warm the caches), then REPEAT times in alternation with the others; the median wall time and
the median CPU time of the whole process tree (user + system of the shell and its children,
from wait4) are kept. The stream case shows that the shell is not in the data path: once the
pipeline is wired, the bytes go from process to process through the kernel's pipes, and
the ratio to dash should be about 1 whatever the shell's own start-up costs.

    make bench                  # or: .venv/bin/python benchmarks/bench_shell.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPEAT = 7
RESULTS = Path(__file__).parent / "results"
CASES = {
    "start-up": "true",
    "5-stage pipeline": "echo x | cat | cat | cat | wc -c",
    "100 MB through 3 cats": "head -c 100000000 /dev/zero | cat | cat | cat",
}


def shells() -> dict[str, list[str]]:
    found = {"iochannels shell": [sys.executable, "-m", "iochannels", "shell", "-c"]}
    for name in ("dash", "bash"):
        if (path := shutil.which(name)) is not None:
            found[name] = [path, "-c"]
    return found


def _run(argv: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # the rusage of the shell and its children
    wall = time.perf_counter() - start
    assert os.waitstatus_to_exitcode(status) == 0, argv
    return wall, usage.ru_utime + usage.ru_stime


def measure(repeat: int = REPEAT) -> dict[str, dict[str, tuple[float, float]]]:
    """case -> shell -> (median wall s, median CPU s)."""
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for case, line in CASES.items():
        runs: dict[str, list[tuple[float, float]]] = {}
        commands = {name: [*argv, line] for name, argv in shells().items()
                    if not (case.startswith("100 MB") and name == "bash")}
        for argv in commands.values():
            _run(argv)  # warm-up
        for _ in range(repeat if not case.startswith("100 MB") else 3):
            for name, argv in commands.items():
                runs.setdefault(name, []).append(_run(argv))
        results[case] = {name: (statistics.median(w for w, _ in r),
                                statistics.median(c for _, c in r)) for name, r in runs.items()}
    return results


def table(results: dict[str, dict[str, tuple[float, float]]]) -> str:
    lines = ["| case | shell | median wall ms | median CPU ms | wall / dash |",
             "|---|---|---:|---:|---:|"]
    for case, by_shell in results.items():
        dash = by_shell.get("dash", (0.0, 0.0))[0]
        for name, (wall, cpu) in by_shell.items():
            ratio = f"{wall / dash:.2f}" if dash else "-"
            lines.append(f"| {case} | {name} | {wall * 1000:.0f} | {cpu * 1000:.0f} | {ratio} |")
    lines += ["", "The stream less each shell's own start-up (what the bytes cost):", ""]
    stream, start = results["100 MB through 3 cats"], results["start-up"]
    for name, (wall, _) in stream.items():
        lines.append(f"- {name}: {(wall - start[name][0]) * 1000:.0f} ms")
    return "\n".join(lines)


def test_bench_shell(capsys: pytest.CaptureFixture[str]) -> None:
    results = measure()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "shell.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "shell.md").write_text(table(results) + "\n")
    with capsys.disabled():
        print("\n" + table(results))


if __name__ == "__main__":
    print(table(measure()))
