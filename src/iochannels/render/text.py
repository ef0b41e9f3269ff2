"""Terminal views of a snapshot: fd tables per process, counts by kind, who talks to whom.

Plain text unless ``color`` (the caller decides: a tty and no NO_COLOR); then
the same cells drawn as rich tables. Both fit ``width`` columns: the fd and its
kind always stay visible, "what it is" is shortened first, then "other end",
then the buffer. Same snapshot, same text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from iochannels.model import Buffer, BufferRole, Channel, FdEntry, Kind, Process, Snapshot
from iochannels.render.columns import type_word
from iochannels.render.names import printable
from iochannels.render.openfiles import SharedFile, shared_files

__all__ = ["count_line", "graph_links", "graph_text", "other_end", "parse_held_by", "shared_text",
           "snapshot_text"]

HEADERS = ("FD", "ACC", "KIND", "TYPE", "WHAT", "OTHER END", "BUFFER")
# Minimum widths; the order in which columns give up space (WHAT first).
_MIN = (3, 3, 4, 6, 8, 9, 6)
_SHRINK_ORDER = (4, 5, 6, 3)
# Where fds share an open file description, a column after FD gives its mark (a, b...):
# one letter on two rows, in one table or two, is one offset and one set of status flags.
_OFD = ("OFD", 3, "bold red")
_PLURAL = {
    Kind.FILE: "files", Kind.DIR: "directories", Kind.CHR: "char devices",
    Kind.BLK: "block devices", Kind.PIPE: "pipes", Kind.FIFO: "FIFOs", Kind.TCP: "TCP sockets",
    Kind.UDP: "UDP sockets", Kind.RAW: "raw sockets", Kind.NETLINK: "netlink sockets",
    Kind.SOCKET: "other sockets", Kind.ANON: "anon inodes", Kind.UNKNOWN: "unknown",
}
_UNIX = (Kind.UNIX_STREAM, Kind.UNIX_DGRAM, Kind.UNIX_SEQPACKET)


def snapshot_text(snap: Snapshot, *, width: int = 100, color: bool = False) -> str:
    """One table per process (fd, access, kind, stream/block, what, other end, buffer)."""
    snap = printable(snap)
    shared = shared_files(snap)
    marks = {end: s.mark for s in shared for end in s.ends}
    parts = [_process_block(snap, proc, width, color, marks) for proc in snap.processes]
    if len(snap.processes) > 1:
        parts.append(f"all {len(snap.processes)} processes: {count_line(snap.processes, snap)}\n")
    if shared:
        parts.append(shared_text(snap, shared, width))
    parts += [f"note: {note}\n" for note in snap.notes]
    return "\n".join(parts) if parts else "no processes\n"


def summary_text(snap: Snapshot) -> str:
    """One line of counts per process, then the total."""
    snap = printable(snap)
    lines = [f"{_title(p)}: {count_line([p], snap)}" for p in snap.processes]
    if len(snap.processes) > 1:
        lines.append(f"all {len(snap.processes)} processes: {count_line(snap.processes, snap)}")
    return "\n".join(lines + [f"note: {n}" for n in snap.notes]) + "\n"


def _title(proc: Process) -> str:
    return f"{proc.pid} {proc.name}"


def _process_block(snap: Snapshot, proc: Process, width: int, color: bool,
                   marks: dict[tuple[int, int], str] | None = None) -> str:
    argv = " ".join(proc.argv)
    state = f"  [{proc.state}]" if proc.state else ""
    head = f"{_title(proc)}{state}  {argv}"[:width].rstrip()
    if proc.error:
        return f"{head}\n  cannot read its fds: {proc.error}\n"
    rows = [_row(snap, proc, e) for e in proc.fds]
    if marks:  # the mark column, in every table of a snapshot where some fds share
        rows = [(r[0], marks.get((proc.pid, e.fd), ""), *r[1:])
                for r, e in zip(rows, proc.fds, strict=True)]
    table = _rich_table(rows, width, bool(marks)) if color else \
        _plain_table(rows, width, bool(marks))
    return f"{head}\n{table}{count_line([proc], snap)}\n"


def shared_text(snap: Snapshot, shared: Sequence[SharedFile], width: int = 100) -> str:
    """The open file descriptions several fds share, one line each under the tables:
    ``  a  1234 fd 1, 2; 1240 fd 1  (/tmp/log, offset 0)``."""
    lines = ["open file descriptions shared by several fds (one offset, one set of status "
             "flags: dup(2), fork(2)):"]
    for one in shared:
        channel = snap.channels.get(one.channel)
        what = (channel.label or channel.id) if channel is not None else one.channel
        offset = "" if one.offset is None else f", offset {one.offset}"
        lines.append(f"  {one.mark}  {one.holders_text()}  ({what}{offset})")
    return "\n".join(textwrap.fill(line, width, subsequent_indent="     ",
                                   break_on_hyphens=False, break_long_words=False)
                     if width > 20 else line
                     for line in lines) + "\n"


def _row(snap: Snapshot, proc: Process, entry: FdEntry) -> tuple[str, ...]:
    channel = snap.channels.get(entry.channel)
    if channel is None:
        return (str(entry.fd), entry.access or "-", "?", "", entry.channel, "", "")
    what = channel.label or channel.id
    if channel.state:
        what = f"{channel.state} {what}"  # first, so that shortening keeps it
    return (str(entry.fd), entry.access or "-", str(channel.kind), type_word(channel.kind), what,
            other_end(snap, proc.pid, entry, channel), _buffer_text(channel))


# ---- the other end -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holder:
    """One (pid, command, fd, access) holding a channel, in or outside the snapshot."""

    pid: int
    name: str
    fd: int
    access: str

    def __str__(self) -> str:
        return f"{self.pid} {self.name} fd{self.fd}"


def holders(snap: Snapshot, channel_id: str) -> list[Holder]:
    """Every holder of a channel: ends in the snapshot, then ``detail["held_by"]``."""
    found = list(_ends_index(snap).get(channel_id, ()))
    channel = snap.channels.get(channel_id)
    if channel is not None and "held_by" in channel.detail:
        found += parse_held_by(channel.detail["held_by"])
    return found


# The ends of every channel, indexed once per snapshot: asking Snapshot.ends() for each of
# 10,000 fds would read all 10,000 entries each time. One entry: the last snapshot drawn.
_LAST: list[tuple[Snapshot, dict[str, list[Holder]]]] = []


def _ends_index(snap: Snapshot) -> dict[str, list[Holder]]:
    if _LAST and _LAST[0][0] is snap:
        return _LAST[0][1]
    index: dict[str, list[Holder]] = {}
    for proc in snap.processes:
        for entry in proc.fds:
            holder = Holder(proc.pid, proc.name, entry.fd, entry.access or "?")
            index.setdefault(entry.channel, []).append(holder)
    _LAST[:] = [(snap, index)]
    return index


def parse_held_by(text: str) -> list[Holder]:
    """``"1240 cat fd0 r, 1241 sh fd1 w"`` -> holders (the format live writes)."""
    out = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        pid, _, rest = item.partition(" ")
        rest, _, access = rest.rpartition(" ")
        name, _, fd = rest.rpartition(" fd")
        if pid.isdigit() and fd.isdigit():
            out.append(Holder(int(pid), name, int(fd), access))
    return out


def other_end(snap: Snapshot, pid: int, entry: FdEntry, channel: Channel) -> str:
    """Who holds the other end of this fd's channel, as "pid command fdN"."""
    if channel.kind.is_pipe_like:
        mine = entry.access or ""
        others = [h for h in holders(snap, channel.id) if (h.pid, h.fd) != (pid, entry.fd)]
        opposite = [h for h in others if h.access != mine and "?" not in (h.access, mine)]
        if not opposite and mine in ("r", "w"):
            if _blind(snap):  # the other end may be in a table we could not read; another
                return "? (denied)"  # writer of a write end is not its other end
            # Nobody holds the other end: a writer would get EPIPE, a reader EOF (pipe(7)).
            return "no reader" if mine == "w" else "no writer"
        return _names(opposite or others)
    if channel.state == "LISTEN":
        waiting = channel.detail.get("waiting", "").split()
        clients = [h for cid in waiting for h in holders(snap, cid)]
        return _names(clients) if clients else "-"
    if "queued_at" in channel.detail:  # a TCP client the listener has not accepted yet
        found = holders(snap, channel.detail["queued_at"])
        listener = snap.channels.get(channel.detail["queued_at"])
        where = _names(found) if found else (listener.local if listener else None)
        return f"{where or channel.detail['queued_at']} (queued)"
    if channel.peer:
        found = holders(snap, channel.peer)
        peer = snap.channels.get(channel.peer)
        return _names(found) if found else (peer.local if peer and peer.local else channel.peer)
    return ""


def _blind(snap: Snapshot) -> bool:
    """Whether some fd tables could not be read: then "nobody" may be someone hidden."""
    return bool(snap.unreadable) or any(p.error for p in snap.processes)


def _names(found: Sequence[Holder]) -> str:
    if not found:
        return "-"
    first = str(found[0])
    return first if len(found) == 1 else f"{first} +{len(found) - 1}"


# ---- buffers and counts --------------------------------------------------------------


def human(n: int | None) -> str:
    """Bytes for people: 65536 -> 64K, 212992 -> 208K, 3939840 -> 3.8M.

    >>> human(65536), human(212992), human(1000), human(None)
    ('64K', '208K', '1000', '?')
    """
    if n is None:
        return "?"
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size:
            exact = n % size == 0 or n >= 10 * size
            return f"{n // size}{unit}" if exact else f"{n / size:.1f}{unit}"
    return str(n)


def _buffer_text(channel: Channel) -> str:
    pipe = channel.buffer(BufferRole.PIPE)
    if pipe is not None:
        return _used(pipe)
    recv, send = channel.buffer(BufferRole.RECV), channel.buffer(BufferRole.SEND)
    if recv is not None and send is not None:
        return f"r {human(recv.used)} s {human(send.used)}"
    if channel.state == "LISTEN":  # connections waiting for accept(2) / the listen(2) backlog
        return f"{channel.detail.get('queued', '?')}/{channel.detail.get('backlog', '?')} queued"
    return ""


def _used(buf: Buffer) -> str:
    if buf.used is None:
        return "? (denied)"
    return f"{human(buf.used)}/{human(buf.capacity)}"


def count_line(processes: Iterable[Process], snap: Snapshot) -> str:
    """"14 UNIX sockets, 4 pipes in 2 pairs, 1 FIFO, ..." for these processes' fds."""
    counts: dict[str, int] = {}
    pipes: set[str] = set()
    total = 0
    for proc in processes:
        for entry in proc.fds:
            channel = snap.channels.get(entry.channel)
            kind = channel.kind if channel else Kind.UNKNOWN
            label = "UNIX sockets" if kind in _UNIX else _PLURAL[kind]
            counts[label] = counts.get(label, 0) + 1
            total += 1
            if kind is Kind.PIPE:
                pipes.add(entry.channel)
    if not total:
        return "no fds"
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [_count_word(label, n, len(pipes)) for label, n in ordered]
    return f"{total} fd{'s' if total != 1 else ''}: " + ", ".join(words)


def _count_word(label: str, n: int, pipe_channels: int) -> str:
    word = label if n != 1 else _singular(label)
    if label == "pipes" and pipe_channels < n:
        return f"{n} {word} in {pipe_channels} pair{'s' if pipe_channels != 1 else ''}"
    return f"{n} {word}"


def _singular(label: str) -> str:
    return {"directories": "directory", "unknown": "unknown"}.get(label, label.removesuffix("s"))


# ---- tables --------------------------------------------------------------------------


def _headers(ofd: bool) -> tuple[str, ...]:
    return (HEADERS[0], _OFD[0], *HEADERS[1:]) if ofd else HEADERS


def _widths(rows: Sequence[Sequence[str]], width: int, ofd: bool = False) -> list[int]:
    """Natural column widths, shrunk (WHAT first) until the row fits ``width``."""
    headers = _headers(ofd)
    minimum = (_MIN[0], _OFD[1], *_MIN[1:]) if ofd else _MIN
    order = tuple(c + 1 for c in _SHRINK_ORDER) if ofd else _SHRINK_ORDER
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    excess = sum(widths) + 2 * (len(widths) - 1) + 2 - width
    for col in order:
        if excess <= 0:
            break
        give = min(excess, max(widths[col] - minimum[col], 0))
        widths[col] -= give
        excess -= give
    return widths


def _cut(text: str, width: int) -> str:
    """Fit ``text`` in ``width``; a path keeps its end (the file's name says the most)."""
    if len(text) <= width:
        return text
    if text.startswith("/") and width > 1:
        return "…" + text[len(text) - width + 1 :]
    return text[: max(width - 1, 0)] + "…"


def _fit(text: str, width: int) -> list[str]:
    """The lines of one cell: a path shortened from the left (one line, its file name kept);
    anything else (an address, who holds the other end, a state) wrapped, never cut: the
    port at the end of ``127.0.0.1:41234 -> 127.0.0.1:5000`` is what a reader looks for.

    >>> _fit("ESTABLISHED 127.0.0.1:41234 -> 127.0.0.1:5000", 30)
    ['ESTABLISHED 127.0.0.1:41234 ->', '127.0.0.1:5000']
    >>> _fit("/home/ann/projects/notes.txt", 12)
    ['…s/notes.txt']
    """
    if len(text) <= width or text.startswith("/") or width < 1:
        return [_cut(text, width)]
    return textwrap.wrap(text, width, break_on_hyphens=False, replace_whitespace=False) or [""]


def _lines(row: Sequence[str], widths: Sequence[int]) -> list[list[str]]:
    """A row as the lines it takes: one cell per column on each, blank below a short cell."""
    if all(len(c) <= w for c, w in zip(row, widths, strict=True)):
        return [list(row)]  # the usual case: every cell fits
    cells = [_fit(c, w) for c, w in zip(row, widths, strict=True)]
    height = max(map(len, cells))
    return [[cell[i] if i < len(cell) else "" for cell in cells] for i in range(height)]


def _plain_table(rows: Sequence[Sequence[str]], width: int, ofd: bool = False) -> str:
    widths = _widths(rows, width, ofd)
    lines = []
    for row in [_headers(ofd), *rows]:
        for cells in _lines(row, widths):
            padded = [c.rjust(w) if i == 0 else c.ljust(w)
                      for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
            lines.append(("  " + "  ".join(padded)).rstrip())
    return "\n".join(lines) + "\n"


def _rich_table(rows: Sequence[Sequence[str]], width: int, ofd: bool = False) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    widths = _widths(rows, width, ofd)  # rich pads each cell by one column on each side
    table = Table(box=None, pad_edge=True, header_style="bold", show_edge=False)
    styles: tuple[str, ...] = ("bold cyan", "magenta", "green", "dim", "", "yellow", "blue")
    if ofd:
        styles = (styles[0], _OFD[2], *styles[1:])
    for header, w, style in zip(_headers(ofd), widths, styles, strict=True):
        table.add_column(header, width=w, no_wrap=True, overflow="ellipsis", style=style,
                         justify="right" if header == "FD" else "left")
    for row in rows:  # Text, not a markup string: "[eventfd]" is a name, "[red]" too
        lines = _lines(row, widths)
        table.add_row(*(Text("\n".join(line[i] for line in lines)) for i in range(len(row))))
    out = StringIO()
    # Exactly the room the columns take: below their minimum widths, rich would squeeze FD
    # and KIND to "…" (the row wraps in the terminal instead, as the plain table does). A
    # height too, or with TERM=dumb rich ignores the width given and squeezes all into 80.
    room = sum(widths) + 2 * len(widths)
    Console(file=out, width=room, height=25, force_terminal=True,
            color_system="standard").print(table)
    return out.getvalue()


# ---- graph ---------------------------------------------------------------------------


def graph_links(snap: Snapshot) -> list[tuple[Holder, str, Holder]]:
    """Process-to-process links: (from, channel, to), writer before reader for pipes."""
    links: set[tuple[Holder, str, Holder]] = set()
    for cid, channel in snap.channels.items():
        if channel.kind.is_pipe_like:
            everyone = holders(snap, cid)
            writers = [h for h in everyone if "w" in h.access]
            readers = [h for h in everyone if "r" in h.access]
            links |= {(w, cid, r) for w in writers for r in readers if w.pid != r.pid}
        elif channel.peer and channel.peer in snap.channels:
            for a in holders(snap, cid):
                for b in holders(snap, channel.peer):
                    if a.pid != b.pid:
                        pair = sorted([(a, cid), (b, channel.peer)], key=lambda x: x[1])
                        links.add((pair[0][0], f"{pair[0][1]}={pair[1][1]}", pair[1][0]))
    return sorted(links, key=lambda x: (x[0].pid, x[0].fd, x[1], x[2].pid, x[2].fd))


def graph_text(snap: Snapshot, *, width: int = 100, color: bool = False) -> str:
    """One line per process-to-process link: ``1234 sleep fd1 --pipe:[99]--> 1240 cat fd0``."""
    snap = printable(snap)
    lines = []
    for a, cid, b in graph_links(snap):
        # a pair is "a=b"; a pipe-like channel keeps its own id, which may hold "=" (a path)
        kind = (snap.channels.get(cid) or snap.channels[cid.partition("=")[0]]).kind
        arrow = f"--{cid}-->" if kind.is_pipe_like else f"<--{kind} {cid}-->"
        lines.append(f"{a} {arrow} {b}")
    if not lines:
        lines.append("no channels between processes")
    return "\n".join(lines + [f"note: {n}" for n in snap.notes]) + "\n"


