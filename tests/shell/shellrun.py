"""Start ``iochannels shell`` as a real process, with only fds 0-2 open, in a directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shellkit import ENV


def shell(args: list[str], cwd: Path, stdin: bytes = b"", timeout: float = 30
          ) -> subprocess.CompletedProcess[bytes]:
    env = {**ENV, "PYTHONPATH": ":".join(sys.path)}
    return subprocess.run([sys.executable, "-m", "iochannels", "shell", *args], cwd=cwd,
                          env=env, input=stdin, capture_output=True, timeout=timeout)


def fd_listing(text: str) -> list[dict[int, str]]:
    """The ``ls -l /proc/self/fd`` listings in ``text``: one {fd: target} per listing."""
    listings: list[dict[int, str]] = []
    for line in text.splitlines():
        if line.startswith("total"):
            listings.append({})
        elif " -> " in line and listings:
            left, target = line.split(" -> ", 1)
            listings[-1][int(left.split()[-1])] = target
    return listings
