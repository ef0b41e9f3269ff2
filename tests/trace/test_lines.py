"""strace's output parsed: lines recorded on this machine's strace (tests/trace/data/) and
lines written by hand from strace's documented forms of older and newer versions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iochannels.trace.args import fd_list, fd_of, split_args, unescape
from iochannels.trace.lines import Call, Exit, LineParser, Record, Signal
from iochannels.trace.rebuild import rebuild_lines

DATA = Path(__file__).parent / "data"


def records(name: str, main_pid: int = 0) -> tuple[list[Record], LineParser]:
    parser = LineParser(main_pid)
    found = []
    with open(DATA / name, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            record = parser.feed(line)
            if record is not None:
                found.append(record)
            else:  # only the first half of a call may give nothing
                assert line.rstrip().endswith(("<unfinished ...>", "attached")), line
            # (the rest of a line cut by "attached" comes back as the call itself)
    return found, parser


@pytest.mark.parametrize("name", ["pipeline-o-ttt.txt", "pipeline-stderr-tt.txt",
                                  "sockets-o-ttt.txt", "sigstop.txt"])
def test_every_recorded_line_is_read_and_every_call_resumed(name: str) -> None:
    found, parser = records(name, main_pid=1)
    assert found
    assert parser.unfinished() == []  # each <unfinished ...> met its <... resumed>
    exits = [r for r in found if isinstance(r, Exit)]
    text = (DATA / name).read_text(errors="replace")
    assert len(exits) == text.count("+++ exited with")


def test_pipeline_recorded_with_o_file() -> None:
    found, _ = records("pipeline-o-ttt.txt")
    calls = [r for r in found if isinstance(r, Call)]
    pipes = [c for c in calls if c.name == "pipe2"]
    assert len(pipes) == 2
    ends = fd_list(pipes[0].args[0])
    assert [e.number for e in ends] == [3, 4]
    assert ends[0].what == ends[1].what and ends[0].what.startswith("pipe:[")
    # The shell's children: every pid that prints was made by a clone that returned it.
    forked = {c.retval for c in calls if c.name == "clone"}
    assert {r.pid for r in found} - forked == {calls[0].pid}
    assert all(r.time is not None and r.time > 1e9 for r in found)  # -ttt: since the epoch


def test_stderr_form_pid_prefix_and_attach_messages() -> None:
    # The caller knows the pid it started (32365 when this was recorded); strace names it
    # only once a second process appears, and again not when it is the last one left.
    found, _ = records("pipeline-stderr-tt.txt", main_pid=32365)
    pids = {r.pid for r in found}
    assert pids == {32365, 32366, 32367}
    clone = next(r for r in found if isinstance(r, Call) and r.name == "clone")
    assert clone.retval in pids  # "strace: Process N attached" cut out of the clone line
    assert all(r.time is not None and r.time < 86400 for r in found)  # -tt: time of day


def test_signals_and_stops() -> None:
    found, _ = records("sigstop.txt")
    signals = [r for r in found if isinstance(r, Signal)]
    assert ("SIGSTOP", True) in {(s.name, s.stopped) for s in signals}
    assert [s.name for s in signals if not s.stopped].count("SIGCONT") == 2


def test_hostile_path_recorded_comes_back_whole() -> None:
    # q.c opened argv[1] = '/tmp/trace-scratch/we<i>rd, "na\nme\x1b': strace escaped it.
    found, _ = records("sockets-o-ttt.txt")
    opened = next(r for r in found if isinstance(r, Call) and r.name == "openat"
                  and r.decoration and "we<i>rd" in r.decoration)
    assert opened.decoration == '/tmp/trace-scratch/we<i>rd, "na\nme\x1b'
    accept = next(r for r in found if isinstance(r, Call) and r.name == "accept4")
    assert accept.decoration is not None and accept.decoration.startswith("TCP:[127.0.0.1:")


# Forms of other strace versions, written from strace(1) and its NEWS.
HAND = [
    # strace < 4.10 resumed with a space, [pid  N] padded, no timestamps.
    ("[pid  1234] read(3</etc/x>,  <unfinished ...>", None),
    ("[pid  1234] <... read resumed> \"ab\", 10) = 2", ("read", 1234, 2, None)),
    # -t: seconds only; a line without a pid is the one process left (1234).
    ("10:01:02 close(4<pipe:[9]>) = 0", ("close", 1234, 0, None)),
    # an error with its text, an fd result with a device (strace >= 6.2 with -yy)
    ("99 open(\"/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)",
     ("open", 99, -1, "ENOENT")),
    ("99 dup(0</dev/pts/0<char 136:0>>) = 5</dev/pts/0<char 136:0>>", ("dup", 99, 5, None)),
    ("99 exit_group(0)                 = ?", ("exit_group", 99, None, None)),
    ("99 read(0, 0x7ffd, 10)           = ? ERESTARTSYS (To be restarted if SA_RESTART is set)",
     ("read", 99, None, "ERESTARTSYS")),
]


def test_hand_written_forms() -> None:
    parser = LineParser()
    for line, expected in HAND:
        record = parser.feed(line)
        if expected is None:
            assert record is None
            continue
        assert isinstance(record, Call), line
        assert (record.name, record.pid, record.retval, record.error) == expected


@pytest.mark.parametrize(("line", "expected"), [
    ("5 +++ killed by SIGKILL +++", Exit(5, None, None, "SIGKILL", False)),
    ("5 +++ killed by SIGSEGV (core dumped) +++", Exit(5, None, None, "SIGSEGV", True)),
    ("5 1.5 +++ exited with 3 +++", Exit(5, 1.5, 3, None, False)),
    ("5 --- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=5, si_uid=0} ---",
     Signal(5, None, "SIGPIPE", False)),
    ("5 --- stopped by SIGTSTP ---", Signal(5, None, "SIGTSTP", True)),
])
def test_ends_and_signals(line: str, expected: Record) -> None:
    assert LineParser().feed(line) == expected


def test_decorations_with_arrows_commas_and_nesting() -> None:
    assert split_args('8<TCP:[1.2.3.4:5->6.7.8.9:10]>, "a, b", {x=1, y=[2, 3]}') == (
        "8<TCP:[1.2.3.4:5->6.7.8.9:10]>", '"a, b"', "{x=1, y=[2, 3]}")
    assert fd_of("3<UNIX-STREAM:[1->2]>").what == "UNIX-STREAM:[1->2]"
    assert fd_of(r"3</a\76b>").what == "/a>b"


def _strace_escape(raw: bytes) -> str:
    """How strace(1) prints a path in a decoration: printable ASCII as is, except the
    characters it escapes (\\ " < >), everything else in octal (its string_quote: three
    digits when an octal digit follows, so that the reader knows where the number ends)."""
    out = []
    for i, byte in enumerate(raw):
        ch = chr(byte)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch in "<>" or not 32 <= byte < 127:
            digit_next = raw[i + 1 : i + 2] in [bytes([d]) for d in b"01234567"]
            out.append(f"\\{byte:03o}" if digit_next else f"\\{byte:o}")
        else:
            out.append(ch)
    return "".join(out)


@given(st.binary(min_size=1, max_size=40))
def test_unescape_undoes_strace_escapes(raw: bytes) -> None:
    assert unescape(_strace_escape(raw)) == os.fsdecode(raw)


def test_rebuild_of_a_recorded_pipeline() -> None:
    run = rebuild_lines((DATA / "pipeline-o-ttt.txt").open(errors="surrogateescape"))
    steps = [s for s in run.steps if s.event and s.event.call == "pipe2"]
    assert len(steps) == 2
    after = steps[0].snapshot
    shell = after.processes[0]
    assert {shell.fd(3).access, shell.fd(4).access} == {"r", "w"}
    pipe = after.channels[shell.fd(3).channel]
    assert pipe.id.startswith("pipe:[") and pipe.buffers[0].used == 0
    # The echo subshell's write is counted into the pipe until cat reads it.
    writes = [s for s in run.steps if s.event and s.event.call == "write"
              and s.snapshot.channels.get(pipe.id) is not None]
    assert writes and writes[0].snapshot.channels[pipe.id].buffers[0].used == 3
    last = run.steps[-1].snapshot
    assert all(not p.fds for p in last.processes)  # everyone exited


def test_end_of_file_is_noted_where_the_last_writer_goes() -> None:
    """pipe(7): the readers see end of file once every write end is closed. In the recorded
    `echo hi | cat; ls /nonexist 2>&1 | wc -l`, echo's subshell exits holding its write end
    (the kernel closes it), and ls closes its stdout itself before it exits."""
    run = rebuild_lines((DATA / "pipeline-o-ttt.txt").open(errors="surrogateescape"))
    notes = [(s.event.call, s.event.note) for s in run.steps
             if s.event and "the last write end" in s.event.note]
    assert [call for call, _ in notes] == ["+++", "close"]
    made = [s.snapshot.processes[0].fd(3).channel for s in run.steps
            if s.event and s.event.call == "pipe2"]
    assert [f"the last write end of {pipe} is closed: its readers get end of file"
            for pipe in made] == [note for _, note in notes]
