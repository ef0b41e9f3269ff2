"""Graphviz DOT text of a snapshot, for those who have Graphviz (the package does not need it).

Each process is one node drawn as its fd table (an HTML-like table with a port
per row); each channel is a node; arrows follow the data as in the SVG view
(into a channel on write, out of it on read, both ways for ``rw``); the two
sockets of a connection are joined by a dashed edge. ``dot -Tsvg`` draws it.
"""

from __future__ import annotations

from html import escape

from iochannels.model import Channel, Process, Snapshot
from iochannels.render.chanbox import stream_buffers
from iochannels.render.columns import nature_word
from iochannels.render.grouping import Group, Row, fd_span, node_ids, plan
from iochannels.render.names import printable
from iochannels.render.openfiles import SharedFile, shared_files
from iochannels.render.svgkit import NATURE_FILLS, kind_color
from iochannels.render.units import human_size

__all__ = ["snapshot_dot"]


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# XML has no place for control characters (graphviz rejects them in an HTML-like label and
# copies them into an SVG no parser reads): a tab is a space (an HTML-like label drops it),
# a newline a line break, any other is shown as U+FFFD.
_CONTROLS = {c: "\ufffd" for c in range(32) if chr(c) != "\n"} | {ord("\t"): " "}


def _shown(text: str) -> str:
    return text.translate(_CONTROLS)


def _table(proc: Process, rows: tuple[Row, ...]) -> str:
    # graphviz expands \N, \G... in HTML-like labels too: a backslash is written \\
    head = escape(_shown(f"{proc.pid} {proc.name}")).replace("\\", "\\\\")
    head = head.replace("\n", "<br/>")
    cells = ['<tr><td bgcolor="#334155" colspan="3">'
             f'<font color="white"><b>{head}</b></font></td></tr>']
    for row in rows:
        color = "#6b7280" if row.kind is None else kind_color(row.kind)
        cells.append(
            f'<tr><td align="right">{escape(fd_span(row.fds))}</td><td>{row.access or "-"}</td>'
            f'<td port="fd{row.fds[0]}" align="left"><font color="{color}">'
            f"{escape(row.kind_text)}</font></td></tr>"
        )
    if not rows:
        cells.append('<tr><td colspan="3">(no open fds)</td></tr>')
    body = "".join(cells)
    return f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="4">{body}</table>>'


def _channel_label(channel: Channel, count: int) -> str:
    parts = [f"{channel.kind} ({nature_word(channel.kind)})" + (f" ×{count}" if count > 1 else "")]
    parts.append(f"{count} channels, one fd each" if count > 1 else (channel.label or channel.id))
    if channel.state and count == 1:
        parts.append(channel.state)
    if count == 1:
        parts += [f"{b.role}: {human_size(b.used)} / {human_size(b.capacity)}"
                  for b in stream_buffers(channel)]
    # graphviz decodes HTML entities in a quoted label too: '&' is written &amp;
    return "\\n".join(_shown(p).replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
                       for p in parts)


def _channel_nodes(group: Group, ids: dict[str, str]) -> list[str]:
    shown = group.channels[:1] if group.shape == "many" else group.channels
    lines = []
    for channel in shown:
        color, fill = kind_color(channel.kind), NATURE_FILLS[channel.nature]
        label = _channel_label(channel, group.count)
        lines.append(f'  {ids[channel.id]} [label="{label}", shape=box, style="rounded,filled", '
                     f'color="{color}", fillcolor="{fill}", penwidth=2];')
    if group.shape == "pair":
        a, b = group.channels
        # xlabel, not label: graphviz 2.43 loses a labelled flat edge beside a wide node
        lines.append(f'  {ids[a.id]} -> {ids[b.id]} [dir=both, style=dashed, '
                     f'xlabel="connection: 4 buffers", constraint=false];')
    return lines


def _edge(row: Row, target: str, port: str = "") -> str:
    port = port or f"p{row.pid}:fd{row.fds[0]}"
    color = kind_color(row.kind) if row.kind is not None else "#6b7280"
    direction = {"w": "forward", "r": "back", "rw": "both"}.get(row.access or "", "none")
    return f'  {port} -> {target} [dir={direction}, color="{color}", penwidth=2];'


def _open_file_nodes(snap: Snapshot, shared: tuple[SharedFile, ...]) -> list[str]:
    """A node per open file description several fds share, between their rows and the
    channel: the middle of the redirection picture (fd table -> open file -> channel)."""
    lines = []
    for one in shared:
        offset = "" if one.offset is None else f"\\noffset {one.offset}"
        label = f"open file ({one.mark})\\n{one.holders_text()}{offset}"
        lines.append(f'  of_{one.mark} [label="{label}", shape=note, color="#b91c1c", '
                     f'fontcolor="#b91c1c"];')
    return lines


def snapshot_dot(snap: Snapshot, name: str = "iochannels") -> str:
    """``digraph``: processes as fd tables, channels as boxes, arrows as the data flows."""
    snap = printable(snap)
    layout = plan(snap)
    ids = node_ids(layout.groups)
    lines = [f"digraph {_q(name)} {{", "  rankdir=LR;", "  nodesep=0.4; ranksep=1.2;",
             '  node [fontname="DejaVu Sans Mono", fontsize=12];',
             '  edge [fontname="DejaVu Sans Mono", fontsize=10];']
    for proc in snap.processes:
        rows = layout.rows.get(proc.pid, ())
        lines.append(f"  p{proc.pid} [shape=plaintext, label={_table(proc, rows)}];")
    for group in layout.groups:
        lines += _channel_nodes(group, ids)
    shared = shared_files(snap)
    through = {end: f"of_{one.mark}" for one in shared for end in one.ends}
    lines += _open_file_nodes(snap, shared)
    for proc in snap.processes:
        rows = layout.rows.get(proc.pid, ())
        lines += [_edge(r, through.get((r.pid, r.fds[0]), ids[r.channel]))
                  for r in rows if r.channel in ids]
    done: set[str] = set()
    for proc in snap.processes:  # each shared open file description -> its channel, once
        for r in layout.rows.get(proc.pid, ()):
            node = through.get((r.pid, r.fds[0]))
            if node is not None and node not in done and r.channel in ids:
                done.add(node)
                lines.append(_edge(r, ids[r.channel], node))
    lines.append("}")
    return "\n".join(lines) + "\n"
