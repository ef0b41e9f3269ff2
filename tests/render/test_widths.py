"""Width and terminals: piped text keeps every column whole, COLUMNS is followed, a dumb
terminal keeps FD and ACC, and an address wraps rather than loses its port.

Expectations from outside: ls(1) and rich take ``COLUMNS`` as the width on a terminal or
not; a pipe has no width (lsof never cuts a line for one); TERM=dumb is a terminal that
interprets no escape sequence. The connections are real TCP sockets on 127.0.0.1.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from rich.console import Console

from iochannels import live
from iochannels.demos.console import ConsolePrinter
from iochannels.render.text import snapshot_text


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A real TCP connection on loopback, both ends in this process."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
    try:
        yield client, accepted
    finally:
        client.close()
        accepted.close()


def _address(sock: socket.socket) -> str:
    host, port = sock.getsockname()
    return f"{host}:{port}"


def _fds(fd: int, env: dict[str, str], *args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "iochannels", "fds", str(os.getpid()),
                          "-d", str(fd), *args], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "TERM")}
    return env | extra


def test_piped_text_without_columns_keeps_addresses_whole(
        tmp_path: Path, connection: tuple[socket.socket, socket.socket]) -> None:
    client, accepted = connection
    long = tmp_path / ("a-file-name-longer-than-a-terminal-is-wide-" * 3 + ".log")
    with long.open("w") as fh:
        run = subprocess.run([sys.executable, "-m", "iochannels", "fds", str(os.getpid()),
                              "-d", f"{client.fileno()},{fh.fileno()}"], capture_output=True,
                             text=True, env=_env(), timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert _address(client) in out and _address(accepted) in out, out
    assert str(long) in out and "…" not in out, out


def test_piped_and_file_text_follow_columns(
        tmp_path: Path, connection: tuple[socket.socket, socket.socket]) -> None:
    client, accepted = connection
    out = _fds(client.fileno(), _env(COLUMNS="60"))
    assert max(map(len, out.splitlines()[1:])) <= 60, out  # the table; line 1 is the argv
    # too narrow for the address: it wraps onto the next line, its port kept
    assert str(accepted.getsockname()[1]) in out and "…" not in out.split("\n", 1)[1], out
    target = tmp_path / "fds.txt"
    _fds(client.fileno(), _env(COLUMNS="200"), "-o", str(target))
    written = target.read_text()
    assert _address(accepted) in written and "…" not in written


def test_a_dumb_terminal_keeps_fd_and_acc_and_gets_no_escapes(
        connection: tuple[socket.socket, socket.socket]) -> None:
    client, _ = connection
    child = pexpect.spawn(sys.executable, ["-m", "iochannels", "fds", str(os.getpid()), "-d",
                                           str(client.fileno())],
                          env=_env(TERM="dumb"), timeout=120, dimensions=(40, 120))
    try:
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    out = child.before.decode()
    assert "\x1b" not in out  # TERM=dumb interprets no escape sequence: none is sent
    row = re.search(rf"^ *{client.fileno()} +rw +tcp +stream +ESTABLISHED", out, re.M)
    assert row, out


def test_demo_tables_into_a_pipe_are_not_cut(
        monkeypatch: pytest.MonkeyPatch, connection: tuple[socket.socket, socket.socket]) -> None:
    """``make tour | tee log``: rich's console is 80 columns off a terminal; the fd tables
    printed through it must still hold every address whole."""
    monkeypatch.delenv("COLUMNS", raising=False)
    client, accepted = connection
    snap = live.snapshot([os.getpid()], fd_range={client.fileno()})
    buf = io.StringIO()
    ConsolePrinter(Console(file=buf, force_terminal=False)).snapshot(snap, "a connection")
    out = buf.getvalue()
    assert _address(accepted) in out and "…" not in out, out


def test_a_narrow_table_wraps_the_address_and_keeps_every_column(
        connection: tuple[socket.socket, socket.socket]) -> None:
    client, accepted = connection
    snap = live.snapshot([os.getpid()], fd_range={client.fileno()})
    for color in (False, True):
        out = re.sub(r"\x1b\[[0-9;]*m", "", snapshot_text(snap, width=70, color=color))
        head = next(line for line in out.splitlines() if "FD" in line)
        assert all(h in head for h in ("FD", "ACC", "KIND", "TYPE", "WHAT", "OTHER END"))
        assert str(accepted.getsockname()[1]) in out, out


def test_demo_facts_are_written_for_people_and_whole() -> None:
    """A fact that is a mapping or a list reads as words, never a Python repr cut with "..."."""
    buf = io.StringIO()
    holders = {f"{pid} worker": [3, 4, 5] for pid in range(1000, 1012)}
    ConsolePrinter(Console(file=buf, width=80, force_terminal=False)).facts(
        {"holders": holders, "sentence": "9 sockets, 4 pipes in 2 pairs, 1 FIFO"})
    out = " ".join(buf.getvalue().replace("|", " ").split())
    assert "{" not in out and "[3" not in out and "..." not in out, out
    assert "1000 worker 3, 4, 5" in out and "1011 worker 3, 4, 5" in out, out
