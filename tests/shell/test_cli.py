"""The command line of `iochannels shell`: modes, --help, bad input (one line, status)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from shellrun import shell


def test_file_mode_runs_a_script_with_arguments(tmp_path: Path) -> None:
    (tmp_path / "s.sh").write_text("echo \"$1-$2\" | tr a-z A-Z\nexit 4\necho never\n")
    proc = shell(["s.sh", "ab", "cd"], tmp_path)
    assert (proc.stdout, proc.returncode) == (b"AB-CD\n", 4)


def test_a_missing_script_is_one_line_and_status_2(tmp_path: Path) -> None:
    proc = shell(["nosuch.sh"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1 and b"Traceback" not in proc.stderr
    assert b"nosuch.sh" in proc.stderr


def test_help_says_what_is_not_supported(tmp_path: Path) -> None:
    text = shell(["--help"], tmp_path).stdout.decode()
    assert "not supported: functions, loops" in text
    assert "conditionals beyond &&" in text.replace("\n  ", " ")


@pytest.mark.parametrize("word", ["if true; then echo a; fi", "while true; do :; done",
                                  "for x in a; do echo $x; done"])
def test_unsupported_syntax_is_a_syntax_error_and_runs_nothing(tmp_path: Path, word: str
                                                                ) -> None:
    proc = shell(["-c", f"echo ran > f; {word}"], tmp_path)
    assert proc.returncode == 2 and b"Syntax error" in proc.stderr
    assert os.listdir(tmp_path) == []


def test_closed_stdout_is_no_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    from shellkit import ENV

    proc = subprocess.run([sys.executable, "-m", "iochannels", "shell", "-c", "echo a; echo b"],
                          cwd=tmp_path, env={**ENV, "PYTHONPATH": ":".join(sys.path)},
                          stdout=subprocess.DEVNULL, capture_output=False, stderr=subprocess.PIPE,
                          pass_fds=(), timeout=30, preexec_fn=lambda: os.close(1))
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.decode().splitlines() == ["iochannels shell: 1: echo: echo: I/O error"] * 2
    assert proc.returncode == 1


def test_a_trace_file_that_cannot_be_written(tmp_path: Path) -> None:
    proc = shell(["--trace-file", "/nonexist/t", "-c", "true"], tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == b"iochannels: cannot write /nonexist/t: No such file or directory\n"


def test_big_here_document_goes_through_a_writer(tmp_path: Path) -> None:
    """More than a pipe holds (pipe(7): 64 KiB): written by a child, else the shell would
    block on its own pipe."""
    (tmp_path / "s").write_text(f"cat <<EOF | wc -c\n{'x' * 200_000}\nEOF\n")
    proc = shell(["s"], tmp_path)
    assert proc.stdout == b"200001\n"


def test_a_shell_whose_reader_is_gone_ends_by_sigpipe_as_dash(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from shellkit import DASH, ENV

    line = "echo a; echo b >&2"
    statuses = []
    for argv in ([sys.executable, "-m", "iochannels", "shell", "-c", line],
                 [DASH or "dash", "-c", line]):
        r, w = os.pipe()
        os.close(r)  # the reader is gone before anything is written
        try:
            proc = subprocess.run(argv, stdout=w, stderr=subprocess.PIPE, cwd=tmp_path,
                                  env={**ENV, "PYTHONPATH": ":".join(sys.path)}, timeout=30)
        finally:
            os.close(w)
        statuses.append((proc.returncode, proc.stderr))
    assert statuses[0] == statuses[1] == (-signal.SIGPIPE, b"")


def test_a_drawing_that_cannot_be_written_is_one_line_and_status_1(tmp_path: Path) -> None:
    """`--draw -o` into a directory that does not exist: the pipeline still runs (its
    children were stopped before exec and are let go), then one escaped line, status 1;
    no traceback, nothing drawn later, no picture file anywhere."""
    target = tmp_path / "no\x1bdir" / "pic.json"
    proc = shell(["--draw", "--format", "json", "-o", str(target), "-c",
                  "echo a | cat; echo b | cat"], tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == b"a\n"
    lines = proc.stderr.decode("utf-8", "replace").splitlines()
    assert len(lines) == 1 and b"Traceback" not in proc.stderr, proc.stderr
    assert b"\x1b" not in proc.stderr and "no\\x1bdir" in lines[0]
    assert "cannot write" in lines[0] and "No such file or directory" in lines[0]
    assert os.listdir(tmp_path) == []


def test_the_shells_own_messages_escape_control_characters(tmp_path: Path) -> None:
    """A name with an escape sequence reaches the terminal escaped in the shell's message
    (it would otherwise clear the screen); a program's own output passes untouched."""
    name = "a\x1b[2Jb\x9b\udce9"
    proc = shell(["-c", f"cat < '{name}'; printf '\\033[0m'; '{name}'"], tmp_path)
    assert proc.stdout == b"\x1b[0m"
    err = proc.stderr
    assert b"\x1b" not in err and b"\xc2\x9b" not in err and b"\xe9" not in err, err
    assert err.count(b"a\\x1b[2Jb\\x9b\\xe9") == 2 and err.count(b"\n") == 2


def test_a_bad_substitution_ends_the_shell_with_2_and_says_so(tmp_path: Path) -> None:
    """XCU 2.8.1: an expansion error ends a non-interactive shell with status 2 (dash does);
    it is the shell's own one-line message, not the tool's, and nothing after it runs."""
    proc = shell(["-c", "x=abc; echo ${x!}; echo next > f"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr == b"iochannels shell: 1: ${x!}: Bad substitution\n"
    assert os.listdir(tmp_path) == []


def test_arithmetic_expansion_is_refused_not_run_as_a_command(tmp_path: Path) -> None:
    """`$((1+2))` is arithmetic in sh; read as `$( (1+2) )` it would run a program named
    `1+2`. The shell says it does not do arithmetic, status 2, nothing after it runs."""
    proc = shell(["-c", "echo $((1+2)); echo next > f"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr == (b"iochannels shell: 1: $((...)): arithmetic expansion is not "
                           b"supported\n")
    assert os.listdir(tmp_path) == []
