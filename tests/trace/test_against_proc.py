"""The trace checked against the kernel: at every CHECK() of a real program, while every
process of it is stopped, the rebuilt fd tables equal /proc, fd by fd."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracekit import Checker, compile_program

from iochannels.cli.trace import first_table
from iochannels.trace.run import trace


def _traced(tmp_path: Path, name: str, *args: str) -> tuple[Checker, object]:
    binary = compile_program(name, tmp_path)
    checker = Checker()
    result = trace([binary, *args], timeout=60, first_table=first_table, on_step=checker)
    return checker, result


@pytest.mark.witness("strace")
def test_pipe_between_parent_and_child(tmp_path: Path) -> None:
    checker, result = _traced(tmp_path, "pipe")
    assert checker.problems == []
    assert len(checker.checked) == 3  # the start, the child after its write, the parent at EOF
    assert result.status == 0  # type: ignore[attr-defined]


@pytest.mark.witness("strace")
def test_dup2_redirection_and_shared_open_files(tmp_path: Path) -> None:
    checker, result = _traced(tmp_path, "dup2", str(tmp_path / "out"))
    assert checker.problems == []
    assert len(checker.checked) == 2
    assert (tmp_path / "out").read_text() == "redirected\n"
    # At the first check fd 1 and its dup (fd 3) share one open file; fd 10 does not.
    first_check = next(s for s in result.walkthrough.steps  # type: ignore[attr-defined]
                       if s.event and s.event.call == "--- stopped by")
    proc = first_check.snapshot.processes[0]
    assert proc.fd(1).open_file is not None and proc.fd(1).open_file == proc.fd(3).open_file
    assert proc.fd(10).open_file != proc.fd(1).open_file


@pytest.mark.witness("strace")
def test_unix_server_with_two_clients(tmp_path: Path) -> None:
    checker, _ = _traced(tmp_path, "unix", str(tmp_path / "sock"))
    assert checker.problems == []
    assert len(checker.checked) == 2


@pytest.mark.witness("strace")
def test_shell_pipeline(tmp_path: Path) -> None:
    checker, result = _traced(tmp_path, "pipeline")
    assert checker.problems == []
    assert len(checker.checked) == 2
    assert result.status == 0  # type: ignore[attr-defined]


@pytest.mark.witness("strace")
def test_fd_leaked_across_exec(tmp_path: Path) -> None:
    checker, result = _traced(tmp_path, "leak")
    assert checker.problems == []
    assert len(checker.checked) == 2  # before execve, and in the shell after it
    notes = [s.event.note for s in result.walkthrough.steps  # type: ignore[attr-defined]
             if s.event and s.event.call == "execve"]
    assert any("fd 5 (write end of pipe:" in n and "without close-on-exec" in n for n in notes)
