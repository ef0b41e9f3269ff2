"""Pairing across processes: a three-process pipeline and a socketpair parent/child."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import need_program
from iochannels import live
from iochannels.model import End, Kind
from iochannels.render.text import graph_links, holders


@pytest.fixture
def pipeline() -> Iterator[tuple[int, int, int]]:
    """sleep 100 | cat | cat > /dev/null, built by hand; yields the three pids."""
    first = subprocess.Popen(["sleep", "100"], stdout=subprocess.PIPE)
    middle = subprocess.Popen(["cat"], stdin=first.stdout, stdout=subprocess.PIPE)
    last = subprocess.Popen(["cat"], stdin=middle.stdout, stdout=subprocess.DEVNULL)
    assert first.stdout is not None and middle.stdout is not None
    first.stdout.close()  # the parent keeps no end: only the children hold the pipes
    middle.stdout.close()
    try:
        yield first.pid, middle.pid, last.pid
    finally:
        for proc in (first, middle, last):
            proc.kill()
            proc.wait()


def test_pipeline_ends(pipeline: tuple[int, int, int]) -> None:
    first, middle, last = pipeline
    snap = live.snapshot([first, middle, last])
    procs = [snap.process(p) for p in pipeline]
    assert all(p is not None for p in procs)
    out1, in2 = procs[0].fd(1), procs[1].fd(0)  # type: ignore[union-attr]
    out2, in3 = procs[1].fd(1), procs[2].fd(0)  # type: ignore[union-attr]
    assert out1 and in2 and out2 and in3
    assert out1.channel == in2.channel and out2.channel == in3.channel
    assert out1.channel != out2.channel
    assert snap.channels[out1.channel].kind is Kind.PIPE
    assert snap.ends(out1.channel) == (End(first, 1, "w"), End(middle, 0, "r"))
    links = {(a.pid, a.fd, b.pid, b.fd) for a, _, b in graph_links(snap)}
    assert {(first, 1, middle, 0), (middle, 1, last, 0)} <= links


def test_other_end_outside_the_snapshot(pipeline: tuple[int, int, int]) -> None:
    first, middle, last = pipeline
    snap = live.snapshot([middle])
    proc = snap.process(middle)
    assert proc is not None and [p.pid for p in snap.processes] == [middle]
    stdin, stdout = proc.fd(0), proc.fd(1)
    assert stdin is not None and stdout is not None
    assert [(h.pid, h.fd, h.access) for h in holders(snap, stdin.channel)] == [
        (middle, 0, "r"), (first, 1, "w")]
    assert [(h.pid, h.name, h.fd) for h in holders(snap, stdout.channel)][1:] == [
        (last, "cat", 0)]


def test_socketpair_parent_child() -> None:
    mine, theirs = socket.socketpair()
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE, pass_fds=[theirs.fileno()])
    try:
        snap = live.snapshot([os.getpid(), child.pid])
        me, kid = snap.process(os.getpid()), snap.process(child.pid)
        assert me is not None and kid is not None
        my_entry, kid_entry = me.fd(mine.fileno()), kid.fd(theirs.fileno())
        assert my_entry is not None and kid_entry is not None
        my_channel = snap.channels[my_entry.channel]
        assert my_channel.kind is Kind.UNIX_STREAM and my_channel.state == "CONNECTED"
        assert my_channel.peer == kid_entry.channel
        assert snap.channels[kid_entry.channel].peer == my_entry.channel
        # The parent still holds its copy of the child's end too: both hold it.
        assert {e.pid for e in snap.ends(kid_entry.channel)} == {os.getpid(), child.pid}
    finally:
        mine.close()
        theirs.close()
        assert child.stdin is not None
        child.stdin.close()
        child.wait()


def test_fifo_between_unrelated_processes() -> None:
    workdir = tempfile.mkdtemp(prefix="iochannels-")
    fifo = os.path.join(workdir, "to_reader.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer = subprocess.Popen(["sh", "-c", f"exec 3>{fifo}; echo ready; read x"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
        snap = live.snapshot([os.getpid()])
        me = snap.process(os.getpid())
        assert me is not None
        entry = me.fd(reader)
        assert entry is not None and entry.access == "r"
        channel = snap.channels[entry.channel]
        assert channel.kind is Kind.FIFO and channel.local == fifo
        assert [(h.pid, h.fd, h.access) for h in holders(snap, channel.id)][1:] == [
            (writer.pid, 3, "w")]
    finally:
        assert writer.stdin is not None and writer.stdout is not None
        writer.stdin.close()
        writer.wait()
        writer.stdout.close()
        os.close(reader)
        shutil.rmtree(workdir)


def test_listener_names_the_clients_waiting_in_accept() -> None:
    workdir = tempfile.mkdtemp(prefix="iochannels-")
    path = os.path.join(workdir, "server.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    code = ("import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
            "print('on', flush=True); sys.stdin.read()")
    client = subprocess.Popen([sys.executable, "-c", code, path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert client.stdout is not None and client.stdout.readline() == b"on\n"
        snap = live.snapshot([os.getpid()])
        me = snap.process(os.getpid())
        assert me is not None
        entry = me.fd(listener.fileno())
        assert entry is not None
        channel = snap.channels[entry.channel]
        assert channel.state == "LISTEN" and channel.detail["queued"] == "1"
        waiting = channel.detail["waiting"].split()
        assert len(waiting) == 1
        assert [h.pid for h in holders(snap, waiting[0])] == [client.pid]
    finally:
        assert client.stdin is not None and client.stdout is not None
        client.stdin.close()
        client.wait()
        client.stdout.close()
        listener.close()
        shutil.rmtree(workdir)


@pytest.mark.witness("lsof")
def test_pipeline_other_ends_against_lsof(pipeline: tuple[int, int, int]) -> None:
    """lsof names the pipe inode of each fd: ends that share it are the pairs we report."""
    lsof = need_program("lsof")
    out = subprocess.run([lsof, "-n", "-P", "-w", "-a", "-d", "0-2", "-p",
                          ",".join(map(str, pipeline)), "-F", "pfai"],
                         capture_output=True, text=True, check=False).stdout
    inode: dict[tuple[int, int], str] = {}
    pid = fd = 0
    for line in out.splitlines():
        match line[:1]:
            case "p":
                pid = int(line[1:])
            case "f":
                fd = int(line[1:])
            case "i":
                inode[(pid, fd)] = line[1:]
    first, middle, last = pipeline
    snap = live.snapshot(pipeline)
    for (a, fa), (b, fb) in (((first, 1), (middle, 0)), ((middle, 1), (last, 0))):
        assert inode[(a, fa)] == inode[(b, fb)]
        entry = snap.process(a).fd(fa)  # type: ignore[union-attr]
        assert entry is not None and entry.channel == f"pipe:[{inode[(a, fa)]}]"
        assert End(b, fb, "r") in snap.ends(entry.channel)


LISTENER = """
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], s.fileno(), flush=True)
sys.stdin.read()
"""
CLIENTS = """
import socket, sys
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
for c, n in zip(cs, (10, 20, 30)):
    c.sendall(b"x" * n)
print(*(c.fileno() for c in cs), flush=True)
sys.stdin.read()
"""


def _server_rows(ss: str, port: int) -> list[int]:
    """Recv-Q of the server-side connections on ``port`` as ss(8) lists them."""
    out = subprocess.run([ss, "-tnH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(int(line.split()[0]) for line in out.splitlines())


@pytest.mark.witness("ss")
def test_tcp_connections_not_accepted_yet_are_no_channels_of_their_own(  # type: ignore[no-untyped-def]
        capsys, monkeypatch) -> None:
    """tcp(7): connect(2) succeeds once the handshake is done, before the server's
    accept(2); /proc/net/tcp then lists each server-side socket with inode 0 (no file
    yet). ss shows three distinct connections holding 10, 20 and 30 bytes. None is a
    channel "socket:[0]"; each client names the listener that will accept it."""
    import time

    from iochannels.cli import main

    ss = need_program("ss")
    server = subprocess.Popen([sys.executable, "-c", LISTENER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    client = None
    try:
        assert server.stdout is not None
        port, listen_fd = (int(x) for x in server.stdout.readline().split())
        client = subprocess.Popen([sys.executable, "-c", CLIENTS, str(port)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert client.stdout is not None
        fds = [int(x) for x in client.stdout.readline().split()]
        deadline = time.monotonic() + 15
        while _server_rows(ss, port) != [10, 20, 30] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _server_rows(ss, port) == [10, 20, 30]
        for asked in ([server.pid], [client.pid], [server.pid, client.pid]):
            snap = live.snapshot(asked)
            assert "socket:[0]" not in snap.channels
            assert all(c.peer != "socket:[0]" for c in snap.channels.values())
        proc = snap.process(server.pid)
        entry = None if proc is None else proc.fd(listen_fd)
        assert entry is not None
        listener = snap.channels[entry.channel]
        assert listener.detail["queued"] == "3"
        mine = [snap.channels[e.channel] for fd in fds
                if (e := snap.process(client.pid).fd(fd)) is not None]  # type: ignore[union-attr]
        assert sorted(listener.detail["waiting"].split()) == sorted(c.id for c in mine)
        assert all(c.detail["queued_at"] == listener.id and c.peer is None for c in mine)
        name = Path(f"/proc/{server.pid}/comm").read_text().strip()
        monkeypatch.setenv("COLUMNS", "200")  # one line per fd
        assert main(["fds", str(client.pid), "-d", f"{fds[0]}-{fds[2]}"]) == 0
        lines = capsys.readouterr().out.splitlines()[2:5]
        assert all(f"{server.pid} {name} fd{listen_fd} (queued)" in line for line in lines), lines
    finally:
        for proc_ in (client, server):
            if proc_ is not None:
                assert proc_.stdin is not None and proc_.stdout is not None
                proc_.stdin.close()
                proc_.wait(timeout=10)
                proc_.stdout.close()
