"""The socket sequence drawn: as SVG (lifelines, notes, arrows, the lecture's phases), Mermaid."""

from __future__ import annotations

from iochannels.model import Walkthrough
from iochannels.render.mermaid import quote
from iochannels.render.names import printable_run
from iochannels.render.sequence import Item, SocketSequence, sequence_of
from iochannels.render.svgkit import Box, arrowhead, document, fit, num, rect, text, text_width

__all__ = ["sequence_mermaid", "sequence_svg"]

PHASE_W = 270
LANE_W = 390
TOP = 70
HEAD_H = 46
ROW_H = 54
MARGIN = 30
SIZE = 14


def _lane_x(index: int) -> float:
    return MARGIN + PHASE_W + index * LANE_W + LANE_W / 2


def _note(x: float, y: float, item: Item) -> list[str]:
    """A box on the lifeline; a long text splits at " · " into two lines."""
    lines = [item.text]
    if text_width(item.text, SIZE) + 24 > LANE_W - 16 and " · " in item.text:
        lines = item.text.split(" · ", 1)
    width = min(max(text_width(s, SIZE) for s in lines) + 24, LANE_W - 16)
    height = 14 + 18 * len(lines)
    box = Box(x - width / 2, y - height / 2, width, height)
    cls = "seqblock" if item.event.blocked else ("seqerr" if item.event.error else "seqnote")
    first = y + 5 - 9 * (len(lines) - 1)
    return [rect(box, cls, rx=5), *(
        text(x, first + 18 * n, fit(s, width - 20, SIZE), SIZE, anchor="middle")
        for n, s in enumerate(lines))]


def _message(x1: float, x2: float, y: float, item: Item) -> list[str]:
    direction = 1 if x2 > x1 else -1
    tip = x2 - direction * 4
    line = (f'<line x1="{num(x1)}" y1="{num(y + 8)}" x2="{num(tip)}" y2="{num(y + 8)}" '
            f'class="arrow" style="stroke:#1d4ed8"/>')
    room = abs(x2 - x1) - 24
    label = text((x1 + x2) / 2, y - 2, fit(item.text, room, SIZE), SIZE, "b", anchor="middle")
    return [line, arrowhead(tip, y + 8, direction, "#1d4ed8"), label]


def _heads(seq: SocketSequence, bottom: float) -> list[str]:
    out = []
    for i, (_, title) in enumerate(seq.lifelines):
        x = _lane_x(i)
        out.append(f'<line x1="{num(x)}" y1="{num(TOP + HEAD_H)}" x2="{num(x)}" y2="{num(bottom)}" '
                   'class="lifeline"/>')
        box = Box(x - (LANE_W - 40) / 2, TOP, LANE_W - 40, HEAD_H)
        out += [rect(box, "prochead", rx=8),
                text(x, TOP + 29, fit(title, box.w - 20, 16), 16, "w", anchor="middle")]
    return out


def _rows(seq: SocketSequence, width: float) -> list[str]:
    """One group per call (``data-seq``: the HTML page lights up the current one)."""
    lanes = {pid: i for i, (pid, _) in enumerate(seq.lifelines)}
    out, phase = [], ""
    for n, item in enumerate(seq.items):
        y = TOP + HEAD_H + 30 + n * ROW_H + ROW_H / 2
        band = Box(MARGIN / 2, y - ROW_H / 2, width - MARGIN, ROW_H)
        out += [f'<g class="seqrow" data-seq="{item.event.seq}">', rect(band, "seqband", rx=4)]
        if item.phase != phase:
            phase = item.phase
            out.append(text(MARGIN, y + 5, fit(phase, PHASE_W - 20, 15), 15, "b phase"))
        x = _lane_x(lanes[item.pid])
        if item.to is not None and item.to in lanes and item.to != item.pid:
            out += _message(x, _lane_x(lanes[item.to]), y, item)
        else:
            out += _note(x, y, item)
        out.append("</g>")
    return out


SEQ_STYLE = """<style>
.ioc .lifeline { stroke: #94a3b8; stroke-width: 2; stroke-dasharray: 6 5; }
.ioc .seqnote { fill: #f1f5f9; stroke: #64748b; stroke-width: 1.2; }
.ioc .seqblock { fill: #ffedd5; stroke: #c2410c; stroke-width: 1.5; }
.ioc .seqerr { fill: #fee2e2; stroke: #b91c1c; stroke-width: 1.5; }
.ioc .phase { fill: #334155; }
.ioc .seqband { fill: none; stroke: none; }
.ioc .now .seqband { fill: #fff3bf; stroke: #f59e0b; stroke-width: 2; }
</style>"""


def sequence_svg(run: Walkthrough) -> str:
    """Server and clients as lifelines, one row per socket call."""
    run = printable_run(run)
    seq = sequence_of(run.steps)
    rows = max(len(seq.items), 1)
    height = TOP + HEAD_H + 30 + rows * ROW_H + 40
    width = MARGIN * 2 + PHASE_W + max(len(seq.lifelines), 1) * LANE_W
    title = f"socket sequence · {run.title}"
    body = [SEQ_STYLE, text(MARGIN, 44, fit(title, width - 2 * MARGIN, 22), 22, "b")]
    body += _heads(seq, height - 30)
    body += _rows(seq, width)
    if not seq.items:
        body.append(text(MARGIN, TOP + HEAD_H + 60, "no socket calls in this run", 16, "muted"))
    return document(width, height, body, title)


def sequence_mermaid(run: Walkthrough) -> str:
    """``sequenceDiagram``: participants, notes for local calls, arrows between processes."""
    seq = sequence_of(printable_run(run).steps)
    lines = ["sequenceDiagram"]
    lines += [f"  participant P{pid} as {quote(title)}" for pid, title in seq.lifelines]
    pids = [f"P{pid}" for pid, _ in seq.lifelines]
    everyone = ",".join(sorted({pids[0], pids[-1]}, key=pids.index)) if pids else ""
    phase = ""
    for item in seq.items:
        if item.phase != phase and everyone:
            phase = item.phase
            lines.append(f"  Note over {everyone}: {quote(phase)}")
        if item.to is not None and item.to != item.pid:
            lines.append(f"  P{item.pid}->>P{item.to}: {quote(item.text)}")
        else:
            lines.append(f"  Note over P{item.pid}: {quote(item.text)}")
    return "\n".join(lines) + "\n"
