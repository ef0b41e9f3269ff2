"""Every kind, fd by fd, against what we opened and against lsof and lsfd as witnesses."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from livekit import Child, every_kind

from conftest import need_program
from iochannels import live
from iochannels.model import BufferRole, Channel, Kind, Snapshot

EXPECTED: dict[str, tuple[Kind, str]] = {
    "fifo_r": (Kind.FIFO, "r"), "fifo_w": (Kind.FIFO, "w"),
    "pipe_r": (Kind.PIPE, "r"), "pipe_w": (Kind.PIPE, "w"),
    "file": (Kind.FILE, "rw"), "dir": (Kind.DIR, "r"), "devnull": (Kind.CHR, "w"),
    "deleted": (Kind.FILE, "rw"), "memfd": (Kind.FILE, "rw"),
    "unix_listen": (Kind.UNIX_STREAM, "rw"), "unix_client": (Kind.UNIX_STREAM, "rw"),
    "unix_accepted": (Kind.UNIX_STREAM, "rw"), "dgram_a": (Kind.UNIX_DGRAM, "rw"),
    "dgram_b": (Kind.UNIX_DGRAM, "rw"), "seq_a": (Kind.UNIX_SEQPACKET, "rw"),
    "seq_b": (Kind.UNIX_SEQPACKET, "rw"), "abstract": (Kind.UNIX_STREAM, "rw"),
    "tcp_listen": (Kind.TCP, "rw"), "tcp_client": (Kind.TCP, "rw"),
    "tcp_server": (Kind.TCP, "rw"), "tcp6_listen": (Kind.TCP, "rw"),
    "udp": (Kind.UDP, "rw"), "udp6": (Kind.UDP, "rw"), "netlink": (Kind.NETLINK, "rw"),
    "eventfd": (Kind.ANON, "rw"), "epoll": (Kind.ANON, "rw"), "pidfd": (Kind.ANON, "rw"),
    "signalfd": (Kind.ANON, "rw"), "timerfd": (Kind.ANON, "rw"), "inotify": (Kind.ANON, "r"),
    "nonblock_pipe": (Kind.PIPE, "r"),
}


def channel_of(snap: Snapshot, pid: int, fd: int) -> Channel:
    proc = snap.process(pid)
    assert proc is not None
    entry = proc.fd(fd)
    assert entry is not None, f"fd {fd} missing"
    return snap.channels[entry.channel]


def test_every_kind_and_access(every_kind: Child) -> None:
    snap = live.snapshot([every_kind.pid])
    proc = snap.process(every_kind.pid)
    assert proc is not None and proc.error is None
    expected = dict(EXPECTED)
    if "raw" in every_kind.fds:  # opened only with CAP_NET_RAW
        expected["raw"] = (Kind.RAW, "rw")
    for name, (kind, access) in expected.items():
        fd = every_kind.fds[name]
        entry = proc.fd(fd)
        assert entry is not None, name
        assert (snap.channels[entry.channel].kind, entry.access) == (kind, access), name


def test_details(every_kind: Child) -> None:
    snap, pid, fds = live.snapshot([every_kind.pid]), every_kind.pid, every_kind.fds
    proc = snap.process(pid)
    assert proc is not None
    ch = lambda name: channel_of(snap, pid, fds[name])  # noqa: E731
    fd = lambda name: proc.fd(fds[name])  # noqa: E731
    assert ch("fifo_r").id == ch("fifo_w").id and ch("fifo_r").local.endswith("/fifo")  # type: ignore[union-attr]
    assert ch("pipe_r").id == ch("pipe_w").id == ch("nonblock_pipe").id
    assert "nonblock" in fd("nonblock_pipe").flags and "nonblock" not in fd("pipe_w").flags  # type: ignore[union-attr]
    assert "append" in fd("file").flags and fd("file").offset == 5  # type: ignore[union-attr]
    assert ch("deleted").detail["deleted"] == "yes"
    assert ch("memfd").detail["memfd"] == "iochannels-memfd"
    assert ch("devnull").label == "/dev/null" and ch("devnull").detail["device"] == "1:3"
    assert ch("unix_listen").state == "LISTEN" and ch("unix_listen").detail["backlog"] == "4"
    assert ch("abstract").local == f"@iochannels-test-{pid}"
    assert ch("tcp_listen").state == "LISTEN" and ch("tcp_listen").detail["backlog"] == "4"
    assert ch("tcp6_listen").local.startswith("[::1]:")  # type: ignore[union-attr]
    assert ch("udp6").local.startswith("[::1]:")  # type: ignore[union-attr]
    assert ch("tcp_client").state == "ESTABLISHED"
    assert {ch(n).detail["type"] for n in ("eventfd", "epoll", "pidfd", "signalfd", "timerfd",
                                           "inotify")} == {"eventfd", "eventpoll", "pidfd",
                                                           "signalfd", "timerfd", "inotify"}
    watched = {int(x) for x in ch("epoll").detail["watches"].split(",")}
    assert watched == {fds["pipe_r"], fds["eventfd"]}


def test_peers_inside_one_process(every_kind: Child) -> None:
    snap, pid, fds = live.snapshot([every_kind.pid]), every_kind.pid, every_kind.fds
    for a, b in (("unix_client", "unix_accepted"), ("dgram_a", "dgram_b"), ("seq_a", "seq_b"),
                 ("tcp_client", "tcp_server")):
        ca, cb = channel_of(snap, pid, fds[a]), channel_of(snap, pid, fds[b])
        assert (ca.peer, cb.peer) == (cb.id, ca.id), (a, b)
    assert channel_of(snap, pid, fds["unix_client"]).remote.endswith("/sock")  # type: ignore[union-attr]
    pipe = channel_of(snap, pid, fds["pipe_r"]).buffer(BufferRole.PIPE)
    assert pipe is not None and pipe.used == 1000
    tcp_in = channel_of(snap, pid, fds["tcp_server"]).buffer(BufferRole.RECV)
    assert tcp_in is not None and tcp_in.used == 300


LSOF_TYPES = {"FIFO": {Kind.PIPE, Kind.FIFO}, "REG": {Kind.FILE}, "DIR": {Kind.DIR},
              "CHR": {Kind.CHR}, "unix": {Kind.UNIX_STREAM, Kind.UNIX_DGRAM, Kind.UNIX_SEQPACKET},
              "IPv4": {Kind.TCP, Kind.UDP}, "IPv6": {Kind.TCP, Kind.UDP},
              "sock": {Kind.NETLINK, Kind.SOCKET}, "a_inode": {Kind.ANON}, "raw": {Kind.RAW}}
LSOF_ACCESS = {"r": "r", "w": "w", "u": "rw"}


def lsof_fds(pid: int) -> dict[int, dict[str, str]]:
    out = subprocess.run([need_program("lsof"), "-n", "-P", "-w", "-p", str(pid), "-F", "ftai"],
                         capture_output=True, text=True, check=False).stdout
    fds: dict[int, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in out.splitlines():
        if line[:1] == "f":
            current = {}
            if line[1:].isdigit():
                fds[int(line[1:])] = current
        else:
            current[line[:1]] = line[1:]
    return fds


@pytest.mark.witness("lsof")
def test_against_lsof(every_kind: Child) -> None:
    witness = lsof_fds(every_kind.pid)
    snap = live.snapshot([every_kind.pid])
    proc = snap.process(every_kind.pid)
    assert proc is not None
    assert {e.fd for e in proc.fds} == set(witness)
    for entry in proc.fds:
        seen, channel = witness[entry.fd], snap.channels[entry.channel]
        assert channel.kind in LSOF_TYPES[seen["t"]], (entry.fd, seen)
        assert entry.access == LSOF_ACCESS[seen["a"]], (entry.fd, seen)
        if channel.id.startswith(("pipe:", "socket:")) and "i" in seen:
            assert channel.id.endswith(f"[{seen['i']}]"), (entry.fd, seen)


LSFD_NAMES = {"UNIX-STREAM": {Kind.UNIX_STREAM}, "UNIX": {Kind.UNIX_DGRAM, Kind.UNIX_SEQPACKET},
              "TCP": {Kind.TCP}, "TCPv6": {Kind.TCP}, "UDP": {Kind.UDP}, "UDPv6": {Kind.UDP},
              "NETLINK": {Kind.NETLINK}, "RAW": {Kind.RAW}}
LSFD_MODES = {"r--": "r", "-w-": "w", "rw-": "rw"}


@pytest.mark.witness("lsfd")
def test_against_lsfd(every_kind: Child) -> None:
    out = subprocess.run([need_program("lsfd"), "-J", "-p", str(every_kind.pid), "-o",
                          "ASSOC,TYPE,MODE,INODE,NAME"], capture_output=True, text=True,
                         check=True).stdout
    rows = {int(r["assoc"]): r for r in json.loads(out)["lsfd"] if str(r["assoc"]).isdigit()}
    snap = live.snapshot([every_kind.pid])
    proc = snap.process(every_kind.pid)
    assert proc is not None and {e.fd for e in proc.fds} == set(rows)
    for entry in proc.fds:
        row, channel = rows[entry.fd], snap.channels[entry.channel]
        assert entry.access == LSFD_MODES[row["mode"]], row
        match row["type"]:
            case "SOCK":
                assert channel.kind in LSFD_NAMES[row["name"].split(":")[0]], row
            case "UNKN":
                assert channel.kind is Kind.ANON and row["name"].startswith("anon_inode:"), row
            case "FIFO":
                assert channel.kind in (Kind.PIPE, Kind.FIFO)
                assert channel.id.endswith(f"{row['inode']}]"), row
            case other:
                assert channel.kind == {"REG": Kind.FILE, "DIR": Kind.DIR, "CHR": Kind.CHR}[other]


@pytest.mark.witness("ss")
def test_unix_peers_against_ss(every_kind: Child) -> None:
    # Other processes' socket names need not be UTF-8: ss prints their bytes as they are.
    out = subprocess.run([need_program("ss"), "-x", "-a", "-p"], capture_output=True, text=True,
                         errors="surrogateescape", check=True).stdout
    peers = {}
    for line in out.splitlines():
        if f"pid={every_kind.pid}," in line:
            parts = line.split()
            peers[int(parts[5])] = int(parts[7])  # local inode, peer inode
    snap = live.snapshot([every_kind.pid])
    checked = 0
    for inode, peer in peers.items():
        channel = snap.channels[f"socket:[{inode}]"]
        assert channel.peer == (f"socket:[{peer}]" if peer else None), (inode, peer)
        checked += bool(peer)
    assert checked >= 6  # 2 stream + 2 dgram + 2 seqpacket ends


def test_filters(every_kind: Child) -> None:
    fds = every_kind.fds
    snap = live.snapshot([every_kind.pid], fd_range=range(3, 7), kinds={Kind.PIPE})
    proc = snap.process(every_kind.pid)
    assert proc is not None
    assert [e.fd for e in proc.fds] == [fds["pipe_r"], fds["pipe_w"]]
    assert os.path.isdir(every_kind.workdir)

__all__ = ["every_kind"]  # a fixture: imported by the tests that use it


# Hundreds of sockets /proc/net does not list: unbound UDP and TCP sockets are in no
# hash table, so no table row names them; only their protocol (socket(7)
# system.sockprotoname) tells their kind. Some bound ones beside them are listed.
MANY_UNLISTED = """
import os, resource, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
keep = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(300)]
keep += [socket.socket(socket.AF_INET6, socket.SOCK_STREAM) for _ in range(300)]
bound = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(20)]
for s in bound:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.fileno()) for s in keep), "|", " ".join(str(s.fileno()) for s in bound),
      flush=True)
sys.stdin.read()
"""


def test_hundreds_of_sockets_no_table_lists() -> None:
    import sys

    child = subprocess.Popen([sys.executable, "-c", MANY_UNLISTED], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        unlisted, _, bound = child.stdout.readline().partition("|")
        fds = [int(f) for f in unlisted.split()]
        snap = live.snapshot([child.pid])
        kinds = [channel_of(snap, child.pid, fd).kind for fd in fds]
        assert kinds == [Kind.UDP] * 300 + [Kind.TCP] * 300
        assert {channel_of(snap, child.pid, int(fd)).local for fd in bound.split()} \
            <= {f"127.0.0.1:{port}" for port in range(1, 65536)}
    finally:
        child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()
