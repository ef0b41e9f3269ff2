"""`iochannels sim` at its edges: a run stopped by --max-steps says so in the trace, stray
arguments name the command they were given to, and a target that is no regular file is
named as such (a FIFO is never opened: that would wait for a writer)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iochannels", *argv], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, check=False)


def test_a_trace_stopped_by_max_steps_says_so(tmp_path: Path) -> None:
    program = tmp_path / "forever.py"
    program.write_text("async def child(c):\n    await c.write(1, b'c')\n\n"
                       "async def main(p):\n    while True:\n        await p.fork(child)\n")
    done = cli("sim", "run", str(program), "--trace", "--max-steps", "4")
    assert done.returncode == 0 and done.stderr == ""  # no RuntimeWarning either
    lines = done.stdout.splitlines()
    assert len(lines) == 5 and lines[3].endswith("fork() = 104")
    assert lines[4] == ("+++ stopped after 4 calls: the programs could still run "
                        "(see --max-steps) +++")
    finished = cli("sim", "run", "pipe", "--trace")
    assert "+++" not in finished.stdout


def test_stray_arguments_to_sim_list_name_sim_list() -> None:
    done = cli("sim", "list", "extra")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("iochannels sim list: error: unrecognized arguments: extra "
                           "(see 'iochannels sim list --help')\n")


@pytest.mark.parametrize("kind", ["fifo", "devnull", "missing"])
def test_a_target_that_is_no_regular_file(tmp_path: Path, kind: str) -> None:
    target = {"fifo": tmp_path / "prog.py", "devnull": Path(os.devnull),
              "missing": tmp_path / "nothing.py"}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    done = cli("sim", "run", str(target))
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    expected = "no such file" if kind == "missing" else "is not a regular file"
    assert done.stderr.count("\n") == 1 and expected in done.stderr and str(target) in done.stderr
