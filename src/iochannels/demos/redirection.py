"""Section 4, redirection: two fd table entries pointing to the same I/O channel.

``redirect_stdout``: a process opens ``out.txt`` (fd 3), ``dup2(3, 1)``,
closes 3 and writes to fd 1: the text lands in the file. Then the shell's
way, ``ls -l > ls.txt``: open, fork, dup2 in the child, exec ``/bin/ls``.
``pipe_operator``: a manager makes one pipe, forks a writer and a reader,
wires their ends onto fds 1 and 0 with dup2 and execs them, as sh does for
``writer | reader``. The programs (``children.shell``) stop themselves
(SIGSTOP) at the moments worth a picture; the demo takes it and resumes them.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from iochannels.demos.children import shell as sh
from iochannels.demos.pictures import snapshot
from iochannels.demos.proc_state import children, fd_targets
from iochannels.demos.processes import (
    program,
    read_json,
    resume,
    start,
    wait_for,
    wait_stopped,
)
from iochannels.demos.stage import Stage
from iochannels.errors import IoChannelsError

__all__ = ["MESSAGE", "READER", "WRITER", "pipe_operator", "redirect_stdout"]

TEXT = "Hello, file! This line was written to fd 1.\n"
MESSAGE = "Hello, world!"
WRITER = f"print({MESSAGE!r})"  # a program that knows nothing of pipes: it writes to fd 1
READER = "import sys; print('Message is:', sys.stdin.readline().rstrip())"  # and reads fd 0
STRACE_CALLS = "pipe2,clone,clone3,close,dup2,dup3,execve"


RESULT_COLUMN = 40  # strace(1) -a: results aligned at column 40 (its default)


def trace_text(calls: Sequence[tuple[str, object]]) -> str:
    """Calls and results as strace prints them: ``= result`` at column 40, or just after a
    longer call, so that no line is wider than its call needs (an 80-column panel)."""
    return "\n".join(f"{call:<{RESULT_COLUMN - 1}} = {result}" for call, result in calls)


# -- redirect-stdout -----------------------------------------------------------------------


def redirect_stdout(stage: Stage) -> None:
    path = stage.workdir / "out.txt"
    stage.say("A process opens out.txt, then points its fd 1 (standard output) at the same "
              "open file with dup2(3, 1), closes fd 3 and writes to fd 1 as usual. (Its fd 2 "
              "is a pipe back to this demo, which collects error messages.)")
    child = start(stage, program(sh.redirect, str(path), TEXT),
                  stderr=subprocess.PIPE)
    before = _picture(stage, child, "open(\"out.txt\") returned fd 3; fd 1 is still "
                      "what the process inherited")
    after = _picture(stage, child, "after dup2(3, 1) and close(3): fd 1 is out.txt")
    resume(child.pid)
    _check_exit(child, "the redirecting process")
    written = path.read_text()
    stage.code("out.txt now holds", written)
    _redirect_facts(stage, before, after, written)
    stage.code("the calls, in order (strace -e trace=openat,dup2,close,write)", _calls(before))
    shell_way(stage)


def _picture(stage: Stage, child: subprocess.Popen[bytes], caption: str) -> dict[int, str]:
    """Wait for the child to stop itself, show its table, return its fds as /proc says."""
    pid = child.pid
    wait_stopped(pid, "the redirecting process", child.stderr)
    stage.show(snapshot([pid]), caption)
    targets = fd_targets(pid)
    resume(pid)
    return targets


def _redirect_facts(stage: Stage, before: dict[int, str], after: dict[int, str],
                    written: str) -> None:
    file_fd = next((fd for fd, t in before.items() if t.endswith("/out.txt")), None)
    stage.fact("file_fd", file_fd)
    stage.fact("stdout_before", before.get(1))
    stage.fact("stdout_after", after.get(1))
    stage.fact("fd3_after", after.get(3))
    stage.fact("file_text", written)
    stage.fact("file_holds_text", written == TEXT)


def _calls(before: dict[int, str]) -> str:
    fd = next((fd for fd, t in before.items() if t.endswith("/out.txt")), 3)
    return trace_text((
        ('openat(AT_FDCWD, "out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644)', fd),
        (f"dup2({fd}, 1)", 1),
        (f"close({fd})", 0),
        (f'write(1, "{TEXT[:24]}"..., {len(TEXT)})', len(TEXT)),
    ))


def _check_exit(child: subprocess.Popen[bytes], what: str) -> None:
    code = child.wait(10)
    if code != 0:
        said = child.stderr.read().decode(errors="replace").strip() if child.stderr else ""
        last = said.splitlines()[-1] if said else f"exit status {code}"
        raise IoChannelsError(f"{what} failed: {last}")


def shell_way(stage: Stage) -> None:
    """``ls -l DIR > ls.txt`` as a shell runs it: open, fork, dup2 in the child, exec."""
    path, ls = stage.workdir / "ls.txt", shutil.which("ls") or "/bin/ls"
    stage.say("The shell's way, for `ls -l > ls.txt`: the shell opens ls.txt, forks; the child "
              "(a copy with the same fd table) dup2s the file onto fd 1, closes the original "
              "and execs ls, which writes to fd 1 without knowing it is a file. The shell "
              "closes its own copy and waits.")
    shell = start(stage, program(sh.shell, str(path), ls, "-l", str(stage.workdir)),
                  stderr=subprocess.PIPE)
    child = _forked_child(shell.pid)
    wait_stopped(child, "the shell's child before execve")
    wait_for(lambda: not any(t.endswith("/ls.txt") for t in fd_targets(shell.pid).values()),
             "the shell to close its copy of ls.txt")
    stage.show(snapshot([shell.pid, child]), "the shell's child just before execve(\"/bin/ls\"): "
               "fd 1 is ls.txt; the shell has closed its copy")
    stage.fact("shell_child_stdout", fd_targets(child).get(1))
    resume(child)
    _check_exit(shell, "the shell's ls")
    listing = path.read_text()
    stage.code("ls.txt, written by ls through fd 1", listing)
    stage.fact("ls_output_in_file", "out.txt" in listing)
    stage.code("the shell's calls, in order", _shell_calls(shell.pid, child, ls))


def _forked_child(pid: int) -> int:
    """The one child ``pid`` has forked."""
    wait_for(lambda: bool(children(pid)), f"process {pid} to fork")
    return children(pid)[0]


def _shell_calls(shell: int, child: int, ls: str) -> str:
    return trace_text((
        (f'[pid {shell}] openat(AT_FDCWD, "ls.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644)', 3),
        (f"[pid {shell}] clone(...)", child),
        (f"[pid {child}] dup2(3, 1)", 1),
        (f"[pid {child}] close(3)", 0),
        (f'[pid {child}] execve("{ls}", ["ls", "-l", ...])', 0),
        (f"[pid {shell}] close(3)", 0),
        (f"[pid {shell}] wait4({child}, ...)", child),
    ))


# -- pipe-operator -------------------------------------------------------------------------


def pipe_operator(stage: Stage) -> None:
    writer, reader = [sys.executable, "-c", WRITER], [sys.executable, "-c", READER]
    stage.say("Three programs: a manager (the shell's part), a writer that prints a message "
              "to its fd 1, and a reader that reads a line from its fd 0. Neither knows of "
              "pipes; the manager wires them, as sh does for `writer | reader`.")
    manager = start(stage, program(sh.manager, json.dumps(writer),
                                   json.dumps(reader)),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ends = read_json(manager.stderr, "the manager's pipe")
    wait_stopped(manager.pid, "the manager after pipe()", manager.stderr)
    stage.show(snapshot([manager.pid]), f"pipe() gave the manager fd {ends['read']} (read end) "
               f"and fd {ends['write']} (write end) of one pipe; its fds 1 and 2 lead back "
               "to this demo, which collects what the reader prints")
    resume(manager.pid)
    pids = _wired(stage, manager, ends)
    output, done = _finish(manager)
    _pipe_facts(stage, ends, pids, output, done)
    stage.code("the reader printed", output)
    stage.code("the calls, in order (as strace -f shows them)", _pipe_calls(manager.pid, ends,
                                                                            pids))
    if stage.options.get("strace"):
        real_trace(stage)


def _wired(stage: Stage, manager: subprocess.Popen[bytes], ends: dict[str, int]) -> dict[str, int]:
    forked = read_json(manager.stderr, "the manager's children")
    pids = {"writer": int(forked["writer"]), "reader": int(forked["reader"])}
    for role, pid in pids.items():
        wait_stopped(pid, f"the {role} before execve")
    wait_stopped(manager.pid, "the manager after closing both ends")
    r, w = ends["read"], ends["write"]
    stage.show(snapshot([manager.pid, *pids.values()]),
               f"before execve: the writer did close({r}), dup2({w}, 1); the reader did "
               f"close({w}), dup2({r}, 0); the manager closed both ends")
    resume(*pids.values(), manager.pid)
    return pids


def _finish(manager: subprocess.Popen[bytes]) -> tuple[str, dict[str, int]]:
    done = read_json(manager.stderr, "the manager waiting for its children")
    manager.wait(10)
    assert manager.stdout is not None
    return manager.stdout.read().decode(errors="replace").strip(), done


def _pipe_facts(stage: Stage, ends: dict[str, int], pids: dict[str, int], output: str,
                done: dict[str, int]) -> None:
    stage.fact("pipe_fds", [ends["read"], ends["write"]])
    stage.fact("writer_pid", pids["writer"])
    stage.fact("reader_pid", pids["reader"])
    stage.fact("reader_output", output)
    stage.fact("message_ok", output == f"Message is: {MESSAGE}")
    stage.fact("exit_statuses", {"writer": done["writer"], "reader": done["reader"]})


def _pipe_calls(manager: int, ends: dict[str, int], pids: dict[str, int]) -> str:
    r, w, wp, rp = ends["read"], ends["write"], pids["writer"], pids["reader"]
    python = Path(sys.executable).name
    return trace_text((
        (f"[pid {manager}] pipe2([{r}, {w}], 0)", 0),
        (f"[pid {manager}] clone(...)", wp),
        (f"[pid {wp}] close({r})", 0),
        (f"[pid {wp}] dup2({w}, 1)", 1),
        (f"[pid {wp}] close({w})", 0),
        (f'[pid {wp}] execve("{python}", ["{python}", "-c", "<writer>"])', 0),
        (f"[pid {manager}] clone(...)", rp),
        (f"[pid {rp}] close({w})", 0),
        (f"[pid {rp}] dup2({r}, 0)", 0),
        (f"[pid {rp}] close({r})", 0),
        (f'[pid {rp}] execve("{python}", ["{python}", "-c", "<reader>"])', 0),
        (f"[pid {manager}] close({r})", 0),
        (f"[pid {manager}] close({w})", 0),
        (f"[pid {manager}] wait4(-1, ...)", wp),
    ))


def real_trace(stage: Stage) -> None:
    """``strace -f`` on a real ``sh -c 'writer | reader'`` (--strace), when strace is here."""
    strace = shutil.which("strace")
    if strace is None:
        stage.say("(--strace: strace is not installed here, so no real trace.)")
        stage.fact("strace", None)
        return
    line = f"{shlex.join([sys.executable, '-c', WRITER])} | " \
           f"{shlex.join([sys.executable, '-c', READER])}"
    log = stage.workdir / "strace.txt"
    done = subprocess.run([strace, "-f", "-e", f"trace={STRACE_CALLS}", "-o", str(log),
                           "sh", "-c", line], capture_output=True, timeout=30, check=False)
    if done.returncode != 0 or not log.exists():
        stage.say(f"(--strace: strace failed: {done.stderr.decode(errors='replace').strip()})")
        stage.fact("strace", None)
        return
    trace = _interesting(log.read_text())
    stage.code(f"strace -f -e trace={STRACE_CALLS} sh -c 'writer | reader'", trace)
    stage.fact("strace", trace)


def _interesting(trace: str, limit: int = 40) -> str:
    """The shell's own wiring: every traced call up to each child's execve, none after it."""
    keep: list[str] = []
    execed: set[str] = set()
    for line in trace.splitlines():
        pid = line.split(maxsplit=1)[0]
        if pid in execed:
            continue  # the program's own start-up (the loader's closes), not the shell's work
        keep.append(line)
        if "execve" in line and line.rstrip().endswith("= 0") and len(keep) > 1:
            execed.add(pid)
    return "\n".join(keep[:limit])
