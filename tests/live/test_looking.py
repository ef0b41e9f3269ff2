"""Looking changes nothing: other processes' calls return what they would without us.

fifo(7): an open of a FIFO for writing blocks until some process opens it for
reading. An inspector that opens the FIFO (by name or through /proc/PID/fd/N,
which is the same open, proc(5)) for reading wakes that writer; closing it then
leaves the writer with no reader, so its write fails with EPIPE (pipe(7)). The
tests run the other processes for real and watch what their calls return.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from iochannels import live
from iochannels.cli import main
from iochannels.model import BufferRole

# Holds the FIFO's write end only (O_RDWR first, so that its own open does not block).
HOLDER = """
import os, sys, time
both = os.open(sys.argv[1], os.O_RDWR)
w = os.open(sys.argv[1], os.O_WRONLY)
os.write(w, b"12345")
os.close(both)
print(w, flush=True)
sys.stdin.read()
"""
# Reports each call's result on stdout; SIGPIPE kills it, as it would a C program.
OPENER = """
import os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
print("opening", flush=True)
fd = os.open(sys.argv[1], os.O_WRONLY)
print("opened", flush=True)
print("wrote", os.write(fd, b"x"), flush=True)
"""


def _start(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def _stop(*procs: subprocess.Popen[str]) -> None:
    for proc in procs:
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def _line_within(proc: subprocess.Popen[str], seconds: float) -> str | None:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], seconds)
    return proc.stdout.readline().strip() if ready else None


def _sleeping(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    return stat.rsplit(")", 1)[1].split()[0] == "S"


@pytest.fixture
def fifo() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="iochannels-") as workdir:
        path = os.path.join(workdir, "fifo")
        os.mkfifo(path)
        yield path


def _blocked_opener(fifo: str) -> subprocess.Popen[str]:
    opener = _start(OPENER, fifo)
    assert _line_within(opener, 10) == "opening"
    deadline = time.monotonic() + 10
    while not _sleeping(opener.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    assert _line_within(opener, 0) is None, "the open should block: no reader yet"
    return opener


@pytest.mark.parametrize("how", ["snapshot", "fds", "graph"])
def test_a_writer_blocked_in_open_stays_blocked(fifo: str, how: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    holder = _start(HOLDER, fifo)
    opener = None
    try:
        fd = int(_line_within(holder, 10) or "-1")
        opener = _blocked_opener(fifo)
        if how == "snapshot":
            snap = live.snapshot([holder.pid])
            proc = snap.process(holder.pid)
            entry = proc.fd(fd) if proc is not None else None
            assert entry is not None
            buffer = snap.channels[entry.channel].buffer(BufferRole.PIPE)
            # pidfd_getfd(2) read the fill without opening: the 5 bytes and the capacity.
            assert buffer is not None and (buffer.used, buffer.capacity) == (5, 65536)
        else:
            assert main([how, str(holder.pid)]) == 0
            capsys.readouterr()
        time.sleep(0.2)
        assert _line_within(opener, 0.3) is None, "inspecting woke the blocked open(O_WRONLY)"
        assert opener.poll() is None and _sleeping(opener.pid)
        # Now a real reader comes: the open returns and the write succeeds, no EPIPE.
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            assert _line_within(opener, 10) == "opened"
            assert _line_within(opener, 10) == "wrote 1"
            assert os.read(reader, 100) == b"12345x"
        finally:
            os.close(reader)
    finally:
        _stop(holder, *([opener] if opener else []))


def test_a_reader_gets_eof_when_the_writer_closes() -> None:
    """A pipe inspected from both sides: the reader still sees EOF once the writer goes."""
    reader = subprocess.Popen([sys.executable, "-c",
                               "import sys; print(len(sys.stdin.buffer.read()), flush=True)"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdin is not None
        reader.stdin.write("abc")
        reader.stdin.flush()
        for _ in range(3):
            live.snapshot([reader.pid, os.getpid()])
        reader.stdin.close()
        assert _line_within(reader, 10) == "3"
        assert reader.wait(10) == 0
    finally:
        _stop(reader)
