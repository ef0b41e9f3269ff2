"""Hostile names through the commands' own lines, not only through the views: what
``sim run`` prints around its pictures (the program's name, the terminal's bytes, the
files it made, the deadlock), a demo's narration, facts and ``wrote`` line, an error
naming a file, and the name of a process that holds the other end.

Each runs the real command in a child process; the names are real file names, a real
TMPDIR, a real process's comm.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hostile import acting

# A user program for the simulated kernel: its file name, the file and FIFO it makes,
# a child's name, what it writes on the terminal, and a deadlock that names them.
PROGRAM = '''
from iochannels.sim import Proc

FILE = "[red]f\\x1b]0;PWNED\\x07\\nx"


async def kid(p: Proc) -> int:
    r, w = await p.pipe()
    await p.read(r, 1)  # nobody writes: blocks for ever
    return 0


async def main(p: Proc) -> int:
    await p.write(1, b"out\\x1b]0;TERM\\x07\\x1b[2J\\n")
    fd = await p.open(FILE, "w", create=True)
    await p.write(fd, b"data")
    await p.mkfifo("ff\\x1b[2J\\ny")
    await p.fork(kid, name="k\\x1b[2J\\nz")
    await p.open("ff\\x1b[2J\\ny", "r")  # no writer will come: with kid, a deadlock
    return 0
'''


def _iochannels(*argv: str, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "iochannels", *argv], capture_output=True,
                          timeout=120, check=False, env=env, cwd=cwd)


def test_sim_run_text_writes_out_every_name_of_a_users_program(tmp_path: Path) -> None:
    program = tmp_path / "prog\x1b]0;FN\x07[red]\n.py"
    program.write_text(PROGRAM)
    run = _iochannels("sim", "run", str(program))
    out = run.stdout.decode()  # strict: nothing raw that is not UTF-8
    assert run.returncode == 0, run.stderr
    assert acting(out) == [], out
    # Each name whole on one line, written as the trace writes it (\x1b, \n).
    for name in (r"prog\x1b]0;FN\x07[red]\n", r"[red]f\x1b]0;PWNED\x07\nx", r"k\x1b[2J\nz",
                 r"out\x1b]0;TERM\x07\x1b[2J"):
        assert name in out, (name, out)
    deadlock = [line for line in out.splitlines() if line.startswith("deadlock:")]
    assert len(deadlock) == 1 and r"k\x1b[2J\nz" in deadlock[0], out


def test_sim_step_writes_out_the_terminal_and_the_deadlock(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    run = subprocess.run([sys.executable, "-m", "iochannels", "sim", "step", str(program)],
                         input=b"\n" * 40, capture_output=True, timeout=120, check=False)
    out = run.stdout.decode()
    assert run.returncode == 0, run.stderr
    assert acting(out) == [], out


def test_an_error_naming_a_missing_program_is_one_inert_line(tmp_path: Path) -> None:
    run = _iochannels("sim", "run", str(tmp_path / "nope\x1b]0;X\x07\n.py"))
    err = run.stderr.decode()
    assert run.returncode == 1 and err.count("\n") == 1, err
    assert acting(err) == [] and r"nope\x1b]0;X\x07\n.py" in err, err


def test_a_demo_in_a_hostile_tmpdir_writes_its_paths_out_whole(tmp_path: Path) -> None:
    tmpdir = tmp_path / "t\x1b]0;TMP\x07[red]\nx"
    pictures = tmp_path / "svg\x1b]0;S\x07[b]\ny"
    tmpdir.mkdir()
    run = _iochannels("demo", "fifo", "--quick", "--svg", str(pictures),
                      env={**os.environ, "TMPDIR": str(tmpdir), "COLUMNS": "400"})
    out = run.stdout.decode()
    assert run.returncode == 0, run.stderr
    assert acting(out) == [], out
    shown_tmp = r"t\x1b]0;TMP\x07[red]\nx/iochannels-fifo-"
    # The narration, the fd tables and the facts name the FIFOs in one piece each.
    narration = [line for line in out.splitlines() if line.startswith("By a name")]
    assert len(narration) == 1 and shown_tmp in narration[0], out
    facts = [line for line in out.splitlines() if "to_server.fifo (r)" in line]
    assert len(facts) == 1 and shown_tmp in facts[0], out
    assert r"wrote " + str(tmp_path) + r"/svg\x1b]0;S\x07[b]\ny/01-fifo.svg" in out, out


def test_the_holder_of_the_other_end_is_named_with_its_comms_last_newline(
        tmp_path: Path) -> None:
    # comm is what the program wrote to /proc/self/comm (prctl(2) PR_SET_NAME): a name that
    # ends in a newline keeps it; only the newline proc(5) adds after it is not the name.
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; open('/proc/self/comm', 'w').write('w\\n'); print('ok', flush=True);"
         " sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ok\n"
        assert Path(f"/proc/{child.pid}/comm").read_bytes() == b"w\n\n"
        own = _iochannels("fds", str(child.pid)).stdout.decode().splitlines()[0]
        ours = _iochannels("fds", str(os.getpid())).stdout.decode()
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()
    assert own.startswith(f"{child.pid} w\\n "), own
    # Our end of its stdin pipe: the other end is the child, by the same name.
    assert f"{child.pid} w\\n fd0" in ours, ours


def test_the_tour_names_its_report_whole_wherever_it_was_asked_to_go(tmp_path: Path) -> None:
    out_dir = tmp_path / "tour\x1b]0;R\x07[red]\nz"
    run = _iochannels("tour", "--quick", "--section", "1", "--out", str(out_dir))
    out = run.stdout.decode()
    assert run.returncode == 0, run.stderr
    assert acting(out) == [], out
    report = [line for line in out.splitlines() if line.startswith("report: ")]
    assert len(report) == 1 and r"tour\x1b]0;R\x07[red]\nz/index.html" in report[0], out
    assert (out_dir / "index.html").is_file()


def test_a_holder_named_like_a_list_of_holders_is_one_holder() -> None:
    # The other end is found outside the snapshot and carried as "PID NAME fdN ACC, ...":
    # a comm holding ", 1 init fd9 r" must not read as pid 1 holding the pipe.
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; open('/proc/self/comm', 'w').write('z, 1 init fd9 r');"
         " print('ok', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ok\n"
        reader = child.stdout.fileno()  # our read end of the child's stdout (its fd 1)
        rows = _iochannels("fds", str(os.getpid()), "-d", str(reader)).stdout.decode()
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()
    row = [line for line in rows.splitlines() if line.split()[:1] == [str(reader)]]
    assert len(row) == 1 and f"{child.pid} z\\x2c 1 init fd9 r fd1" in row[0], rows
