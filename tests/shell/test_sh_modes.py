"""How `iochannels shell` takes its command line and its stdin, next to dash.

XCU 2 (sh): ``sh -c LINE [NAME [ARG...]]`` makes NAME $0 and the ARGs $1...; ``sh FILE
ARG...`` makes the ARGs $1...; a shell is interactive only when its commands come from a
terminal (dash: stdin and stderr are terminals) or with -i; otherwise stdin is a script,
read with no prompt.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from corpus import LISTS, REDIRECTIONS, SYNTAX_ERRORS
from hypothesis import given, settings
from hypothesis import strategies as st
from shellkit import DASH, ENV, _files, _normal
from shellrun import shell

pytestmark = pytest.mark.skipif(DASH is None, reason="dash is not installed (apt install dash)")

OURS = [sys.executable, "-m", "iochannels", "shell"]
SHOW = "printf '[%s]' \"$0\" \"$#\" \"$1\" \"$2\" \"$3\""  # what $0 $# $1 $2 $3 are, exactly


def run(argv: list[str], cwd: Path, stdin: bytes = b"") -> tuple[bytes, bytes, int]:
    env = {**ENV, "PYTHONPATH": ":".join(sys.path)}
    proc = subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True,
                          timeout=60)
    # Each shell names itself in its messages: the same name for both.
    err = proc.stderr.replace(b"iochannels shell:", b"sh:").replace(f"{DASH}:".encode(), b"sh:")
    return proc.stdout, err, proc.returncode


# Words that look like our own options, sh's, or nothing at all.
WORDS = st.lists(st.sampled_from(["--x", "-o", "out", "--trace", "--draw", "-c", "--", "-",
                                  "-i", "--help", "--format", "a b", ""])
                 | st.text(st.characters(blacklist_categories=("Cs",),
                                         blacklist_characters="\x00"), max_size=6),
                 min_size=1, max_size=5)


def test_the_words_after_the_command_line_are_its_own_as_dash(tmp_path: Path) -> None:
    """The case testers found: `--x` after LINE was taken as an option of ours (an error)."""
    assert DASH is not None
    argv = ["-c", "echo $0 $1", "a", "--x"]
    assert run([DASH, *argv], tmp_path) == (b"a --x\n", b"", 0)
    assert run([*OURS, *argv], tmp_path) == (b"a --x\n", b"", 0)


@settings(max_examples=12, deadline=None)
@given(words=WORDS)
def test_any_words_after_line_are_0_and_the_positional_parameters(
        tmp_path_factory: pytest.TempPathFactory, words: list[str]) -> None:
    assert DASH is not None
    tmp_path = tmp_path_factory.mktemp("words")
    assert run([*OURS, "-c", SHOW, *words], tmp_path) == run([DASH, "-c", SHOW, *words],
                                                             tmp_path)


@settings(max_examples=8, deadline=None)
@given(words=WORDS)
def test_any_words_after_a_script_are_its_arguments(tmp_path_factory: pytest.TempPathFactory,
                                                    words: list[str]) -> None:
    assert DASH is not None
    tmp_path = tmp_path_factory.mktemp("script")
    (tmp_path / "s.sh").write_text(SHOW.replace('"$0" ', "") + "\n")
    assert run([*OURS, "s.sh", *words], tmp_path) == run([DASH, "s.sh", *words], tmp_path)


def test_our_options_still_come_before_the_command_line(tmp_path: Path) -> None:
    proc = shell(["--trace-file", "t", "-c", "echo $0 $1", "--trace", "-o"], tmp_path)
    assert (proc.stdout, proc.returncode) == (b"--trace -o\n", 0)
    assert b"execve" not in (tmp_path / "t").read_bytes()  # echo is a builtin: no exec
    assert not (tmp_path / "-o").exists()


def test_c_without_a_command_line_is_a_usage_error(tmp_path: Path) -> None:
    proc = shell(["--trace", "-c"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr.decode().count("\n") == 1 and b"-c" in proc.stderr
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize("script", [
    b"echo hi\n",
    b"echo a\nexit 3\necho b\n",
    b"echo a\nnosuch-cmd-x\necho b\n",
    b"echo a; )\necho b\n",  # a syntax error ends the shell with 2, the line not run
    b"echo a\n(\n",  # end of input inside a command: line 3, as dash counts
    b"echo 'open\n",  # dash names the line the input ends on, not the quote's
    b"echo `a\nb\n",
    b'echo "a',
    b"echo no newline at the end",
    b"cat <<EOF\nx\n\x1b[31mred\nEOF\nfalse\n",
    b"cat\nhello\n",  # read in blocks: cat finds nothing left, hello is a command
    b"true\necho a >\necho b\n",  # dash numbers "newline unexpected" after the newline
    b"echo a >",  # no newline at the end: "end of file unexpected"
    b"echo ${x:-a\nb}\n",  # ${ open at the end of a line: the next line may close it
], ids=lambda s: s.decode()[:20].replace("\n", "/"))
def test_commands_from_a_pipe_run_as_dash_runs_them_without_a_prompt(tmp_path: Path,
                                                                     script: bytes) -> None:
    assert DASH is not None
    ours = run(OURS, tmp_path, script)
    assert ours == run([DASH], tmp_path, script)
    assert b"$ " not in ours[0] and b"> " not in ours[0]


def test_each_command_from_a_pipe_runs_before_the_next_is_written(tmp_path: Path) -> None:
    """The shell reads stdin as it comes, not whole first: `(echo a; sleep; echo b) | sh`
    prints a at once. A guard of 30 s ends the test instead of hanging it."""
    env = {**ENV, "PYTHONPATH": ":".join(sys.path)}
    proc = subprocess.Popen(OURS, cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"echo one\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the first command did not run before the end of input"
        assert os.read(proc.stdout.fileno(), 100) == b"one\n"
        proc.stdin.write(b"echo two; exit 5\n")
        proc.stdin.close()
        assert proc.stdout.read() == b"two\n"
        assert proc.wait(timeout=30) == 5
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()


def _spawn(tmp_path: Path, command: str) -> pexpect.spawn:
    return pexpect.spawn("/bin/sh", ["-c", command], cwd=str(tmp_path),
                         env={**ENV, "TERM": "dumb", "HOME": str(tmp_path),
                              "PYTHONPATH": ":".join(sys.path)},
                         encoding="utf-8", timeout=15)


def test_a_terminal_on_stdin_with_stderr_elsewhere_is_not_interactive(tmp_path: Path) -> None:
    """dash: interactive only when stdin AND stderr are terminals: no prompt here."""
    child = _spawn(tmp_path, f"exec {sys.executable} -m iochannels shell 2>err")
    try:
        child.sendline("echo hello | tr a-z A-Z; nosuch-cmd-x")
        child.expect_exact("HELLO\r\n")
        child.sendeof()
        child.expect(pexpect.EOF)
        seen = child.before
    finally:
        child.close(force=True)
    assert "$ " not in seen
    assert child.exitstatus == 127  # the last command's, as sh
    # a non-interactive shell's error names the line, as dash's does
    assert (tmp_path / "err").read_text() == "iochannels shell: 1: nosuch-cmd-x: not found\n"


def test_i_asks_for_an_interactive_shell_on_a_pipe(tmp_path: Path) -> None:
    stdout, _, status = run([*OURS, "-i"], tmp_path, b"echo hi\nfalse\n")
    assert (stdout, status) == (b"$ hi\n$ $ \n", 1)


def test_a_terminal_on_stdin_and_stderr_still_prompts(tmp_path: Path) -> None:
    child = _spawn(tmp_path, f"exec {sys.executable} -m iochannels shell")
    try:
        child.expect_exact("$ ")
        child.sendline("echo 'one")
        child.expect_exact("> ")
        child.sendline("two'")
        child.expect_exact("one\r\ntwo\r\n$ ")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


@pytest.mark.parametrize("script", [b"echo up; sleep 30; echo never\n", b"echo up\n"],
                         ids=["in a command", "reading stdin"])
def test_ctrl_c_ends_a_shell_reading_a_pipe_and_leaves_nothing(tmp_path: Path,
                                                               script: bytes) -> None:
    """SIGINT to the process group (the terminal's Ctrl-C), while a command of the piped
    script runs or while the shell waits for the next one: one line, status 130, no
    process left."""
    import signal
    import time

    from test_leaks import _in_session

    env = {**ENV, "PYTHONPATH": ":".join(sys.path)}
    proc = subprocess.Popen(OURS, cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(script)  # and stdin left open: more could come
    proc.stdin.flush()
    assert proc.stdout.readline() == b"up\n"
    time.sleep(0.2)  # into sleep's nanosleep, or the shell's read of stdin
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert (out, err, proc.returncode) == (b"", b"iochannels: interrupted\n", 130)
    time.sleep(0.1)
    assert _in_session(proc.pid) == []


# dash finds a literal bad fd (`>& x`) when it runs the command, not when it parses it: it
# runs what comes before it on the line and numbers the error after the line's newline; this
# shell refuses the line when it parses it (with -c and on a pipe alike), so they are left
# out. A syntax error comes last only: dash numbers some (`${` at the end of a line) after
# reading ahead into the next line.
BAD_FD = ("echo a >& x", "echo a >& 99")
PIPED = [line for line in REDIRECTIONS + LISTS if line not in BAD_FD]
LAST = ["echo end", *(line for line in SYNTAX_ERRORS if line not in BAD_FD)]


@settings(max_examples=10, deadline=None)
@given(lines=st.lists(st.sampled_from(PIPED), max_size=3),
       last=st.sampled_from(LAST))
def test_corpus_lines_piped_in_as_one_script_agree_with_dash(
        tmp_path_factory: pytest.TempPathFactory, lines: list[str], last: str) -> None:
    """The corpus's lines, one script on stdin: the same output, messages (their line
    numbers too), status and files as dash; a syntax error at the end ends both."""
    assert DASH is not None
    script = ("\n".join([*lines, last]) + "\n").encode()
    env = {**ENV, "PYTHONPATH": ":".join(sys.path)}
    results = []
    for argv, name in ((OURS, "iochannels shell"), ([DASH], DASH)):
        work = tmp_path_factory.mktemp("corpus")
        proc = subprocess.run(argv, cwd=work, env=env, input=script, capture_output=True,
                              timeout=60)
        results.append((_normal(proc.stdout.decode("utf-8", "replace"), name, work),
                        _normal(proc.stderr.decode("utf-8", "replace"), name, work),
                        proc.returncode, _files(work)))
    assert results[0] == results[1], script
