"""A snapshot as SVG: processes with their fd tables, arrows to the channels, buffers.

``snapshot_svg(snap)`` draws every process; ``graph_svg(snap)`` draws who talks
to whom: only the processes that share a channel with another process, and only
the fds on such channels. The arrows follow the data: into the channel for an
fd open for writing, out of it for reading, both ways for ``rw``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from xml.sax.saxutils import escape

from iochannels.model import Access, FdEntry, Kind, Process, Reach, Snapshot
from iochannels.render.chanbox import draw_group
from iochannels.render.grouping import Row, fd_span, plan
from iochannels.render.layout import GAP, Layout, Link, PlacedProc, arrange
from iochannels.render.legend import legend
from iochannels.render.names import printable
from iochannels.render.openfiles import shared_files
from iochannels.render.sharedsvg import BADGE_ROOM, caption, caption_height, marks_on_rows
from iochannels.render.svgkit import (
    Box,
    arrowhead,
    document,
    fit,
    fit_tail,
    kind_color,
    num,
    rect,
    text,
)

__all__ = ["graph_svg", "snapshot_svg", "summary"]


def summary(snap: Snapshot) -> str:
    """``2 processes · 7 fds: 3 chr, 2 pipe, 2 file``."""
    counts = snap.counts_by_kind()
    fds = sum(len(p.fds) for p in snap.processes)
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    procs = f"{len(snap.processes)} process" + ("" if len(snap.processes) == 1 else "es")
    return f"{procs} · {fds} fd{'' if fds == 1 else 's'}" + (f": {kinds}" if kinds else "")


Focus = frozenset[tuple[int, int]]  # (pid, fd) rows to highlight: the current call's fds


def _row(row: Row, box: Box, index: int, what: str, focus: Focus = frozenset(),
         room: float = 0) -> list[str]:
    cls = "row" if index % 2 == 0 else "rowalt"
    if any((row.pid, fd) in focus for fd in row.fds):
        cls = "rowhi"
    fd = fd_span(row.fds)
    kind = row.kind_text
    color = "#6b7280" if row.kind is None else kind_color(row.kind)
    y = box.y + 19
    fd_w = 5 * 15 * 0.64
    acc_x = box.x + 8 + fd_w + 12
    kind_w = 11 * 15 * 0.64
    what_x = acc_x + 34 + kind_w + 10
    return [
        rect(box, cls, rx=0, data_pid=row.pid, data_fd=fd),
        text(box.x + 8 + fd_w, y, fit(fd, fd_w, 15), 15, "b", anchor="end"),
        text(acc_x, y, row.access or "-", 15),
        text(acc_x + 34, y, fit(kind, kind_w, 15), 15, "b", style=f"fill:{color}"),
        text(what_x, y - 1, (fit_tail if what.startswith("/") else fit)(
            what, box.right - what_x - 6 - room, 13), 13, "muted"),
    ]


def _what(snap: Snapshot, row: Row) -> str:
    channel = snap.channels.get(row.channel)
    if channel is None:
        return row.channel
    if len(row.fds) > 1:
        return f"{len(row.fds)} channels"
    if channel.kind.is_pipe_like or channel.kind.is_socket:
        return channel.id
    return channel.label or channel.id


def _process(snap: Snapshot, placed: PlacedProc, focus: Focus,
             marked: frozenset[tuple[int, int]] = frozenset()) -> list[str]:
    box, proc = placed.box, placed.proc
    head = Box(box.x, box.y, box.w, 50)
    title = f"{proc.pid}  {proc.name}"
    sub = (proc.error and f"cannot read its fds: {proc.error}") or _subtitle(proc)
    out = [rect(box, "proc", rx=8, data_pid=proc.pid), rect(head, "prochead", rx=8),
           text(box.x + 12, box.y + 22, fit(title, box.w - 24, 17), 17, "w"),
           text(box.x + 12, box.y + 42, fit(sub, box.w - 24, 13), 13, "w")]
    for n, (row, row_box) in enumerate(placed.rows):
        room = BADGE_ROOM if (row.pid, row.fds[0]) in marked else 0  # the open file's mark
        out += _row(row, row_box, n, _what(snap, row), focus, room)
    if not placed.rows:
        out.append(text(box.x + 16, box.y + 56 + 19, "(no open fds)", 14, "muted"))
    return out


def _subtitle(proc: Process) -> str:
    parts = ["fd table"]
    if proc.state:
        parts.append(proc.state)
    if proc.argv:
        parts.append(" ".join(proc.argv))
    return " · ".join(parts)


def _heads(access: Access | None) -> tuple[bool, bool]:
    """(head at the channel, head at the row): data flows into a channel on write."""
    return (access in ("w", "rw"), access in ("r", "rw"))


def _link(link: Link) -> list[str]:
    color = kind_color(link.kind)
    bend = GAP * 0.45 * (1 if link.x2 > link.x1 else -1)
    path = (f"M{num(link.x1)},{num(link.y1)} C{num(link.x1 + bend)},{num(link.y1)} "
            f"{num(link.x2 - bend)},{num(link.y2)} {num(link.x2)},{num(link.y2)}")
    out = [f'<path class="arrow" d="{path}" style="stroke:{color}" data-fd="{link.row}" '
           f'data-channel="{escape(link.channel, {chr(34): "&quot;"})}"/>']
    to_channel, to_row = _heads(link.access)
    direction = 1 if link.x2 > link.x1 else -1
    if to_channel:
        out.append(arrowhead(link.x2, link.y2, direction, color))
    if to_row:
        out.append(arrowhead(link.x1, link.y1, -direction, color))
    return out


def _offsets(snap: Snapshot) -> dict[str, list[tuple[int, int, int | None]]]:
    found: dict[str, list[tuple[int, int, int | None]]] = {}
    for proc, entry in snap.entries():
        found.setdefault(entry.channel, []).append((proc.pid, entry.fd, entry.offset))
    return found


def _draw(snap: Snapshot, layout: Layout, title: str, kinds: Iterable[Kind],
          focus: Focus = frozenset()) -> str:
    offsets = _offsets(snap)
    shared = shared_files(snap)  # none: nothing of it is drawn, the picture is as it was
    marked = frozenset(end for one in shared for end in one.ends)
    body = [text(30, 44, fit(title, layout.width - 60, 22), 22, "b")]
    for placed in layout.procs:
        body += _process(snap, placed, focus, marked)
    for group in layout.groups:
        ends = [o for c in group.group.channels for o in offsets.get(c.id, [])]
        body += draw_group(group.group, group.box, group.order, ends)
    for link in layout.links:
        body += _link(link)
    body += marks_on_rows(layout, shared)
    body += caption(snap, shared, 30, layout.height + 30 + 14, layout.width - 60)
    top = layout.height + caption_height(shared)
    legend_lines, legend_h = legend(sorted(set(kinds)), 30, top + 30, layout.width - 60)
    body += legend_lines
    return document(layout.width, top + 30 + legend_h + 30, body, title)


def snapshot_svg(snap: Snapshot, title: str = "", focus: Focus = frozenset()) -> str:
    """Every process of the snapshot with its fd table, and every channel they hold.

    ``focus`` names (pid, fd) rows to highlight, such as the fds of the call just made.
    """
    snap = printable(snap)
    layout = arrange(snap, plan(snap))
    source = {"live": "live", "trace": "traced"}.get(snap.source, "simulated")
    heading = title or f"{source} snapshot · {summary(snap)}"
    return _draw(snap, layout, heading, snap.counts_by_kind(), focus)


_ACCESS: dict[str, Access] = {"r": "r", "w": "w", "rw": "rw"}


def _outside(snap: Snapshot) -> tuple[Process, ...]:
    """The holders found outside the asked processes (``detail["held_by"]``), as processes
    with only those fds: ``graph PID`` draws who is at the other end, as its text does."""
    from iochannels.render.text import parse_held_by

    inside = {p.pid for p in snap.processes}
    found: dict[int, tuple[str, list[FdEntry]]] = {}
    for cid, channel in snap.channels.items():
        for h in parse_held_by(channel.detail.get("held_by", "")):
            if h.pid not in inside:
                entry = FdEntry(h.fd, cid, _ACCESS.get(h.access))
                found.setdefault(h.pid, (h.name, []))[1].append(entry)
    return tuple(Process(pid, name, (), tuple(sorted(fds, key=lambda e: e.fd)))
                 for pid, (name, fds) in sorted(found.items()))


def talking(snap: Snapshot) -> Snapshot:
    """Only the fds on channels between two processes, and the processes that hold them."""
    snap = replace(snap, processes=(*snap.processes, *_outside(snap)))
    shared: set[str] = set()
    ends = snap.ends_by_channel()
    for cid, channel in snap.channels.items():
        pids = {e.pid for e in ends.get(cid, ())}
        if channel.peer in snap.channels:
            pids |= {e.pid for e in ends.get(channel.peer or "", ())}
        if len(pids) > 1 and channel.kind.reach == Reach.PROCESS:
            shared.add(cid)
    procs = tuple(
        Process(p.pid, p.name, p.argv, tuple(e for e in p.fds if e.channel in shared),
                p.ppid, p.state, p.error)
        for p in snap.processes if any(e.channel in shared for e in p.fds)
    )
    return replace(snap, processes=procs)


def graph_svg(snap: Snapshot) -> str:
    """Who talks to whom: processes and the channels between them."""
    small = talking(printable(snap))
    title = f"who talks to whom · {len(small.processes)} processes share channels"
    if not small.processes:
        title = "who talks to whom · no channels between processes"
    return snapshot_svg(small, title)
