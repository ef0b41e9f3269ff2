"""Hypothesis as the fidelity generator's chooser, for the differential tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

from iochannels.fidelity import Op, Script, compare
from iochannels.fidelity.linux import LinuxRunner
from iochannels.fidelity.observe import Result
from iochannels.fidelity.simrun import run_sim

T = TypeVar("T")


class DrawChooser:
    """The generator's chooser (``integer``, ``pick``) drawing from Hypothesis' data."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def pick(self, options: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(options))


def agreed(linux: LinuxRunner, *steps: Op, max_files: int = 16) -> list[Result]:
    """Run the script on both kernels; they must agree on every step, and none may stop."""
    script = Script(steps, max_files)
    sim = run_sim(script)
    assert sim.stopped_by is None, sim.stopped_by
    records = linux.run(script, sim.records)
    assert records == list(sim.records), compare(script, linux)[0]
    return [r.result for r in records]


def done(value: object) -> Result:
    return Result("done", value)
