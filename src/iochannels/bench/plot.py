"""Plots of a report: throughput by message size per kind, and round-trip percentiles.

SVG is drawn here, with no library (so ``--plot FILE.svg`` works on any machine); PNG
needs matplotlib (the ``plot`` extra). Both show the same two panels.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from iochannels.bench.results import Report, human_size
from iochannels.errors import IoChannelsError, UsageError
from iochannels.stdio import write_file

__all__ = ["check_plot_target", "svg_plot", "write_plot"]

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#000000")
W, H = 900, 420  # each panel
LEFT, RIGHT, TOP, BOTTOM = 70, 200, 40, 50


def check_plot_target(name: str) -> None:
    """Fail before an hour's work, not after: the format is known and can be drawn."""
    if name.lower().endswith(".png"):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot FILE.png needs matplotlib (pip install "
                             "'iochannels[plot]'); FILE.svg is drawn without it") from None
    parent = Path(name).parent
    if not parent.is_dir():
        raise UsageError(f"--plot {name}: no directory {parent}")


def write_plot(report: Report, name: str) -> None:
    try:
        if name.lower().endswith(".png"):
            _png(report, name)
        else:
            write_file(name, svg_plot(report))
    except OSError as exc:
        raise IoChannelsError(f"cannot write {name}: {exc.strerror}") from None


def _series(report: Report) -> list[tuple[str, str, list[tuple[int, float]]]]:
    """(label, impl, [(size, bytes per second)]) for every line of the throughput panel."""
    found: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for t in report.throughput:
        found.setdefault((t.kind, t.impl), []).append((t.size, t.rate))
    return [(kind, impl, sorted(points)) for (kind, impl), points in found.items()]


def _latency_rows(report: Report) -> list[tuple[str, float, float, float]]:
    """(label, p50, p90, p99) in microseconds, at the smallest round-trip size."""
    if not report.latency:
        return []
    size = min(lat.size for lat in report.latency)
    return [(f"{lat.kind} ({lat.impl})", lat.pct(50), lat.pct(90), lat.pct(99))
            for lat in report.latency if lat.size == size and lat.samples_ns]


def _log_scale(values: list[float], lo_px: float,
               hi_px: float) -> tuple[float, float, Callable[[float], float]]:
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))
    hi = hi if hi > lo else lo + 1
    return lo, hi, lambda v: lo_px + (math.log10(v) - lo) / (hi - lo) * (hi_px - lo_px)


def svg_plot(report: Report) -> str:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{2 * H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{2 * H}" fill="white"/>']
    out += _throughput_panel(report)
    out += _latency_panel(report)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _throughput_panel(report: Report) -> list[str]:
    series = _series(report)
    out = ['<text x="10" y="22" font-size="15">One-way throughput by message size '
           '(solid: Python, dashed: C)</text>']
    rates = [r for _, _, pts in series for _, r in pts if r > 0]
    sizes = [s for _, _, pts in series for s, _ in pts]
    if not rates:
        return [*out, '<text x="10" y="60">no throughput figures</text>']
    x0, x1, y0, y1 = LEFT, W - RIGHT, H - BOTTOM, TOP
    _, _, fx = _log_scale([float(s) for s in sizes], x0, x1)
    ylo, yhi, fy = _log_scale(rates, y0, y1)
    out.append(f'<path d="M{x0},{y1} V{y0} H{x1}" stroke="black" fill="none"/>')
    for e in range(int(ylo), int(yhi) + 1):
        y = fy(10.0 ** e)
        out.append(f'<path d="M{x0},{y:.1f} H{x1}" stroke="#ddd"/>'
                   f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(_rate_label(10.0 ** e))}</text>')
    for size in sorted(set(sizes)):
        x = fx(float(size))
        out.append(f'<text x="{x:.1f}" y="{y0 + 18}" text-anchor="middle">'
                   f'{escape(human_size(size))}</text>')
    kinds = list(dict.fromkeys(kind for kind, _, _ in series))
    for kind, impl, pts in series:
        colour = COLOURS[kinds.index(kind) % len(COLOURS)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{fx(float(s)):.1f},{fy(r):.1f}"
                        for i, (s, r) in enumerate(pts) if r > 0)
        dash = ' stroke-dasharray="5,3"' if impl == "c" else ""
        out.append(f'<path d="{path}" stroke="{colour}" fill="none" stroke-width="2"{dash}>'
                   f"<title>{escape(kind)} ({escape(impl)})</title></path>")
    for i, kind in enumerate(kinds):
        colour = COLOURS[i % len(COLOURS)]
        y = y1 + 16 * i
        out.append(f'<path d="M{x1 + 15},{y} h24" stroke="{colour}" stroke-width="2"/>'
                   f'<text x="{x1 + 45}" y="{y + 4}">{escape(kind)}</text>')
    return out


def _rate_label(rate: float) -> str:
    for unit, scale in (("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3)):
        if rate >= scale:
            return f"{rate / scale:g} {unit}"
    return f"{rate:g} B/s"


def _latency_panel(report: Report) -> list[str]:
    rows = _latency_rows(report)
    top = H
    out = [f'<text x="10" y="{top + 22}" font-size="15">Round trips: p50 (bar), p90 and p99 '
           f'(whisker), microseconds</text>']
    if not rows:
        return [*out, f'<text x="10" y="{top + 60}">no round-trip figures</text>']
    x0, x1 = LEFT + 110, W - 40
    _, _, fx = _log_scale([r[1] for r in rows] + [r[3] for r in rows], x0, x1)
    step = min(24.0, (H - 80) / len(rows))
    for i, (label, p50, p90, p99) in enumerate(rows):
        y = top + 45 + i * step
        colour = COLOURS[0] if label.endswith("(python)") else COLOURS[1]
        xa, xb, xc = fx(p50), fx(p90), fx(p99)
        out.append(f'<text x="{x0 - 6}" y="{y + step / 2 + 4:.1f}" text-anchor="end">'
                   f'{escape(label)}</text>'
                   f'<rect x="{x0}" y="{y + 3:.1f}" width="{max(xa - x0, 1):.1f}" '
                   f'height="{step - 6:.1f}" fill="{colour}"/>'
                   f'<path d="M{xa:.1f},{y + step / 2:.1f} H{xc:.1f} M{xb:.1f},{y + 5:.1f} '
                   f'V{y + step - 5:.1f} M{xc:.1f},{y + 3:.1f} V{y + step - 3:.1f}" '
                   f'stroke="black"/>'
                   f'<text x="{xc + 4:.1f}" y="{y + step / 2 + 4:.1f}">{p50:.1f} / '
                   f'{p99:.1f}</text>')
    return out


def _png(report: Report, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 9))
    kinds = list(dict.fromkeys(kind for kind, _, _ in _series(report)))
    labelled: set[str] = set()
    for kind, impl, pts in _series(report):
        colour = COLOURS[kinds.index(kind) % len(COLOURS)]
        top.plot([s for s, _ in pts], [r / 1e6 for _, r in pts], color=colour,
                 linestyle="--" if impl == "c" else "-", marker="o", markersize=3,
                 label=None if kind in labelled else kind)
        labelled.add(kind)
    top.set_xscale("log", base=2)
    top.set_yscale("log")
    top.set_xlabel("message size, bytes")
    top.set_ylabel("MB/s")
    top.set_title("One-way throughput (solid: Python, dashed: C)")
    top.legend(fontsize=7, loc="upper left")
    rows = _latency_rows(report)
    labels = [r[0] for r in rows]
    p50 = [r[1] for r in rows]
    bottom.barh(labels, p50, color=[COLOURS[0] if lab.endswith("(python)") else COLOURS[1]
                                    for lab in labels])
    bottom.errorbar(p50, labels, xerr=[[0] * len(rows), [r[3] - r[1] for r in rows]],
                    fmt="none", ecolor="black")
    bottom.set_xscale("log")
    bottom.set_xlabel("microseconds (bar p50, whisker to p99)")
    bottom.set_title("Round trips")
    bottom.invert_yaxis()
    fig.tight_layout()
    png = io.BytesIO()  # drawn whole first: write_file leaves no cut image behind
    fig.savefig(png, format="png", dpi=100)
    plt.close(fig)
    write_file(name, png.getvalue())
