"""The tour's report: a light index, each simulated walkthrough a stepper page of its own."""

from __future__ import annotations

from pathlib import Path

from iochannels.demos.registry import get
from iochannels.demos.runner import scenario_walkthrough
from iochannels.tour.report import DemoOutcome, SectionOutcome, SimOutcome, write_report
from iochannels.tour.report_parts import at_a_glance


def _report(out: Path) -> Path:
    sims = (SimOutcome("pipe", scenario_walkthrough("pipe")),
            SimOutcome("no-such", None, "no scenario named no-such"))
    failed = DemoOutcome(get("pipe"), None, "it broke")
    return write_report([SectionOutcome(3, "Sockets vs pipes", (failed,), sims)], out,
                        quick=True)


def test_each_walkthrough_is_a_page_of_its_own(tmp_path: Path) -> None:
    index = _report(tmp_path).read_text()
    walk = (tmp_path / "walk-pipe.html").read_text()
    assert walk.startswith("<!DOCTYPE html>")
    assert 'id="slider"' in walk and 'href="index.html#sim-pipe"' in walk
    assert 'href="walk-pipe.html"' in index and 'id="sim-pipe"' in index
    assert "<iframe" not in index and "srcdoc" not in index and 'id="slider"' not in index
    assert not (tmp_path / "walk-no-such.html").exists()
    assert "not shown: no scenario named no-such" in index


def test_the_section_page_links_the_same_stepper(tmp_path: Path) -> None:
    _report(tmp_path)
    page = (tmp_path / "section-3.html").read_text()
    assert 'href="walk-pipe.html"' in page and 'href="index.html"' in page
    assert "error: it broke" in page


def test_one_picture_of_a_run() -> None:
    """Two processes on sockets: the whole run (a sequence diagram); else its fullest step."""
    tcp = scenario_walkthrough("tcp")
    assert at_a_glance(tcp) is tcp
    fd_table = scenario_walkthrough("fd-table")
    (step,) = at_a_glance(fd_table).steps
    most = max(sum(len(p.fds) for p in s.snapshot.processes) for s in fd_table.steps)
    assert step.event is None
    assert sum(len(p.fds) for p in step.snapshot.processes) == most
