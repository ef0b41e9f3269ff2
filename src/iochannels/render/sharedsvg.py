"""The open file descriptions several fds share, drawn on the SVG: a lettered badge on the
outer edge of each row that shares one, a bracket joining the rows of one process that share
the same, and one line per description under the diagram (which fds, the offset).

The middle of the lecture's redirection picture: after ``2>&1`` (dup2(2)) or a fork(2),
two fds point to ONE open file description, one offset and one set of status flags
(open(2)); a second open(2) of the same file makes another. Nothing is drawn where no
fd shares: such a picture is the same as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from iochannels.model import Snapshot
from iochannels.render.layout import Layout
from iochannels.render.openfiles import SharedFile
from iochannels.render.svgkit import Box, fit, num, rect, text

__all__ = ["BADGE_ROOM", "CAPTION_LINE", "caption", "caption_height", "marks_on_rows"]

CAPTION_LINE = 24
_R = 9  # the badge's radius
BADGE_ROOM = 2 * _R + 8  # what a marked row's last column gives up for the badge
_COLOR = "#b91c1c"


def _badge(x: float, y: float, mark: str, pid: int, fd: int) -> list[str]:
    return [f'<circle cx="{num(x)}" cy="{num(y)}" r="{_R}" style="fill:#fee2e2;stroke:{_COLOR};'
            f'stroke-width:1.5" data-pid="{pid}" data-fd="{fd}" data-open-file="{mark}"/>',
            text(x, y + 4.5, mark, 12, "b", anchor="middle", style=f"fill:{_COLOR}")]


def marks_on_rows(layout: Layout, shared: Sequence[SharedFile]) -> list[str]:
    """A badge at the end of each row whose fd shares its open file description; within
    one process, a bracket outside the box (away from the arrows) joining the rows that
    share the same one."""
    marks = {end: one.mark for one in shared for end in one.ends}
    out: list[str] = []
    for placed in layout.procs:
        outer = placed.box.x if placed.side == "left" else placed.box.right
        away = -1 if placed.side == "left" else 1
        ys: dict[str, list[float]] = {}
        for row, box in placed.rows:
            mark = marks.get((row.pid, row.fds[0]))
            if mark is not None and len(row.fds) == 1:  # a shared fd is never collapsed
                ys.setdefault(mark, []).append(box.cy)
                out += _badge(box.right - _R - 4, box.cy, mark, row.pid, row.fds[0])
        for mark, heights in ys.items():
            if len(heights) < 2:
                continue
            x = outer + away * 10
            ticks = " ".join(f"M{num(outer)},{num(y)} H{num(x)}" for y in heights)
            out.append(f'<path d="M{num(x)},{num(min(heights))} V{num(max(heights))} {ticks}" '
                       f'style="fill:none;stroke:{_COLOR};stroke-width:1.5" '
                       f'data-open-file="{mark}"/>')
    return out


def caption_height(shared: Sequence[SharedFile]) -> float:
    """The room the caption takes with the gap below it (none without sharing)."""
    return CAPTION_LINE * (len(shared) + 1) + 30 if shared else 0


def caption(snap: Snapshot, shared: Sequence[SharedFile], x: float, y: float,
            width: float) -> list[str]:
    """``open file descriptions shared …`` then ``(a) 1234 fd 1, 2; 1240 fd 1 · /tmp/log ·
    offset 0``, one line each, from ``y`` (a baseline) down."""
    if not shared:
        return []
    frame = Box(x, y - 18, width, CAPTION_LINE * (len(shared) + 1) + 6)
    x, width = x + 12, width - 24
    head = ("open file descriptions shared by several fds (one offset, one set of status "
            "flags: dup(2), fork(2))")
    out = [rect(frame, "legend", rx=6), text(x, y, fit(head, width, 14), 14, "b")]
    for n, one in enumerate(shared, 1):
        channel = snap.channels.get(one.channel)
        what = (channel.label or channel.id) if channel is not None else one.channel
        offset = "" if one.offset is None else f" · offset {one.offset}"
        line = f"({one.mark}) {one.holders_text()} · {what}{offset}"
        out.append(text(x, y + n * CAPTION_LINE, fit(line, width, 14), 14,
                        data_open_file=one.mark))
    return out
