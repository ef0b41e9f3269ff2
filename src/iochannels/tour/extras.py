"""The tour's own pages, beside the demos: a real pipeline drawn by the shell, and one traced.

Both belong to section 4 (redirection and pipes), and both are described by a
:class:`DemoInfo` and narrated into the same :class:`Stage` as the demos, so that the
console and the report show them alike. They live here, not in ``demos``: they use
``shell`` and ``trace``, which the demos may not import (the layers in pyproject.toml).

- ``shell-draw``: ``iochannels shell --draw`` stops each stage of
  ``sort < in.txt | uniq -c > out.txt`` just before its ``execve`` and draws the real
  fd tables from ``/proc``: the lecture's redirection picture, taken from real processes.
- ``traced-pipeline``: a real ``sh -c 'printf ... | sort | uniq -c'`` run under strace(1);
  every fd-related call of the shell and its children rebuilds the fd tables, and the run
  becomes a stepper page of its own (``walk-traced-pipeline.html``). It is in section 4,
  not 6, because what the trace shows is the ``|`` operator the section ends with: the
  shell's ``pipe2``, its two forks, each child's ``dup2`` of one end onto 0 or 1 and its
  ``close`` of the rest, then ``execve``. Without strace the page says so in one line
  and the tour goes on.

Whatever these make (the shell's temporary directory, strace's FIFO, the processes) is
gone when they return, also on Ctrl-C: ``pipeline_pictures`` and ``trace`` clean up
after themselves.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from iochannels.demos.stage import DemoInfo, Stage
from iochannels.model import Event, Kind, Snapshot, Step, Walkthrough
from iochannels.tour.bench_page import BENCH
from iochannels.tour.bench_page import COMMAND as BENCH_COMMAND

__all__ = ["COMMANDS", "EXTRAS", "PIPELINE_LINE", "SHELL_DRAW", "TRACED", "shell_draw",
           "traced_pipeline"]

_M = "iochannels.tour.extras"

SHELL_DRAW = DemoInfo(
    "shell-draw", 4, "A real pipeline drawn just before exec",
    "iochannels shell --draw runs `sort < in.txt | uniq -c > out.txt` for real: each child "
    "stops just before execve, and their fd tables are read from /proc and drawn.",
    _M, "shell_draw",
)
TRACED = DemoInfo(
    "traced-pipeline", 4, "A real pipeline traced step by step",
    "sh -c 'sort < in.txt | uniq -c > out.txt' under strace: the shell's pipe2, forks, "
    "opens, dup2s, closes and execs rebuild the fd tables after every call; step through them.",
    _M, "traced_pipeline",
)
EXTRAS: tuple[DemoInfo, ...] = (SHELL_DRAW, TRACED, BENCH)  # BENCH: section 2 (bench_page)

# The traced pipeline: section 4's line again, two stages and a pipe, in a private
# directory ("$1") so that nothing of it reaches the tour's terminal or stays behind.
PIPELINE_LINE = "sort < in.txt | uniq -c > out.txt"
PIPELINE_INPUT = "b\na\nb\n"
# The calls that make the | operator and the redirections (the rest is in the stepper).
PIPE_CALLS = frozenset({"pipe", "pipe2", "fork", "vfork", "clone", "clone3", "dup2", "dup3",
                        "execve"})
OPEN_CALLS = frozenset({"open", "openat", "creat"})  # the shell's, before its execve
# A process's heading in the svg view: "<pid>  <name>" (what the tests read back too).
PROCESS_HEAD = re.compile(r'<text class="w"[^>]*>\d+ +([^<]+)</text>')
MAX_CALLS_SHOWN = 24  # in the narration; the stepper has every call

# What to type to see each page's subject outside the tour (the report names it).
COMMANDS = {
    SHELL_DRAW.name: "iochannels shell --draw -c 'sort < in.txt | uniq -c > out.txt'",
    TRACED.name: "iochannels trace -- sh -c 'sort < in.txt | uniq -c > out.txt'",
    BENCH.name: BENCH_COMMAND,
}


def shell_draw(stage: Stage) -> None:
    """Section 4's redirection picture of a real pipeline, from the shell's ``--draw``."""
    from iochannels.shell import picture

    line = picture.SECTION_4_LINE
    stage.code("the command line, run by iochannels shell --draw", line)
    pictures = _drawn(line, stage.workdir)
    stage.fact("pictures", len(pictures))
    if not pictures:
        stage.say("The shell drew no picture: nothing forked.")
        return
    svg = pictures[-1]  # the last command of the line: the pipeline
    stage.fact("programs_drawn", PROCESS_HEAD.findall(svg))
    stage.say("The shell made the pipe, forked sort and uniq, and in each child applied the "
              "command line's redirections (dup2 of in.txt onto sort's 0, of the pipe's ends "
              "onto sort's 1 and uniq's 0, of out.txt onto uniq's 1) and closed what was not "
              "kept; each child then stopped just before execve, and these are their real fd "
              "tables, read from /proc: exactly what each program starts with.")
    directory = stage.options.get("plot_dir")
    if directory is None:  # not in the tour's report: the picture stays in the narration
        stage.code("the picture (SVG)", f"{len(svg):,} characters of SVG")
        return
    path = Path(directory) / f"{stage.info.name}.svg"
    stage.say(f"The picture is in the report: {path.name}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")
    stage.files.append(path)


def _drawn(line: str, workdir: Path) -> list[str]:
    """``shell.picture.pipeline_pictures(line, "svg")``, the shell in a session of its own.

    pipeline_pictures runs the shell with ``subprocess.run``, which answers a
    KeyboardInterrupt with SIGKILL to the shell alone: the stages it forked (stopped
    before execve, or running) would outlive the tour. Here the shell leads its own
    process group, which its stages join (a non-interactive shell does no job control);
    on Ctrl-C the whole group gets SIGINT, as from a terminal, then SIGKILL if it lingers.
    """
    from iochannels.shell.errors import ShellError

    target = workdir / "pictures" / "picture.svg"
    target.parent.mkdir()
    argv = [sys.executable, "-m", "iochannels", "shell", "--draw", "--format", "svg",
            "-o", str(target), "-c", line]
    shell = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        _, err = shell.communicate(timeout=60)
    except BaseException:  # Ctrl-C, a timeout: the shell and its stages go, then we do
        _end_group(shell)
        raise
    if shell.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise ShellError(f"shell --draw failed: {lines[-1] if lines else shell.returncode}")
    pictures = sorted(target.parent.iterdir(), key=lambda p: (len(p.stem), p.stem))
    return [p.read_text(encoding="utf-8") for p in pictures]  # picture, picture-2, ...


def _end_group(shell: subprocess.Popen[bytes]) -> None:
    """SIGINT to the shell's group (it waits for its stages, as sh), SIGKILL if it stays."""
    try:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            shell.communicate(timeout=5)
    finally:  # also when a second Ctrl-C cuts the wait short
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)  # the shell if it stayed, a stray stage
        shell.wait()


def traced_pipeline(stage: Stage) -> None:
    """A real pipeline under strace: the | operator's calls, and every step as a stepper."""
    from iochannels import live
    from iochannels.render.trace import trace_text
    from iochannels.trace import StraceMissing, trace

    command = f"sh -c '{PIPELINE_LINE}'"
    stage.code("the command line, run by iochannels trace --", command)
    (stage.workdir / "in.txt").write_text(PIPELINE_INPUT, encoding="utf-8")
    argv = ["sh", "-c", f'cd "$1" && {PIPELINE_LINE}', "sh", str(stage.workdir)]
    try:
        traced = trace(argv, timeout=30,
                       first_table=lambda pid: live.snapshot([pid], others=False),
                       title=f"Traced: {command}")
    except StraceMissing as exc:
        stage.say(f"Not traced: {exc}.")
        stage.fact("traced", False)
        return
    if traced.stopped == "interrupted":
        # trace stops the program at Ctrl-C and keeps what it recorded (``iochannels trace``
        # draws it); in the tour, Ctrl-C stops the tour: strace and its processes are gone.
        raise KeyboardInterrupt
    if traced.stopped:
        stage.say(f"The pipeline was stopped ({traced.stopped}) before it ended; what was "
                  "recorded is drawn.")
    run = traced.walkthrough
    wiring = _wiring(run.events)
    stage.fact("traced", True)
    stage.fact("status", traced.status)
    stage.fact("steps", len(run.steps))
    stage.fact("pipes", sum(1 for e in run.events if e.call in ("pipe", "pipe2")))
    stage.fact("processes", len({e.pid for e in run.events}))
    stage.say("The shell ran for real under strace; after each fd-related call of the shell "
              "and of its children, the fd tables were rebuilt. The calls that make the | "
              "operator: a pipe per |, a fork per stage, in each child an open of its "
              "redirection's file, a dup2 of it or of one pipe end onto 0 or 1, then execve.")
    stage.code("pipe, fork, open, dup2 and execve, as strace saw them",
               trace_text(run, wiring[:MAX_CALLS_SHOWN]))
    out = stage.workdir / "out.txt"
    stage.code("out.txt", out.read_text("utf-8", "replace") if out.exists() else "(not written)")
    wired = _wired(run)
    if wired is not None:
        between = _pipe_between(wired.snapshot)
        stage.fact("pipe_between_stages", between)
        stage.show(wired.snapshot, f"sort's 1 and uniq's 0: the two ends of {between}"
                   if between else "the step with the most fds open")
    keep = stage.options.get("keep_walkthrough")
    if callable(keep):
        keep(stage.info.name, run)


def _wiring(events: tuple[Event, ...]) -> list[Event]:
    """The | operator's calls, and the opens a shell's child makes for its redirections
    (before its execve: a program's own opens, its libraries, are not the shell's)."""
    execed: set[int] = set()
    shown = []
    for event in events:
        if event.call in PIPE_CALLS or (event.call in OPEN_CALLS and event.pid not in execed):
            shown.append(event)
        if event.call == "execve" and event.error is None:
            execed.add(event.pid)
    return shown


def _pipe_between(snap: Snapshot) -> str | None:
    """The pipe whose write end is sort's fd 1 and read end uniq's fd 0, if they share one."""
    ends = {(p.name, e.fd): e.channel for p in snap.processes for e in p.fds}
    channel = ends.get(("sort", 1))
    if channel is None or channel not in snap.channels or ends.get(("uniq", 0)) != channel:
        return None
    return channel if snap.channels[channel].kind is Kind.PIPE else None


def _wired(run: Walkthrough) -> Step | None:
    """The first step where both programs run (after their execve): the pipeline as the
    programs see it; else the step with the most fds open."""
    for step in run.steps:
        names = {p.name for p in step.snapshot.processes}
        if {"sort", "uniq"} <= names:
            return step
    return run.fullest_step
