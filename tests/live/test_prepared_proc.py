"""live against a prepared /proc: what other kernels and other machines show.

``procfs.rooted(tree)`` reads a directory laid out as /proc instead of /proc. Each
tree is copied from the real /proc of a real child process, then changed the way
another kernel would show it: no tcp6 table (a kernel without IPv6), fdinfo without
``ino:`` lines (before Linux 5.14). The snapshot read from it must say what the
real one says, or say what it cannot know.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from iochannels import live
from iochannels.live import procfs, sockdiag
from iochannels.model import Kind, Snapshot

# A pipe, a socketpair, a TCP connection on 127.0.0.1 and a file, held until stdin closes.
# (Sockets named by copied links have no protocol to ask: every /proc/net table is read.)
HOLDER = """
import os, socket, sys
r, w = os.pipe()
a, b = socket.socketpair()
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname())
conn, _ = server.accept()
f = open(sys.executable, "rb")
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def holder() -> Iterator[int]:
    # stderr on /dev/null: a deleted file (pytest's capture) cannot be stat'ed through a
    # copied link, only through the kernel's own magic link.
    child = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        yield child.pid
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(10)
        child.stdout.close()


def copy_proc(pid: int, tree: Path, fdinfo: Callable[[str], str] = lambda t: t,
              net: Callable[[str], bool] = lambda name: True) -> None:
    """/proc/PID (links, fdinfo, stat, cmdline, comm, status) and /proc/net into ``tree``."""
    mine = tree / str(pid)
    (mine / "fd").mkdir(parents=True)
    (mine / "fdinfo").mkdir()
    for name in ("stat", "cmdline", "comm", "status"):
        shutil.copyfile(f"/proc/{pid}/{name}", mine / name)
    for fd in os.listdir(f"/proc/{pid}/fd"):
        (mine / "fd" / fd).symlink_to(os.readlink(f"/proc/{pid}/fd/{fd}"))
        text = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
        (mine / "fdinfo" / fd).write_text(fdinfo(text))
    (tree / "net").mkdir()
    for name in os.listdir("/proc/net"):
        if net(name) and os.path.isfile(f"/proc/net/{name}"):
            shutil.copyfile(f"/proc/net/{name}", tree / "net" / name)


def table(snap: Snapshot, pid: int) -> list[tuple[int, Kind, str, str | None]]:
    """(fd, kind, channel id, peer) of each fd: what must not change."""
    proc = snap.process(pid)
    assert proc is not None and proc.error is None
    return [(e.fd, snap.channels[e.channel].kind, e.channel, snap.channels[e.channel].peer)
            for e in proc.fds]


def test_a_kernel_without_ino_in_fdinfo(holder: int, tmp_path: Path) -> None:
    """Before Linux 5.14 fdinfo has no ino: line: every link is read, every file stat'ed."""
    real = live.snapshot([holder], others=False)
    copy_proc(holder, tmp_path, fdinfo=lambda t: "".join(
        line for line in t.splitlines(keepends=True) if not line.startswith("ino:")))
    with procfs.rooted(str(tmp_path)):
        old = live.snapshot([holder], others=False)
    assert table(old, holder) == table(real, holder)
    assert {Kind.PIPE, Kind.UNIX_STREAM, Kind.TCP, Kind.FILE} <= {k for _, k, _, _ in
                                                                 table(old, holder)}


def test_a_kernel_without_ipv6(holder: int, tmp_path: Path) -> None:
    """No tcp6 nor udp6 table: the IPv4 connection is still paired, nothing fails."""
    copy_proc(holder, tmp_path, net=lambda name: not name.endswith("6"))
    with procfs.rooted(str(tmp_path)):
        snap = live.snapshot([holder], others=False)
    tcp = [(fd, cid, peer) for fd, kind, cid, peer in table(snap, holder) if kind is Kind.TCP]
    assert len(tcp) == 3  # the listener, the client, the accepted connection
    ids = {cid for _, cid, _ in tcp}
    assert sum(1 for _, _, peer in tcp if peer in ids) == 2  # the two ends, each other's peer


def test_sock_diag_refused(holder: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A seccomp filter or an old kernel refuses sock_diag: kinds still come from
    /proc/net/unix, the peers are not guessed, and a note says why."""
    def refused(_: object) -> dict[int, sockdiag.Diag]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sockdiag, "unix_diag", refused)
    snap = live.snapshot([holder], others=False)
    pairs = [(kind, peer) for _, kind, _, peer in table(snap, holder)
             if kind is Kind.UNIX_STREAM]
    assert pairs == [(Kind.UNIX_STREAM, None)] * 2
    assert any("sock_diag unavailable" in note for note in snap.notes)


def test_the_root_is_put_back(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), procfs.rooted(str(tmp_path)):
        assert procfs.root() == str(tmp_path) and procfs.all_pids() == []
        raise RuntimeError
    assert procfs.root() == "/proc" and os.getpid() in procfs.all_pids()
