"""The other end of a channel, when it is held by the process taking the snapshot."""

import os
import subprocess
import sys

from iochannels import live


def test_the_caller_is_named_as_the_other_end_of_its_pipe_to_a_child() -> None:
    # A demo inspects a child it feeds through a pipe: the demo process itself holds
    # the write end, and must be named as that end (not skipped, not "-").
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        assert child.stdin is not None
        snap = live.snapshot([child.pid])
        entry = snap.process(child.pid).fd(0)  # type: ignore[union-attr]
        assert entry is not None and entry.access == "r"
        held_by = snap.channels[entry.channel].detail.get("held_by", "")
        assert f"{os.getpid()} " in held_by and f"fd{child.stdin.fileno()} w" in held_by
    finally:
        child.stdin.close()  # type: ignore[union-attr]
        child.wait(timeout=10)
