"""`iochannels sim check`: the differential harness from the command line."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import descendants
from iochannels.cli import main


def test_check_agrees_on_the_simulator_and_linux(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "check", "-n", "20", "-s", "7", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["agree"] is True and report["differences"] == []
    assert report["scripts"] == 20 and report["steps"] > 20  # every script compared steps


def test_check_refuses_zero_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sim", "check", "-n", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a positive integer" in err


def test_ctrl_c_on_the_terminal_ends_it_in_one_line() -> None:
    """The terminal's Ctrl-C signals the whole process group, the harness's workers too:
    a worker dead of SIGINT left the harness a reset connection and a traceback."""
    check = subprocess.Popen([sys.executable, "-m", "iochannels", "sim", "check", "-n", "5000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while len(descendants(check.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # into the scripts: workers fork and call
        os.killpg(check.pid, signal.SIGINT)  # as the terminal sends it: to the group
        _, err = check.communicate(timeout=30)
    finally:
        if check.poll() is None:
            check.kill()
            check.communicate()
    assert (check.returncode, err) == (130, "iochannels: interrupted\n")
