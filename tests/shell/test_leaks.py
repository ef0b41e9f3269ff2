"""No fd of the shell reaches a program; no process or file is left behind.

Each stage lists its own fds (``ls -l /proc/self/fd``): what it may hold is what sh gives
it (0, 1, 2, what the command line asked for) and the directory ``ls`` itself opened to
list them; nothing else (not the other stages' pipe ends, not the exec-error pipe, not the
trace fd).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from shellrun import fd_listing, shell

LIST = "ls -l /proc/self/fd"


def _own_dir(listing: dict[int, str]) -> dict[int, str]:
    """The listing without the fd ``ls`` opened on /proc/<pid>/fd to read it."""
    return {fd: t for fd, t in listing.items() if not t.startswith("/proc/")}


@pytest.mark.parametrize("extra", [[], ["--trace-file", "trace.txt"]])
def test_each_stage_holds_only_what_the_line_asked_for(tmp_path: Path, extra: list[str]) -> None:
    line = f"{LIST} | {{ cat; {LIST}; }} | {{ cat; {LIST} 3>three 2>&1; }}"
    proc = shell([*extra, "-c", line], tmp_path)
    assert proc.returncode == 0, proc.stderr
    first, second, third = (_own_dir(x) for x in fd_listing(proc.stdout.decode()))
    assert sorted(first) == [0, 1, 2] and first[1].startswith("pipe:")
    assert sorted(second) == [0, 1, 2]
    assert second[0] == first[1] and second[1].startswith("pipe:") and second[1] != first[1]
    assert sorted(third) == [0, 1, 2, 3]
    assert third[0] == second[1] and third[3] == str(tmp_path / "three")
    assert third[2] == third[1]  # 2>&1: the same open file as stdout


def test_exec_fds_stay_and_reach_every_stage(tmp_path: Path) -> None:
    proc = shell(["-c", f"exec 7>seven; {LIST} | cat; {LIST} 7>&- | cat"], tmp_path)
    first, second = (_own_dir(x) for x in fd_listing(proc.stdout.decode()))
    assert first[7] == str(tmp_path / "seven")
    assert 7 not in second


def test_no_process_is_left(tmp_path: Path) -> None:
    """Every child is waited for: at the end the shell's only child is the one asking
    (proc(5): /proc/PID/task/TID/children), and no process of the run is still alive."""
    marker = f"iochannels-leak-{os.getpid()}"
    ask = "echo $$; cat /proc/$PPID/task/$PPID/children"
    line = (f"sh -c 'sleep 0.1; : {marker}' & yes | head -1 >/dev/null; (exit 3) | cat; "
            f"echo $(echo sub) >/dev/null; wait; sh -c '{ask}'")
    proc = shell(["-c", line], tmp_path)
    me, children = proc.stdout.decode().split("\n")[:2]
    assert children.split() == [me]
    left = [p for p in os.listdir("/proc") if p.isdigit()
            and marker.encode() in _cmdline(p)]
    assert left == []


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_failed_line_leaves_only_what_sh_leaves(tmp_path: Path) -> None:
    """dash creates `a` (its redirection ran), not `b` (the line stopped at the error)."""
    proc = shell(["-c", "nosuch >a; cat <missing >b; echo x >/nonexist/c"], tmp_path)
    assert proc.returncode == 2
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_syntax_error_runs_nothing(tmp_path: Path) -> None:
    proc = shell(["-c", "echo a >made; echo b |"], tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr == b"iochannels shell: 1: Syntax error: end of file unexpected\n"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("line", [
    "sh -c 'echo up; exec sleep 30' | cat",
    # A child shell with a child of its own (the $(...) runs sh in a further fork): ^C
    # must not end it before it has waited for that one.
    "x=$(sh -c 'echo up >&2; exec sleep 30'; :); echo \"$x\"",
    "(sh -c 'echo up; exec sleep 30'; :) | cat",
])
def test_ctrl_c_ends_a_non_interactive_shell_and_its_pipeline(tmp_path: Path, line: str
                                                             ) -> None:
    """SIGINT to the foreground process group (what the terminal sends on Ctrl-C): the
    shell and every stage end, one line on stderr, status 130, no process left (a Ctrl-C
    that comes while the shell is still between fork and its bookkeeping included)."""
    import signal
    import subprocess
    import sys
    import time

    from shellkit import ENV

    proc = subprocess.Popen(
        [sys.executable, "-m", "iochannels", "shell", "-c", line],
        cwd=tmp_path, env={**ENV, "PYTHONPATH": ":".join(sys.path)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stderr if "up >&2" in line else proc.stdout
    assert first.readline() == b"up\n"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert err == b"iochannels: interrupted\n"
    time.sleep(0.1)
    assert _in_session(proc.pid) == []


def _in_session(sid: int) -> list[int]:
    """The processes of session ``sid`` (proc(5): /proc/PID/stat field 6)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        if entry.isdigit() and int(stat.rsplit(b")", 1)[1].split()[3]) == sid:
            found.append(int(entry))
    return found
