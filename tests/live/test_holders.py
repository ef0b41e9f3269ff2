"""The other end of a channel, when it is held by the process taking the snapshot."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

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


HOLD = "import sys; sys.stdin.read()"


def _holders(count: int, fd: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE, pass_fds=(fd,))
            for _ in range(count)]


def _end(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)


def test_every_holder_of_a_shared_socket_is_named(capsys) -> None:  # type: ignore[no-untyped-def]
    """A UNIX socket shared by 8 processes (forked workers, as Chromium's): 8 holders, +7."""
    from iochannels.cli import main

    a, b = socket.socketpair()
    inspected = _holders(1, a.fileno())
    workers = _holders(8, b.fileno())
    a.close()
    b.close()
    try:
        pid = inspected[0].pid
        snap = live.snapshot([pid])
        entry = next(e for e in snap.process(pid).fds  # type: ignore[union-attr]
                     if snap.channels[e.channel].kind.value == "unix-stream")
        peer = snap.channels[entry.channel].peer
        assert peer is not None
        held_by = snap.channels[peer].detail["held_by"]
        assert sorted(int(h.split()[0]) for h in held_by.split(", ")) == sorted(
            w.pid for w in workers)
        assert main(["fds", str(pid), "-d", str(entry.fd)]) == 0
        assert " +7" in capsys.readouterr().out
    finally:
        _end(inspected + workers)


SERVER6 = """
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 0)); s.listen()
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
print("accepted", flush=True)
sys.stdin.read()
"""
CLIENT4 = """
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(c.fileno(), flush=True)
sys.stdin.read()
"""


def test_an_ipv4_mapped_connection_is_paired_on_both_sides(capsys) -> None:  # type: ignore[no-untyped-def]
    """ipv6(7): a [::] listener with IPV6_V6ONLY off accepts 127.0.0.1 clients as ::ffff:..."""
    from iochannels.cli import main

    server = subprocess.Popen([sys.executable, "-c", SERVER6], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    client = None
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        client = subprocess.Popen([sys.executable, "-c", CLIENT4, port], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert client.stdout is not None
        client_fd = int(client.stdout.readline())
        assert server.stdout.readline().strip() == "accepted"
        snap = live.snapshot([server.pid, client.pid])
        mine = snap.channels[snap.process(client.pid).fd(client_fd).channel]  # type: ignore[union-attr]
        assert mine.remote == f"127.0.0.1:{port}" and mine.peer is not None
        theirs = snap.channels[mine.peer]
        assert theirs.peer == mine.id and theirs.remote is not None
        assert theirs.remote.startswith("[::ffff:127.0.0.1]:")
        assert any(e.channel == theirs.id for e in snap.process(server.pid).fds)  # type: ignore[union-attr]
        assert main(["graph", str(server.pid), str(client.pid)]) == 0
        out = capsys.readouterr().out
        assert f"{client.pid} " in out and f"{server.pid} " in out and "tcp" in out
    finally:
        for proc in (server, client):
            if proc is not None:
                proc.kill()
                proc.wait()
                proc.stdin.close()  # type: ignore[union-attr]
                proc.stdout.close()  # type: ignore[union-attr]


FORKED = """
import os, socket, sys
r, w = os.pipe()
a, b = socket.socketpair()
child = os.fork()
if child == 0:
    sys.stdin.read()
    os._exit(0)
print(child, r, w, a.fileno(), b.fileno(), flush=True)
sys.stdin.read()
os.waitpid(child, 0)
"""


def test_after_fork_the_other_holders_of_both_ends_are_named(capsys) -> None:  # type: ignore[no-untyped-def]
    """The lecture's fork picture: a parent holding both ends of a pipe and of a
    socketpair, and its child holding the same four fds (fork(2) copies the table).
    Asked about the parent alone, each end's other holders are the parent's other fd
    and the child's (lsof +E lists both), so "+1", and graph draws the edges to the child."""
    from iochannels.cli import main

    parent = subprocess.Popen([sys.executable, "-c", FORKED], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child, r, w, a, b = (int(x) for x in parent.stdout.readline().split())
        name = Path(f"/proc/{child}/comm").read_text().strip()
        if shutil.which("lsof"):  # the witness: lsof +E names the child as a holder too
            seen = subprocess.run(["lsof", "-n", "+E", "-a", "-p", str(parent.pid), "-d", str(r)],
                                  capture_output=True, text=True).stdout
            assert f"{child},{name}" in seen, seen
        snap = live.snapshot([parent.pid])
        proc = snap.process(parent.pid)
        assert proc is not None
        pipe = proc.fd(r)
        assert pipe is not None
        held_by = snap.channels[pipe.channel].detail.get("held_by", "")
        assert f"{child} {name} fd{r} r" in held_by and f"{child} {name} fd{w} w" in held_by
        for mine, theirs in ((a, b), (b, a)):
            end = proc.fd(mine)
            assert end is not None
            peer = snap.channels[end.channel].peer
            assert peer is not None
            assert f"{child} {name} fd{theirs} rw" in snap.channels[peer].detail.get("held_by", "")
        assert main(["fds", str(parent.pid), "-d", f"{r}-{b}"]) == 0
        lines = capsys.readouterr().out.splitlines()[2:6]
        assert all(" +1 " in line for line in lines), lines
        assert main(["graph", str(parent.pid)]) == 0
        out = capsys.readouterr().out
        assert f"{parent.pid} {name} fd{w} --{pipe.channel}--> {child} {name} fd{r}" in out
        assert f"{child} {name} fd{w} --{pipe.channel}--> {parent.pid} {name} fd{r}" in out
        assert f" {child} {name} fd{b}" in out or f"{child} {name} fd{a} " in out
    finally:
        assert parent.stdin is not None and parent.stdout is not None
        parent.stdin.close()
        parent.wait(timeout=10)
        parent.stdout.close()
