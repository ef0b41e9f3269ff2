"""Run scripts on the simulator and on Linux, and compare: the harness's entry point.

Use::

    from iochannels.fidelity import check
    report = check(n_scripts=200, seed=0)
    print(report.summary())          # "200 scripts, 2,913 steps: all agree (...)"
    assert report.ok, report.failures[0]

``compare(script, runner)`` checks one script; ``check`` draws ``n_scripts``
random scripts from ``seed``. A script that would reach one of the deliberate
simplifications stops just before; the report counts such stops by name.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from iochannels.fidelity.generate import random_script
from iochannels.fidelity.linux import LinuxRunner
from iochannels.fidelity.observe import first_difference
from iochannels.fidelity.script import Script
from iochannels.fidelity.simrun import run_sim

__all__ = ["Difference", "Report", "check", "compare"]


@dataclass(frozen=True, slots=True)
class Difference:
    script: Script
    where: str

    def __str__(self) -> str:
        return f"{self.where}\nscript (max_files={self.script.max_files}):\n{self.script}"


@dataclass(frozen=True, slots=True)
class Report:
    scripts: int
    steps: int
    stopped_by: Mapping[str, int]  # exclusion name -> scripts it ended early
    failures: tuple[Difference, ...]
    seconds: float
    calls: Mapping[str, int] = field(default_factory=dict)  # call -> steps compared

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        verdict = "all agree" if self.ok else f"{len(self.failures)} differ"
        stops = ", ".join(f"{n} stopped by {name}" for name, n in sorted(self.stopped_by.items()))
        return (f"{self.scripts} scripts, {self.steps:,} steps compared in "
                f"{self.seconds:.1f} s: {verdict}" + (f" ({stops})" if stops else ""))

    def per_call(self) -> str:
        """How many compared steps made each call, most first: what the run exercised."""
        width = max((len(call) for call in self.calls), default=0)
        rows = sorted(self.calls.items(), key=lambda item: (-item[1], item[0]))
        return "steps per call\n" + "\n".join(f"  {call:<{width}}  {n:>7,}" for call, n in rows)


def compare(script: Script, runner: LinuxRunner, options: Mapping[str, int] | None = None,
            ignore: frozenset[str] = frozenset()) -> tuple[Difference | None, int, str | None]:
    """(the first difference or None, steps compared, the exclusion that stopped it).

    The steps compared are the script's first ones: ``script.steps[:compared]``.
    """
    sim = run_sim(script, options, ignore)
    linux = runner.run(script, sim.records)
    where = first_difference(list(sim.records), linux)
    found = None if where is None else Difference(script.prefix(len(sim.records)), where)
    return found, len(sim.records), sim.stopped_by


def check(n_scripts: int = 200, seed: int = 0, max_failures: int = 5,
          stop: Callable[[], bool] = lambda: False) -> Report:
    """Compare ``n_scripts`` random scripts; ``stop()`` is asked before each one (a Ctrl-C
    that landed where Python cannot raise it, in a finalizer, still ends the run)."""
    rng = random.Random(seed)
    start = time.monotonic()
    failures: list[Difference] = []
    stops: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    steps = 0
    with LinuxRunner() as runner:
        for _ in range(n_scripts):
            if stop():
                raise KeyboardInterrupt
            script = random_script(rng)
            found, compared, stopped = compare(script, runner)
            steps += compared
            calls.update(op.call for op in script.steps[:compared])
            stops.update([stopped] if stopped else [])
            if found is not None:
                failures.append(found)
                if len(failures) >= max_failures:
                    break
    return Report(n_scripts, steps, dict(stops), tuple(failures), time.monotonic() - start,
                  dict(calls))
