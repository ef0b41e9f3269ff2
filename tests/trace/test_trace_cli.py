"""`iochannels trace` as a user runs it: drawings, JSON, a time limit, Ctrl-C, one-line errors,
and nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from tracekit import compile_program, need_tools

SRC = str(Path(__file__).resolve().parents[2] / "src")
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def iochannels(*args: str, env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "iochannels", *args], capture_output=True,
                          text=True, env=full, timeout=timeout, check=False)


def _validator(name: str) -> jsonschema.protocols.Validator:
    registry: Registry = Registry()
    for file in ("snapshot.schema.json", "walkthrough.schema.json"):
        doc = json.loads((SCHEMAS / file).read_text())
        registry = registry.with_resource(str(doc["$id"]), Resource.from_contents(doc))
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.validators.validator_for(schema)(schema, registry=registry)


def running(path: str) -> list[int]:
    """Processes (not zombies) whose program is ``path``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{entry}/exe")
            stat = Path(f"/proc/{entry}/stat").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if exe == path and stat.rsplit(")", 1)[1].split()[0] not in "ZX":
            found.append(int(entry))
    return found


def _session(pid: int) -> int:
    try:
        return os.getsid(pid)
    except OSError:
        return -1


def test_no_command_is_a_usage_error() -> None:
    result = iochannels("trace")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no command to trace" in result.stderr


def test_strace_missing_is_one_line_saying_how_to_get_it(tmp_path: Path) -> None:
    result = iochannels("trace", "--", "true", env={"PATH": str(tmp_path)})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "strace is not installed" in result.stderr and "apt-get install strace" in result.stderr


@pytest.mark.witness("strace")
def test_hang_stopped_by_timeout_is_drawn_and_nothing_is_left(tmp_path: Path) -> None:
    binary = compile_program("forgets", tmp_path)
    result = iochannels("trace", "--timeout", "5", "--", binary)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "stopped by the time limit" in out
    # The child waits on the pipe whose write end it holds itself.
    assert "it holds a write end itself, so end of file never comes" in out
    assert "[blocked in read(3)]" in out and "[blocked in wait4()]" in out
    deadline = time.monotonic() + 15  # a bound for a loaded machine, not a speed check
    while running(binary) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running(binary) == []


@pytest.mark.witness("strace")
def test_json_is_a_walkthrough_with_the_exit_status() -> None:
    need_tools()
    result = iochannels("trace", "--json", "--", "sh", "-c", "echo hi | cat >/dev/null; exit 3")
    assert result.returncode == 1, result.stderr  # the program failed: so does the command
    doc = json.loads(result.stdout)
    _validator("walkthrough.schema.json").validate(
        {k: v for k, v in doc.items() if k not in ("exit_status", "stopped")})
    assert doc["exit_status"] == 3 and doc["stopped"] is None
    calls = [s["event"]["call"] for s in doc["steps"] if s["event"]]
    assert calls.count("pipe2") == 1 and calls.count("dup2") >= 2
    assert all(s["snapshot"]["source"] == "trace" for s in doc["steps"])


@pytest.mark.witness("strace")
def test_html_stepper(tmp_path: Path) -> None:
    need_tools()
    out = tmp_path / "run.html"
    result = iochannels("trace", "--format", "html", "-o", str(out), "--", "sh", "-c",
                        "echo '<b>x</b>' | cat >/dev/null")
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype")
    assert "<b>x</b>" not in page  # the program's text is data, escaped


@pytest.mark.witness("strace")
def test_ctrl_c_draws_what_was_recorded_and_leaves_nothing(tmp_path: Path) -> None:
    need_tools()
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "iochannels", "trace", "--", "sleep", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        # Our sleep, in the session of the command (other tests run sleep too).
        while not [p for p in running("/usr/bin/sleep") if _session(p) == proc.pid] and (
                time.monotonic() < deadline):
            time.sleep(0.05)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole group
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "stopped by Ctrl-C" in out and "sleep" in out
    sleeps = [p for p in running("/usr/bin/sleep") if _session(p) == proc.pid]
    assert sleeps == []


@pytest.mark.witness("strace")
def test_hostile_program_name_stays_data(tmp_path: Path) -> None:
    """A program whose name holds an escape sequence, rich markup and invalid UTF-8:
    no byte of it reaches the terminal as control, in the calls, the tables or the notes."""
    need_tools()
    hostile = os.fsencode(str(tmp_path)) + b"/x\x1b[31m[red]\xff"
    os.symlink("/bin/sleep", hostile)
    result = subprocess.run(
        [sys.executable, "-m", "iochannels", "trace", "--timeout", "1", "--", hostile, "5"],
        capture_output=True, env={**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"},
        timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert b"\x1b" not in result.stdout and b"\xff" not in result.stdout
    assert b"[red]" in result.stdout  # shown as text, not taken as markup


def test_missing_program_is_one_line(tmp_path: Path) -> None:
    need_tools()
    result = iochannels("trace", "--", str(tmp_path / "no\x1bsuch"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no program" in result.stderr
    assert "\x1b" not in result.stderr
