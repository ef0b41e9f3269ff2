"""The tour's bench page: a real quick bench run of three kinds, its tables and its plot."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import pytest

from iochannels.bench.results import human_size
from iochannels.demos.console import ConsolePrinter, make_console
from iochannels.demos.runner import run_demo
from iochannels.demos.stage import DemoResult, Table
from iochannels.tour import run as tour
from iochannels.tour.bench_page import BENCH, COMMAND, KINDS, SIZES


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    plots = tmp_path_factory.mktemp("files")
    return run_demo(BENCH, quick=True, options={"plot_dir": str(plots)})


def _table(page: DemoResult, starts: str) -> Table:
    return next(b for b in page.blocks if isinstance(b, Table) and b.title.startswith(starts))


def test_every_kind_and_size_is_measured_in_python(page: DemoResult) -> None:
    table = _table(page, "One-way throughput")
    py = table.columns.index("Python MB/s")
    measured = {(row[0], row[1]) for row in table.rows if row[py]}
    assert {(k, human_size(s)) for k in KINDS for s in SIZES} <= measured
    for kind in KINDS:
        assert all(rate > 0 for rate in page.facts["mb_per_s"][kind].values())
        assert set(page.facts["mb_per_s"][kind]) == {str(s) for s in SIZES}


def test_round_trips_of_each_kind_in_order(page: DemoResult) -> None:
    table = _table(page, "Round trips")
    assert [row[0] for row in table.rows] == list(KINDS)
    p50, p90, p99 = (table.columns.index(c) for c in ("Py p50", "p90", "p99"))
    for row in table.rows:
        assert 0 < float(row[p50]) <= float(row[p90]) <= float(row[p99])
    assert set(page.facts["round_trip_us"]) == set(KINDS)


def test_the_plot_is_svg_naming_each_kind(page: DemoResult) -> None:
    assert [p.name for p in page.files] == ["bench.svg"]
    text = page.files[0].read_text("utf-8")
    root = ET.fromstring(text)  # well-formed
    assert root.tag.endswith("svg")
    words = " ".join(root.itertext())
    for kind in KINDS:
        assert kind in words



def test_the_tours_section_2_report_holds_the_page(tmp_path: Path) -> None:
    out = tmp_path / "report"
    outcome = tour.run_tour(out, quick=True, sections=[2],
                            printer=ConsolePrinter(make_console(io.StringIO())))
    assert outcome.ok, outcome.failed
    demos = outcome.sections[0].demos
    assert [d.info.name for d in demos][-1] == "bench"
    result = demos[-1].result
    assert result is not None
    index = (out / "index.html").read_text("utf-8")
    page = index[index.index('id="demo-bench"'):]
    page = page[:page.index("</article>")]
    assert escape(COMMAND) in page
    for title in ("One-way throughput", "Round trips"):
        assert escape(_table(result, title).title) in page
    for row in _table(result, "One-way throughput").rows:  # every figure, as measured
        assert all(escape(cell) in page for cell in row)
    assert "<svg" in page  # the plot, drawn into the page
    ET.fromstring((out / "files" / "bench.svg").read_text("utf-8"))
