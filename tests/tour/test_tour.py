"""The tour: sections in order, the report always written, a failing demo shown in place."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from iochannels.demos.console import ConsolePrinter, make_console
from iochannels.demos.runner import scenario_walkthrough
from iochannels.demos.stage import DemoInfo
from iochannels.tour import run as tour


def printer() -> ConsolePrinter:
    return ConsolePrinter(make_console(io.StringIO()))


def test_quick_tour_of_two_sections_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    outcome = tour.run_tour(out, quick=True, sections=[6, 4], printer=printer())
    assert [s.number for s in outcome.sections] == [4, 6]
    assert outcome.ok, outcome.failed
    index = (out / "index.html").read_text()
    assert "Message is: Hello, world!" in index
    assert "4. Redirection" in index and "6. Blocking actions" in index
    assert (out / "section-4.html").exists() and (out / "section-6.html").exists()
    facts = json.loads((out / "facts.json").read_text())
    assert facts["pipe-operator"]["facts"]["message_ok"] is True
    assert facts["blocking"]["facts"]["blocked_writer_wrote"] == 65_536


def test_a_failing_demo_is_shown_and_the_tour_goes_on(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    broken = DemoInfo("broken", 6, "Broken", "never runs", "iochannels.demos.no_such_module")
    monkeypatch.setattr(tour, "DEMOS", (broken, *tour.DEMOS))
    outcome = tour.run_tour(tmp_path, quick=True, sections=[6], printer=printer())
    assert not outcome.ok
    assert outcome.failed == ("broken",)
    index = (tmp_path / "index.html").read_text()
    assert "error: demo broken: iochannels.demos.no_such_module is not built yet" in index
    assert "Every demo ran" not in index
    assert "65,536" in index  # the blocking demo still ran after it


def test_the_report_is_written_when_interrupted(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tour, "run_demo", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tour.run_tour(tmp_path, quick=True, sections=[4], printer=printer())
    assert (tmp_path / "index.html").exists()


def test_section_scenarios_cover_the_twins() -> None:
    every = {name for n in range(7) for name in tour.section_scenarios(n)}
    assert every, "no scenario at all"
    assert tour.tour_options("clients", quick=True) == {"clients": 20}
    assert tour.tour_options("blocking", quick=False, out=Path("r"))["plot_dir"] == "r/files"


def test_walkthrough_summaries_read_as_strace_not_python() -> None:
    """A blocked call has no result yet and exit never returns: never ``= None``."""
    shown = printer()
    shown.walkthrough_summary(scenario_walkthrough("pipe-operator"), limit=100)
    text = shown.console.file.getvalue()  # type: ignore[attr-defined]
    assert "None" not in text
    calls = {line.split("]", 1)[1].strip(" |") for line in text.splitlines() if "] " in line}
    assert {"wait(-1) <blocked>", "exit(0) = ?", "pipe([3, 4]) = 0"} <= calls, text
