"""The text views of a run: trace lines in stable columns, fd tables, buffer gauges."""

from __future__ import annotations

from iochannels.model import (
    Buffer,
    BufferRole,
    Channel,
    Event,
    FdEntry,
    Kind,
    Process,
    Snapshot,
    Step,
    Walkthrough,
)
from iochannels.render import trace

PIPE = Channel("pipe:1", Kind.PIPE, "pipe", buffers=(Buffer(BufferRole.PIPE, 65536, 14),))
TTY = Channel("chr:tty", Kind.CHR, "/dev/tty")


def snap(*procs: Process) -> Snapshot:
    return Snapshot(procs, {"pipe:1": PIPE, "chr:tty": TTY}, "sim")


WRITER = Process(101, "writer", fds=(FdEntry(1, "chr:tty", "rw"), FdEntry(4, "pipe:1", "w")))
READER = Process(102, "reader", fds=(FdEntry(3, "pipe:1", "r", frozenset({"nonblock"})),))


def walk() -> Walkthrough:
    events = (
        Event(1, 102, "read", (3, 100), blocked=True),
        Event(2, 101, "write", (4, '"Hello, world!\\n"', 14), result=14),
        Event(3, 102, "read", (3, '"Hello, world!\\n"', 100), result=14),
        Event(4, 101, "write", (4, '"x"', 1), error="EPIPE", note="no reader left"),
    )
    s = snap(WRITER, READER)
    return Walkthrough("t", (Step(s), *(Step(s, e) for e in events)))


def test_event_lines_have_stable_columns() -> None:
    lines = trace.trace_text(walk()).splitlines()
    assert lines[1] == '   2  [101 writer]  write(4, "Hello, world!\\n", 14) = 14'
    assert lines[0] == "   1  [102 reader]  read(3, 100) <blocked>"
    # the call starts in the same column on every line
    assert len({line.index("]") for line in lines}) == 1


def test_a_blocked_call_is_resumed_by_the_next_event_of_its_process() -> None:
    lines = trace.trace_text(walk()).splitlines()
    assert "<resumed> read(3," in lines[2]
    assert lines[2].endswith("= 14")
    assert "<resumed>" not in lines[1] and "<resumed>" not in lines[3]


def test_an_error_shows_minus_one_and_the_errno_name_and_the_note() -> None:
    line = trace.trace_text(walk()).splitlines()[3]
    assert line.endswith('write(4, "x", 1) = -1 EPIPE  # no reader left')


def test_names_are_the_processes_at_the_time_of_the_call() -> None:
    before = Snapshot((Process(7, "sh"),), {}, "sim")
    after = Snapshot((Process(7, "ls"),), {}, "sim")
    run = Walkthrough("t", (Step(before), Step(after, Event(1, 7, "exec", ('"ls"',), 0))))
    assert "[7 sh]" in trace.trace_text(run)


def test_gauge_shows_the_fill() -> None:
    assert trace.gauge(Buffer(BufferRole.PIPE, 100, 0), 10) == "[..........]"
    assert trace.gauge(Buffer(BufferRole.PIPE, 100, 50), 10) == "[#####.....]"
    assert trace.gauge(Buffer(BufferRole.PIPE, 100, 100), 10) == "[##########]"
    # not empty: one mark at least; not full: one dot at least
    assert trace.gauge(Buffer(BufferRole.PIPE, 65536, 1), 10) == "[#.........]"
    assert trace.gauge(Buffer(BufferRole.PIPE, 65536, 65535), 10) == "[#########.]"
    assert trace.gauge(Buffer(BufferRole.SEND), 4) == "[????]"


def test_every_view_spells_a_size_the_same_way() -> None:
    """1,536 bytes waiting in a 64 KiB pipe read the same in the trace, SVG, DOT and Mermaid."""
    from iochannels.render import render_snapshot

    pipe = Channel("pipe:[9]", Kind.PIPE, "pipe", buffers=(Buffer(BufferRole.PIPE, 65536, 1536),))
    procs = (Process(1, "w", fds=(FdEntry(4, pipe.id, "w"),)),
             Process(2, "r", fds=(FdEntry(3, pipe.id, "r"),)))
    snap = Snapshot(procs, {pipe.id: pipe}, "sim")
    views = {"trace": trace.buffers_text(snap)}
    views |= {fmt: render_snapshot(snap, fmt) for fmt in ("svg", "dot", "mermaid")}
    for name, text in views.items():
        assert "1536 B" in text and "64 KiB" in text and "1.5 KiB" not in text, name


def test_fd_tables_and_buffers() -> None:
    text = trace.snapshot_text(snap(WRITER, READER))
    assert "101 writer" in text and "102 reader" in text
    assert "    4  w   pipe         pipe:1" in text.splitlines()
    assert "    3  r   pipe         pipe:1   [nonblock]" in text.splitlines()
    assert "    1  rw  chr          chr:tty  /dev/tty" in text.splitlines()
    assert "pipe:1  pipe         pipe   [#...................]  14 B / 64 KiB" in text
    # a channel without a known capacity has no gauge
    assert "chr:tty" not in trace.buffers_text(snap(WRITER))


def test_fd_rows_say_what_a_socket_is() -> None:
    listening = Channel("sock:1", Kind.TCP, "127.0.0.1:80", "LISTEN",
                        detail={"backlog": "1", "accept queue": "2"})
    proc = Process(1, "server", fds=(FdEntry(3, "sock:1", "rw"),))
    text = trace.fd_tables_text(Snapshot((proc,), {"sock:1": listening}, "sim"))
    assert text.splitlines()[1] == (
        "    3  rw  tcp          sock:1  127.0.0.1:80 LISTEN (accept queue 2, backlog 1)")


def test_step_text_shows_the_call_then_the_tables() -> None:
    run = walk()
    text = trace.step_text(run.steps[2], "writer")
    first, *rest = text.splitlines()
    assert first == '2  [101 writer]  write(4, "Hello, world!\\n", 14) = 14'
    assert "102 reader" in "\n".join(rest)
    assert trace.step_text(run.steps[0]).startswith("start\n")


def test_statuses() -> None:
    text = trace.statuses_text({102: "SIGPIPE", 101: 0}, {101: "parent", 102: "writer"})
    lines = text.splitlines()
    assert lines[0] == "exit statuses"
    assert lines[1].split() == ["101", "parent", "exited", "0"]
    assert lines[2].split() == ["102", "writer", "killed", "by", "SIGPIPE"]


def test_same_input_same_bytes() -> None:
    assert trace.trace_text(walk()) == trace.trace_text(walk())


def test_trace_of_given_events_names_processes_from_any_picture() -> None:
    run = walk()
    only_last = Walkthrough("t", (run.steps[0], run.steps[-1]))
    text = trace.trace_text(only_last, run.events)
    assert len(text.splitlines()) == 4
    assert "[102 reader]  read(3, 100) <blocked>" in text


def test_a_traced_path_is_quoted_as_strace_quotes_it() -> None:
    """strace(1) writes a path as a C string: ``open("a\\"b\\n", ...)``; a quote inside the
    name must not end the string, a newline must not end the line."""
    from iochannels.sim import Kernel, Proc

    async def main(p: Proc) -> int:
        fd = await p.open('a"b\n\x1b[2J', "w", create=True)
        await p.close(fd)
        await p.mkfifo('f"1')
        return 0

    k = Kernel()
    k.spawn(main, name="prog")
    run = k.run()
    lines = trace.trace_text(run.walkthrough("paths")).splitlines()
    opened = next(line for line in lines if "open(" in line)
    assert 'open("a\\"b\\n\\x1b[2J", O_WRONLY|O_CREAT) = 3' in opened, lines
    assert any('mkfifo("f\\"1") = 0' in line for line in lines), lines
    assert len(lines) == len(run.events)
