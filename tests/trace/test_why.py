"""`iochannels why` on real programs that hang, with the verdict asserted."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tracekit import compile_program

from iochannels import live

SRC = str(Path(__file__).resolve().parents[2] / "src")


def iochannels(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "iochannels", *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def wait_blocked(pids: list[int], prefix: str = "blocked in") -> None:
    """Until each process sleeps in a call (proc(5) /proc/PID/syscall, read by live)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        snap = live.snapshot(pids, others=False)
        if all((p := snap.process(pid)) is not None and (p.state or "").startswith(prefix)
               for pid in pids):
            return
        time.sleep(0.05)
    pytest.fail(f"{pids} never blocked")


@contextmanager
def python_child(code: str, *args: str, cwd: Path | None = None
                 ) -> Iterator[subprocess.Popen[str]]:
    """``python -c code args``, its stdout a pipe; killed and reaped however the test ends."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd,
                            stdout=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def hanging(tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> tuple[int, int]:
        proc = subprocess.Popen([compile_program(name, tmp_path)], start_new_session=True)
        started.append(proc)
        deadline = time.monotonic() + 20
        while not children(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        return proc.pid, children(proc.pid)[0]

    yield start
    for proc in started:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.1)  # the children, reparented, are reaped by init


def test_child_that_forgets_to_close_the_write_end(hanging) -> None:  # type: ignore[no-untyped-def]
    parent, child = hanging("forgets")
    wait_blocked([parent, child])
    result = iochannels("why", str(child), "--json")
    assert result.returncode == 0, result.stderr
    (wait,) = json.loads(result.stdout)
    assert (wait["call"], wait["fd"]) == ("read", 3)
    assert wait["channel"].startswith("pipe:[")
    assert wait["wakers"] == [{"pid": child, "fd": 4}]
    assert "holds the only write end itself" in wait["verdict"]
    assert wait["facts"][1] == "the write ends are held by its own fd 4"
    tree = iochannels("why", "--tree", str(parent))
    assert tree.returncode == 0
    first, second = tree.stdout.split("\n\n")[:2]
    assert first.startswith(f"{child} ")  # the one that holds the others up comes first
    assert "nobody will wake it" in second
    assert f"pid {child} (forgets, blocked in read(3))" in second


def test_two_processes_reading_each_other_is_a_cycle(hanging) -> None:  # type: ignore[no-untyped-def]
    parent, child = hanging("cycle")
    wait_blocked([parent, child])
    result = iochannels("why", str(parent))
    assert result.returncode == 0
    assert "verdict: a cycle" in result.stdout
    assert f"pid {child} (cycle)'s fd" in result.stdout and "(blocked in read(3))" in result.stdout


def test_full_pipe_waits_for_its_reader(hanging) -> None:  # type: ignore[no-untyped-def]
    parent, child = hanging("full")
    wait_blocked([parent], "blocked in write")
    result = iochannels("why", str(parent), "--json")
    (wait,) = json.loads(result.stdout)
    assert wait["call"] == "write"
    assert "65536 of 65536 bytes" in wait["facts"][0]  # pipe(7): the default capacity
    assert wait["verdict"].startswith("the buffer is full: it wakes when a reader")
    assert f"pid {child}" in wait["facts"][1]


def test_not_blocked_and_bad_pid() -> None:
    busy = subprocess.Popen(["sh", "-c", "while :; do :; done"])
    try:
        wait_blocked([busy.pid], "running")
        result = iochannels("why", str(busy.pid))
    finally:
        busy.kill()
        busy.wait()
    assert result.returncode == 0 and "verdict: not blocked in a system call" in result.stdout
    bad = iochannels("why", "4194303")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "no process" in bad.stderr
    assert iochannels("why", "x1").returncode == 2


def test_a_parent_waiting_for_a_sleeping_child_names_the_child_not_an_fd() -> None:
    """wait4(2) waits on a process, not on an fd: the verdict names the child and its state."""
    sh = subprocess.Popen(["sh", "-c", "sleep 100; exit 0"], start_new_session=True)
    try:
        wait_blocked([sh.pid], "blocked in wait4")
        (child,) = children(sh.pid)
        wait_blocked([child], "blocked in clock_nanosleep")
        result = iochannels("why", str(sh.pid))
        as_json = iochannels("why", str(sh.pid), "--json")
    finally:
        os.killpg(sh.pid, signal.SIGKILL)
        sh.wait()
        time.sleep(0.1)  # the child, reparented, is reaped by init
    # A child is no fd: JSON says null (no fd known), not -1 (which no fd can be).
    (wait,) = json.loads(as_json.stdout)
    assert wait["fd"] is None and wait["wakers"] == [{"pid": child, "fd": None}]
    assert result.returncode == 0, result.stderr
    assert f"its children: pid {child} (sleep, blocked in clock_nanosleep())" in result.stdout
    assert "verdict: it wakes when a child ends" in result.stdout, result.stdout
    assert "fd -1" not in result.stdout


def _clauses(block: str) -> list[str]:
    """The sentences of one process's explanation, split where a colon, a semicolon or a
    line ends one, compared without case, brackets and the ``verdict`` label."""
    text = block.replace("verdict:", "\n")
    parts = re.split(r"[:;\n]", text)
    return [c for c in (re.sub(r"[^a-z0-9_ ]", "", p.lower()).strip() for p in parts) if c]


def _says_each_once(text: str, things: list[str]) -> None:
    clauses = _clauses(text)
    assert len(clauses) == len(set(clauses)), text
    for thing in things:  # the pid of another process, the call, the channel: named once
        assert text.count(thing) == 1, (thing, text)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait()


def test_sleeping_reading_and_writing_processes_are_each_explained_once(
        started: list[subprocess.Popen[bytes]]) -> None:
    """Each thing once: the state line names the call, the facts the channel and who holds
    its other end, the verdict what follows (not the state or the holders again)."""
    sleeper = subprocess.Popen(["sleep", "100"])
    started.append(sleeper)
    # cat reads a pipe whose only writer is a sleeping process (pipe(7): read waits)
    writer = subprocess.Popen(["sleep", "100"], stdout=subprocess.PIPE)
    started.append(writer)
    reader = subprocess.Popen(["cat"], stdin=writer.stdout, stdout=subprocess.DEVNULL)
    started.append(reader)
    # yes fills a pipe that nobody reads (sleep holds the read end): write waits
    filler = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    started.append(filler)
    holder = subprocess.Popen(["sleep", "100"], stdin=filler.stdout)
    started.append(holder)
    for pipe in (writer.stdout, filler.stdout):
        assert pipe is not None
        pipe.close()
    wait_blocked([sleeper.pid, writer.pid, reader.pid, holder.pid])
    wait_blocked([filler.pid], "blocked in write")

    asleep = iochannels("why", str(sleeper.pid)).stdout
    assert asleep.startswith(f"{sleeper.pid} sleep: blocked in clock_nanosleep()\n"), asleep
    assert "verdict: a timer" in asleep
    _says_each_once(asleep, ["clock_nanosleep"])

    reading = iochannels("why", str(reader.pid)).stdout
    chan = re.search(r"pipe:\[\d+\]", reading)
    assert chan is not None, reading
    assert f"pid {writer.pid} (sleep)'s fd 1" in reading
    _says_each_once(reading, ["read(0)", f"pid {writer.pid}", chan[0], "clock_nanosleep"])

    writing = iochannels("why", str(filler.pid)).stdout
    chan = re.search(r"pipe:\[\d+\]", writing)
    assert chan is not None, writing
    assert "65536 of 65536 bytes" in writing and "verdict: the buffer is full" in writing
    _says_each_once(writing, ["write(1)", f"pid {holder.pid}", chan[0], "65536 of",
                              "clock_nanosleep"])


def test_a_call_the_kernel_will_not_show_is_not_told_as_no_call() -> None:
    """proc(5): /proc/PID/syscall needs ptrace access. Another user's sleeping process is
    asleep in a call all the same (stat: S); why cannot tell which, and says so, exit 1."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv(1) to look as another user")
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    sleeper = subprocess.Popen(["sleep", "100"])
    try:
        wait_blocked([sleeper.pid], "blocked in clock_nanosleep")
        # The witness: the kernel refuses the file to that user, and the process sleeps.
        cat = subprocess.run([*nobody, "cat", f"/proc/{sleeper.pid}/syscall"],
                             capture_output=True, text=True, check=False)
        assert cat.returncode != 0 and ("not permitted" in cat.stderr or "denied" in cat.stderr)
        assert Path(f"/proc/{sleeper.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "S"
        env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
        run = [*nobody, sys.executable, "-m", "iochannels", "why", str(sleeper.pid)]
        text = subprocess.run(run, capture_output=True, text=True, env=env, check=False)
        as_json = subprocess.run([*run, "--json"], capture_output=True, text=True, env=env,
                                 check=False)
        owner = iochannels("why", str(sleeper.pid))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert text.returncode == 1, text
    assert "not blocked" not in text.stdout and "verdict: cannot tell" in text.stdout
    assert text.stderr == (f"iochannels: cannot tell why process {sleeper.pid} waits: "
                           "permission denied (run as its owner or as root)\n")
    (wait,) = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and wait["error"] == "permission denied"
    assert owner.returncode == 0 and "blocked in clock_nanosleep()" in owner.stdout


@pytest.mark.parametrize("family", ["udp", "unix"])
def test_an_unconnected_datagram_reader_waits_for_any_sender(tmp_path: Path,
                                                              family: str) -> None:
    """udp(7), unix(7): a datagram socket that is not connected has no other end to be held;
    any process that can reach its address may wake it, and one datagram from here does."""
    address = "127.0.0.1" if family == "udp" else str(tmp_path / "s")
    code = ("import socket, sys\n"
            + ("s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))\n"
               if family == "udp" else
               "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])\n")
            + "print(s.getsockname()[1] if s.family == socket.AF_INET else '', flush=True)\n"
            "sys.stdout.write(s.recv(100).decode()); sys.stdout.flush()\n")
    with python_child(code, address) as proc:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        wait_blocked([proc.pid], "blocked in recvfrom")
        said = iochannels("why", str(proc.pid))
        assert said.returncode == 0, said.stderr
        where = f"127.0.0.1:{port}" if family == "udp" else address
        verdict = (f"verdict: it wakes when a datagram arrives at {where}: any process" if
                   family == "udp" else f"verdict: it wakes when a datagram is sent to {where}: "
                   "any process that may write to that socket file")
        assert verdict in said.stdout, said.stdout
        assert "outside" not in said.stdout
        kind = socket.AF_INET if family == "udp" else socket.AF_UNIX
        with socket.socket(kind, socket.SOCK_DGRAM) as sender:  # and indeed any sender wakes it
            sender.sendto(b"woken", ("127.0.0.1", int(port)) if family == "udp" else address)
        assert proc.stdout.read() == "woken"
        assert proc.wait(10) == 0


@pytest.mark.parametrize("mode", ["r", "w"])
def test_an_open_of_a_fifo_waits_for_the_other_end(tmp_path: Path, mode: str) -> None:
    """fifo(7): opening a FIFO for reading blocks until a process opens it for writing, and
    vice versa. The waiting process has no fd yet: the path comes from its open's arguments,
    as given (relative, with markup and a newline, escaped), and opening the other end wakes
    it, so the verdict is Linux's."""
    name = "the [red]fifo\n"
    os.mkfifo(tmp_path / name)
    with python_child(f"open({name!r}, {mode!r}); print('opened')", cwd=tmp_path) as proc:
        wait_blocked([proc.pid], "blocked in open")
        said = iochannels("why", str(proc.pid))
        assert said.returncode == 0, said.stderr
        mine, other = ("reading", "writing") if mode == "r" else ("writing", "reading")
        assert f"the [red]fifo\\n: a FIFO, being opened for {mine}" in said.stdout, said.stdout
        assert f"verdict: it wakes when some process opens the FIFO for {other}" in said.stdout
        data = json.loads(iochannels("why", str(proc.pid), "--json").stdout)[0]
        assert data["facts"] == [f"{name}: a FIFO, being opened for {mine}"]
        wait_blocked([proc.pid], "blocked in open")  # looking woke nothing: still waiting
        # and indeed the other end's open wakes it (a reader waiting in open(2) already
        # counts: the writer's open does not wait; O_NONBLOCK for reading never waits)
        other_end = os.open(tmp_path / name,
                            os.O_WRONLY if mode == "r" else os.O_RDONLY | os.O_NONBLOCK)
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "opened\n"
        finally:
            os.close(other_end)
        assert proc.wait(10) == 0


def test_a_connected_datagram_reader_waits_for_its_peer_only() -> None:
    """udp(7): a connected UDP socket drops datagrams from any other address. The peer's
    address here belongs to a socket of this test, so Linux shows both halves: a stranger's
    datagram does not wake the reader, the peer's does."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        peer.bind(("127.0.0.1", 0))
        where = f"127.0.0.1:{peer.getsockname()[1]}"
        code = ("import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                f"s.connect(('127.0.0.1', {peer.getsockname()[1]}))\n"
                "print(s.getsockname()[1], flush=True)\n"
                "sys.stdout.write(s.recv(100).decode()); sys.stdout.flush()\n")
        with python_child(code) as proc:
            assert proc.stdout is not None
            port = int(proc.stdout.readline())
            wait_blocked([proc.pid], "blocked in recvfrom")
            said = iochannels("why", str(proc.pid)).stdout
            assert f"verdict: it wakes when a datagram arrives from {where}" in said, said
            stranger.sendto(b"dropped", ("127.0.0.1", port))
            wait_blocked([proc.pid], "blocked in recvfrom")  # still: Linux dropped it
            peer.sendto(b"woken", ("127.0.0.1", port))
            assert proc.stdout.read() == "woken"


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_DGRAM])
def test_a_socket_whose_other_end_it_holds_itself_waits_for_itself(kind: int) -> None:
    """A socketpair whose both ends are the reader's own fds: nobody else can send."""
    code = f"import socket\na, b = socket.socketpair(socket.AF_UNIX, {int(kind)})\na.recv(1)\n"
    with python_child(code) as proc:
        wait_blocked([proc.pid], "blocked in recvfrom")
        said = iochannels("why", str(proc.pid)).stdout
        assert "is held by its own fd" in said, said
        assert "verdict: it holds the other end itself: nobody else sends" in said, said
        assert "outside" not in said


def test_a_datagram_socket_with_no_address_and_no_peer_waits_for_nobody() -> None:
    """unix(7): an unbound, unconnected datagram socket has no name to send to."""
    code = ("import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            "assert s.getsockname() == ''\ns.recv(1)\n")
    with python_child(code) as proc:
        wait_blocked([proc.pid], "blocked in recvfrom")
        said = iochannels("why", str(proc.pid)).stdout
        assert "verdict: it has no address and no peer: no process can send to it" in said, said


def test_a_datagram_peer_that_closes_wakes_nobody() -> None:
    """unix(7): a peer's close gives end of file to stream and seqpacket sockets only. The
    child holding the other end of a datagram socketpair can wake the reader by sending,
    not by ending: Linux leaves the reader asleep when it is killed."""
    code = ("import os, socket, time\n"
            "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            "child = os.fork()\n"
            "if child == 0:\n    a.close(); time.sleep(60); os._exit(0)\n"
            "b.close(); print(child, flush=True); a.recv(1)\n")
    with python_child(code) as proc:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        try:
            wait_blocked([proc.pid], "blocked in recvfrom")
            said = iochannels("why", str(proc.pid)).stdout
            assert f"pid {child} (python" in said, said
            assert "verdict: it wakes when the other end sends a datagram (its closing does not)" \
                in said, said
        finally:
            os.kill(child, signal.SIGKILL)
        # Its parent, asleep in recv, does not reap it: a zombie, its fds closed (exit_files).
        wait_blocked([child], "zombie")
        time.sleep(0.2)
        wait_blocked([proc.pid], "blocked in recvfrom")  # its peer's end did not wake it
