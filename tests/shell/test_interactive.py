"""The interactive shell through a real pty (pexpect): editing, history, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from shellkit import ENV

UP = "\x1b[A"


@pytest.fixture
def sh(tmp_path: Path) -> Iterator[pexpect.spawn]:
    child = pexpect.spawn(sys.executable, ["-m", "iochannels", "shell"], cwd=str(tmp_path),
                          env={**ENV, "TERM": "dumb", "HOME": str(tmp_path),
                               "PYTHONPATH": ":".join(sys.path)},
                          encoding="utf-8", timeout=15)
    child.expect_exact("$ ")
    yield child
    if child.isalive():
        child.terminate(force=True)
    child.close()


def test_prompt_runs_a_pipeline_and_ctrl_d_ends_with_the_last_status(sh: pexpect.spawn) -> None:
    sh.sendline("echo hello | tr a-z A-Z")
    sh.expect_exact("HELLO\r\n$ ")
    sh.sendline("false")
    sh.expect_exact("$ ")
    sh.sendeof()
    sh.expect(pexpect.EOF)
    sh.close()
    assert sh.exitstatus == 1


def test_open_quote_and_here_document_ask_for_more_lines(sh: pexpect.spawn) -> None:
    sh.sendline("echo 'one")
    sh.expect_exact("> ")
    sh.sendline("two'")
    sh.expect_exact("one\r\ntwo\r\n$ ")
    sh.sendline("cat <<EOF |")
    sh.expect_exact("> ")
    sh.sendline("doc")
    sh.expect_exact("> ")
    sh.sendline("EOF")
    sh.expect_exact("> ")
    sh.sendline("wc -l")
    sh.expect_exact("1\r\n$ ")


def test_line_editing_and_history(sh: pexpect.spawn) -> None:
    sh.sendline("echo first")
    sh.expect_exact("first\r\n$ ")
    sh.send(UP + "\r")  # the line again, from readline's history
    sh.expect_exact("first\r\n$ ")
    sh.send("cho mid\x01e\r")  # Ctrl-A: to the start of the line, insert the 'e'
    sh.expect_exact("mid\r\n$ ")
    sh.send("echo abcX\x7f\r")  # backspace removes the X
    sh.expect_exact("abc\r\n$ ")


def test_ctrl_c_stops_the_pipeline_not_the_shell(sh: pexpect.spawn) -> None:
    # "ready" comes through cat: both processes run (a ^C before they exist is nobody's).
    sh.sendline("sh -c 'echo ready; exec sleep 30' | cat")
    sh.expect_exact("ready\r\n")
    sh.sendintr()
    sh.expect_exact("$ ", timeout=20)
    sh.sendline("echo status $?")
    sh.expect_exact("status 130")
    sh.sendintr()  # at the prompt: the line is dropped, the shell stays
    sh.expect_exact("$ ")
    sh.sendline("exit 3")
    sh.expect(pexpect.EOF)
    sh.close()
    assert sh.exitstatus == 3


def test_a_syntax_error_does_not_end_the_interactive_shell(sh: pexpect.spawn) -> None:
    sh.sendline("echo a )")
    sh.expect_exact('iochannels shell: 1: Syntax error: ")" unexpected')
    sh.expect_exact("$ ")
    sh.sendline("echo still")
    sh.expect_exact("still\r\n$ ")


def _zombies_of(pid: int) -> list[str]:
    """The children of ``pid`` in state Z, from /proc/PID/task/*/children and stat."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError):
                stat = Path(f"/proc/{child}/stat").read_bytes()
                if stat[stat.rindex(b")") + 2:][:1] == b"Z":
                    found.append(child)
    return found


def test_an_ended_background_job_is_no_zombie_at_the_next_prompt(sh: pexpect.spawn) -> None:
    """dash reaps a finished background job before its next prompt; `wait $!` still
    gives that job's status afterwards."""
    sh.sendline("(exit 7) & echo started")
    sh.expect_exact("started\r\n$ ")
    for _ in range(100):  # until the job has ended (a zombie, or already reaped)
        sh.sendline("")
        sh.expect_exact("$ ")
        if not any(Path(f"/proc/{sh.pid}/task").glob("*/children")) or not any(
                (t / "children").read_text().split()
                for t in Path(f"/proc/{sh.pid}/task").iterdir()):
            break
        time.sleep(0.05)
    assert _zombies_of(sh.pid) == []
    sh.sendline("wait $!; echo status $?")
    sh.expect_exact("status 7\r\n$ ")


def test_a_bad_substitution_does_not_end_the_interactive_shell(sh: pexpect.spawn) -> None:
    sh.sendline("echo ${x!}")
    sh.expect_exact("iochannels shell: 1: ${x!}: Bad substitution")
    sh.expect_exact("$ ")
    sh.sendline("echo status $?")
    sh.expect_exact("status 2\r\n$ ")
