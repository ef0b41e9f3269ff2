"""What the demos read of a process straight from /proc, for any name a process gives itself."""

from __future__ import annotations

import signal
import subprocess
import sys

from iochannels.demos.proc_state import state
from iochannels.demos.processes import wait_stopped

# prctl(2) PR_SET_NAME takes any bytes but NUL: a name that is not UTF-8, with a ')' and a
# space (the fields of /proc/PID/stat after the name must still be found), then SIGSTOP.
HOSTILE = r"""
import ctypes, os, signal
ctypes.CDLL(None).prctl(15, b"\xff) x \xfe(", 0, 0, 0)
os.kill(os.getpid(), signal.SIGSTOP)
"""


def test_the_state_of_a_process_with_a_name_that_is_not_utf8() -> None:
    with subprocess.Popen([sys.executable, "-c", HOSTILE]) as child:
        try:
            wait_stopped(child.pid, "the oddly named process")
            assert state(child.pid) == "T"  # stopped (proc(5))
            child.send_signal(signal.SIGCONT)
            assert child.wait(10) == 0
            assert state(child.pid) == ""  # reaped: gone
        finally:
            child.kill()
