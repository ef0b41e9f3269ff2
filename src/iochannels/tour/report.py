"""The tour's report as HTML: a light ``index.html``, one page per section, one per walkthrough.

``index.html`` and ``section-N.html`` hold the demos (narration, tables, code,
fd tables drawn as SVG) and, for each simulated scenario, its picture at a
glance (a sequence diagram, or its fullest step) with a link to
``walk-<scenario>.html``: the html view's stepper, a page of its own, so that
the index stays small enough to open at once in a lecture hall. No script,
font or style sheet is fetched from anywhere: the files open offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any

from iochannels.demos.stage import DemoInfo, DemoResult
from iochannels.model import Walkthrough
from iochannels.tour.extras import COMMANDS
from iochannels.tour.manifest import record_written
from iochannels.tour.report_parts import blocks_html, facts_table, sim_html, stepper_link

__all__ = ["DemoOutcome", "SectionOutcome", "SimOutcome", "write_report"]

TITLE = "iochannels: the tour"


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    info: DemoInfo
    result: DemoResult | None  # None when the demo failed
    error: str | None = None
    seconds: float = 0.0
    walkthrough: Walkthrough | None = None  # a real run it recorded (a traced pipeline)

    @property
    def filename(self) -> str:
        return f"walk-{self.info.name}.html"


@dataclass(frozen=True, slots=True)
class SimOutcome:
    scenario: str
    walkthrough: Walkthrough | None  # None when the scenario could not run
    error: str | None = None

    @property
    def filename(self) -> str:
        return f"walk-{self.scenario}.html"


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

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}"


def write_report(sections: Iterable[SectionOutcome], out: Path, *, quick: bool) -> Path:
    """Write index.html, section-N.html, walk-SCENARIO.html and facts.json; return the index.

    Every file written, and the pictures the demos wrote under ``out`` (files/), is
    listed in ``out``'s manifest: the next tour here removes them before it starts.
    """
    sections = tuple(sections)
    out.mkdir(parents=True, exist_ok=True)
    written = _write_walks(sections, out)
    bodies = {s.number: _section(s) for s in sections}
    for section in sections:
        page = _nav(sections, here=section.number) + bodies[section.number]
        title = f"{section.heading} · {TITLE}"
        written.append(_write(out / section.filename, _page(title, page)))
    page = _intro(sections, quick) + _contents(sections) + "".join(bodies.values())
    index = _write(out / "index.html", _page(TITLE, page + _footer()))
    facts = _write(out / "facts.json", json.dumps(_facts(sections), indent=2, default=str))
    pictures = [p for s in sections for d in s.demos if d.result for p in d.result.files]
    record_written(out, [*written, index, facts, *pictures])
    return index


def _write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def _write_walks(sections: tuple[SectionOutcome, ...], out: Path) -> list[Path]:
    """Each walkthrough as the html view's own stepper page; the pages written."""
    from iochannels.render import render_walkthrough

    written = []
    for demo in (d for s in sections for d in s.demos):
        if demo.walkthrough is not None:
            page = render_walkthrough(demo.walkthrough, "html")
            anchor = f"demo-{demo.info.name}"
            written.append(_write(out / demo.filename, _with_way_back(page, anchor)))
    for sim in (sim for s in sections for sim in s.sims):
        if sim.walkthrough is not None:
            page = render_walkthrough(sim.walkthrough, "html")
            written.append(_write(out / sim.filename,
                                  _with_way_back(page, f"sim-{sim.scenario}")))
    return written


def _with_way_back(page: str, anchor: str) -> str:
    """The stepper page with a link back to its place in the tour, at the top of its body."""
    link = (f'<a href="index.html#{escape(anchor)}" style="display:block;padding:8px 24px;'
            'font:15px system-ui,sans-serif;color:#1d4ed8;background:#eef2ff">'
            "← back to the tour</a>")
    return page.replace("<body>", f"<body>\n{link}", 1)


@cache
def _style() -> str:
    return files("iochannels.tour").joinpath("static", "report.css").read_text("utf-8")


def _page(title: str, body: str) -> str:
    """A page of the report: the tour's name on top (the section's own is its first h2)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_style()}</style></head>\n"
            f"<body><main><h1>{escape(TITLE)}</h1>\n{body}</main></body></html>\n")


def _intro(sections: tuple[SectionOutcome, ...], quick: bool) -> str:
    failed = [d.info.name for s in sections for d in s.demos if d.error]
    ran = sum(len(s.demos) for s in sections)
    sims = sum(len(s.sims) for s in sections)
    status = (f'<p class="status error">{len(failed)} demo(s) failed: '
              f'{escape(", ".join(failed))}</p>' if failed else
              f'<p class="status ok">Every demo ran: {ran} on real processes, '
              f"{sims} simulated walkthroughs.</p>")
    mode = "with quick sizes (--quick)" if quick else "with the default sizes"
    return (f'<p class="lead">The lecture <em>IO (part 2): Inter-Process Channels</em>, section '
            f"by section: real demos on this machine {mode}, then the same ideas on the "
            f"simulated kernel, each run a stepper of its own.</p>{status}")


def _contents(sections: tuple[SectionOutcome, ...]) -> str:
    """A card per section: its demos (✓ ran, ✗ failed) and its simulated walkthroughs."""
    cards = []
    for s in sections:
        demos = "".join(
            f'<li class="{"bad" if d.error else "good"}"><a href="#demo-{d.info.name}">'
            f"{escape(d.info.title)}</a></li>" for d in s.demos)
        sims = "&#160;· ".join(f'<a href="#sim-{escape(m.scenario)}">{escape(m.scenario)}</a>'
                          for m in s.sims)
        sims = f'<li class="sim">simulated: {sims}</li>' if sims else ""
        cards.append(f'<li><a class="card-title" href="#section-{s.number}">'
                     f"{escape(s.heading)}</a><ul>{demos}{sims}</ul></li>")
    return f'<nav class="contents"><ol>{"".join(cards)}</ol></nav>\n'


def _nav(sections: tuple[SectionOutcome, ...], here: int) -> str:
    """From a section page: the whole tour, and the other sections' pages."""
    links = "".join(f'<a href="{s.filename}"{" aria-current=page" if s.number == here else ""}>'
                    f"{escape(s.heading)}</a>" for s in sections)
    return f'<nav class="pages"><a href="index.html">← the whole tour</a>{links}</nav>\n'


def _section(section: SectionOutcome) -> str:
    parts = [f'<section id="section-{section.number}"><h2>{escape(section.heading)}</h2>']
    parts += [_demo(d) for d in section.demos]
    if section.sims:
        parts.append('<h3 class="sims">On the simulated kernel</h3>')
    parts += [sim_html(s.scenario, s.walkthrough, s.error, s.filename) for s in section.sims]
    if not section.demos and not section.sims:
        parts.append("<p>Nothing to run in this section yet.</p>")
    return "\n".join(parts) + "</section>\n"


def _demo(outcome: DemoOutcome) -> str:
    info = outcome.info
    head = (f'<article class="demo" id="demo-{info.name}"><h3>{escape(info.title)} '
            f"<code class=cmd>{escape(COMMANDS.get(info.name, f'iochannels demo {info.name}'))}"
            "</code></h3>"
            f'<p class="summary">{escape(info.summary)}</p>')
    if outcome.result is None:
        return head + f'<p class="error">error: {escape(outcome.error or "failed")}</p></article>'
    body = blocks_html(outcome.result.blocks, outcome.result.files)
    if outcome.walkthrough is not None:
        body += stepper_link(outcome.walkthrough, outcome.filename)
    tail = f'<p class="error">error: {escape(outcome.error)}</p>' if outcome.error else ""
    return head + body + facts_table(outcome.result.facts, outcome.seconds) + tail + "</article>"


def _footer() -> str:
    return ('<footer>Every fact above, as JSON: <a href="facts.json">facts.json</a>. '
            "Made by <code>iochannels tour</code>.</footer>")


def _facts(sections: tuple[SectionOutcome, ...]) -> dict[str, Any]:
    return {d.info.name: {"section": s.number, "error": d.error, "seconds": round(d.seconds, 2),
                          "facts": dict(d.result.facts) if d.result else {}}
            for s in sections for d in s.demos}
