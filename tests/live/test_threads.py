"""The C part of the scan on several threads gives what one thread and pure Python give.

_scan.c shares the per-fd calls of ``fd_table`` and the per-process calls of
``links_scan`` and ``ppids`` among worker threads above a number of items, and makes
the result in the items' order afterwards. Each test reads the same real processes
with threads forced (``workers``), with the number chosen, and by the pure-Python
path, and compares; what the links should be is derived independently, from fstat(2)
in the process that holds them. Skipped where the C part was not built.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from livekit import Child, every_kind

from iochannels.live import procfs

_scan = pytest.importorskip("iochannels.live._scan", reason="the C part was not built")

MAX = _scan.MAX_WORKERS
HOSTILE = b"bad\xff\nname[red]\x1b[31m"

# Holds exactly argv[1] fds (0, 1, 2 included) of mixed kinds, files with hostile names
# among them; prints {fd: the link Linux gives it} from fstat(2) and what it opened
# (proc(5): "pipe:[INODE]", "socket:[INODE]", "anon_inode:[eventfd]", the path), then
# waits until stdin closes. With argv[3] == "churn" it opens and closes more fds above
# those, without end, after printing.
MIXED = r"""
import json, os, resource, select, socket, sys
n, workdir = int(sys.argv[1]), os.fsencode(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 200, n + 200))
paths = [os.path.join(workdir, name) for name in (b"plain", b"bad\xff\nname[red]\x1b[31m")]
for path in paths:
    open(path, "wb").close()
links, keep = {}, []
def ino(fd, kind):
    return f"{kind}:[{os.fstat(fd).st_ino}]"
def pipe():
    r, w = os.pipe()
    return {r: ino(r, "pipe"), w: ino(w, "pipe")}
def pair():
    a, b = socket.socketpair()
    keep.extend((a, b))
    return {a.fileno(): ino(a.fileno(), "socket"), b.fileno(): ino(b.fileno(), "socket")}
def file(i):
    path = paths[i % 2]
    return {os.open(path, os.O_RDONLY): os.fsdecode(path)}
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    keep.append(s)
    return {s.fileno(): ino(s.fileno(), "socket")}
def epoll():
    e = select.epoll()
    keep.append(e)
    return {e.fileno(): "anon_inode:[eventpoll]"}
def null():
    return {os.open(os.devnull, os.O_WRONLY): "/dev/null"}
def eventfd():
    return {os.eventfd(0): "anon_inode:[eventfd]"}
kinds = [pipe, pair, lambda: file(0), eventfd, udp, epoll, lambda: file(1), null]
total, turn = 3, 0  # 0, 1 and 2 are open
while total < n:
    make = kinds[turn % len(kinds)] if total + 2 <= n else null
    turn += 1
    got = make()
    links.update(got)
    total += len(got)
print(json.dumps(links), flush=True)
if sys.argv[3:] == ["churn"]:
    while True:
        r, w = os.pipe()
        a, b = socket.socketpair()
        d = os.open(os.devnull, os.O_RDONLY)
        for fd in (w, d, r):
            os.close(fd)
        b.close()
        a.close()
sys.stdin.read()
"""


class Mixed:
    """A child holding ``count`` fds of mixed kinds (see MIXED)."""

    def __init__(self, proc: subprocess.Popen[str], links: dict[int, str]) -> None:
        self.proc, self.pid, self.links = proc, proc.pid, links

    def table(self, workers: int, info: bool = True) -> list[tuple[int, str, bytes | None]]:
        infos = f"/proc/{self.pid}/fdinfo" if info else None
        return _scan.fd_table(f"/proc/{self.pid}/fd", infos, False, workers)


@contextmanager
def mixed(count: int, churn: bool = False) -> Iterator[Mixed]:
    workdir = tempfile.mkdtemp(prefix="iochannels-")
    argv = [sys.executable, "-c", MIXED, str(count), workdir, *(["churn"] if churn else [])]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        links = {int(fd): link for fd, link in json.loads(proc.stdout.readline()).items()}
        yield Mixed(proc, links)
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        proc.stdout.close()
        shutil.rmtree(workdir)


def pure(pid: int, with_info: bool = True) -> list[tuple[int, str, bytes | None]]:
    with procfs.native(False):
        return [tuple(raw) for raw in procfs.read_fds(pid, with_info=with_info)]  # type: ignore[misc]


def helpers() -> int:
    """The threads a call that chooses starts above its threshold (the calling one works too)."""
    return min(os.sysconf("SC_NPROCESSORS_ONLN"), MAX) - 1


@pytest.mark.parametrize("workers", [2, MAX])
def test_every_kind_threaded_as_pure(every_kind: Child, workers: int) -> None:
    pid = every_kind.pid
    table = _scan.fd_table(f"/proc/{pid}/fd", f"/proc/{pid}/fdinfo", False, workers)
    assert table == pure(pid)
    assert _scan.fd_table(f"/proc/{pid}/fd", None, False, workers) == pure(pid, False)
    assert {fd for fd, _, _ in table} >= set(every_kind.fds.values())


def test_many_mixed_fds_threaded_as_one_thread_and_pure() -> None:
    with mixed(_scan.FD_THREADS_FROM * 4) as child:
        one = child.table(1)
        for workers in range(2, MAX + 1):
            assert child.table(workers) == one
        assert child.table(MAX, info=False) == child.table(1, info=False) == pure(child.pid, False)
        assert one == pure(child.pid)
    # What each fd is, by fstat in its holder; hostile names decoded as os.readlink does.
    assert {fd: link for fd, link, _ in one if fd > 2} == child.links
    assert os.fsdecode(HOSTILE) in {os.path.basename(link) for link in child.links.values()}
    assert all(info is not None and info.startswith(b"pos:\t") for _, _, info in one)


@pytest.mark.parametrize("below", [True, False], ids=["below", "at"])
def test_fd_threshold_both_sides(below: bool) -> None:
    count = _scan.FD_THREADS_FROM - below
    with mixed(count) as child:
        before = _scan.threads_started()
        with procfs.native(True):
            rows = procfs.read_fds(child.pid)
        started = _scan.threads_started() - before
        assert [tuple(raw) for raw in rows] == pure(child.pid)
    assert len(rows) == count
    assert started == (0 if below else helpers())


def _no_pos(table: list[tuple[int, str, bytes | None]]) -> list[tuple[int, str, bytes | None]]:
    """The rows without fdinfo's first line, "pos:" (proc(5))."""
    return [(fd, link, info.split(b"\n", 1)[1] if info and info.startswith(b"pos:") else info)
            for fd, link, info in table]


def test_own_table_threaded_leaves_out_its_directory_fds() -> None:
    r, w = os.pipe()
    try:
        me = os.getpid()
        table = _scan.fd_table(f"/proc/{me}/fd", f"/proc/{me}/fdinfo", True, MAX)
        # The offsets aside: an inherited stdout shared with other writers (a log file that
        # others append to) moves between the two reads.
        assert _no_pos(table) == _no_pos(pure(me))
        assert (r, f"pipe:[{os.fstat(r).st_ino}]") in {(fd, link) for fd, link, _ in table}
        assert not any(link.startswith("/proc/") for _, link, _ in table)
    finally:
        os.close(r)
        os.close(w)


def test_churning_table_threaded_reports_only_real_fds() -> None:
    """A process opening and closing fds as fast as it can while it is read: the fds it
    holds throughout are all there, each as it is; any other one is of a kind it opens."""
    churned = ("pipe:[", "socket:[", "/dev/null")
    with mixed(_scan.FD_THREADS_FROM + 44, churn=True) as child:
        deadline = time.monotonic() + 1.5
        scans = 0
        while scans < 200 and (scans < 10 or time.monotonic() < deadline):
            table = child.table(MAX, info=scans % 2 == 0)
            scans += 1
            got = {fd: link for fd, link, _ in table}
            assert {fd: got.get(fd) for fd in child.links} == child.links
            assert [fd for fd, _, _ in table] == sorted(got)
            for fd, link, info in table:
                if fd > 2 and fd not in child.links:
                    assert link.startswith(churned), (fd, link)
                assert info is None or info.startswith(b"pos:\t")


def test_killed_mid_scan_threaded_gone_or_real() -> None:
    """proc(5): a process may exit between any two reads; what was read is still true."""
    for trial in range(4):
        with mixed(2000) as child:
            timer = threading.Timer(random.Random(trial).uniform(0, 0.02), child.proc.kill)
            timer.start()
            try:
                table = child.table(MAX)
            except OSError as exc:
                assert isinstance(procfs.translate(exc), procfs.Gone)
                table = []
            timer.join()
        assert all(child.links[fd] == link for fd, link, _ in table if fd > 2)


@pytest.fixture
def cats() -> Iterator[list[tuple[int, str]]]:
    """PID_THREADS_FROM `cat`s, each reading a pipe whose other end we hold: (pid, link)."""
    procs = [subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
             for _ in range(_scan.PID_THREADS_FROM)]
    try:
        yield [(p.pid, f"pipe:[{os.fstat(p.stdin.fileno()).st_ino}]")  # type: ignore[union-attr]
               for p in procs]
    finally:
        for p in procs:
            p.stdin.close()  # type: ignore[union-attr]
            p.wait()


@pytest.mark.parametrize("below", [True, False], ids=["below", "at"])
def test_links_threshold_both_sides(cats: list[tuple[int, str]], below: bool) -> None:
    chosen = cats[: len(cats) - below]
    wanted = {link for _, link in cats}
    pids = [pid for pid, _ in chosen]
    before = _scan.threads_started()
    with procfs.native(True):
        hits, denied = procfs.fds_linking(pids, wanted)
    started = _scan.threads_started() - before
    with procfs.native(False):
        assert procfs.fds_linking(pids, wanted) == (hits, denied)
    assert (hits, denied) == ([(pid, 0, link) for pid, link in chosen], [])
    assert started == (0 if below else helpers())


def test_links_threaded_errors_and_ourselves_as_one_thread(cats: list[tuple[int, str]]) -> None:
    """A pid gone, pid 1 (denied where we lack CAP_SYS_PTRACE over it), ourselves (our
    write ends are hits, the directories the workers open are not), then the cats."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    me = os.getpid()
    wanted = {link for _, link in cats} | {f"/proc/{pid}/fd" for pid, _ in cats}
    pids = [ended.pid, 1, *[pid for pid, _ in cats[:3]], me, *[pid for pid, _ in cats[3:]]]
    threaded = _scan.links_scan("/proc", pids, wanted, MAX)
    assert threaded == _scan.links_scan("/proc", pids, wanted, 1)
    with procfs.native(False):
        assert procfs.fds_linking(pids, wanted) == threaded
    ours = {link for pid, _, link in threaded[0] if pid == me}
    assert ours == {link for _, link in cats}
    assert {(pid, link) for pid, fd, link in threaded[0] if pid != me} == set(cats)


def write_proc(root: Path, count: int) -> dict[int, int]:
    """A prepared /proc of ``count`` processes whose command names hold ')', spaces and a
    newline (proc(5) stat: "pid (comm) state ppid ..."), beside entries that are none."""
    expected = {}
    for pid in range(1, count + 1):
        (root / str(pid)).mkdir()
        ppid = random.Random(pid).randrange(0, count)
        comm = f"a) {pid} ) S 7\n" if pid % 2 else f"k{pid}"
        (root / str(pid) / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} 0 -1 0\n")
        expected[pid] = ppid
    for other in ("self", "net", "0"):
        (root / other).mkdir()
    (root / str(count + 1)).mkdir()  # a process gone: no stat left
    return expected


@pytest.mark.parametrize("below", [True, False], ids=["below", "at"])
def test_ppids_threshold_both_sides(tmp_path: Path, below: bool) -> None:
    expected = write_proc(tmp_path, _scan.STAT_THREADS_FROM - below - 1)  # one is gone
    before = _scan.threads_started()
    got = _scan.ppids(str(tmp_path))
    started = _scan.threads_started() - before
    assert got == expected == _scan.ppids(str(tmp_path), MAX) == _scan.ppids(str(tmp_path), 1)
    with procfs.rooted(str(tmp_path)), procfs.native(False):
        assert procfs.parents() == expected
    assert started == (0 if below else helpers())


def _ended(pid: int) -> bool:
    """Whether ``pid`` has exited now: gone, a zombie, or in exit(2) (PF_EXITING, proc(5)
    /proc/PID/stat fields 3 and 9)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()
    except FileNotFoundError:
        return True
    return fields[0] in (b"Z", b"X") or bool(int(fields[6]) & 0x4)


def _moved_without_cause(first: dict[int, int],
                         second: dict[int, int]) -> dict[int, tuple[int, int]]:
    """pid -> (ppid, ppid) of the processes of both scans whose parent changed although
    their first parent lives on. A ppid changes for one reason only: the parent exits
    and the child is reparented (to init or a subreaper, prctl(2) PR_SET_CHILD_SUBREAPER),
    so a process whose first parent lives on must have the same ppid in both scans."""
    return {p: (first[p], second[p]) for p in first.keys() & second.keys()
            if first[p] != second[p] and not _ended(first[p])}


def test_ppids_of_this_machine_threaded(every_kind: Child) -> None:
    threaded, one = _scan.ppids("/proc", MAX), _scan.ppids("/proc", 1)
    assert threaded[every_kind.pid] == one[every_kind.pid] == os.getpid()
    both = threaded.keys() & one.keys()  # processes come and go meanwhile
    assert len(both) > 0.9 * len(one)
    assert _moved_without_cause(threaded, one) == {}


def test_a_ppid_changes_only_with_its_parent_ended() -> None:
    """The check above on a reparenting made between two scans: a middle process
    exits, its child moves to init or a subreaper (the ppid changes, and that is no
    fault); a ppid changed while the first parent lives is one."""
    code = ("import os, sys, time\n"
            "if os.fork() == 0:\n    time.sleep(60)\n    os._exit(0)\n"
            "sys.stdin.read()\n")
    middle = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    kids: list[int] = []
    try:
        deadline = time.monotonic() + 15
        while not (kids := [p for p, pp in _scan.ppids("/proc", 1).items() if pp == middle.pid]):
            assert time.monotonic() < deadline, "the child never showed"
            time.sleep(0.05)
        (child,) = kids
        first = _scan.ppids("/proc", MAX)
        assert middle.stdin is not None
        middle.stdin.close()
        middle.wait(timeout=10)  # exited, reaped: its child was reparented (exit_notify)
        second = _scan.ppids("/proc", 1)
        assert first[child] == middle.pid != second[child]
        assert child not in _moved_without_cause(first, second)
        faked = {**second, os.getpid(): os.getppid() + 1}  # this process's parent lives on
        assert _moved_without_cause({**first, os.getpid(): os.getppid()}, faked) == {
            os.getpid(): (os.getppid(), os.getppid() + 1)}
    finally:
        if middle.poll() is None:
            middle.kill()
            middle.wait()
        for kid in kids:  # the orphan, by its pid; its new parent reaps it
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGKILL)


def test_bad_workers_and_paths_said_as_before(tmp_path: Path) -> None:
    for bad in (-1, MAX + 1):
        with pytest.raises(ValueError, match="workers"):
            _scan.fd_table("/proc/self/fd", None, True, bad)
        with pytest.raises(ValueError, match="workers"):
            _scan.ppids("/proc", bad)
    with pytest.raises(FileNotFoundError) as caught:
        _scan.fd_table(str(tmp_path / "none"), None, False, MAX)
    assert caught.value.filename == str(tmp_path / "none")
    (tmp_path / "file").touch()
    with pytest.raises(NotADirectoryError):
        _scan.ppids(str(tmp_path / "file"), MAX)


def test_no_thread_fd_or_memory_left_behind() -> None:
    """Every thread joined and every buffer freed, also on the error paths: the process's
    threads and fds as before, and its data size flat over hundreds of calls (proc(5)
    VmData: a call that kept its buffers would keep 256 KiB a worker; one that kept its
    rows, a few thousand objects). In a child of its own, where nothing else moves it."""
    code = f"""
import os, socket
from iochannels.live import _scan
keep = [socket.socketpair() for _ in range(64)]
me = os.getpid()
def calls():
    _scan.fd_table(f"/proc/{{me}}/fd", f"/proc/{{me}}/fdinfo", True, {MAX})
    _scan.fd_table(f"/proc/{{me}}/fd", None, True, {MAX})
    _scan.links_scan("/proc", [me, 1, 2**22 + 1, me], {{"x"}}, {MAX})
    _scan.ppids("/proc", {MAX})
    list(_scan.ahead("/proc", [me, 1, 2**22 + 1, me, 2], {MAX}))
    unread = _scan.ahead("/proc", [me, 1, 2], {MAX})
    next(unread)
    del unread
    try:
        _scan.fd_table("/proc/{2**22 + 1}/fd", None, False, {MAX})
    except FileNotFoundError:
        pass
def data():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmData:"))
for _ in range(30):
    calls()
fds, tasks, before = os.listdir("/proc/self/fd"), os.listdir("/proc/self/task"), data()
for _ in range(200):
    calls()
print(data() - before, len(os.listdir("/proc/self/fd")) - len(fds),
      len(os.listdir("/proc/self/task")) - len(tasks))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    grown_kib, more_fds, more_threads = map(int, out.stdout.split())
    assert (more_fds, more_threads) == (0, 0)
    assert grown_kib < 2048, f"VmData grew by {grown_kib} KiB over 200 rounds of calls"


__all__ = ["every_kind"]  # a fixture: imported by the tests that use it
