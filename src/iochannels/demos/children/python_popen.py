"""A Python program that runs ``grep`` as ``subprocess.Popen`` does, one step per command.

First ``stdout=PIPE`` alone (grep stopped while it holds the write end, then a
zombie until reaped), then ``stdin=PIPE`` and ``stdout=PIPE`` together: a two-way
channel made of two one-way pipes.
"""

from __future__ import annotations

import os
import signal
import subprocess

from iochannels.demos.children.control import expect, reported, tell
from iochannels.demos.children.shared import fionread, name_self

__all__ = ["popen"]


@reported
def popen() -> None:
    name_self("python-popen")
    expect("start")
    with subprocess.Popen(["grep", "a", "/etc/passwd"], stdout=subprocess.PIPE) as child:
        assert child.stdout is not None
        # Popen returns once grep is exec'ed; grep needs a millisecond more to finish. Pause it
        # (signal(7): SIGSTOP) so the demo can see it holding the write end as its fd 1.
        os.kill(child.pid, signal.SIGSTOP)
        tell("started", role="python", child=child.pid, read_fd=child.stdout.fileno())
        expect("exited")
        os.kill(child.pid, signal.SIGCONT)
        # waitid(2) with WNOWAIT: wait for the exit but leave the child a zombie.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        tell("exited", role="python", child=child.pid, waiting=fionread(child.stdout.fileno()))
        expect("reap")
        output = child.stdout.read()
    tell("reaped", role="python", child=child.pid, status=child.returncode,
         lines=output.count(b"\n"), bytes=len(output))
    popen_two_way()


def popen_two_way() -> None:
    expect("start")
    with subprocess.Popen(["grep", "a"], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
        assert child.stdin is not None and child.stdout is not None
        tell("started", role="python", child=child.pid, write_fd=child.stdin.fileno(),
             read_fd=child.stdout.fileno())
        expect("feed")
        with open("/etc/passwd", "rb") as source:
            output, _ = child.communicate(source.read())
    tell("reaped", role="python", child=child.pid, status=child.returncode,
         lines=output.count(b"\n"), bytes=len(output))
    expect("quit")
