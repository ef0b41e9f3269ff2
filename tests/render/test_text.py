"""The text view of a snapshot: exact text at a fixed width, 80 columns, determinism."""
# ruff: noqa: E501  (expected output is compared line by line, at its real width)

from __future__ import annotations

import re

from iochannels.model import Buffer, BufferRole, Channel, FdEntry, Kind, Process, Snapshot
from iochannels.render.text import count_line, graph_text, snapshot_text, summary_text

LONG = "/home/student/a/very/long/path/that/does/not/fit/in/eighty/columns/at/all/data.bin"


def pipeline() -> Snapshot:
    pipe = Channel("pipe:[99]", Kind.PIPE, "pipe", buffers=(Buffer(BufferRole.PIPE, 65536, 1000),))
    tty = Channel("chr:[0:5:3]", Kind.CHR, "/dev/pts/0")
    data = Channel("file:[8:1:7]", Kind.FILE, LONG)
    a = Channel("socket:[1]", Kind.UNIX_STREAM, "unnamed", "CONNECTED", peer="socket:[2]",
                buffers=(Buffer(BufferRole.SEND, 212992, 0), Buffer(BufferRole.RECV, 212992, 5)))
    b = Channel("socket:[2]", Kind.UNIX_STREAM, "unnamed", "CONNECTED", peer="socket:[1]",
                detail={"held_by": "77 server fd4 rw"})
    writer = Process(10, "writer", ("writer",), (
        FdEntry(0, "chr:[0:5:3]", "r"), FdEntry(1, "pipe:[99]", "w"),
        FdEntry(3, "file:[8:1:7]", "r", offset=0), FdEntry(4, "socket:[1]", "rw")))
    reader = Process(11, "reader", ("reader", "-v"), (FdEntry(0, "pipe:[99]", "r"),))
    channels = {c.id: c for c in (pipe, tty, data, a, b)}
    return Snapshot((writer, reader), channels, "live")


def test_exact_text_at_width_100() -> None:
    text = snapshot_text(pipeline(), width=100)
    assert text.splitlines()[:7] == [
        "10 writer  writer",
        "  FD  ACC  KIND         TYPE    WHAT                                         OTHER END      BUFFER",
        "   0  r    chr          stream  /dev/pts/0",
        "   1  w    pipe         stream  pipe                                         11 reader fd0  1000/64K",
        "   3  r    file         block   …/not/fit/in/eighty/columns/at/all/data.bin",
        "   4  rw   unix-stream  stream  CONNECTED unnamed                            77 server fd4  r 5 s 0",
        "4 fds: 1 UNIX socket, 1 char device, 1 file, 1 pipe",
    ], text
    assert max(len(line) for line in text.splitlines()) == 100


def test_fits_80_columns_keeping_fd_and_kind() -> None:
    for color in (False, True):
        text = snapshot_text(pipeline(), width=80, color=color)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert max(len(line) for line in plain.splitlines()) <= 80
        assert re.search(r"^\s+4\s+rw\s+unix-stream\s", plain, re.M), plain
        assert "data.bin" in plain and LONG not in plain  # cut from the left: the name stays


def test_color_only_when_asked() -> None:
    assert "\x1b[" not in snapshot_text(pipeline())
    assert "\x1b[" in snapshot_text(pipeline(), color=True)


def test_deterministic() -> None:
    assert snapshot_text(pipeline(), width=80) == snapshot_text(pipeline(), width=80)


def test_counts_and_summary() -> None:
    snap = pipeline()
    assert count_line(snap.processes, snap) == (
        "5 fds: 2 pipes in 1 pair, 1 UNIX socket, 1 char device, 1 file")
    assert summary_text(snap).splitlines()[0] == "10 writer: 4 fds: 1 UNIX socket, 1 char device, 1 file, 1 pipe"


def test_graph_lines() -> None:
    assert graph_text(pipeline()).splitlines() == [
        "10 writer fd1 --pipe:[99]--> 11 reader fd0",
        "10 writer fd4 <--unix-stream socket:[1]=socket:[2]--> 77 server fd4",
    ]


def test_denied_process() -> None:
    snap = Snapshot((Process(1, "init", error="permission denied"),), {}, "live",
                    notes=("permission denied reading the fds of 1",))
    assert snapshot_text(snap) == (
        "1 init\n  cannot read its fds: permission denied\n\n"
        "note: permission denied reading the fds of 1\n")


def test_a_narrow_colour_table_keeps_every_fd_whole() -> None:
    """Below the columns' minimum widths the rows wrap; rich must not squeeze FD to "…"."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", snapshot_text(pipeline(), width=40, color=True))
    fds = [line.split()[0] for line in plain.splitlines()
           if re.match(r"^\s*[\d…]+\s+(r|w|rw)\s", line)]
    assert fds == ["0", "1", "3", "4", "0"], plain


def two_writers(unreadable: tuple[int, ...], notes: tuple[str, ...] = ()) -> Snapshot:
    pipe = Channel("pipe:[5]", Kind.PIPE, "pipe", buffers=(Buffer(BufferRole.PIPE, 65536, 0),))
    procs = tuple(Process(pid, "sh", ("sh",), (FdEntry(1, "pipe:[5]", "w"),)) for pid in (20, 21))
    return Snapshot(procs, {pipe.id: pipe}, "live", notes=notes, unreadable=unreadable)


def test_a_write_end_whose_reader_is_hidden_is_not_named_by_another_writer() -> None:
    denied = snapshot_text(two_writers((1,)))
    rows = [line for line in denied.splitlines() if "pipe  stream" in line]
    assert len(rows) == 2 and all("? (denied)" in r and "fd1" not in r for r in rows), denied
    assert "no reader" not in denied  # it may be in the table that could not be read
    seen_all = snapshot_text(two_writers(()))
    assert seen_all.count("no reader") == 2, seen_all


def test_only_the_unreadable_pids_not_the_wording_of_a_note_hide_an_end() -> None:
    note = "some other ends may be in pid 1, whose fds are not readable (permission denied)"
    text = snapshot_text(two_writers((), notes=(note,)))
    assert text.count("no reader") == 2 and "? (denied)" not in text, text


def test_a_long_path_keeps_its_file_name_at_80_columns() -> None:
    from iochannels.model import Channel, FdEntry, Kind, Process, Snapshot
    from iochannels.render.text import snapshot_text

    path = "/tmp/iochannels-redirect-stdout-a5e9q0z1/some/deeper/directory/out.txt"
    snap = Snapshot((Process(7, "demo", fds=(FdEntry(1, path, "w"),)),),
                    {path: Channel(path, Kind.FILE, path)}, "live")
    text = snapshot_text(snap, width=80)
    row = next(line for line in text.splitlines() if line.strip().startswith("1 "))
    assert len(row) <= 80
    assert "out.txt" in row  # the start of the path gave way, not the name
