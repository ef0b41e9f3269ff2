"""The legend under a diagram: a colour per kind, what stream and block mean, the arrows."""

from __future__ import annotations

from collections.abc import Sequence

from iochannels.model import Kind, Nature
from iochannels.render.columns import nature_word
from iochannels.render.svgkit import (
    NATURE_FILLS,
    Box,
    arrowhead,
    kind_color,
    num,
    rect,
    text,
    text_width,
)

__all__ = ["legend"]

SIZE = 14
ITEM_H = 30
SWATCH = 18


def _item_width(label: str) -> float:
    return SWATCH + 10 + text_width(label, SIZE) + 28


def _kind_item(x: float, y: float, kind: Kind) -> tuple[list[str], str]:
    label = f"{kind} ({nature_word(kind)}, {kind.reach})"
    color = kind_color(kind)
    return [rect(Box(x, y, SWATCH, SWATCH), "swatch", rx=3, style=f"fill:{color}"),
            text(x + SWATCH + 10, y + 14, label, SIZE)], label


def _nature_item(x: float, y: float, nature: Nature, words: str) -> list[str]:
    fill = NATURE_FILLS[nature]
    return [rect(Box(x, y, SWATCH, SWATCH), "swatchbox", rx=3, style=f"fill:{fill}"),
            text(x + SWATCH + 10, y + 14, words, SIZE)]


def _arrow_item(x: float, y: float, words: str, heads: str) -> list[str]:
    """A row on the left, a channel on the right: ``heads`` says which ends get a head."""
    mid = y + SWATCH / 2
    out = [f'<line x1="{num(x)}" y1="{num(mid)}" x2="{num(x + SWATCH)}" y2="{num(mid)}" '
           f'class="arrow" style="stroke:#334155"/>']
    if "w" in heads:
        out.append(arrowhead(x + SWATCH + 2, mid, 1, "#334155", 8))
    if "r" in heads:
        out.append(arrowhead(x - 2, mid, -1, "#334155", 8))
    out.append(text(x + SWATCH + 10, y + 14, words, SIZE))
    return out


def legend(kinds: Sequence[Kind], x0: float, y0: float, width: float) -> tuple[list[str], float]:
    """The legend's elements, flowed into lines of ``width``, and its height."""
    items: list[tuple[str, object]] = [("kind", k) for k in kinds]
    items += [("nature", (Nature.STREAM, "stream: ring buffer(s)")),
              ("nature", (Nature.BLOCK, "block: area buffer, offset")),
              ("arrow", ("w: data into the channel", "w")),
              ("arrow", ("r: out of it", "r")),
              ("arrow", ("rw: both ways", "rw"))]
    out: list[str] = []
    x, y = x0 + 12, y0 + 12
    for what, value in items:
        label = _label(what, value)
        if x + _item_width(label) > x0 + width and x > x0 + 12:
            x, y = x0 + 12, y + ITEM_H
        out += _draw_item(what, value, x, y)
        x += _item_width(label)
    height = y - y0 + ITEM_H + 6
    return [rect(Box(x0, y0, width, height), "legend", rx=6), *out], height


def _label(what: str, value: object) -> str:
    if what == "kind":
        assert isinstance(value, Kind)
        return f"{value} ({nature_word(value)}, {value.reach})"
    assert isinstance(value, tuple)
    return str(value[1] if what == "nature" else value[0])


def _draw_item(what: str, value: object, x: float, y: float) -> list[str]:
    match what, value:
        case "kind", Kind() as kind:
            return _kind_item(x, y, kind)[0]
        case "nature", (Nature() as nature, str(words)):
            return _nature_item(x, y, nature, words)
        case "arrow", (str(words), str(heads)):
            return _arrow_item(x, y, words, heads)
    raise AssertionError(f"no legend item {what!r}")
