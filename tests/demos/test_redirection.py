"""Section 4 on real processes: dup2 onto fd 1 lands the text in the file; the | operator."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import need_program
from iochannels.demos.redirection import TEXT, _interesting
from iochannels.demos.runner import run_demo
from iochannels.demos.stage import Code, Show


def test_redirect_stdout_puts_the_text_in_the_file() -> None:
    result = run_demo("redirect-stdout", quick=True)
    facts = result.facts
    assert facts["file_text"] == TEXT
    assert facts["file_holds_text"] is True
    assert facts["file_fd"] == 3  # the lowest free fd after 0, 1, 2
    assert facts["stdout_after"].endswith("/out.txt")
    assert not str(facts["stdout_before"]).endswith("/out.txt")
    assert facts["fd3_after"] is None  # closed after dup2


def test_redirect_stdout_shows_before_after_and_the_shell_way() -> None:
    result = run_demo("redirect-stdout", quick=True)
    captions = [b.step.caption for b in result.blocks if isinstance(b, Show)]
    assert len(captions) == 3
    assert "dup2(3, 1)" in captions[1]
    assert result.facts["shell_child_stdout"].endswith("/ls.txt")
    assert result.facts["ls_output_in_file"] is True  # ls listed out.txt into ls.txt
    calls = [b.text for b in result.blocks if isinstance(b, Code) and "calls" in b.title]
    assert "dup2(3, 1)" in calls[0] and "execve" in calls[1]


def test_redirect_stdout_removes_its_files() -> None:
    result = run_demo("redirect-stdout", quick=True)
    out_txt = Path(result.facts["stdout_after"])
    assert not out_txt.exists() and not out_txt.parent.exists()


def test_pipe_operator_reader_prints_the_message() -> None:
    facts = run_demo("pipe-operator", quick=True).facts
    assert facts["reader_output"] == "Message is: Hello, world!"
    assert facts["message_ok"] is True
    assert facts["pipe_fds"] == [3, 4]
    assert facts["exit_statuses"] == {"writer": 0, "reader": 0}


def test_pipe_operator_pictures_the_wiring() -> None:
    result = run_demo("pipe-operator", quick=True)
    shows = [b.step for b in result.blocks if isinstance(b, Show)]
    assert len(shows) == 2
    wired = shows[1].snapshot
    writer = wired.process(result.facts["writer_pid"])
    reader = wired.process(result.facts["reader_pid"])
    assert writer is not None and reader is not None
    out, into = writer.fd(1), reader.fd(0)
    assert out is not None and into is not None
    assert out.channel == into.channel  # one pipe: the writer's fd 1, the reader's fd 0
    assert writer.fd(3) is None and writer.fd(4) is None
    assert reader.fd(3) is None and reader.fd(4) is None


def test_pipe_operator_real_trace() -> None:
    need_program("strace")
    facts = run_demo("pipe-operator", quick=True, options={"strace": True}).facts
    trace = facts["strace"]
    if trace is None:
        pytest.skip("strace is installed but could not trace here (ptrace not permitted)")
    for call in ("pipe2(", "clone", "dup2(", "execve("):
        assert call in trace


def test_interesting_drops_what_follows_each_execve() -> None:
    trace = "\n".join((
        '1 execve("/bin/sh", ["sh"]) = 0',
        "1 pipe2([3, 4], 0) = 0",
        "2 dup2(4, 1) = 1",
        '2 execve("/bin/w", ["w"]) = 0',
        "2 close(3) = 0",
    ))
    assert _interesting(trace).splitlines()[-1] == '2 execve("/bin/w", ["w"]) = 0'


def test_trace_results_sit_at_column_40_as_strace_puts_them() -> None:
    """Padding every result to the longest call pushed ``= 29216`` past an 80-column panel."""
    result = run_demo("redirect-stdout", quick=True)
    shell = next(b.text for b in result.blocks
                 if isinstance(b, Code) and b.title == "the shell's calls, in order")
    lines = shell.splitlines()
    assert lines[0].endswith(", 0644) = 3")  # longer than 40 columns: one space, as strace
    clone = next(line for line in lines if "clone(...)" in line)
    assert clone.index("= ") == 40 and len(clone) < 60
