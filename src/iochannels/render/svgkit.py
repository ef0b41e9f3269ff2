"""The small SVG toolkit every drawing shares: palette, fonts, text metrics, elements.

Text widths are estimated, never measured: the drawings name a monospace font
stack ("DejaVu Sans Mono", monospace) whose glyphs advance 0.602 em; the
estimate uses :data:`CHAR_EM` (a little more), so a label that the layout
thinks fits does fit. Every string is cut to its room with :func:`fit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from iochannels.model import Kind, Nature

__all__ = [
    "CHAR_EM",
    "FONT",
    "KIND_COLORS",
    "NATURE_COLORS",
    "NATURE_FILLS",
    "Box",
    "arrowhead",
    "document",
    "fit",
    "fit_tail",
    "kind_color",
    "num",
    "rect",
    "text",
    "text_width",
    "vhead",
]

FONT = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace"
CHAR_EM = 0.64  # DejaVu Sans Mono advances 0.602 em; keep a margin

INK = "#1b1f24"
MUTED = "#57606a"
PAPER = "#ffffff"

# One colour per family of kinds, dark enough for white text and for lines on white.
KIND_COLORS: dict[Kind, str] = {
    Kind.PIPE: "#0f766e",
    Kind.FIFO: "#0e7490",
    Kind.UNIX_STREAM: "#7c3aed",
    Kind.UNIX_DGRAM: "#9333ea",
    Kind.UNIX_SEQPACKET: "#a21caf",
    Kind.TCP: "#1d4ed8",
    Kind.UDP: "#0369a1",
    Kind.RAW: "#4338ca",
    Kind.NETLINK: "#6b7280",
    Kind.SOCKET: "#4b5563",
    Kind.CHR: "#15803d",
    Kind.FILE: "#c2410c",
    Kind.BLK: "#b45309",
    Kind.DIR: "#78716c",
    Kind.ANON: "#6b7280",
    Kind.UNKNOWN: "#9ca3af",
}

NATURE_COLORS: dict[Nature, str] = {
    Nature.STREAM: "#2563eb",
    Nature.BLOCK: "#ea580c",
    Nature.NONE: "#9ca3af",
}

# Light backgrounds for channel boxes, by nature.
NATURE_FILLS: dict[Nature, str] = {
    Nature.STREAM: "#eff6ff",
    Nature.BLOCK: "#fff7ed",
    Nature.NONE: "#f6f8fa",
}


def kind_color(kind: Kind) -> str:
    return KIND_COLORS.get(kind, KIND_COLORS[Kind.UNKNOWN])


def text_width(s: str, size: float) -> float:
    """The width the layout reserves for ``s`` at font size ``size`` (px)."""
    return len(s) * size * CHAR_EM


def fit(s: str, width: float, size: float) -> str:
    """``s`` cut (with an ellipsis) so that it fits ``width`` px at ``size``."""
    room = int(width // (size * CHAR_EM))
    if len(s) <= room:
        return s
    return s[: max(room - 1, 0)] + "…" if room > 0 else ""


def fit_tail(s: str, width: float, size: float) -> str:
    """``s`` cut at its start, keeping the end (a path's file name): ``…/out.txt``."""
    room = int(width // (size * CHAR_EM))
    if len(s) <= room:
        return s
    return "…" + s[len(s) - room + 1:] if room > 1 else ""


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def num(v: float) -> str:
    """A coordinate, short and stable: ``12``, ``12.5``."""
    r = round(v, 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _attrs(attrs: dict[str, str | float]) -> str:
    parts = []
    for key, value in attrs.items():
        shown = num(value) if isinstance(value, float | int) else escape(value, {'"': "&quot;"})
        parts.append(f'{key.replace("_", "-")}="{shown}"')
    return " ".join(parts)


def rect(box: Box, cls: str, rx: float = 6, **attrs: str | float) -> str:
    base: dict[str, str | float] = {"class": cls, "x": box.x, "y": box.y, "width": box.w,
                                    "height": box.h, "rx": rx}
    return f"<rect {_attrs(base | attrs)}/>"


def text(x: float, y: float, s: str, size: float, cls: str = "t", anchor: str = "start",
         **attrs: str | float) -> str:
    """A one-line label whose baseline is at ``y``; ``data-size`` lets tests measure it."""
    base: dict[str, str | float] = {"class": cls, "x": x, "y": y, "font-size": size}
    if anchor != "start":
        base["text-anchor"] = anchor
    return f"<text {_attrs(base | attrs)}>{escape(s)}</text>"


STYLE = f"""
.ioc text {{ font-family: {FONT}; fill: {INK}; }}
.ioc .muted {{ fill: {MUTED}; }}
.ioc .b {{ font-weight: bold; }}
.ioc .w {{ fill: #ffffff; font-weight: bold; }}
.ioc .proc {{ fill: #f8fafc; stroke: #334155; stroke-width: 2; }}
.ioc .prochead {{ fill: #334155; stroke: none; }}
.ioc .row {{ fill: #ffffff; stroke: #cbd5e1; stroke-width: 1; }}
.ioc .rowhi {{ fill: #fff3bf; stroke: #f59e0b; stroke-width: 2; }}
.ioc .rowalt {{ fill: #f1f5f9; stroke: #cbd5e1; stroke-width: 1; }}
.ioc .chan {{ stroke-width: 2; }}
.ioc .group {{ fill: none; stroke: #94a3b8; stroke-width: 1.5; stroke-dasharray: 6 4; }}
.ioc .legend {{ fill: #ffffff; stroke: #cbd5e1; stroke-width: 1; }}
.ioc .arrow {{ fill: none; stroke-width: 2.2; }}
.ioc .ring {{ fill: none; stroke: #e2e8f0; }}
.ioc .ringq {{ fill: none; stroke: #cbd5e1; stroke-dasharray: 4 3; }}
.ioc .chanhead {{ stroke: none; }}
.ioc .areafill {{ fill: #fdba74; stroke: none; }}
.ioc .swatch {{ stroke: none; }}
.ioc .swatchbox {{ stroke: #64748b; stroke-width: 1; }}
.ioc .offset {{ stroke: #7c2d12; stroke-width: 3; }}
.ioc .area {{ fill: #ffedd5; stroke: #c2410c; stroke-width: 1.5; }}
"""


def document(width: float, height: float, body: Iterable[str], title: str) -> str:
    """A standalone SVG (also fit to inline into HTML: no XML prolog, ids all fixed)."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(width)} {num(height)}" '
        f'width="{num(width)}" height="{num(height)}" class="ioc" role="img" '
        f'aria-label="{escape(title, {chr(34): "&quot;"})}">'
    )
    parts = [head, f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>",
             f'<rect x="0" y="0" width="{num(width)}" height="{num(height)}" fill="{PAPER}"/>']
    parts.extend(body)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def arrowhead(x: float, y: float, direction: float, color: str, size: float = 11) -> str:
    """A filled triangle whose tip is at (x, y), pointing right (+1) or left (-1)."""
    back = x - direction * size
    points = f"{num(x)},{num(y)} {num(back)},{num(y - size / 2)} {num(back)},{num(y + size / 2)}"
    return f'<polygon points="{points}" style="fill:{color}"/>'


def vhead(x: float, y: float, direction: float, color: str, size: float = 11) -> str:
    """A filled triangle whose tip is at (x, y), pointing down (+1) or up (-1)."""
    back = y - direction * size
    points = f"{num(x)},{num(y)} {num(x - size / 2)},{num(back)} {num(x + size / 2)},{num(back)}"
    return f'<polygon points="{points}" style="fill:{color}"/>'
