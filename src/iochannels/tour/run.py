"""The tour: the lecture from section 0 to 6, real demos then simulated walkthroughs, and a report.

Each section runs its demos (printed live by the console printer) and the
simulator's scenarios that belong to it. A demo that fails costs only its own
place: the section shows the one-line error and the tour goes on; the report
is always written, also when the tour is interrupted. The caller turns
``TourOutcome.ok`` into the exit status. A run into a directory that holds an
earlier report first removes the files that report listed (``manifest``), and
nothing else.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from iochannels.demos.console import ConsolePrinter
from iochannels.demos.registry import DEMOS, SECTIONS
from iochannels.demos.runner import run_demo, scenario_walkthrough
from iochannels.demos.stage import DemoInfo
from iochannels.errors import IoChannelsError
from iochannels.model import Walkthrough
from iochannels.tour.extras import EXTRAS
from iochannels.tour.manifest import remove_previous
from iochannels.tour.report import DemoOutcome, SectionOutcome, SimOutcome, write_report

__all__ = ["TourOutcome", "run_tour", "section_demos", "section_scenarios", "tour_options"]

# Sizes per demo: the tour's default is about a minute in all, --quick a fraction of that.
TOUR_OPTIONS: Mapping[str, Mapping[str, Any]] = {
    "clients": {"clients": 1000},
}
QUICK_OPTIONS: Mapping[str, Mapping[str, Any]] = {
    "clients": {"clients": 20},
}
# Scenarios with no demo of their own section, placed where the lecture draws them.
EXTRA_SCENARIOS: Mapping[int, tuple[str, ...]] = {1: ("fd-table",)}


@dataclass(frozen=True, slots=True)
class TourOutcome:
    sections: tuple[SectionOutcome, ...]
    index: Path
    seconds: float

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sections)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(d.info.name for s in self.sections for d in s.demos if d.error)


def tour_options(name: str, quick: bool, out: Path | None = None) -> dict[str, Any]:
    """The options the tour gives one demo: its sizes, and where pictures go (SVG)."""
    options = dict((QUICK_OPTIONS if quick else TOUR_OPTIONS).get(name, {}))
    if out is not None:
        options.update(plot_dir=str(out / "files"), plot_format="svg")
    return options


def section_scenarios(number: int) -> tuple[str, ...]:
    """The simulator's scenarios for a section: those it declares, else the demos' twins."""
    declared = _declared_scenarios()
    if declared is not None:
        return declared.get(number, ())
    twins = EXTRA_SCENARIOS.get(number, ())
    for info in DEMOS:
        if info.section == number and info.sim and info.sim not in twins:
            twins += (info.sim,)
    shown_earlier = {name for n in range(number) for name in EXTRA_SCENARIOS.get(n, ())}
    later = {name for n, names in EXTRA_SCENARIOS.items() if n > number for name in names}
    return tuple(t for t in twins if t not in shown_earlier | later)


def _declared_scenarios() -> dict[int, tuple[str, ...]] | None:
    """Scenarios by section, when the simulator's SCENARIOS say their section."""
    try:
        scenarios = importlib.import_module("iochannels.sim.scenarios").SCENARIOS
    except (ImportError, AttributeError):
        return None
    items = scenarios.values() if isinstance(scenarios, Mapping) else scenarios
    found: dict[int, tuple[str, ...]] = {}
    for item in items:
        section, name = getattr(item, "section", None), getattr(item, "name", None)
        if not isinstance(section, int) or not isinstance(name, str):
            return None  # they do not say: use the demos' twins
        found[section] = (*found.get(section, ()), name)
    return found


def run_tour(
    out: Path,
    *,
    quick: bool = False,
    sections: Iterable[int] | None = None,
    printer: ConsolePrinter | None = None,
) -> TourOutcome:
    """Run the chosen sections in order and write the report into ``out``."""
    printer = printer or ConsolePrinter()
    numbers = sorted(set(sections)) if sections is not None else sorted(SECTIONS)
    started, done = time.monotonic(), []
    # The previous run's pages, listed in its manifest, go first: those this run does not
    # write again (another --section, a scenario gone) would otherwise look current.
    remove_previous(out)
    try:
        with _progress(printer, _count_steps(numbers)) as advance:
            for number in numbers:
                done.append(_section(number, quick, out, printer, advance))
    finally:  # interrupted or not, the report holds what ran
        index = write_report(done, out, quick=quick)
    return TourOutcome(tuple(done), index, time.monotonic() - started)


def section_demos(number: int) -> tuple[DemoInfo, ...]:
    """A section's demos, then the tour's own pages for it (tour.extras: the shell's
    --draw picture and the traced pipeline, in section 4)."""
    return tuple(info for info in (*DEMOS, *EXTRAS) if info.section == number)


def _count_steps(numbers: list[int]) -> int:
    demos = sum(len(section_demos(n)) for n in numbers)
    return demos + sum(len(section_scenarios(n)) for n in numbers)


@contextmanager
def _progress(printer: ConsolePrinter, total: int) -> Iterator[Any]:
    """A progress bar at the foot of the terminal while the demos print above it."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=printer.console, transient=True) as progress:
        task = progress.add_task("tour", total=total)

        def advance(label: str, step: int = 0) -> None:
            progress.update(task, description=label, advance=step)

        yield advance


def _section(number: int, quick: bool, out: Path, printer: ConsolePrinter,
             advance: Any) -> SectionOutcome:
    title = SECTIONS[number]
    printer.console.rule(Text(f"{number}. {title}", style="bold"))
    demos = tuple(_demo(info, quick, out, printer, advance) for info in section_demos(number))
    sims = tuple(_scenario(name, printer, advance) for name in section_scenarios(number))
    return SectionOutcome(number, title, demos, sims)


def _demo(info: DemoInfo, quick: bool, out: Path, printer: ConsolePrinter,
          advance: Any) -> DemoOutcome:
    advance(f"{info.section}. {info.name}")
    options = tour_options(info.name, quick, out)
    options["progress"] = lambda label, done, of: advance(f"{info.name}: {label} ({done}/{of})")
    kept: list[Walkthrough] = []  # a real run the page recorded, for a stepper of its own
    options["keep_walkthrough"] = lambda name, run: kept.append(run)
    printer.heading(info)
    started = time.monotonic()
    try:
        result = run_demo(info, quick=quick, options=options, listeners=[printer])
    except IoChannelsError as exc:
        return _failed(info, str(exc), started, printer, advance)
    except Exception as exc:  # a bug in one demo must not cost the others their place
        return _failed(info, f"{type(exc).__name__}: {exc}", started, printer, advance)
    advance(f"{info.section}. {info.name}", 1)
    return DemoOutcome(info, result, None, time.monotonic() - started,
                       kept[-1] if kept else None)


def _failed(info: DemoInfo, message: str, started: float, printer: ConsolePrinter,
            advance: Any) -> DemoOutcome:
    printer.error(message)
    advance(f"{info.section}. {info.name}", 1)
    return DemoOutcome(info, None, message, time.monotonic() - started)


def _scenario(name: str, printer: ConsolePrinter, advance: Any) -> SimOutcome:
    advance(f"simulated: {name}")
    try:
        walkthrough = scenario_walkthrough(name)
    except Exception as exc:  # a missing or broken scenario is noted, never fatal
        printer.console.print(f"simulated {name}: not shown ({exc})", style="dim")
        advance(f"simulated: {name}", 1)
        return SimOutcome(name, None, str(exc))
    printer.walkthrough_summary(walkthrough)
    advance(f"simulated: {name}", 1)
    return SimOutcome(name, walkthrough)
