"""Text views of a run: strace-like event lines, fd tables, buffers as small gauges.

Pure functions of the model, in stable columns, the same bytes for the same run::

      12  [101 writer]  write(4, "Hello, world!\\n", 14) = 14
      13  [102 reader]  read(3, 100) <blocked>
      14  [102 reader]  <resumed> read(3, "Hello, world!\\n", 100) = 14

A call that parks its process is marked ``<blocked>``; its later completion
(the next event of that process, for the same call) is marked ``<resumed>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from iochannels.model import Buffer, Channel, Event, FdEntry, Process, Snapshot, Step, Walkthrough

# ``write(4, "hi", 2)``: the call and its arguments, as strace prints them.
from iochannels.render.events import call_line as call_text
from iochannels.render.names import printable, shown
from iochannels.render.openfiles import shared_files
from iochannels.render.text import shared_text
from iochannels.render.units import human_size

__all__ = [
    "buffers_text",
    "call_line",
    "call_text",
    "event_line",
    "fd_tables_text",
    "gauge",
    "human_size",
    "names_of",
    "result_text",
    "resumed_seqs",
    "snapshot_text",
    "statuses_text",
    "step_text",
    "trace_text",
]

GAUGE_WIDTH = 20


def result_text(event: Event) -> str:
    """`` = 14``, `` = -1 EPIPE``, `` <blocked>``; `` = ?`` for a call that never returns
    (exit), as strace(1) prints it."""
    if event.blocked:
        return " <blocked>"
    if event.error:
        return f" = -1 {event.error}"
    return f" = {'?' if event.result is None else shown(str(event.result))}"


def call_line(event: Event, name: str, width: int = 0, resumed: bool = False) -> str:
    """A trace line without the result: seq, ``[pid name]`` padded to ``width``, the call."""
    label = f"[{event.pid} {shown(name)}]"
    mark = "<resumed> " if resumed else ""
    return f"{event.seq:>4}  {label:<{width}}  {mark}{call_text(event)}"


def event_line(event: Event, name: str, width: int = 0, resumed: bool = False) -> str:
    """One trace line: the call line, its result, and the kernel's note if any."""
    line = call_line(event, name, width, resumed) + result_text(event)
    return line + (f"  # {shown(event.note)}" if event.note else "")


def resumed_seqs(events: Iterable[Event]) -> frozenset[int]:
    """The events that complete a call parked earlier by the same process."""
    parked: dict[int, str] = {}
    found = set()
    for event in events:
        if parked.get(event.pid) == event.call and not event.blocked:
            found.add(event.seq)
        parked.pop(event.pid, None)
        if event.blocked:
            parked[event.pid] = event.call
    return frozenset(found)


def names_of(steps: Sequence[Step]) -> dict[int, dict[int, str]]:
    """For each event's seq, the process names at that moment (before the call, else after)."""
    names: dict[int, dict[int, str]] = {}
    for before, after in pairwise(steps):
        if after.event is not None:
            known = {p.pid: p.name for p in after.snapshot.processes}
            known.update({p.pid: p.name for p in before.snapshot.processes})
            names[after.event.seq] = known
    return names


def trace_text(run: Walkthrough, events: Sequence[Event] | None = None) -> str:
    """Every event of the run (or the ``events`` given), one line each.

    Names come from the picture before each call; where the run kept no picture
    per call (a kernel run without snapshots), from any picture of the process.
    """
    names = names_of(run.steps)
    anywhere = {p.pid: p.name for s in reversed(run.steps) for p in s.snapshot.processes}
    events = run.events if events is None else events
    named = [names.get(e.seq, {}).get(e.pid) or anywhere.get(e.pid, "?") for e in events]
    labels = (f"[{e.pid} {shown(n)}]" for e, n in zip(events, named, strict=True))
    width = max(map(len, labels), default=0)
    resumed = resumed_seqs(events)
    lines = [
        event_line(e, n, width, e.seq in resumed) for e, n in zip(events, named, strict=True)
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def gauge(buf: Buffer, width: int = GAUGE_WIDTH) -> str:
    """``[####................]``: the buffer's fill; one mark at least when not empty."""
    if buf.fill is None:
        return "[" + "?" * width + "]"
    marks = round(buf.fill * width)
    if buf.used and marks == 0:
        marks = 1
    if buf.free and marks == width:
        marks = width - 1
    return "[" + "#" * marks + "." * (width - marks) + "]"


def _process_header(proc: Process) -> str:
    state = f"  ({proc.state})" if proc.state else ""
    return f"{proc.pid} {proc.name}{state}"


def _what(channel: Channel) -> str:
    """``127.0.0.1:8080 LISTEN (backlog 1, accept queue 2)``: label, state, kind's facts."""
    label = "" if channel.label == str(channel.kind) else channel.label
    facts = ", ".join(f"{k} {v}" for k, v in sorted(channel.detail.items()) if k != "written")
    parts = [label, channel.state or "", f"({facts})" if facts else ""]
    return " ".join(p for p in parts if p)


def _fd_row(entry: FdEntry, channel: Channel | None, width: int, mark: str = "") -> str:
    kind = str(channel.kind) if channel else "?"
    what = _what(channel) if channel else ""
    flags = f"[{','.join(sorted(entry.flags))}]" if entry.flags else ""
    offset = "" if entry.offset is None else f"@{entry.offset}"
    row = f"  {entry.fd:>3}  {entry.access or '?':<2}  {kind:<11}  {entry.channel:<{width}}"
    shared = f"(open file {mark})" if mark else ""  # the list under the tables says with whom
    return f"{row}  {' '.join(x for x in (what, flags, offset, shared) if x)}".rstrip()


def fd_tables_text(snap: Snapshot) -> str:
    """Each process and its fd table: fd, access, kind, channel id, what it is, flags, offset."""
    snap = printable(snap)
    width = max((len(e.channel) for _, e in snap.entries()), default=0)
    shared = shared_files(snap)
    marks = {end: one.mark for one in shared for end in one.ends}
    lines = []
    for proc in snap.processes:
        lines.append(_process_header(proc))
        lines.extend(_fd_row(e, snap.channels.get(e.channel), width,
                             marks.get((proc.pid, e.fd), "")) for e in proc.fds)
        if not proc.fds:
            lines.append("    (no open fds)")
    text = "\n".join(lines or ["(no processes)"]) + "\n"
    return text + shared_text(snap, shared, 10_000) if shared else text


def _buffer_row(channel: Channel, buf: Buffer, width: int) -> str:
    amount = f"{human_size(buf.used)} / {human_size(buf.capacity)}"
    return f"  {channel.id:<{width}}  {channel.kind!s:<11}  {buf.role!s:<5}  {gauge(buf)}  {amount}"


def buffers_text(snap: Snapshot) -> str:
    """Every buffer of every channel with a known capacity, as a gauge."""
    snap = printable(snap)
    rows = [(ch, b) for ch in snap.channels.values() for b in ch.buffers if b.capacity]
    if not rows:
        return ""
    width = max(len(ch.id) for ch, _ in rows)
    return "buffers\n" + "\n".join(_buffer_row(ch, b, width) for ch, b in rows) + "\n"


def snapshot_text(snap: Snapshot) -> str:
    """The fd tables, then the buffers."""
    return fd_tables_text(snap) + buffers_text(snap)


def step_text(step: Step, name: str = "?", resumed: bool = False) -> str:
    """A step: the call that led to it (if any), then the fd tables and buffers after it."""
    head = "start" if step.event is None else event_line(step.event, name, 0, resumed).lstrip()
    caption = f"\n{shown(step.caption)}" if step.caption else ""
    return f"{head}{caption}\n\n{snapshot_text(step.snapshot)}"


def statuses_text(statuses: Mapping[int, int | str], names: Mapping[int, str]) -> str:
    """``exit status: 101 writer 0, 102 reader SIGPIPE`` as one line per process."""
    lines = [
        f"  {pid:>5} {shown(names.get(pid, '?')):<12}  "
        + (f"exited {status}" if isinstance(status, int) else f"killed by {status}")
        for pid, status in sorted(statuses.items())
    ]
    return "exit statuses\n" + "\n".join(lines) + "\n" if lines else ""
