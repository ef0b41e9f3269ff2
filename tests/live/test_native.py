"""The C part of the scan (_scan.c) and the pure-Python path give the same snapshot.

Each test reads the same real processes by both paths, one after the other, and
compares what they give: the raw reads (fd tables, the links of the holder search,
the parents) and whole snapshots. Skipped where the C part was not built (no
compiler at install): the pure-Python path is then the only one, and every other
test runs on it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from livekit import Child, every_kind

from iochannels import live
from iochannels.live import procfs
from iochannels.model import Snapshot


@pytest.fixture(autouse=True)
def built() -> None:
    with procfs.native(True) as there:
        if not there:
            pytest.skip("the C part of the scan was not built (no C compiler at install)")


def settled(pid: int) -> None:
    """Wait until ``pid`` sleeps in read(2) of its stdin (proc(5) /proc/pid/syscall: "0 0x0
    ..."): a child that has just said it is ready may still be on its way there, and would
    show another state to the second path than to the first."""
    for _ in range(500):
        with open(f"/proc/{pid}/syscall") as fh:
            if fh.read().startswith("0 0x0 "):
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never waited in read(0, ...)")


def both(pids: list[int]) -> tuple[Snapshot, Snapshot]:
    """The snapshot of ``pids`` by the C part, then by Python; the time taken left out."""
    with procfs.native(True):
        native = live.snapshot(pids)
    with procfs.native(False):
        pure = live.snapshot(pids)
    return replace(native, taken_at=0.0), replace(pure, taken_at=0.0)


def test_the_raw_reads_agree(every_kind: Child) -> None:
    pid = every_kind.pid
    with procfs.native(True):
        table, links = procfs.read_fds(pid), procfs.read_fds(pid, with_info=False)
        wanted = {raw.link for raw in links}
        hits = procfs.fds_linking([os.getpid(), pid, os.getppid()], wanted)
        parents = procfs.parents()
    with procfs.native(False):
        assert procfs.read_fds(pid) == table
        assert procfs.read_fds(pid, with_info=False) == links
        assert procfs.fds_linking([os.getpid(), pid, os.getppid()], wanted) == hits
        again = procfs.parents()
    # Every fd of every kind, with its fdinfo; the holder search finds each of them.
    assert sorted(every_kind.fds.values()) == [raw.fd for raw in links if raw.fd > 2]
    assert all(raw.info and raw.info.startswith(b"pos:") for raw in table)
    assert {(p, fd) for p, fd, _ in hits[0]} >= {(pid, fd) for fd in every_kind.fds.values()}
    # Processes come and go on a busy machine: those in both lists have the same parent.
    assert pid in parents and parents[pid] == os.getpid()
    assert {p: parents[p] for p in parents.keys() & again.keys()} == {
        p: again[p] for p in parents.keys() & again.keys()}


def test_gone_and_bad_fds_are_said_the_same_way() -> None:
    child = subprocess.Popen(["true"])
    child.wait()  # reaped: its pid names no process now
    for enabled in (True, False):
        with procfs.native(enabled), pytest.raises(procfs.Gone):
            procfs.read_fds(child.pid)
        with procfs.native(enabled):
            assert procfs.fds_linking([child.pid], {"pipe:[1]"}) == ([], [])


def test_every_kind_same_snapshot(every_kind: Child) -> None:
    settled(every_kind.pid)
    native, pure = both([every_kind.pid])
    assert native == pure
    proc = native.process(every_kind.pid)
    assert proc is not None and len(proc.fds) >= len(every_kind.fds)


@pytest.fixture
def hostile_pair() -> Iterator[tuple[int, int]]:
    """Two processes a pipe joins, one holding a file whose name is hostile bytes
    (invalid UTF-8, a newline, markup brackets, an escape): (writer pid, reader pid)."""
    workdir = tempfile.mkdtemp(prefix="iochannels-")
    name = os.path.join(os.fsencode(workdir), b"bad\xff\nname[red]\x1b[31m")
    with open(name, "wb"):
        pass
    reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import os, sys; f = os.open(sys.argv[1], os.O_RDONLY); "
         "print('ready', flush=True); sys.stdin.read()", name],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        holder.stdout.readline()
        yield holder.pid, reader.pid
    finally:
        for proc in (holder, reader):
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait()
        assert holder.stdout is not None
        holder.stdout.close()
        shutil.rmtree(workdir)


def test_hostile_names_and_holders_same_snapshot(hostile_pair: tuple[int, int]) -> None:
    holder, reader = hostile_pair
    settled(holder)
    settled(reader)
    native, pure = both([reader])
    assert native == pure
    # The other end of cat's stdin is ours: named as a holder by both.
    proc = native.process(reader)
    assert proc is not None
    stdin = native.channels[next(e.channel for e in proc.fds if e.fd == 0)]
    assert f"{os.getpid()} " in stdin.detail.get("held_by", "")
    native, pure = both([holder])
    assert native == pure
    shown = native.process(holder)
    assert shown is not None
    assert any("bad" in native.channels[e.channel].label for e in shown.fds)


def test_churning_machine_same_snapshot(every_kind: Child) -> None:
    """Processes born and gone by the hundred while both paths read (holder search included)."""
    churn = subprocess.Popen(["sh", "-c", "while :; do echo x | cat >/dev/null; done"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             start_new_session=True)
    settled(every_kind.pid)
    try:
        for _ in range(3):
            # Two reads one after the other may differ for a real reason: a process forked
            # between them holds copies of its parent's fds until it closes them or execs
            # (fork(2)), and is named as a holder by one read only. A pair that agrees
            # comes within a few tries; a difference of the paths would show in every one.
            for _ in range(5):
                native, pure = both([every_kind.pid])
                if native == pure:
                    break
            assert native == pure
    finally:
        os.killpg(churn.pid, 9)
        churn.wait()


def test_denied_same_snapshot() -> None:
    """A child that dropped to nobody reads a root process by both paths."""
    if os.getuid() != 0:
        pytest.skip("needs root to drop to nobody")
    target = subprocess.Popen(["sleep", "60"])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, look both ways, report over the pipe
        code = 3
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            time.sleep(0.2)  # sleep(1) is in nanosleep once it has started: let it start
            native, pure = both([target.pid])
            proc = native.process(target.pid)
            report = {"same": native == pure, "error": proc and proc.error,
                      "unreadable": native.unreadable}
            os.write(w, json.dumps(report).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    try:
        with os.fdopen(r) as fh:
            text = fh.read()
        _, status = os.waitpid(pid, 0)
    finally:
        target.kill()
        target.wait()
    assert os.waitstatus_to_exitcode(status) == 0
    seen = json.loads(text)
    assert seen == {"same": True, "error": "permission denied", "unreadable": [target.pid]}



@pytest.mark.parametrize(("pure", "said"), [("1", "(pure Python)"), ("0", "(native scan)")])
def test_version_says_which_path(pure: str, said: str) -> None:
    env = {**os.environ, "IOCHANNELS_PURE": pure}
    out = subprocess.run([sys.executable, "-m", "iochannels", "--version"], env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("iochannels ") and out.stdout.endswith(f" {said}\n")
    assert out.stderr == ""


__all__ = ["every_kind"]  # a fixture: imported by the tests that use it


def test_a_c_part_built_from_older_source_is_set_aside(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """An editable install not rebuilt after an update keeps the old .so: a module whose
    calls differ is not called (that raised AttributeError mid-scan), the pure path serves
    and --version says why. The stand-in is a real module file of an older _scan's shape."""
    old = tmp_path / "iochannels_old_scan.py"
    old.write_text("FD_THREADS_FROM = 256\ndef fd_table(*args):\n    raise AssertionError\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import iochannels_old_scan  # type: ignore[import-not-found]

    monkeypatch.setattr(live, "_scan", iochannels_old_scan, raising=False)
    monkeypatch.setitem(sys.modules, "iochannels.live._scan", iochannels_old_scan)
    monkeypatch.setattr(procfs, "_stale", False)  # restored after, whatever this sets
    monkeypatch.setattr(procfs, "_native", procfs._import_native())
    assert procfs.native_scan() is None
    assert procfs.scan_path() == "pure Python: the C part is out of date, reinstall"
    me = live.snapshot([os.getpid()]).process(os.getpid())
    assert me is not None and me.fds  # read by the pure path, not the stale module
