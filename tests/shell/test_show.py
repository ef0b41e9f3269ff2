"""--trace, --draw and --sim, each checked against what really happened."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from shellrun import fd_listing, shell

TRACE_LINE = re.compile(r"^\[(\d+)\] (\w+)\((.*)\) = (-?\d+|\?)(?: (E[A-Z]+))?$")


def _trace(path: Path) -> list[tuple[int, str, str, str]]:
    lines = path.read_text().splitlines()
    parsed = [TRACE_LINE.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    return [(int(m[1]), m[2], m[3], m[4]) for m in parsed if m]


def test_trace_shows_the_pipe_the_forks_and_each_childs_dup2s(tmp_path: Path) -> None:
    proc = shell(["--trace-file", "t", "-c", "echo hi 2>&1 >/dev/null | wc -c"], tmp_path)
    assert proc.stdout == b"0\n" and proc.stderr == b""
    calls = _trace(tmp_path / "t")
    shell_pid = calls[0][0]
    assert calls[0][1:3] == ("pipe2", "[3, 4], O_CLOEXEC")
    forks = [int(r) for pid, call, _, r in calls if call == "fork" and pid == shell_pid]
    assert len(forks) == 2
    writer, reader = forks
    mine = {pid: [(c, a) for p2, c, a, _ in calls if p2 == pid] for pid in forks}
    # The writer: stdout into the pipe, then its redirections in the order written.
    assert mine[writer] == [("close", "3"), ("dup2", "4, 1"), ("close", "4"), ("dup2", "1, 2"),
                            ("openat", 'AT_FDCWD, "/dev/null", O_WRONLY|O_CREAT|O_TRUNC, 0666'),
                            ("dup2", "3, 1"), ("close", "3")]
    assert mine[reader][:2] == [("dup2", "3, 0"), ("close", "3")]
    call, args = mine[reader][-1]
    assert call == "execve" and args.startswith('"/usr/bin/wc", ["wc", "-c"], ')
    waited = [int(a.split(",")[0]) for pid, c, a, _ in calls if c == "wait4"]
    assert waited == forks


def test_trace_reports_a_failed_exec_from_the_child(tmp_path: Path) -> None:
    proc = shell(["--trace", "-c", "nosuch-program-x"], tmp_path)
    assert proc.returncode == 127
    lines = proc.stderr.decode().splitlines()
    assert "iochannels shell: 1: nosuch-program-x: not found" in lines
    assert not any(line.startswith("[") and "execve" in line and line.endswith("= 0")
                   for line in lines)


def test_trace_escapes_hostile_names(tmp_path: Path) -> None:
    proc = shell(["--trace", "-c", "echo x > 'a\x1b[31mb\nc'"], tmp_path)
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert "\x1b" not in err and '"a\\x1b[31mb\\nc"' in err


@pytest.mark.parametrize("line", [
    "ls -l /proc/self/fd | { cat; ls -l /proc/self/fd 3>three; }",
    "ls -l /proc/self/fd 2>&1 </dev/null | cat",
])
def test_draw_tables_are_what_each_program_then_sees(tmp_path: Path, line: str) -> None:
    proc = shell(["--draw", "--format", "json", "-o", "pic.json", "-c", line], tmp_path)
    assert proc.returncode == 0, proc.stderr
    snap = json.loads((tmp_path / "pic.json").read_text())
    seen = [{fd: t for fd, t in x.items() if not t.startswith("/proc/")}
            for x in fd_listing(proc.stdout.decode())]
    drawn = snap["processes"]
    assert len(drawn) == 2
    # The first stage is the program itself: its table must be what ls printed.
    first = {e["fd"]: e for e in drawn[0]["fds"]}
    assert sorted(first) == sorted(seen[0])
    assert drawn[0]["name"] == "ls"
    channels = snap["channels"]
    for fd, target in seen[0].items():
        ch = channels[first[fd]["channel"]]
        assert target in (ch.get("label"), ch.get("local"), ch["id"]) or target.endswith(
            str(ch.get("label")))


def test_sim_gives_a_walkthrough_with_the_plan(tmp_path: Path) -> None:
    proc = shell(["--sim", "--format", "json", "-c", "echo hi | cat > out"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)
    calls = [s["event"]["call"] for s in run["steps"] if s.get("event")]
    assert calls[:2] == ["pipe", "fork"]
    assert calls.count("fork") == 2 and "dup2" in calls and "open" in calls
    assert list(tmp_path.iterdir()) == []  # the simulated file stays in the simulation


def test_sim_html_is_the_stepper(tmp_path: Path) -> None:
    proc = shell(["--sim", "--format", "html", "-o", "w.html", "-c", "echo a | cat"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "w.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_the_tour_hook_draws_the_section_4_pipeline() -> None:
    from iochannels.shell.picture import pipeline_pictures

    *_, last = pipeline_pictures(fmt="json")
    snap = json.loads(last)
    assert [p["name"] for p in snap["processes"]] == ["sort", "uniq"]
    sort_fds = {e["fd"]: e["channel"] for e in snap["processes"][0]["fds"]}
    uniq_fds = {e["fd"]: e["channel"] for e in snap["processes"][1]["fds"]}
    assert sort_fds[1] == uniq_fds[0] and sort_fds[1].startswith("pipe:")


def test_sim_runs_every_corpus_line() -> None:
    """--sim on every command line of the corpus: a walkthrough, never a crash (the
    simulated programs are stand-ins, so the outputs are not compared with dash)."""
    from corpus import ALL

    from iochannels.shell.errors import ShellSyntaxError
    from iochannels.shell.simulate import walkthrough

    runs = 0
    for line in ALL:
        try:
            run = walkthrough(line)
        except ShellSyntaxError:
            continue
        runs += 1
        assert run.steps and run.steps[0].event is None
    assert runs > 250
