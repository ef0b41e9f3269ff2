"""`trace --json` writes the walkthrough directly, not through json.dumps(indent=2) (pure
Python, the slowest part of a long trace): the bytes must stay exactly json.dumps's, for
recorded traces of this machine's strace, for every simulated scenario and for names that
need escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iochannels.model import Channel, Event, FdEntry, Kind, Process, Snapshot, Step, Walkthrough
from iochannels.render.json import walkthrough_json, walkthrough_text, walkthrough_to_dict
from iochannels.sim import scenarios
from iochannels.trace import rebuild_lines

DATA = Path(__file__).parent / "data"


def dumped(run: Walkthrough, extra: dict[str, object]) -> str:
    return json.dumps({**walkthrough_to_dict(run), **extra}, indent=2, sort_keys=True)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.txt")))
def test_a_recorded_trace_is_written_as_json_dumps_writes_it(name: str) -> None:
    lines = (DATA / name).read_text(errors="surrogateescape").splitlines(keepends=True)
    run = rebuild_lines(lines)
    extra: dict[str, object] = {"exit_status": 0, "stopped": None}
    assert walkthrough_text(run, extra) == dumped(run, extra)


@pytest.mark.parametrize("name", [s.name for s in scenarios.SCENARIOS])
def test_a_simulated_run_is_written_as_json_dumps_writes_it(name: str) -> None:
    scenario = scenarios.get(name)
    run = scenarios.run_scenario(name).walkthrough(scenario.title, scenario.watch)
    assert walkthrough_json(run) == dumped(run, {}) + "\n"


def test_names_that_need_escaping_and_empty_parts() -> None:
    odd = 'q"\\\n\x1b[31m\udcff é✓ \u2028'
    channel = Channel("pipe:[1]", Kind.PIPE, odd, detail={odd: odd})
    proc = Process(7, odd, (odd, ""), (FdEntry(3, "pipe:[1]", "w", frozenset({"cloexec"}), 0,
                                              "ofd:1"),))
    snap = Snapshot((proc, Process(8, "")), {"pipe:[1]": channel}, "trace", 1.5, (odd,))
    event = Event(1, 7, "write", (3, odd, -1), "EPIPE", "EPIPE", note=odd)
    for run in (Walkthrough(odd, ()), Walkthrough(odd, (Step(snap), Step(snap, event, odd)),
                                                  odd, (odd,))):
        assert walkthrough_text(run, {"stopped": odd}) == dumped(run, {"stopped": odd})
