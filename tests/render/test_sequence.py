"""The socket sequence (lecture section 5) read from a run's events, and drawn."""

from __future__ import annotations

from render_samples import SVG, parse, pipe_between, socket_run, svg_problems

from iochannels.model import Step, Walkthrough
from iochannels.render import render_sequence, render_walkthrough
from iochannels.render.sequence import sequence_of


def test_lifelines_server_first_then_clients() -> None:
    seq = sequence_of(socket_run().steps)
    assert seq.lifelines == ((10, "10 server (server)"), (11, "11 client (client)"))


def test_rows_arrows_and_phases() -> None:
    seq = sequence_of(socket_run().steps)
    calls = [(i.event.call, i.pid, i.to) for i in seq.items]
    assert calls == [
        ("socket", 10, None), ("bind", 10, None), ("listen", 10, None), ("accept", 10, None),
        ("socket", 11, None), ("connect", 11, 10), ("accept", 10, None), ("send", 11, 10),
        ("recv", 10, None), ("send", 10, 11), ("recv", 11, None), ("close", 11, None),
    ]
    phases = [i.phase for i in seq.items]
    assert phases[:4] == ["S: create server socket"] * 3 + ["S: wait for connections"]
    assert phases[5:7] == ["C: initiate connection", "S: create connection"]
    assert phases[-1] == "C: close connection"
    assert "new connection socket" in seq.items[6].text


def test_sequence_svg_structure_and_no_overlap() -> None:
    svg = render_sequence(socket_run(), "svg")
    assert svg == render_walkthrough(socket_run(), "svg")
    root = parse(svg)
    heads = [el for el in root.iter(f"{SVG}line") if el.get("class") == "lifeline"]
    assert len(heads) == 2
    notes = [el for el in root.iter(f"{SVG}rect") if el.get("class") in ("seqnote", "seqblock")]
    assert len(notes) == 9  # 12 calls, 3 of them arrows between the two processes
    assert any(el.get("class") == "seqblock" for el in notes)  # accept blocks
    assert svg_problems(svg, contained=False) == []


def test_a_run_without_socket_calls_draws_its_last_step() -> None:
    run = Walkthrough("pipe", (Step(pipe_between()),))
    assert "socket sequence" not in render_walkthrough(run, "svg")
    assert "no socket calls" in render_sequence(run, "svg")
