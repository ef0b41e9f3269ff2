"""A real process whose every name is hostile, inspected by ``iochannels fds PID`` in every
format; the text view on a real terminal (a pty), where a name could act.

The process holds a file under a directory named ``a[``, a file ``[red]alert.txt``, a FIFO
named ``ESC ] 0 ; TITLE BEL`` (it would retitle an xterm), a file whose name is not UTF-8,
a UNIX socket bound to ``sock\\nx`` (/proc/net/unix prints it over two lines), an abstract
socket with ESC in its name, an eventfd (its link reads ``anon_inode:[eventfd]``); its argv
holds ``ESC [2J`` (clear the screen), its comm ``[red]ESC[2J``. What must come out is what
lsof prints for the same names: ``\\n``, ``\\x1b``, ``\\xff`` written out, ``[`` as itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from hostile import acting

from conftest import need_program

CHILD = r"""
import os, socket, sys
os.mkdir("a[")
keep = [open("a[/file", "w"), open("[red]alert.txt", "w"), open(b"bad\xff.txt", "wb")]
os.mkfifo("\x1b]0;TITLE\x07")
keep.append(os.open("\x1b]0;TITLE\x07", os.O_RDWR))
s = socket.socket(socket.AF_UNIX); s.bind("sock\nx"); s.listen()
a = socket.socket(socket.AF_UNIX); a.bind(f"\0ab\x1bc{os.getpid()}"); a.listen()
keep.append(os.eventfd(0))
with open("/proc/self/comm", "w") as fh:
    fh.write("[red]\x1b[2J")
print("ready", flush=True)
sys.stdin.read()
"""

# What lsof and ls -b would print for each name (a fragment of the path where it has one).
SHOWN = ("a[/file", "[red]alert.txt", r"\x1b]0;TITLE\x07", r"bad\xff.txt", r"sock\nx",
         r"@ab\x1bc", "[eventfd]", r"[red]\x1b[2J")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def hostile_process(tmp_path: Path) -> Iterator[int]:
    child = subprocess.Popen([sys.executable, "-c", CHILD, "\x1b[2J"], cwd=tmp_path,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        yield child.pid
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()


def _fds(pid: int, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # a pipe: no width limit
    run = subprocess.run([sys.executable, "-m", "iochannels", "fds", str(pid), *args],
                         capture_output=True, timeout=120, check=False, env=env)
    assert run.returncode == 0 and run.stderr == b"", run.stderr.decode(errors="replace")
    return run.stdout.decode("utf-8")  # strict: no raw invalid UTF-8 on the way out


def test_text_on_a_real_terminal_holds_no_escape_but_rich_styling(hostile_process: int) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "250"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "iochannels", "fds", str(hostile_process)],
                          env=env, timeout=120, dimensions=(60, 250))
    try:
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    out = child.before.decode("utf-8")
    assert "\x1b[" in out  # rich styled it: this is the coloured table
    visible = _SGR.sub("", out)
    assert acting(visible, allowed="\r\n") == []  # no OSC title, no clear screen, no BEL
    for name in SHOWN:
        assert name in visible, name


@pytest.mark.parametrize("fmt", ["text", "svg", "html", "mermaid", "dot"])
def test_every_drawing_format_writes_names_out(hostile_process: int, fmt: str) -> None:
    out = _fds(hostile_process, "--format", fmt)
    assert acting(out) == []
    if fmt == "text":
        for name in SHOWN:
            assert name in out, name
    if fmt == "svg":
        ET.fromstring(out)
    if fmt == "dot":
        run = subprocess.run([need_program("dot"), "-Tsvg"], input=out.encode(),
                             capture_output=True, timeout=60, check=False)
        assert run.returncode == 0 and run.stderr == b"", run.stderr


def test_json_carries_the_exact_names(hostile_process: int, tmp_path: Path) -> None:
    doc = json.loads(_fds(hostile_process, "--format", "json"))
    proc = next(p for p in doc["processes"] if p["pid"] == hostile_process)
    assert proc["argv"][-1] == "\x1b[2J"
    assert proc["name"] == "[red]\x1b[2J"
    labels = [c.get("label") or "" for c in doc["channels"]] if isinstance(doc["channels"], list) \
        else [c.get("label") or "" for c in doc["channels"].values()]
    locals_ = [c.get("local") or "" for c in (doc["channels"] if isinstance(doc["channels"], list)
                                              else doc["channels"].values())]
    everything = labels + locals_
    assert str(tmp_path / "a[" / "file") in everything
    assert str(tmp_path / "\x1b]0;TITLE\x07") in everything
    # the name that is not UTF-8 comes back byte for byte (PEP 383 surrogates)
    assert os.fsencode(tmp_path) + b"/bad\xff.txt" in [os.fsencode(x) for x in everything]
    assert any(x.endswith("sock\nx") for x in everything), everything


@pytest.mark.parametrize("argv", [
    ("fds", str(os.getpid()), "-o", "/nonexistent-dir/\x1b]0;TITLE\x07\nx"),
    ("fds", "--name", "\x1b[2J[red]x"),
    ("fds", str(os.getpid()), "--kind", "\x1b[2J"),
    ("sim", "run", "\x1b[2J\n[red]"),
])
def test_an_error_quoting_a_hostile_argument_is_one_inert_line(argv: tuple[str, ...]) -> None:
    run = subprocess.run([sys.executable, "-m", "iochannels", *argv], capture_output=True,
                         timeout=120, check=False)
    err = run.stderr.decode()
    assert run.returncode in (1, 2) and err.count("\n") == 1, err
    assert acting(err) == [] and "Traceback" not in err, err
