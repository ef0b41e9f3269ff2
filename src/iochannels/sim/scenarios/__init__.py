"""The lecture's scenarios, run on the simulated kernel: one per lecture point.

Use::

    from iochannels.sim.scenarios import SCENARIOS, get, run_scenario

    run = run_scenario("pipe")                  # a SimRun, seed 0, default parameters
    run = run_scenario("tcp-clients", seed=3, clients=5)
    walkthrough = run.walkthrough(get("pipe").title, get("pipe").watch)

``SCENARIOS`` is a tuple of :class:`Scenario` in lecture order; each has a
``name`` (kebab-case), a ``section`` (1 .. 6), a one-line ``title``, a few
lines on what to ``watch``, and the parameters it accepts (``defaults``; the
kernel's options ``KERNEL_OPTIONS`` apply to every scenario). ``prepare(name)``
gives the kernel before it runs (``kernel.files`` is the simulated filesystem
after ``run()``); ``run_file(path)`` runs a user's own program (a file defining
``async def main(p)``) the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from iochannels.errors import NotFound
from iochannels.lecture import SECTIONS as LECTURE_SECTIONS
from iochannels.model import RunReport
from iochannels.sim import Kernel, SimRun
from iochannels.sim.report import run_report
from iochannels.sim.scenarios import blocking, buffers, channels, fds, redirection, sockets
from iochannels.sim.scenarios.base import (
    KERNEL_OPTIONS,
    Param,
    Params,
    Scenario,
    make_kernel,
    parse_params,
)
from iochannels.sim.scenarios.userfile import (
    MAX_STEPS,
    TIME_LIMIT,
    kernel_options,
    load_file,
    run_guarded,
)

__all__ = [
    "KERNEL_OPTIONS",
    "MAX_STEPS",
    "SCENARIOS",
    "SECTIONS",
    "TIME_LIMIT",
    "Param",
    "Params",
    "Prepared",
    "Scenario",
    "catalogue",
    "get",
    "parse_params",
    "prepare",
    "run_file",
    "run_scenario",
]

SCENARIOS: tuple[Scenario, ...] = (
    *fds.SCENARIOS,
    *buffers.SCENARIOS,
    *channels.SCENARIOS,
    *redirection.SCENARIOS,
    *sockets.SCENARIOS,
    *blocking.SCENARIOS,
)

# The lecture's sections that have scenarios (section 0, the pitch, has only real demos).
SECTIONS: Mapping[int, str] = {
    n: title for n, title in LECTURE_SECTIONS.items() if any(s.section == n for s in SCENARIOS)
}


def catalogue() -> list[dict[str, object]]:
    """Every scenario as data (``sim list --json``): name, section, title, watch, params."""
    return [{"name": s.name, "section": s.section, "title": s.title, "watch": s.watch,
             "params": dict(s.defaults)} for s in SCENARIOS]


def get(name: str) -> Scenario:
    """The scenario called ``name``, or NotFound with a hint (exit status 1)."""
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise NotFound(f"no scenario {name!r} (see 'iochannels sim list')")


def run_scenario(name: str, seed: int = 0, **params: Param) -> SimRun:
    """Run one scenario to its end (or its deadlock) and return the run."""
    scenario = get(name)
    kernel = scenario.kernel(seed, scenario.params(params))
    return kernel.run(max_steps=MAX_STEPS)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A kernel with a scenario's (or a file's) programs spawned, ready to run.

    ``kernel.files`` holds the simulated filesystem once ``run()`` returns.
    """

    name: str
    title: str
    watch: str
    params: Mapping[str, Param]
    kernel: Kernel
    path: Path | None = field(default=None)  # the user's file, when it is one

    def run(self, max_steps: int = MAX_STEPS, time_limit: float = TIME_LIMIT) -> SimRun:
        """Run to the end, a deadlock, or ``max_steps`` turns (then ``SimRun.stopped``).

        A user's program that runs ``time_limit`` seconds without a call is an error.
        """
        if self.path is None:
            result = self.kernel.run(max_steps=max_steps)
        else:
            result = run_guarded(self.kernel, self.path, max_steps, time_limit)
        if result.stopped:  # the programs never resume: no "coroutine was never awaited"
            for p in self.kernel.procs.values():
                if p.body is not None:
                    p.body.close()
        return result

    def report(self, result: SimRun, seed: int) -> RunReport:
        """What ``sim run`` says about ``result``, a run of this kernel."""
        return run_report(self.name, self.title, self.watch, seed, self.params, result,
                          self.kernel.files)


def prepare(
    target: str, seed: int = 0, params: Params | None = None, snapshots: bool = True,
    bounded: bool = False,
) -> Prepared:
    """A scenario by name, or a user's program file (``*.py``), ready to run.

    ``snapshots=False``: only the events and the last picture (see ``make_kernel``).
    ``bounded``: a parameter above the scenario's limit is a usage error, as the command
    line wants it (a benchmark may go past it: its cost is known to it).
    """
    given = dict(params or {})
    if target.endswith(".py") or "/" in target:
        program = load_file(target)
        options = kernel_options(given)
        kernel = make_kernel(seed, options, snapshots)
        kernel.spawn(program.main, name=program.name, argv=(program.path.name,))
        title = f"{program.path.name}: a program of your own"
        return Prepared(program.name, title, program.watch, options, kernel, program.path)
    scenario = get(target)
    full = scenario.params(given)
    if bounded:
        scenario.check_limits(full)
    return Prepared(scenario.name, scenario.title, scenario.watch, full,
                    scenario.kernel(seed, full, snapshots))


def run_file(path: str | Path, seed: int = 0, **params: Param) -> SimRun:
    """Run a user's program file (``async def main(p)``) like a scenario."""
    return prepare(str(path), seed, params).run()
