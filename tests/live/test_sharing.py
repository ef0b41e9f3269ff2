"""Shared open file descriptions, told by kcmp(KCMP_FILE) and shown by the snapshot.

open(2): dup(2) and fork(2) give fds that share one open file description (the offset
moves for both); two open(2) calls of one path give two. The expectations come from
Linux itself: a shared description's offset moves when the other fd reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from iochannels import live
from iochannels.live.sharing import kcmp_file, mark_shared, shared_groups


def _moves_together(a: int, b: int) -> bool:
    """Linux's own answer: does reading through ``a`` move ``b``'s offset?"""
    before = os.lseek(b, 0, os.SEEK_CUR)
    os.read(a, 1)
    return os.lseek(b, 0, os.SEEK_CUR) != before


def test_kcmp_agrees_with_the_shared_offset(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abcdef")
    first = os.open(path, os.O_RDONLY)
    dup = os.dup(first)
    other = os.open(path, os.O_RDONLY)
    try:
        me = os.getpid()
        assert _moves_together(first, dup) and kcmp_file(me, first, me, dup) == 0
        assert not _moves_together(first, other) and kcmp_file(me, first, me, other) != 0
        groups = shared_groups([me])
        assert frozenset({(me, first), (me, dup)}) in groups
        assert not any((me, other) in g for g in groups)
    finally:
        for fd in (first, dup, other):
            os.close(fd)


def test_fork_shares_and_the_snapshot_names_it(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    fd = os.open(path, os.O_RDONLY)
    alone = os.open(path, os.O_RDONLY)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE, pass_fds=(fd,))
    try:
        snap = live.snapshot([os.getpid(), child.pid], others=False)
        mine, theirs = snap.process(os.getpid()), snap.process(child.pid)
        assert mine is not None and theirs is not None
        assert mine.fd(fd).open_file is not None  # type: ignore[union-attr]
        assert mine.fd(fd).open_file == theirs.fd(fd).open_file  # type: ignore[union-attr]
        assert mine.fd(alone).open_file is None  # type: ignore[union-attr]
        # mark_shared changes nothing where nothing is shared.
        lone = tuple(p for p in snap.processes if p.pid == child.pid)
        assert mark_shared(tuple(p.__class__(p.pid, p.name) for p in lone)) == tuple(
            p.__class__(p.pid, p.name) for p in lone)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
        os.close(fd)
        os.close(alone)
