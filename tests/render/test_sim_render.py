"""Every view draws the simulator's runs: each lecture scenario, every format, nothing overlaps."""

from __future__ import annotations

import json

import pytest
from render_samples import socket_run, svg_problems

from iochannels.render import FORMATS, render_sequence, render_snapshot, render_walkthrough
from iochannels.render.html import focus
from iochannels.sim import scenarios

NAMES = [s.name for s in scenarios.SCENARIOS]


def _walkthrough(name: str) -> object:
    scenario = scenarios.get(name)
    return scenarios.run_scenario(name).walkthrough(scenario.title, scenario.watch)


@pytest.mark.parametrize("name", NAMES)
def test_every_scenario_in_every_format(name: str) -> None:
    run = _walkthrough(name)
    for fmt in FORMATS:
        assert render_walkthrough(run, fmt) == render_walkthrough(_walkthrough(name), fmt)
    for step in run.steps:
        assert svg_problems(render_snapshot(step.snapshot, "svg")) == []
    assert svg_problems(render_sequence(run, "svg"), contained=False) == []
    json.loads(render_walkthrough(run, "json"))


def test_the_tcp_run_draws_its_socket_sequence() -> None:
    text = render_walkthrough(_walkthrough("tcp"), "mermaid")
    assert text.startswith("sequenceDiagram")
    assert "->>" in text and "accept(3) … blocks" in text


def test_a_step_highlights_the_fds_of_its_call() -> None:
    run = socket_run()
    accepted = run.steps[7]  # accept(3) = 4
    assert focus(accepted) == {(10, 3), (10, 4)}
    assert focus(run.steps[1]) == {(10, 3)}  # socket() = 3: the new fd
    html = render_walkthrough(run, "html")
    assert html.count('class="rowhi"') >= len(run.steps) - 3


def test_udp_clients_reach_the_one_server_socket_by_address() -> None:
    text = render_sequence(_walkthrough("udp-clients"), "mermaid")
    assert text.count("(server)") == 1 and text.count("(client)") >= 2
    assert text.count("->>P100: sendto(") >= 2  # every client's datagram reaches the server
