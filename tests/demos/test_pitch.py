"""Section 0's demos: a stand-in application's channels counted; what Popen wires."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import need_program
from iochannels import live
from iochannels.demos import pitch, registry
from iochannels.demos.stage import Say, Show, staged
from iochannels.errors import NotFound, UsageError


def run(demo: str, **options: Any) -> tuple[dict[str, Any], list[Show]]:
    info = registry.get(demo)
    with staged(info, quick=True, options=options) as stage:
        getattr(pitch, info.function)(stage)
    json.dumps(stage.facts)  # --json prints them
    return stage.facts, [b for b in stage.blocks if isinstance(b, Show)]


def test_the_standin_counts_by_kind_match_what_it_opened() -> None:
    facts, shows = run("pitch-fds")
    assert facts["opened"] == {"unix-stream": 5, "unix-seqpacket": 2, "pipe": 4, "fifo": 1,
                               "anon": 2, "chr": 2, "file": 2, "tcp": 2}
    assert facts["counts"] == facts["opened"]
    assert facts["counts_match_opened"] is True
    assert (facts["sockets"], facts["pipes"], facts["pipe_pairs"], facts["fifos"]) == (9, 4, 2, 1)
    assert facts["sentence"] == "9 sockets, 4 pipes in 2 pairs, 1 FIFO"
    assert len(shows) == 2


def test_the_nc_picture() -> None:
    facts, _ = run("pitch-fds")
    assert facts["server_sockets"] == {"listening": 1, "connection": 1}
    assert facts["client_sockets"]["connection"] == 1


def test_any_process_by_pid() -> None:
    facts, shows = run("pitch-fds", pid=os.getpid())
    assert [p.pid for p in shows[0].step.snapshot.processes] == [os.getpid()]
    assert sum(facts["counts"].values()) >= 3
    assert "opened" not in facts


def test_any_process_by_name() -> None:
    name = Path("/proc/self/comm").read_text().strip()
    _facts, shows = run("pitch-fds", name=name)
    assert os.getpid() in [p.pid for p in shows[0].step.snapshot.processes]


def test_an_unknown_name_or_pid_is_not_found() -> None:
    with pytest.raises(NotFound, match="no process named"):
        run("pitch-fds", name="no-such-program-here")
    with pytest.raises(NotFound, match="no process with pid"):
        run("pitch-fds", pid=2**22 + 1)
    with pytest.raises(UsageError, match="not a pid"):
        run("pitch-fds", pid="me")


def test_popen_python_holds_the_read_end_grep_held_the_write_end() -> None:
    facts, shows = run("popen")
    one = facts["stdout_pipe"]
    assert one["python_access"] == "r"
    if one["grep_alive_at_snapshot"]:
        assert one["grep_fd1_same_pipe"] is True
    two = facts["two_way"]
    assert (two["python_write_access"], two["python_read_access"]) == ("w", "r")
    assert (two["grep_fd0"], two["grep_fd1"]) == ("r", "w")
    assert two["fd0_same_pipe"] and two["fd1_same_pipe"]
    assert len(shows) == 3


def test_popen_the_zombie_is_seen_then_reaped() -> None:
    facts, _ = run("popen")
    assert facts["zombie_seen"] is True
    assert facts["zombie_gone_after_wait"] is True
    assert facts["waiting_in_pipe"] > 0
    assert facts["grep_output_lines"] > 0


@pytest.mark.witness("lsof")
def test_lsof_counts_the_standin_the_same_way() -> None:
    """lsof, an independent witness, sees the same fds by type (pipes and FIFOs are both FIFO)."""
    lsof = need_program("lsof")
    seen: dict[str, int] = {}

    def witness(block: object) -> None:
        if isinstance(block, Show) and not seen:
            pid = block.step.snapshot.processes[0].pid
            out = subprocess.run([lsof, "-n", "-P", "-p", str(pid), "-a", "-d", "3-1023", "-F",
                                  "t"], capture_output=True, text=True, check=False).stdout
            for line in out.splitlines():
                if line.startswith("t"):
                    seen[line[1:]] = seen.get(line[1:], 0) + 1

    info = registry.get("pitch-fds")
    with staged(info, quick=True, listeners=[witness]) as stage:
        pitch.pitch_fds(stage)
    counts = stage.facts["counts"]
    assert seen == {
        "unix": counts["unix-stream"] + counts["unix-seqpacket"],
        "FIFO": counts["pipe"] + counts["fifo"],
        "a_inode": counts["anon"], "CHR": counts["chr"], "REG": counts["file"],
        "IPv4": counts["tcp"],
    }


def _asleep(pid: int) -> None:
    """Until ``pid`` sleeps in its timer: while sleep(1) starts, setlocale(3) has a locale
    file open for a moment, and a count taken then has one fd more than sleep keeps."""
    deadline = time.monotonic() + 20  # a bound for a loaded machine, not a speed check
    while time.monotonic() < deadline:
        proc = live.snapshot([pid], others=False).process(pid)
        if proc is not None and (proc.state or "").startswith("blocked in clock_nanosleep"):
            return
        time.sleep(0.02)
    pytest.fail(f"{pid} never slept")


def test_the_count_says_only_what_is_there() -> None:
    """A process whose pipes lead elsewhere: no "in 0 pairs", no "rest" when none is left."""
    with subprocess.Popen(["sleep", "30"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL) as sleeper:
        try:
            _asleep(sleeper.pid)
            info = registry.get("pitch-fds")
            with staged(info, options={"pid": sleeper.pid}) as stage:
                pitch.pitch_fds(stage)
        finally:
            sleeper.kill()
    said = [b.text for b in stage.blocks if isinstance(b, Say)]
    assert stage.facts["sentence"] == "0 sockets, 2 pipes, 0 FIFOs"
    assert said == ["Of 3 fds: 0 sockets, 2 pipes, 0 FIFOs; 1 file or device."]
    standin, _ = run("pitch-fds")
    assert standin["sentence"] == "9 sockets, 4 pipes in 2 pairs, 1 FIFO"


def test_the_pictures_name_every_other_end_as_fds_does() -> None:
    """The demos' fd filter drops their control fds, never the facts: no bare socket:[N]."""
    from iochannels.render.text import other_end

    _, shows = run("pitch-fds")
    ends = [other_end(s.step.snapshot, p.pid, e, s.step.snapshot.channels[e.channel])
            for s in shows for p in s.step.snapshot.processes for e in p.fds]
    assert ends and not [end for end in ends if end.startswith("socket:[")]
