"""Channel boxes: a header with kind and nature, what the channel is, and its buffers.

Stream buffers are ring-buffer gauges (a ring filled to ``used / capacity``;
a dashed ring and "?" where the kernel did not tell); a block channel shows its
area buffer with the file offsets of the fds on it. A connection is two socket
boxes, one above the other, with send above the peer's recv: four buffers and
the two directions between them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from iochannels.model import Buffer, BufferRole, Channel, Kind, Nature
from iochannels.render.columns import nature_word
from iochannels.render.grouping import Group, fd_span
from iochannels.render.svgkit import (
    NATURE_FILLS,
    Box,
    fit,
    kind_color,
    num,
    rect,
    text,
    vhead,
)
from iochannels.render.units import human_size

__all__ = ["CHAN_W", "Offsets", "draw_group", "group_height", "part_boxes"]

CHAN_W = 420
HEAD_H = 32
LINE_H = 22
PAD = 8
GAUGE_H = 62
AREA_H = 42
PAIR_GAP = 70
INSET = 10
RING_R = 20

Offsets = Sequence[tuple[int, int, int | None]]  # (pid, fd, offset) of the fds on a channel


def stream_buffers(channel: Channel) -> tuple[Buffer, ...]:
    """The buffers a stream channel shows: the ones known, else the ones it must have."""
    known = tuple(b for b in channel.buffers if b.role != BufferRole.CACHE)
    if known or channel.nature != Nature.STREAM:
        return known
    if channel.kind.is_pipe_like:
        return (Buffer(BufferRole.PIPE),)
    if channel.kind.is_socket and channel.state != "LISTEN":
        return (Buffer(BufferRole.SEND), Buffer(BufferRole.RECV))
    return ()


def _body_h(channel: Channel) -> float:
    if channel.nature == Nature.BLOCK:
        return AREA_H
    return GAUGE_H if stream_buffers(channel) else 0


def one_height(channel: Channel) -> float:
    return HEAD_H + PAD + 2 * LINE_H + _body_h(channel) + PAD


def group_height(group: Group) -> float:
    match group.shape:
        case "pair":
            a, b = group.channels
            return 2 * INSET + one_height(a) + PAIR_GAP + one_height(b)
        case "many":
            return HEAD_H + PAD + 2 * LINE_H + PAD
        case _:
            return one_height(group.channels[0])


def part_boxes(group: Group, box: Box, order: Sequence[Channel]) -> list[Box]:
    """Where each channel of a group sits (a pair: ``order[0]`` on top)."""
    if group.shape != "pair":
        return [box]
    top_h = one_height(order[0])
    top = Box(box.x + INSET, box.y + INSET, box.w - 2 * INSET, top_h)
    bottom_y = top.bottom + PAIR_GAP
    return [top, Box(top.x, bottom_y, top.w, one_height(order[1]))]


def _header(box: Box, title: str, nature: str, color: str) -> list[str]:
    head = Box(box.x, box.y, box.w, HEAD_H)
    right = fit(nature, 90, 14)
    title_room = box.w - 24 - 90
    return [
        rect(head, "chanhead", rx=6, style=f"fill:{color}"),
        text(box.x + 10, box.y + 22, fit(title, title_room, 16), 16, "w"),
        text(box.right - 10, box.y + 22, right, 14, "w", anchor="end"),
    ]


def _detail_line(channel: Channel) -> str:
    parts = []
    if channel.state:
        parts.append(channel.state)
    if channel.remote and channel.remote not in channel.label:
        parts.append(f"peer {channel.remote}")
    if channel.id != _label(channel):
        parts.append(channel.id)
    if held := channel.detail.get("held_by"):
        parts.append(f"also held by {held}")
    if channel.kind.is_pipe_like:
        parts.insert(0, "one buffer for both ends")
    return " · ".join(parts)


def _label(channel: Channel) -> str:
    if channel.label:
        return channel.label
    return channel.local or str(channel.kind)


def _frame(box: Box, channel: Channel) -> list[str]:
    color = kind_color(channel.kind)
    fill = NATURE_FILLS[channel.nature]
    width = box.w - 20
    return [
        rect(box, "chan", style=f"fill:{fill};stroke:{color}", data_channel=channel.id),
        *_header(box, str(channel.kind), nature_word(channel.kind), color),
        text(box.x + 10, box.y + HEAD_H + PAD + 16, fit(_label(channel), width, 15), 15, "b"),
        text(box.x + 10, box.y + HEAD_H + PAD + LINE_H + 16,
             fit(_detail_line(channel), width, 13), 13, "muted"),
    ]


def gauge(cx: float, cy: float, buf: Buffer, room: float, color: str) -> list[str]:
    """A ring buffer: the ring filled to its fill, the role and ``used / capacity`` beside."""
    fill = buf.fill
    out = [f'<circle class="{"ring" if fill is not None else "ringq"}" cx="{num(cx)}" '
           f'cy="{num(cy)}" r="{RING_R}" stroke-width="8" data-role="{buf.role}"/>']
    if fill is not None and fill > 0:
        arc = 2 * math.pi * RING_R
        dash = max(fill * arc, 2.0)
        out.append(f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{RING_R}" fill="none" '
                   f'stroke-width="8" style="stroke:{color}" stroke-dasharray="{num(dash)} '
                   f'{num(arc)}" transform="rotate(-90 {num(cx)} {num(cy)})"/>')
    center = "?" if fill is None else f"{round(fill * 100)}%"
    if fill is not None and 0 < fill < 0.01:
        center = "<1%"
    out.append(text(cx, cy + 4, center, 11, "b", anchor="middle"))
    role = "pipe buffer" if buf.role == BufferRole.PIPE else f"{buf.role} buffer"
    amount = f"{human_size(buf.used)} / {human_size(buf.capacity)}"
    tx, width = cx + RING_R + 12, room - 2 * RING_R - 16
    out.append(text(tx, cy - 3, fit(role, width, 14), 14, "b"))
    out.append(text(tx, cy + 15, fit(amount, width, 13), 13))
    return out


def _gauges(box: Box, buffers: Sequence[Buffer], color: str) -> list[str]:
    cy = box.bottom - PAD - GAUGE_H / 2
    room = (box.w - 20) / 2
    out: list[str] = []
    for i, buf in enumerate(buffers[:2]):
        out += gauge(box.x + 10 + i * room + RING_R + 4, cy, buf, room, color)
    return out


def _area(box: Box, channel: Channel, offsets: Offsets) -> list[str]:
    area = Box(box.x + 10, box.bottom - PAD - AREA_H + 6, box.w - 20, AREA_H - 12)
    out = [rect(area, "area", rx=3)]
    cache = channel.buffer(BufferRole.CACHE)
    if cache is not None and cache.fill:
        out.append(rect(Box(area.x, area.y, area.w * cache.fill, area.h), "areafill", rx=3))
    at: dict[int, list[str]] = {}
    for _, fd, off in offsets:
        if off is not None:
            at.setdefault(off, []).append(str(fd))
    known = [f"fd {', '.join(fds)} at {off}" for off, fds in sorted(at.items())]
    size = channel.detail.get("size")
    shown = f"size {human_size(int(size))} · " if size and size.isdigit() else ""
    if size and size.isdigit() and int(size) > 0:
        out += _offset_marks(area, int(size), [o for _, _, o in offsets if o is not None])
    words = f"area buffer · {shown}offset: " + (", ".join(known) if known else "?")
    out.append(text(area.x + 8, area.y + 20, fit(words, area.w - 16, 13), 13))
    return out


def _offset_marks(area: Box, size: int, offsets: Sequence[int]) -> list[str]:
    """A mark in the area buffer where each fd's offset points (seek position / file size)."""
    marks = []
    for off in sorted(set(offsets)):
        x = area.x + area.w * min(off / size, 1.0)
        marks.append(f'<line x1="{num(x)}" y1="{num(area.y - 3)}" x2="{num(x)}" '
                     f'y2="{num(area.bottom + 3)}" class="offset"/>')
    return marks


def draw_one(box: Box, channel: Channel, offsets: Offsets,
             order: Sequence[Buffer] = ()) -> list[str]:
    out = _frame(box, channel)
    if channel.nature == Nature.BLOCK:
        out += _area(box, channel, offsets)
    elif buffers := (order or stream_buffers(channel)):
        out += _gauges(box, buffers, kind_color(channel.kind))
    return out


def _ordered(channel: Channel, send_first: bool) -> tuple[Buffer, Buffer]:
    send = channel.buffer(BufferRole.SEND) or Buffer(BufferRole.SEND)
    recv = channel.buffer(BufferRole.RECV) or Buffer(BufferRole.RECV)
    return (send, recv) if send_first else (recv, send)


def _directions(top: Box, bottom: Box, color: str) -> list[str]:
    """send above the peer's recv (down), the peer's send below our recv (up)."""
    room = (top.w - 20) / 2
    out = []
    for i, down in ((0, True), (1, False)):
        x = top.x + 10 + i * room + RING_R + 4
        y1, y2 = top.bottom + 4, bottom.y - 4
        out.append(f'<line x1="{num(x)}" y1="{num(y1)}" x2="{num(x)}" y2="{num(y2)}" '
                   f'class="arrow" style="stroke:{color}"/>')
        out.append(vhead(x, y2 if down else y1, 1 if down else -1, color))
    mid = (top.bottom + bottom.y) / 2 + 5
    words = fit("connection: 4 buffers", room - 24, 12)
    out.append(text(top.x + 10 + room / 2 + RING_R + 4, mid, words, 12, "muted", anchor="middle"))
    return out


def draw_group(group: Group, box: Box, order: Sequence[Channel], offsets: Offsets) -> list[str]:
    """A channel box, a connection (two linked sockets) or a collapsed run."""
    match group.shape:
        case "pair":
            top, bottom = part_boxes(group, box, order)
            color = kind_color(order[0].kind)
            return [rect(box, "group", rx=10, data_pair="|".join(c.id for c in order)),
                    *draw_one(top, order[0], (), _ordered(order[0], True)),
                    *_directions(top, bottom, color),
                    *draw_one(bottom, order[1], (), _ordered(order[1], False))]
        case "many":
            return _draw_many(group, box, offsets)
        case _:
            return draw_one(box, group.channels[0], offsets)


def _draw_many(group: Group, box: Box, offsets: Offsets) -> list[str]:
    first = group.channels[0]
    kind: Kind = first.kind
    fds = [fd for _, fd, _ in offsets]
    color = kind_color(kind)
    width = box.w - 20
    what = f"{group.count} {kind} channels, one fd each" + (f" (fd {fd_span(fds)})" if fds else "")
    sample = ", ".join(_label(c) for c in group.channels[:3]) + ", …"
    return [
        rect(box, "chan", style=f"fill:{NATURE_FILLS[first.nature]};stroke:{color}",
             data_channel=first.id, data_count=group.count),
        *_header(box, f"{kind} ×{group.count}", nature_word(first.kind), color),
        text(box.x + 10, box.y + HEAD_H + PAD + 16, fit(what, width, 15), 15, "b"),
        text(box.x + 10, box.y + HEAD_H + PAD + LINE_H + 16, fit(sample, width, 13), 13, "muted"),
    ]
