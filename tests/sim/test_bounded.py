"""Every run ends: --max-steps stops forking programs, the clock stops call-less loops.

A program that forks in a loop met no limit: its pictures grew with every child, so the
run slowed quadratically and never reached --max-steps. fork(2) says EAGAIN once
RLIMIT_NPROC is reached, and init reaps an orphan's zombie; the simulator does both now.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from iochannels.sim import Kernel, Proc
from iochannels.sim.scenarios import prepare

ROOT = Path(__file__).resolve().parents[2]


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iochannels", *argv], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, check=False)


FORK_BOMB = """\
async def main(p):
    while True:
        await p.fork(main)
"""

FORK_LOOP = """\
async def child(p):
    return 0

async def main(p):
    while True:
        try:
            await p.fork(child)
        except OSError:
            pass
"""


@pytest.mark.parametrize("source", [FORK_BOMB, FORK_LOOP], ids=["bomb", "loop"])
def test_forking_programs_stop_at_max_steps(tmp_path: Path, source: str) -> None:
    prog = tmp_path / "forks.py"
    prog.write_text(source)
    prepared = prepare(str(prog), params={"max_procs": 40})
    result = prepared.run(max_steps=1500)
    assert result.stopped
    assert len(result.events) == 1500
    assert max(len(s.snapshot.processes) for s in result.steps) <= 40
    assert any(e.call == "fork" and e.error == "EAGAIN" for e in result.events)


def test_the_fork_bomb_stops_on_the_command_line(tmp_path: Path) -> None:
    prog = tmp_path / "bomb.py"
    prog.write_text(FORK_BOMB)
    proc = cli("sim", "run", str(prog), "--max-steps", "3000", "--trace")
    assert proc.returncode == 0, proc.stderr
    assert "fork() = -1 EAGAIN" in proc.stdout
    assert proc.stderr == ""  # no "coroutine was never awaited" for the children left


def test_an_orphans_zombie_is_reaped() -> None:
    # wait(2): "If a parent process terminates, then its "zombie" children (if any) are
    # adopted by init(1) ..., which automatically performs a wait to remove the zombies."
    async def grand(p: Proc) -> int:
        await p.read(0, 1)
        return 0

    async def middle(p: Proc) -> int:
        await p.fork(grand, "grandchild")
        return 0

    async def top(p: Proc) -> int:
        await p.wait(await p.fork(middle, "child"))
        return 0

    k = Kernel()
    k.type_in(b"x")
    k.spawn(top, "parent")
    run = k.run()
    names = [p.name for p in run.steps[-1].snapshot.processes]
    assert "grandchild" not in names and "child" not in names
    assert sorted(run.exit_status) == [100, 101, 102]


def test_fork_fails_with_eagain_at_the_process_limit() -> None:
    async def sleeper(p: Proc) -> int:
        await p.read(0, 1)
        return 0

    errors: list[str] = []

    async def parent(p: Proc) -> int:
        for _ in range(5):
            try:
                await p.fork(sleeper)
            except OSError as exc:
                errors.append(str(exc))
        return 0

    k = Kernel(max_procs=3)
    k.spawn(parent)
    result = k.run()
    forks = [e for e in result.events if e.call == "fork"]
    assert [e.error for e in forks] == [None, None, "EAGAIN", "EAGAIN", "EAGAIN"]
    assert len(errors) == 3


def test_a_loop_without_calls_stops_at_the_time_limit(tmp_path: Path) -> None:
    prog = tmp_path / "spin.py"
    prog.write_text("async def main(p):\n    await p.write(1, b'hi')\n"
                    "    while True:\n        pass\n")
    proc = cli("sim", "run", str(prog), "--time-limit", "0.5")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ran 0.5 s without a system call" in lines[0] and "--time-limit" in lines[0]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_a_bad_time_limit_is_a_usage_error(value: str) -> None:
    proc = cli("sim", "run", "pipe", "--time-limit", value)
    assert proc.returncode == 2
    assert "positive number of seconds" in proc.stderr


def test_a_long_run_of_calls_is_no_loop_without_calls(tmp_path: Path) -> None:
    # Many short turns are progress: the clock looks at turns, not at the whole run. The
    # program makes calls for twice the limit, by the clock, so the run outlasts it.
    prog = tmp_path / "busy.py"
    prog.write_text("import time\n\nasync def main(p):\n"
                    "    fd = await p.open('/dev/null', 'w')\n"
                    "    end = time.monotonic() + 2.0\n"
                    "    while time.monotonic() < end:\n        await p.write(fd, b'x')\n")
    prepared = prepare(str(prog), params={}, snapshots=False)
    result = prepared.run(max_steps=10_000_000, time_limit=1.0)
    assert result.exit_status == {100: 0} and not result.stopped
