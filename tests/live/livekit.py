"""Fixtures for live/: real child processes holding real channels."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Child:
    pid: int
    fds: dict[str, int]  # name -> fd number in the child (see every_kind.py)
    workdir: str


@pytest.fixture
def every_kind() -> Iterator[Child]:
    """A child holding one channel of every kind; it ends when its stdin closes."""
    workdir = tempfile.mkdtemp(prefix="iochannels-")
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "every_kind.py"), workdir],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        fds = json.loads(proc.stdout.readline())
        yield Child(proc.pid, fds, workdir)
    finally:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)
