"""A walkthrough as ONE self-contained HTML page: no network, everything inline.

The page holds every step's diagram (inline SVG), the event list beside it with
the current event highlighted, previous/next buttons, arrow keys, a slider and
the step's caption. A single snapshot is a walkthrough of one step. The CSS and
JavaScript live beside this module (``static/``) and are copied into the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from importlib.resources import files

from iochannels.model import Snapshot, Step, Walkthrough
from iochannels.render.events import call_line, event_line, names
from iochannels.render.names import printable_run
from iochannels.render.sequence import has_socket_calls
from iochannels.render.seqviews import sequence_svg
from iochannels.render.svg import graph_svg, snapshot_svg

__all__ = ["graph_html", "snapshot_html", "walkthrough_html"]

Draw = Callable[[Snapshot, str, frozenset[tuple[int, int]]], str]

# Calls whose result is a new fd; calls with two fd arguments; calls with no fd argument.
_NEW_FD = frozenset({"open", "openat", "creat", "socket", "accept", "accept4", "dup", "dup2",
                     "dup3"})
_TWO_FDS = frozenset({"dup2", "dup3"})
_NO_FD_ARG = frozenset({"open", "openat", "creat", "socket", "socketpair", "pipe", "pipe2",
                        "mkfifo", "fork", "exit", "wait", "exec", "execve"})


def focus(step: Step) -> frozenset[tuple[int, int]]:
    """The (pid, fd) rows the step's call works on: its fd argument, a new fd it returns."""
    event = step.event
    if event is None:
        return frozenset()
    ints = [a for a in event.args if isinstance(a, int)]
    fds = [] if event.call in _NO_FD_ARG else ints[: 2 if event.call in _TWO_FDS else 1]
    if event.call in _NEW_FD and isinstance(event.result, int) and event.result >= 0:
        fds.append(event.result)
    return frozenset((event.pid, fd) for fd in fds)


def _static(name: str) -> str:
    return files("iochannels.render").joinpath("static", name).read_text(encoding="utf-8")


def _caption(step: Step, who: Mapping[int, str]) -> str:
    if step.caption:
        return step.caption
    if step.event is not None:
        return step.event.note or event_line(step.event, who.get(step.event.pid, ""))
    return "the start"


def _figure(step: Step, number: int, draw: Draw, who: Mapping[int, str],
            alone: bool = False) -> str:
    svg = draw(step.snapshot, _svg_title(step, number, alone), focus(step))
    attrs = "" if step.event is None else f' data-seq="{step.event.seq}"'
    attrs += "" if number == 0 else " hidden"
    return (f'<figure id="step-{number}" data-caption="{escape(_caption(step, who))}"'
            f"{attrs}>\n{svg}</figure>")


def _svg_title(step: Step, number: int, alone: bool = False) -> str:
    if alone:
        return ""  # a snapshot: the drawing's own title says what it shows
    if step.event is None:
        return f"step {number}: the start"
    return f"step {number}: {call_line(step.event)}"


def _event_item(step: Step, number: int, who: Mapping[int, str]) -> str:
    event = step.event
    if event is None:
        return f'<li data-step="{number}"><span class="seq">{number}</span> start</li>'
    cls = "blocked" if event.blocked else ("error" if event.error else "")
    line = event_line(event, who.get(event.pid, "?"))
    cls_attr = f' class="{cls}"' if cls else ""
    return (f'<li data-step="{number}"{cls_attr}><span class="seq">{number}</span> '
            f"{escape(line)}</li>")


def _aside(items: str) -> str:
    return f'<aside><h2>system calls</h2>\n<ol id="events">\n{items}\n</ol>\n</aside>'


def _sequence(run: Walkthrough) -> str:
    """A run with socket calls also shows its whole socket sequence, below the stepper."""
    if not has_socket_calls(run):
        return ""
    return (f'<details id="sequence" open><summary>the socket sequence of the whole run'
            f"</summary>\n{sequence_svg(run)}</details>\n")


def _controls(last: int) -> str:
    return (
        '<div class="controls">'
        '<button id="prev" type="button" title="previous step (←)">◀ previous</button>'
        '<button id="next" type="button" title="next step (→)">next ▶</button>'
        f'<input id="slider" type="range" min="0" max="{last}" value="0" step="1" '
        'aria-label="step">'
        '<span id="counter"></span>'
        '<span class="keys">keys: ← → Home End</span>'
        "</div>"
    )


def walkthrough_html(run: Walkthrough, draw: Draw = snapshot_svg) -> str:
    """The whole run on one page, stepping with buttons, arrow keys or the slider."""
    run = printable_run(run)
    steps = run.steps or (Step(Snapshot((), {}, "sim"), None, "no steps"),)
    who = names(steps)
    # A snapshot is a page of one step and no call: no stepper, no list of calls to step by.
    alone = len(steps) == 1 and steps[0].event is None
    figures = "\n".join(_figure(s, n, draw, who, alone) for n, s in enumerate(steps))
    items = "\n".join(_event_item(s, n, who) for n, s in enumerate(steps))
    notes = "\n".join(run.notes)
    description = "\n".join(x for x in (run.description, notes) if x)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(run.title)}</title>
<style>
{_static("walk.css")}</style>
</head>
<body>
<header><h1>{escape(run.title)}</h1><p>{escape(description)}</p></header>
<main{' class="alone"' if alone else ""}>
<section>
{"" if alone else _controls(len(steps) - 1)}
<p id="caption" aria-live="polite"></p>
<div id="diagram">
{figures}
</div>
{_sequence(run)}</section>
{"" if alone else _aside(items)}
</main>
<script>
{_static("walk.js")}</script>
</body>
</html>
"""


def snapshot_html(snap: Snapshot, title: str = "") -> str:
    """One snapshot as a page of one step."""
    where = {"live": "live", "trace": "traced"}.get(snap.source, "simulated")
    heading = title or f"fd tables and channels ({where})"
    return walkthrough_html(Walkthrough(heading, (Step(snap, None, "the snapshot"),)))


def graph_html(snap: Snapshot) -> str:
    """Who talks to whom, as a page."""
    run = Walkthrough("who talks to whom", (Step(snap, None, "processes that share channels"),))
    return walkthrough_html(run, lambda s, _title, _focus: graph_svg(s))
