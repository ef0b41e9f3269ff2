"""The tour's report as HTML: one self-contained ``index.html`` and one page per section.

Each section holds its demos (narration, tables, code, fd tables drawn as SVG
when the view exists, else as text) and its simulated walkthroughs (the html
view's own page inlined in an ``<iframe srcdoc>`` when it exists, else text).
No script, font or style sheet is fetched from anywhere: the files open offline.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from iochannels.demos.base import Block, Code, DemoInfo, DemoResult, Say, Show, Table
from iochannels.demos.console import walkthrough_text
from iochannels.model import Snapshot, Walkthrough

__all__ = ["DemoOutcome", "SectionOutcome", "SimOutcome", "write_report"]


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    info: DemoInfo
    result: DemoResult | None  # None when the demo failed
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class SimOutcome:
    scenario: str
    walkthrough: Walkthrough | None  # None when the scenario could not run
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SectionOutcome:
    number: int
    title: str
    demos: tuple[DemoOutcome, ...]
    sims: tuple[SimOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(d.error is None for d in self.demos)

    @property
    def filename(self) -> str:
        return f"section-{self.number}.html"


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 2px solid #ccc; margin-top: 2.5rem; }
pre { background: #f6f6f3; border: 1px solid #ddd; padding: .6rem; overflow-x: auto;
      font-size: .85rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; vertical-align: top; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
figure { margin: 1rem 0; } figcaption { font-weight: bold; color: #036; }
.error { color: #a00; font-weight: bold; } .summary { font-style: italic; color: #555; }
.ok { color: #070; } iframe { width: 100%; height: 40rem; border: 1px solid #ccc; }
figure svg { max-width: 100%; height: auto; }
nav a { margin-right: 1rem; } .code-title { font-weight: bold; margin-bottom: -.4rem; }
"""


def write_report(sections: Iterable[SectionOutcome], out: Path, *, quick: bool) -> Path:
    """Write ``index.html``, ``section-N.html`` and ``facts.json`` into ``out``; return index."""
    sections = tuple(sections)
    out.mkdir(parents=True, exist_ok=True)
    bodies = {s.number: _section(s) for s in sections}
    for section in sections:
        title = f"{section.number}. {section.title}"
        page = _nav(sections, paged=True) + bodies[section.number]
        (out / section.filename).write_text(_page(title, page), "utf-8")
    page = _intro(sections, quick) + _nav(sections, paged=False) + "".join(bodies.values())
    index = out / "index.html"
    index.write_text(_page("iochannels: the tour", page), "utf-8")
    (out / "facts.json").write_text(json.dumps(_facts(sections), indent=2, default=str), "utf-8")
    return index


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
            f"<body><h1>{escape(title)}</h1>\n{body}</body></html>\n")


def _intro(sections: tuple[SectionOutcome, ...], quick: bool) -> str:
    failed = [d.info.name for s in sections for d in s.demos if d.error]
    status = (f'<p class="error">{len(failed)} demo(s) failed: {escape(", ".join(failed))}</p>'
              if failed else '<p class="ok">Every demo ran.</p>')
    mode = "quick sizes (--quick)" if quick else "default sizes"
    return (f"<p>The lecture <em>IO (part 2): Inter-Process Channels</em>, section by section: "
            f"real demos on this machine ({mode}), then the simulated walkthroughs.</p>{status}")


def _nav(sections: tuple[SectionOutcome, ...], *, paged: bool) -> str:
    """Links to each section: anchors in index.html, the section pages from a section page."""
    home = '<a href="index.html">the whole tour</a>' if paged else ""
    links = "".join(
        f'<a href="{s.filename if paged else "#section-" + str(s.number)}">'
        f"{s.number}. {escape(s.title)}</a>" for s in sections)
    return f"<nav>{home}{links}</nav>\n"


def _section(section: SectionOutcome) -> str:
    parts = [f'<section id="section-{section.number}">'
             f"<h2>{section.number}. {escape(section.title)}</h2>"]
    parts += [_demo(d) for d in section.demos]
    parts += [_sim(s) for s in section.sims]
    if not section.demos and not section.sims:
        parts.append("<p>Nothing to run in this section yet.</p>")
    return "\n".join(parts) + "</section>\n"


def _demo(outcome: DemoOutcome) -> str:
    info = outcome.info
    head = (f'<h3 id="demo-{info.name}">{escape(info.title)} '
            f"<small>(<code>iochannels demo {info.name}</code>)</small></h3>"
            f'<p class="summary">{escape(info.summary)}</p>')
    if outcome.result is None:
        return head + f'<p class="error">error: {escape(outcome.error or "failed")}</p>'
    body = "\n".join(_block(b) for b in outcome.result.blocks) + _files(outcome.result.files)
    tail = f'<p class="error">error: {escape(outcome.error)}</p>' if outcome.error else ""
    return head + body + _facts_table(outcome.result.facts, outcome.seconds) + tail


def _block(block: Block) -> str:
    match block:
        case Say(text):
            return f"<p>{escape(text)}</p>"
        case Show(step):
            return f"<figure><figcaption>{escape(step.caption)}</figcaption>" \
                   f"{_picture(step.snapshot)}</figure>"
        case Table(title, columns, rows):
            return _table(title, columns, rows)
        case Code(title, text):
            return f'<p class="code-title">{escape(title)}</p><pre>{escape(text)}</pre>'
    raise AssertionError(f"not a block: {block!r}")


def _files(paths: Iterable[Path]) -> str:
    """Pictures the demo wrote (a plot): inlined, so that the page stands alone."""
    parts = []
    for path in paths:
        if not path.exists():
            continue
        if path.suffix == ".svg":
            parts.append(f"<figure>{_svg_body(path.read_text('utf-8'))}"
                         f"<figcaption>{escape(path.name)}</figcaption></figure>")
        elif path.suffix == ".png":
            data = base64.b64encode(path.read_bytes()).decode()
            parts.append(f'<figure><img alt="{escape(path.name)}" '
                         f'src="data:image/png;base64,{data}"></figure>')
    return "\n".join(parts)


def _svg_body(text: str) -> str:
    """An SVG file without its XML prolog, to sit inside HTML."""
    start = text.find("<svg")
    return text[start:] if start >= 0 else f"<pre>{escape(text)}</pre>"


def _picture(snap: Snapshot) -> str:
    """The fd tables as SVG when the view draws it, with the text view beside, folded."""
    from iochannels.render import render_snapshot

    text = f"<pre>{escape(render_snapshot(snap, 'text', width=110))}</pre>"
    try:
        svg = render_snapshot(snap, "svg")
    except Exception:  # the svg view is being built (or half-built): the report still gets written
        return text
    return f"{svg}<details><summary>as text</summary>{text}</details>"


def _table(title: str, columns: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><caption>{escape(title)}</caption><tr>{head}</tr>{body}</table>"


def _facts_table(facts: Mapping[str, Any], seconds: float) -> str:
    rows = [(k, _short(v)) for k, v in facts.items()] + [("seconds (this run)", f"{seconds:.1f}")]
    return f"<details><summary>facts</summary>{_table('facts', ('fact', 'value'), rows)}</details>"


def _short(value: Any, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sim(outcome: SimOutcome) -> str:
    head = f"<h3>Simulated: {escape(outcome.scenario)} " \
           f"<small>(<code>iochannels sim run {outcome.scenario}</code>)</small></h3>"
    if outcome.walkthrough is None:
        return head + f'<p class="error">not shown: {escape(outcome.error or "failed")}</p>'
    from iochannels.render import render_walkthrough

    try:
        page = render_walkthrough(outcome.walkthrough, "html")
    except Exception:  # the html view is being built: the text view instead
        return head + f"<pre>{escape(walkthrough_text(outcome.walkthrough, width=110))}</pre>"
    # Folded: the page's script keeps its current step in view (scrollIntoView), which
    # would scroll this page too if it ran while shown; opened, it runs on a click only.
    steps = len(outcome.walkthrough.steps)
    return (head + _sim_picture(outcome.walkthrough) +
            f"<details><summary>step through it ({steps} steps)</summary>"
            f'<iframe title="{escape(outcome.scenario)}" loading="lazy" '
            f'srcdoc="{escape(page)}"></iframe></details>')


def _sim_picture(walkthrough: Walkthrough) -> str:
    """The run at a glance: its sequence diagram, or its last step, as SVG."""
    from iochannels.render import render_walkthrough

    try:
        return f"<figure>{_svg_body(render_walkthrough(walkthrough, 'svg'))}</figure>"
    except Exception:  # no picture yet: the stepper below still tells it all
        return ""


def _facts(sections: tuple[SectionOutcome, ...]) -> dict[str, Any]:
    return {d.info.name: {"section": s.number, "error": d.error, "seconds": round(d.seconds, 2),
                          "facts": dict(d.result.facts) if d.result else {}}
            for s in sections for d in s.demos}
