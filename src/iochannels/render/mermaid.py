"""Mermaid text: a flowchart of a snapshot (fd tables, channels, arrows).

Paste it into any Mermaid renderer (GitHub renders ```mermaid blocks). The
nodes are the same as in the SVG view: one per fd row (runs of similar fds
collapsed), one per channel, a connection's two sockets linked. The socket
sequence diagram is in :mod:`iochannels.render.sequence`.
"""

from __future__ import annotations

from iochannels.model import Channel, Snapshot
from iochannels.render.chanbox import stream_buffers
from iochannels.render.columns import nature_word
from iochannels.render.grouping import Group, Row, fd_span, node_ids, plan
from iochannels.render.names import printable
from iochannels.render.openfiles import shared_files
from iochannels.render.svgkit import KIND_COLORS
from iochannels.render.units import human_size

__all__ = ["quote", "snapshot_mermaid"]


def quote(text: str) -> str:
    """A label Mermaid takes as it is, inside double quotes."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


# Mermaid's own entity codes: '#' starts one, ';' ends a statement, quotes end a label, a
# backtick just inside the quotes would make the label a Markdown string ("`**bold**`").
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", ";": "#59;", "&": "#amp;",
             "`": "#96;"}


def _row_id(row: Row) -> str:
    return f"p{row.pid}_fd{row.fds[0]}"


def _row_label(row: Row) -> str:
    return f"fd {fd_span(row.fds)} {row.access or '-'} {row.kind_text}"


def _channel_label(channel: Channel) -> str:
    parts = [f"<b>{channel.kind}</b> ({nature_word(channel.kind)})", channel.label or channel.id]
    if channel.state:
        parts.append(channel.state)
    for buf in stream_buffers(channel):
        parts.append(f"{buf.role}: {human_size(buf.used)} / {human_size(buf.capacity)}")
    return "<br/>".join(quote(p) if not p.startswith("<b>") else p for p in parts)


def _group_nodes(group: Group, ids: dict[str, str]) -> list[str]:
    if group.shape == "many":
        first = group.channels[0]
        label = f"<b>{first.kind}</b> ×{group.count}<br/>{group.count} channels, one fd each"
        return [f'  {ids[first.id]}["{label}"]', f"  class {ids[first.id]} k{_cls(first)}"]
    lines = []
    for channel in group.channels:
        lines.append(f'  {ids[channel.id]}["{_channel_label(channel)}"]')
        lines.append(f"  class {ids[channel.id]} k{_cls(channel)}")
    if group.shape == "pair":
        a, b = group.channels
        lines.append(f'  {ids[a.id]} -.-|"connection: 4 buffers"| {ids[b.id]}')
    return lines


def _cls(channel: Channel) -> str:
    return str(channel.kind).replace("-", "_")


def _edge(row: Row, target: str) -> str:
    match row.access:
        case "w":
            return f"  {_row_id(row)} --> {target}"
        case "r":
            return f"  {target} --> {_row_id(row)}"
        case "rw":
            return f"  {_row_id(row)} <--> {target}"
    return f"  {_row_id(row)} --- {target}"


def snapshot_mermaid(snap: Snapshot) -> str:
    """``flowchart LR``: a subgraph per process (its fd rows), a node per channel."""
    snap = printable(snap)
    layout = plan(snap)
    ids = node_ids(layout.groups)
    lines = ["flowchart LR"]
    for proc in snap.processes:
        lines.append(f'  subgraph p{proc.pid}["{quote(f"{proc.pid} {proc.name}")}"]')
        lines.append("    direction TB")
        for row in layout.rows.get(proc.pid, ()):
            lines.append(f'    {_row_id(row)}["{quote(_row_label(row))}"]')
        lines.append("  end")
    for group in layout.groups:
        lines += _group_nodes(group, ids)
    # An open file description several fds share is a node between their rows and the
    # channel (fd table -> open file -> channel: the middle of the redirection picture).
    shared = shared_files(snap)
    through = {end: f"of_{one.mark}" for one in shared for end in one.ends}
    for one in shared:
        offset = "" if one.offset is None else f"<br/>offset {one.offset}"
        label = f"open file ({one.mark})<br/>{quote(one.holders_text())}{offset}"
        lines += [f'  of_{one.mark}(["{label}"])', f"  class of_{one.mark} openfile"]
    done: set[str] = set()
    for proc in snap.processes:
        for row in layout.rows.get(proc.pid, ()):
            if row.channel not in ids:
                continue
            node = through.get((row.pid, row.fds[0]))
            lines.append(_edge(row, node or ids[row.channel]))
            if node is not None and node not in done:
                done.add(node)
                lines.append(_edge(row, ids[row.channel]).replace(_row_id(row), node, 1))
    for kind, color in KIND_COLORS.items():
        cls = str(kind).replace("-", "_")
        lines.append(f"  classDef k{cls} stroke:{color},stroke-width:2px")
    if shared:
        lines.append("  classDef openfile stroke:#b91c1c,stroke-width:2px")
    return "\n".join(lines) + "\n"
