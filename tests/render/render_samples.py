"""Snapshots and runs built from the model's dataclasses, and an SVG geometry checker.

``random_snapshot(seed, processes, fds)`` makes a plausible snapshot: ttys on
0-2, runs of private files (collapsed by the views), pipes and FIFOs between
processes, socket connections (peers), listening sockets, shared files
(redirection). ``svg_problems(svg)`` parses an SVG and returns what overlaps.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from iochannels.model import (
    Buffer,
    BufferRole,
    Channel,
    Event,
    FdEntry,
    Kind,
    Process,
    Snapshot,
    Step,
    Walkthrough,
)

SVG = "{http://www.w3.org/2000/svg}"
GLYPH_EM = 0.602  # DejaVu Sans Mono's advance width
BOX_CLASSES = {"proc", "chan", "group", "legend", "seqnote", "seqblock", "seqerr"}


def tty() -> Channel:
    return Channel("/dev/pts/0", Kind.CHR, "/dev/pts/0")


def pipe(cid: str = "pipe:[100]", used: int | None = 14) -> Channel:
    return Channel(cid, Kind.PIPE, "pipe", buffers=(Buffer(BufferRole.PIPE, 65536, used),))


def connection(a: str, b: str, kind: Kind = Kind.TCP) -> tuple[Channel, Channel]:
    def end(me: str, other: str, mine: str, theirs: str, used: int) -> Channel:
        bufs = (Buffer(BufferRole.SEND, 2626560, used), Buffer(BufferRole.RECV, 131072, 0))
        return Channel(me, kind, f"{mine} -> {theirs}", "ESTABLISHED", mine, theirs, other, bufs)

    return (end(a, b, "127.0.0.1:5000", "127.0.0.1:40000", 0),
            end(b, a, "127.0.0.1:40000", "127.0.0.1:5000", 5))


def pipe_between() -> Snapshot:
    """A writer and a reader on one pipe (the lecture's `writer | reader`)."""
    chans = {c.id: c for c in (tty(), pipe())}
    tty_rw = FdEntry(2, "/dev/pts/0", "rw")
    writer = Process(101, "writer", ("writer",), (
        FdEntry(0, "/dev/pts/0", "rw"), FdEntry(1, "pipe:[100]", "w"), tty_rw))
    reader = Process(102, "reader", ("reader",), (
        FdEntry(0, "pipe:[100]", "r"), FdEntry(1, "/dev/pts/0", "rw"), tty_rw))
    return Snapshot((writer, reader), chans, "sim", 3.0)


def redirection() -> Snapshot:
    """fd 1 and fd 3 on one file: dup2(3, 1) before close(3)."""
    out = Channel("file:out", Kind.FILE, "/tmp/out.txt")
    chans = {c.id: c for c in (tty(), out)}
    proc = Process(7, "redirect", ("redirect",), (
        FdEntry(0, "/dev/pts/0", "rw"), FdEntry(1, "file:out", "w", offset=6),
        FdEntry(2, "/dev/pts/0", "rw"), FdEntry(3, "file:out", "w", offset=6)))
    return Snapshot((proc,), chans, "sim", 4.0)


def tcp_pair() -> Snapshot:
    a, b = connection("socket:[1]", "socket:[2]")
    listener = Channel("socket:[3]", Kind.TCP, "127.0.0.1:5000", "LISTEN", "127.0.0.1:5000")
    chans = {c.id: c for c in (a, b, listener)}
    server = Process(10, "server", (), (FdEntry(3, listener.id, "rw"), FdEntry(4, a.id, "rw")))
    client = Process(11, "client", (), (FdEntry(3, b.id, "rw"),))
    return Snapshot((server, client), chans, "sim", 9.0)


@dataclass
class _Builder:
    rng: random.Random
    channels: dict[str, Channel]

    def add(self, channel: Channel) -> str:
        self.channels[channel.id] = channel
        return channel.id

    def shared(self, n: int) -> list[tuple[str, str]]:
        """``n`` channels with two ends each, as (channel for one end, channel for the other)."""
        found = []
        for i in range(n):
            match self.rng.randrange(3):
                case 0:
                    cid = self.add(pipe(f"pipe:[{1000 + i}]", self.rng.choice([None, 0, 4096])))
                    found.append((cid, cid))
                case 1:
                    a, b = connection(f"socket:[{2000 + 2 * i}]", f"socket:[{2001 + 2 * i}]",
                                      self.rng.choice([Kind.TCP, Kind.UNIX_STREAM]))
                    found.append((self.add(a), self.add(b)))
                case _:
                    cid = self.add(Channel(f"fifo:{i}", Kind.FIFO, f"/tmp/f{i}.fifo"))
                    found.append((cid, cid))
        return found

    def private(self, pid: int, fd: int, kind: Kind, access: str) -> FdEntry:
        cid = self.add(Channel(f"{kind}:{pid}:{fd}", kind, f"/var/lib/app/{kind}-{pid}-{fd}.dat"))
        offset = self.rng.choice([None, 0, 512])
        return FdEntry(fd, cid, access, offset=offset)  # type: ignore[arg-type]

    def kind(self) -> tuple[Kind, str]:
        kind = self.rng.choice([Kind.FILE, Kind.FILE, Kind.ANON, Kind.UDP, Kind.CHR, Kind.DIR])
        return kind, self.rng.choice(["r", "r", "w", "rw"])


def random_snapshot(seed: int, processes: int = 10, fds: int = 100) -> Snapshot:
    """A seeded, plausible snapshot of ``processes`` processes with about ``fds`` fds each."""
    rng = random.Random(seed)
    build = _Builder(rng, {"/dev/pts/0": tty()})
    links = build.shared(processes * 3)
    tables: dict[int, list[FdEntry]] = {p: [FdEntry(n, "/dev/pts/0", "rw") for n in range(3)]
                                        for p in range(processes)}
    for a_end, b_end in links:
        a, b = rng.randrange(processes), rng.randrange(processes)
        tables[a].append(FdEntry(len(tables[a]), a_end, "w" if a_end == b_end else "rw"))
        tables[b].append(FdEntry(len(tables[b]), b_end, "r" if a_end == b_end else "rw"))
    for pid, table in tables.items():
        while len(table) < fds:
            kind, access = build.kind()
            if rng.random() < 0.4:  # a run of similar fds: libraries, log files, sockets
                for _ in range(rng.randrange(3, 30)):
                    table.append(build.private(pid, len(table), kind, access))
            table.append(build.private(pid, len(table), *build.kind()))
        del table[fds:]
    procs = tuple(Process(1000 + p, f"proc{p}", (f"proc{p}", "--serve"), tuple(t))
                  for p, t in tables.items())
    return Snapshot(procs, build.channels, "sim", 0.0)


def socket_run() -> Walkthrough:
    """Server and client: socket, bind, listen, accept (blocks), connect, send, recv, close."""
    a, b = connection("socket:[1]", "socket:[2]")
    listener = Channel("socket:[3]", Kind.TCP, "127.0.0.1:5000", "LISTEN", "127.0.0.1:5000")
    fresh = Channel("socket:[2]", Kind.TCP, "unconnected", "UNCONNECTED")
    chans = {c.id: c for c in (a, b, listener)}

    def snap(server_fds: tuple[FdEntry, ...], client_fds: tuple[FdEntry, ...],
             **extra: Channel) -> Snapshot:
        procs = (Process(10, "server", (), server_fds), Process(11, "client", (), client_fds))
        return Snapshot(procs, chans | extra, "sim")

    s3, s4, c3 = FdEntry(3, listener.id, "rw"), FdEntry(4, a.id, "rw"), FdEntry(3, b.id, "rw")
    c3_fresh = FdEntry(3, fresh.id, "rw")
    events = [
        (Event(1, 10, "socket", ("AF_INET", "SOCK_STREAM"), 3), snap((s3,), ())),
        (Event(2, 10, "bind", (3, "127.0.0.1:5000"), 0), snap((s3,), ())),
        (Event(3, 10, "listen", (3, 10), 0), snap((s3,), ())),
        (Event(4, 10, "accept", (3,), None, blocked=True), snap((s3,), ())),
        (Event(5, 11, "socket", ("AF_INET", "SOCK_STREAM"), 3),
         snap((s3,), (c3_fresh,), **{fresh.id: fresh})),
        (Event(6, 11, "connect", (3, "127.0.0.1:5000"), 0), snap((s3,), (c3,))),
        (Event(7, 10, "accept", (3,), 4), snap((s3, s4), (c3,))),
        (Event(8, 11, "send", (3, '"hello"', 5), 5), snap((s3, s4), (c3,))),
        (Event(9, 10, "recv", (4, 100), 5), snap((s3, s4), (c3,))),
        (Event(10, 10, "send", (4, '"hello"', 5), 5), snap((s3, s4), (c3,))),
        (Event(11, 11, "recv", (3, 100), 5), snap((s3, s4), (c3,))),
        (Event(12, 11, "close", (3,), 0), snap((s3, s4), ())),
    ]
    steps = (Step(snap((), ()), None, "nothing open yet"),
             *(Step(s, e, f"{e.call} by {e.pid}") for e, s in events))
    return Walkthrough("tcp: one server, one client", steps, "the typical socket sequence")


# ---- geometry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float
    what: str

    def overlaps(self, other: Rect) -> bool:
        return (self.x0 < other.x1 and other.x0 < self.x1
                and self.y0 < other.y1 and other.y0 < self.y1)

    def contains(self, other: Rect) -> bool:
        eps = 0.5
        return (self.x0 - eps <= other.x0 and other.x1 <= self.x1 + eps
                and self.y0 - eps <= other.y0 and other.y1 <= self.y1 + eps)


def _text_rect(el: ET.Element) -> Rect:
    size = float(el.get("font-size", "16"))
    words = "".join(el.itertext())
    width = len(words) * size * GLYPH_EM
    x, y = float(el.get("x", "0")), float(el.get("y", "0"))
    shift = {"middle": width / 2, "end": width}.get(el.get("text-anchor", "start"), 0.0)
    return Rect(x - shift, y - 0.76 * size, x - shift + width, y + 0.24 * size, words)


def _rect(el: ET.Element) -> Rect:
    x, y = float(el.get("x", "0")), float(el.get("y", "0"))
    return Rect(x, y, x + float(el.get("width", "0")), y + float(el.get("height", "0")),
                el.get("class", ""))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[Rect]:
    return [_text_rect(el) for el in root.iter(f"{SVG}text")]


def boxes(root: ET.Element, classes: set[str] = BOX_CLASSES) -> list[Rect]:
    return [_rect(el) for el in root.iter(f"{SVG}rect") if el.get("class") in classes]


def _pairs(rects: list[Rect]) -> list[tuple[Rect, Rect]]:
    """Overlapping pairs, by a sweep down the page."""
    found, active = [], []
    for r in sorted(rects, key=lambda r: (r.y0, r.x0)):
        active = [a for a in active if a.y1 > r.y0]
        found += [(a, r) for a in active if a.overlaps(r)]
        active.append(r)
    return found


def svg_problems(svg: str, contained: bool = True) -> list[str]:
    """Texts that overlap texts, boxes that overlap without nesting, text outside its box."""
    root = parse(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox", "0 0 0 0").split())
    words, frames = texts(root), boxes(root)
    problems = [f"texts overlap: {a.what!r} / {b.what!r}" for a, b in _pairs(words)]
    problems += [f"boxes overlap: {a} / {b}" for a, b in _pairs(frames)
                 if not (a.contains(b) or b.contains(a))]
    page = Rect(0, 0, width, height, "page")
    problems += [f"text off the page: {t.what!r}" for t in words if not page.contains(t)]
    problems += [f"box off the page: {b}" for b in frames if not page.contains(b)]
    if contained:
        every = boxes(root, BOX_CLASSES | {"row", "rowalt", "prochead", "area"})
        problems += [f"text outside any box: {t.what!r}" for t in words[1:]
                     if not any(b.contains(t) for b in every)]
    return problems
