"""Where everything goes: process boxes at the sides, channel boxes in the middle.

Processes alternate between a left and a right column (a parent on the left,
its child on the right: a pipe between them runs left to right through the
middle). Channel boxes stack in the middle column, each placed as near as it
can to the mean height of the rows that point to it, never overlapping. Arrows
only cross the empty gaps between the columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from iochannels.model import Access, Channel, Kind, Process, Reach, Snapshot
from iochannels.render.chanbox import CHAN_W, group_height, part_boxes
from iochannels.render.grouping import Group, Plan, Row
from iochannels.render.svgkit import Box

__all__ = ["GAP", "Layout", "Link", "PlacedGroup", "PlacedProc", "arrange"]

MARGIN = 30
TOP = 80  # room for the title
PROC_W = 370
PROC_HEAD = 56
ROW_H = 28
GAP = 140  # between a process column and the channel column: the arrows' room
V_GAP = 26  # between boxes in a column

Side = Literal["left", "right"]
SIDES: tuple[Side, ...] = ("left", "right")


@dataclass(frozen=True, slots=True)
class PlacedProc:
    proc: Process
    box: Box
    side: Side
    rows: tuple[tuple[Row, Box], ...]


@dataclass(frozen=True, slots=True)
class PlacedGroup:
    group: Group
    box: Box
    order: tuple[Channel, ...]  # a pair: top endpoint first
    parts: tuple[Box, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """An arrow between an fd row and a channel box."""

    x1: float  # at the row
    y1: float
    x2: float  # at the channel
    y2: float
    access: Access | None
    kind: Kind
    row: str  # "pid:fd" of the row (its first fd)
    channel: str


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float  # down to the bottom of the lowest box (the legend goes below)
    procs: tuple[PlacedProc, ...]
    groups: tuple[PlacedGroup, ...]
    links: tuple[Link, ...]


def proc_height(rows: Sequence[Row]) -> float:
    return PROC_HEAD + max(len(rows), 1) * ROW_H + 10


def _links_of(proc: Process, snap: Snapshot) -> set[str]:
    """The channels (a connection counts as one) through which ``proc`` reaches others."""
    found = set()
    for entry in proc.fds:
        channel = snap.channels.get(entry.channel)
        if channel is not None and channel.kind.reach == Reach.PROCESS:
            found.add(min(channel.id, channel.peer or channel.id))
    return found


def _side(mine: set[str], reached: dict[Side, Counter[str]], tops: dict[Side, float]) -> Side:
    """Opposite the processes it talks to, so that their channels sit between them.

    ``reached[side][link]``: how many processes placed on that side reach ``link``, so the
    links shared with a side are counted without reading every placed process again (that
    was quadratic: 20 s for 630 processes).
    """
    shared = {side: sum(reached[side][link] for link in mine) for side in SIDES}
    if shared["left"] != shared["right"]:
        return "right" if shared["left"] > shared["right"] else "left"
    return "left" if tops["left"] <= tops["right"] else "right"


def _place_procs(snap: Snapshot, plan: Plan, xs: dict[Side, float]) -> list[PlacedProc]:
    tops: dict[Side, float] = {"left": TOP, "right": TOP}
    reached: dict[Side, Counter[str]] = {side: Counter() for side in SIDES}
    placed: list[PlacedProc] = []
    for proc in snap.processes:
        mine = _links_of(proc, snap)
        side = "left" if len(snap.processes) == 1 else _side(mine, reached, tops)
        reached[side].update(mine)
        rows = plan.rows.get(proc.pid, ())
        box = Box(xs[side], tops[side], PROC_W, proc_height(rows))
        tops[side] = box.bottom + V_GAP
        boxes = tuple(
            (row, Box(box.x + 8, box.y + PROC_HEAD + n * ROW_H, PROC_W - 16, ROW_H))
            for n, row in enumerate(rows)
        )
        placed.append(PlacedProc(proc, box, side, boxes))
    return placed


def _row_ys(procs: Sequence[PlacedProc]) -> dict[str, list[tuple[float, str]]]:
    """For each group: the heights of the rows that point to it, with their channels."""
    ys: dict[str, list[tuple[float, str]]] = {}
    for placed in procs:
        for row, box in placed.rows:
            if row.group is not None:
                ys.setdefault(row.group, []).append((box.cy, row.channel))
    return ys


def _order(group: Group, ys: list[tuple[float, str]]) -> tuple[Channel, ...]:
    """A pair's endpoints, the one pointed to from higher up on top."""
    if group.shape != "pair":
        return group.channels

    def height(channel: Channel) -> float:
        mine = [y for y, cid in ys if cid == channel.id]
        return sum(mine) / len(mine) if mine else float("inf")

    return tuple(sorted(group.channels, key=lambda c: (height(c), c.id)))


def _place_groups(groups: Sequence[Group], ys: dict[str, list[tuple[float, str]]],
                  x: float) -> list[PlacedGroup]:
    def wanted(item: tuple[int, Group]) -> tuple[float, int]:
        heights = [y for y, _ in ys.get(item[1].key, [])]
        mean = sum(heights) / len(heights) if heights else float("inf")
        return (mean - group_height(item[1]) / 2, item[0])

    placed, floor = [], float(TOP)
    for _, group in sorted(enumerate(groups), key=wanted):
        want = wanted((0, group))[0]
        y = max(want if want != float("inf") else floor, floor)
        box = Box(x, y, CHAN_W, group_height(group))
        order = _order(group, ys.get(group.key, []))
        placed.append(PlacedGroup(group, box, order, tuple(part_boxes(group, box, order))))
        floor = box.bottom + V_GAP
    return placed


def _targets(groups: Sequence[PlacedGroup]) -> dict[str, tuple[PlacedGroup, Box]]:
    found = {}
    for placed in groups:
        for channel, part in zip(placed.order, placed.parts, strict=False):
            found[channel.id] = (placed, part)
        if placed.group.shape == "many":
            for channel in placed.group.channels:
                found[channel.id] = (placed, placed.parts[0])
    return found


def _links(procs: Sequence[PlacedProc], groups: Sequence[PlacedGroup]) -> list[Link]:
    """Arrows, spread along the left or right edge of the box they enter, in row order."""
    targets = _targets(groups)
    entering: dict[tuple[Box, Side], list[tuple[float, float, Row]]] = {}
    for placed in procs:
        for row, box in placed.rows:
            if row.channel in targets and row.kind is not None:
                _, part = targets[row.channel]
                x_row = box.right + 8 if placed.side == "left" else box.x - 8
                entering.setdefault((part, placed.side), []).append((box.cy, x_row, row))
    links = []
    for (part, side), arrivals in entering.items():
        arrivals.sort(key=lambda a: a[0])
        span = part.h - 12
        for n, (y_row, x_row, row) in enumerate(arrivals):
            y = part.y + 6 + span * (n + 1) / (len(arrivals) + 1)
            x = part.x if side == "left" else part.right
            assert row.kind is not None
            links.append(Link(x_row, y_row, x, y, row.access, row.kind, row.key, row.channel))
    return links


def arrange(snap: Snapshot, plan: Plan) -> Layout:
    has_right = len(snap.processes) > 1
    chan_x = MARGIN + PROC_W + GAP
    xs: dict[Side, float] = {"left": MARGIN, "right": chan_x + CHAN_W + GAP}
    procs = _place_procs(snap, plan, xs)
    groups = _place_groups(plan.groups, _row_ys(procs), chan_x)
    width = (xs["right"] + PROC_W if has_right else chan_x + CHAN_W) + MARGIN
    bottoms = [p.box.bottom for p in procs] + [g.box.bottom for g in groups] + [TOP]
    links = sorted(_links(procs, groups), key=lambda k: (k.y1, k.x1, k.y2))
    return Layout(width, max(bottoms), tuple(procs), tuple(groups), tuple(links))
