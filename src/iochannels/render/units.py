"""Sizes for people, one rule for every view that spells them out (trace, SVG, DOT, Mermaid).

The terminal table's narrow columns use their own compact form (``text.human``: "64K").
"""

from __future__ import annotations

__all__ = ["human_size"]

_UNITS = (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


def human_size(n: int | None) -> str:
    """Bytes: exact multiples in whole units, exact bytes below 10 of a unit, else one decimal.

    A lesson writes 1,536 bytes and should see 1536, not 1.5 KiB; a 64 KiB pipe is 64 KiB.

    >>> [human_size(n) for n in (14, 1536, 65536, 81920, 100_000, 3 << 30, None)]
    ['14 B', '1536 B', '64 KiB', '80 KiB', '97.7 KiB', '3 GiB', '?']
    """
    if n is None:
        return "?"
    for unit, size in _UNITS:
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
        if n >= 10 * size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"
