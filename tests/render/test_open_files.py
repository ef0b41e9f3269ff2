"""Open file descriptions shared by several fds, drawn in every view, checked against Linux.

A real program opens a file whose name is hostile, dup(2)s it, dup2(2)s it to fd 9,
opens it a second time (another open file description, open(2)), and forks: its child
inherits all four. The witness is the kernel's own offset: the program lseek(2)s one fd,
and every fd whose ``pos`` in /proc/PID/fdinfo moved shares that fd's open file
description (open(2): "the file offset ... shared"); the views must group exactly those.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from iochannels import live
from iochannels.model import Snapshot
from iochannels.render import render_snapshot
from iochannels.render.names import shown
from iochannels.render.openfiles import shared_files

SVG = "{http://www.w3.org/2000/svg}"
NAME = "log\n[red]\x1b]0;T\x07.txt"  # a newline, markup, a terminal title: data all

PROGRAM = r"""
import os, sys
path = sys.argv[1]
a = os.open(path, os.O_RDWR)
b = os.dup(a)
os.dup2(a, 9)
c = os.open(path, os.O_RDWR)           # a second open: a description of its own
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.read(r, 1)                       # the child waits for its parent's end (EOF)
    os._exit(0)
os.close(r)
print(a, b, c, pid, flush=True)
for line in sys.stdin:                  # "FD OFFSET": lseek(FD, OFFSET, SEEK_SET)
    fd, offset = map(int, line.split())
    os.lseek(fd, offset, os.SEEK_SET)
    print("done", flush=True)
"""


@pytest.fixture
def sharing(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], list[int], int]]:
    """(the program, its fds on the file [a, dup(a), 9, second open], its child's pid)."""
    path = tmp_path / NAME
    path.write_bytes(b"x" * 100_000)
    proc = subprocess.Popen([sys.executable, "-c", PROGRAM, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        a, b, c, child = map(int, proc.stdout.readline().split())
        yield proc, [a, b, 9, c], child
    finally:
        proc.stdin.close()  # the child's read(0) returns too: both end
        proc.wait(timeout=10)
        proc.stdout.close()
        for _ in range(500):  # the program's child (not ours to reap) ends at EOF on its pipe
            if not os.path.exists(f"/proc/{child}") or "Z" in _state(child):
                break
            time.sleep(0.01)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0].decode()
    except OSError:
        return "gone"


def positions(pid: int, fds: list[int]) -> dict[int, int]:
    out = {}
    for fd in fds:
        with open(f"/proc/{pid}/fdinfo/{fd}") as fh:
            out[fd] = int(re.search(r"^pos:\s+(\d+)", fh.read(), re.M).group(1))  # type: ignore[union-attr]
    return out


def kernel_groups(proc: subprocess.Popen[str], fds: list[int],
                  child: int) -> set[frozenset[tuple[int, int]]]:
    """The groups of (pid, fd) the kernel's offsets reveal: seek one, see who moved."""
    assert proc.stdin is not None and proc.stdout is not None
    ends = [(p, fd) for p in (proc.pid, child) for fd in fds]
    groups = set()
    for n, fd in enumerate(fds):
        before = {p: positions(p, fds) for p in (proc.pid, child)}
        proc.stdin.write(f"{fd} {1000 * (n + 1)}\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "done\n"
        after = {p: positions(p, fds) for p in (proc.pid, child)}
        groups.add(frozenset(e for e in ends if after[e[0]][e[1]] != before[e[0]][e[1]]))
    return groups


def drawn_groups(marks: dict[tuple[int, int], str]) -> set[frozenset[tuple[int, int]]]:
    by_mark: dict[str, set[tuple[int, int]]] = {}
    for end, mark in marks.items():
        by_mark.setdefault(mark, set()).add(end)
    return {frozenset(ends) for ends in by_mark.values()}


def text_marks(text: str, pids: tuple[int, int], fds: list[int]) -> dict[tuple[int, int], str]:
    """The OFD column of each table, read back: (pid, fd) -> mark, for ``fds`` only."""
    marks: dict[tuple[int, int], str] = {}
    pid = None
    for line in text.splitlines():
        head = re.match(r"^(\d+) ", line)
        if head and int(head.group(1)) in pids:
            pid = int(head.group(1))
        row = re.match(r"^\s+(\d+)  ([a-z ]{3})  ", line)
        if pid is not None and row and int(row.group(1)) in fds and row.group(2).strip():
            marks[(pid, int(row.group(1)))] = row.group(2).strip()
    return marks


def test_every_view_groups_the_fds_as_the_kernel_shares_their_offset(
        sharing: tuple[subprocess.Popen[str], list[int], int]) -> None:
    proc, fds, child = sharing
    snap = live.snapshot([proc.pid, child])  # before any lseek: looking changes nothing
    truth = kernel_groups(proc, fds, child)
    a, b, nine, second = fds
    assert truth == {frozenset((p, fd) for p in (proc.pid, child) for fd in (a, b, nine)),
                     frozenset({(proc.pid, second), (child, second)})}  # dup, dup2 and fork

    text = render_snapshot(snap, "text")
    assert drawn_groups(text_marks(text, (proc.pid, child), fds)) == truth
    assert re.search(r"^ +FD  OFD  ACC  KIND", text, re.M)

    svg = render_snapshot(snap, "svg")
    badges = {(int(el.get("data-pid", "")), int(el.get("data-fd", ""))):
              el.get("data-open-file", "")
              for el in ET.fromstring(svg).iter(f"{SVG}circle") if el.get("data-open-file")}
    assert drawn_groups({e: m for e, m in badges.items() if e[1] in fds}) == truth

    mermaid = render_snapshot(snap, "mermaid")
    edges = re.findall(r"^  p(\d+)_fd(\d+) (?:-->|<-->|---) (of_[a-z]+)$", mermaid, re.M)
    edges += [(p, f, o) for o, p, f in
              re.findall(r"^  (of_[a-z]+) (?:-->|<-->|---) p(\d+)_fd(\d+)$", mermaid, re.M)]
    assert drawn_groups({(int(p), int(f)): o for p, f, o in edges if int(f) in fds}) == truth

    dot = render_snapshot(snap, "dot")
    ports = re.findall(r"^  p(\d+):fd(\d+) -> (of_[a-z]+) ", dot, re.M)
    assert drawn_groups({(int(p), int(f)): o for p, f, o in ports if int(f) in fds}) == truth

    # the file's name is data in every view: written out, never acting
    for out in (text, svg, mermaid, dot):
        assert "\x1b" not in out and "\x07" not in out
    assert shown(f"/{NAME}") in text.split("open file descriptions shared")[1]


def test_a_snapshot_without_sharing_is_drawn_as_before(
        sharing: tuple[subprocess.Popen[str], list[int], int]) -> None:
    proc, _, child = sharing
    snap = live.snapshot([proc.pid, child])
    assert shared_files(snap)
    alone = replace(snap, processes=tuple(
        replace(p, fds=tuple(replace(e, open_file=None) for e in p.fds)) for p in snap.processes))
    assert shared_files(alone) == ()
    text = render_snapshot(alone, "text")
    assert " OFD " not in text and "open file descriptions shared" not in text
    assert "data-open-file" not in render_snapshot(alone, "svg")
    for fmt in ("dot", "mermaid"):
        assert not re.search(r"\bof_[a-z]+\b", render_snapshot(alone, fmt))
    assert '"open_file"' not in render_snapshot(alone, "json")


def test_the_letters_follow_first_appearance_and_fit_any_count() -> None:
    from iochannels.model import Channel, FdEntry, Kind, Process

    channels = {"f": Channel("f", Kind.FILE, "/f")}
    fds = tuple(FdEntry(fd, "f", "r", open_file=f"of:{fd // 2}") for fd in range(60))
    snap = Snapshot((Process(1, "p", fds=fds),), channels, "live")
    shared = shared_files(snap)
    assert [s.mark for s in shared][:3] == ["a", "b", "c"] and shared[26].mark == "aa"
    assert len({s.mark for s in shared}) == 30
    text = render_snapshot(snap, "text")
    assert " 59  ad  " in text and "  ad  1 fd 58, 59  (/f)" in text
