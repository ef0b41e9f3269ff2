"""The pieces of the tour's report: a demo's blocks, its facts, a simulated scenario's card.

Pure functions from the stage's blocks and the simulator's walkthroughs to
HTML fragments; the views draw the pictures (``render_snapshot``,
``render_walkthrough``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

from iochannels.demos.stage import Block, Code, Say, Show, Table
from iochannels.model import Snapshot, Walkthrough
from iochannels.render.names import shown

__all__ = ["at_a_glance", "blocks_html", "facts_table", "sim_html", "stepper_link"]

TEXT_WIDTH = 110
SIMULATED = " (simulated)"
NUMBER = re.compile(r"-?[\d,]+(\.\d+)?")


def blocks_html(blocks: Iterable[Block], files: Iterable[Path] = ()) -> str:
    """A demo's narration, pictures, tables and code in order, then the pictures it wrote."""
    return "\n".join(_block(b) for b in blocks) + _files(files)


def _block(block: Block) -> str:
    match block:
        case Say(text):  # one paragraph: a newline in it is a name's, written out
            return f"<p>{escape(shown(text))}</p>"
        case Show(step):
            return f"<figure><figcaption>{_escape(step.caption)}</figcaption>" \
                   f"{_picture(step.snapshot)}</figure>"
        case Table(title, columns, rows):
            return _table(title, columns, rows)
        case Code(title, text):
            return f'<div class="code"><p class="code-title">{_escape(title)}</p>' \
                   f"<pre>{_escape(text)}</pre></div>"
    raise AssertionError(f"not a block: {block!r}")


def _picture(snap: Snapshot) -> str:
    """The fd tables as SVG, with the text view beside, folded."""
    from iochannels.render import render_snapshot

    text = f"<pre>{escape(render_snapshot(snap, 'text', width=TEXT_WIDTH))}</pre>"
    svg = render_snapshot(snap, "svg")
    return f'<div class="svg">{svg}</div><details><summary>as text</summary>{text}</details>'


def _files(paths: Iterable[Path]) -> str:
    """Pictures the demo wrote (a plot): inlined, so that the page stands alone."""
    parts = []
    for path in paths:
        if not path.exists():
            continue
        if path.suffix == ".svg":
            parts.append(f'<figure><div class="svg plot">{_svg_body(path.read_text("utf-8"))}'
                         f"</div><figcaption>{escape(path.name)}</figcaption></figure>")
        elif path.suffix == ".png":
            data = base64.b64encode(path.read_bytes()).decode()
            parts.append(f'<figure><img alt="{escape(path.name)}" '
                         f'src="data:image/png;base64,{data}"></figure>')
    return "\n".join(parts)


def _svg_body(text: str) -> str:
    """An SVG file without its XML prolog, to sit inside HTML."""
    start = text.find("<svg")
    return text[start:] if start >= 0 else f"<pre>{escape(text)}</pre>"


def _table(title: str, columns: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{escape(shown(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows)
    return f"<table><caption>{escape(shown(title))}</caption><tr>{head}</tr>{body}</table>"


def _cell(text: str) -> str:
    """A table cell; numbers (``1,035``, ``0.847``) line up on the right."""
    numeric = NUMBER.fullmatch(text) is not None
    text = escape(shown(text))  # one value (a path, addresses): a newline in it is data
    return f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>"


def facts_table(facts: Mapping[str, Any], seconds: float) -> str:
    """What the demo measured, folded: the tests and ``--json`` read the same facts."""
    rows = [(k, _short(v)) for k, v in facts.items()] + [("seconds (this run)", f"{seconds:.1f}")]
    return (f'<details class="facts"><summary>facts ({len(facts)})</summary>'
            f"{_table('facts', ('fact', 'value'), rows)}</details>")


def _short(value: Any, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sim_html(scenario: str, run: Walkthrough | None, error: str | None, page: str) -> str:
    """A simulated scenario's card: what it shows, its picture, and the way to its stepper."""
    title = run.title.removesuffix(SIMULATED) if run else scenario
    head = (f'<article class="sim" id="sim-{escape(scenario)}"><h4>{escape(title)} '
            f"<code class=cmd>iochannels sim run {escape(scenario)}</code></h4>")
    if run is None:
        return head + f'<p class="error">not shown: {escape(error or "failed")}</p></article>'
    about = f'<p class="about">{escape(run.description)}</p>' if run.description else ""
    return head + about + _sim_picture(run) + stepper_link(run, page) + "</article>"


def _sim_picture(run: Walkthrough) -> str:
    """The run at a glance: its sequence diagram, or its fullest step, as SVG."""
    from iochannels.render import render_walkthrough

    svg = render_walkthrough(at_a_glance(run), "svg")
    return f'<figure><div class="svg">{_svg_body(svg)}</div></figure>'


def at_a_glance(run: Walkthrough) -> Walkthrough:
    """What to draw of a run in one picture: all of it (a sequence diagram) when two or more
    processes talk over sockets; else its step with the most fds open, alone (the svg view
    draws a one-process sequence as a lone lifeline, which tells little)."""
    from iochannels.render.sequence import SOCKET_CALLS

    talkers = {e.pid for e in run.events if e.call in SOCKET_CALLS}
    fullest = run.fullest_step
    if len(talkers) >= 2 or fullest is None:
        return run
    return replace(run, steps=(replace(fullest, event=None),))


def stepper_link(run: Walkthrough, page: str) -> str:
    """A link to the run's stepper page."""
    steps = len(run.steps)
    return (f'<p><a class="step" href="{escape(page)}">Step through it ▶</a> '
            f'<span class="hint">{steps} steps, the system calls beside each picture '
            f"({escape(page)})</span></p>")


def _escape(text: str) -> str:
    """Text for HTML; a name in it (a path, an argv) shown as every view shows it, its
    control characters written out (``\\n``, ``\\x1b``); the demo's own line breaks stay."""
    return escape("\n".join(shown(line) for line in text.split("\n")))
