"""What --version and --help write goes through the same door as a command's output: a
closed stdout, a full disk (/dev/full) and a reader gone (EPIPE) end them as they end
`iochannels fds PID`: one line and exit status 1, or quietly with 0. They used to print a
traceback (--version) or nothing with status 0 (--help)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(argv: list[str], stdout: str) -> tuple[int, str]:
    """``iochannels ARGV`` with stdout closed, /dev/full, or a pipe nobody reads."""
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "iochannels", *argv]
    if stdout == "closed":
        proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=60, preexec_fn=lambda: os.close(1))
    elif stdout == "full":
        with open("/dev/full", "w") as full:
            proc = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True,
                                  env=env, timeout=60)
    else:  # a pipe whose read end is closed before the command starts: write(2) EPIPE
        r, w = os.pipe()
        os.close(r)
        try:
            proc = subprocess.run(command, stdout=w, stderr=subprocess.PIPE, text=True,
                                  env=env, timeout=60)
        finally:
            os.close(w)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("stdout", ["closed", "full", "gone"])
@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["fds", "--help"],
                                  ["sim", "run", "--help"]], ids=" ".join)
def test_version_and_help_fail_as_a_command_does(argv: list[str], stdout: str) -> None:
    status, err = run(argv, stdout)
    witness_status, witness_err = run(["fds", str(os.getpid())], stdout)
    assert "Traceback" not in err
    assert status == witness_status, err
    if stdout == "closed":  # less the hint (-o FILE), which --help and --version lack
        assert err == "iochannels: cannot write the output: stdout is closed\n"
        assert witness_err.startswith(err.rstrip("\n"))
    else:
        assert err == witness_err
