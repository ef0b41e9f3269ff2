"""The demos' pictures are cut to the fds that matter; the other ends stay true."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from iochannels.demos.pictures import snapshot
from iochannels.render.text import other_end

HOLD = "import sys; print('ready', flush=True); sys.stdin.read()"


def test_a_dropped_fd_is_still_named_as_the_other_end() -> None:
    """`demo blocking`: the demo holds the read end of a child's stderr; the picture keeps
    only the child's fds, and fd 2 must not say "no reader" while the demo reads it."""
    a, b = socket.socketpair()
    child = subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             pass_fds=(a.fileno(),))
    sock = a.fileno()  # pass_fds keeps the number in the child
    a.close()
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        me = os.getpid()
        snap = snapshot([child.pid, me], keep=lambda pid, fd: pid != me)
        proc = snap.process(child.pid)
        assert proc is not None and snap.process(me) is not None
        assert snap.process(me).fds == ()  # type: ignore[union-attr]
        ends = {e.fd: other_end(snap, proc.pid, e, snap.channels[e.channel]) for e in proc.fds}
        assert child.stderr is not None and child.stdin is not None
        assert ends[2] == f"{me} {snap.process(me).name} fd{child.stderr.fileno()}"  # type: ignore[union-attr]
        assert ends[0] == f"{me} {snap.process(me).name} fd{child.stdin.fileno()}"  # type: ignore[union-attr]
        assert ends[sock] == f"{me} {snap.process(me).name} fd{b.fileno()}"  # type: ignore[union-attr]
    finally:
        b.close()
        assert child.stdin is not None and child.stderr is not None
        child.stdin.close()
        child.wait(10)
        child.stderr.close()
        child.stdout.close()  # type: ignore[union-attr]
