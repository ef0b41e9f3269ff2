"""`iochannels tour`: bad input, and a quick tour of one section writing its report."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import descendants
from iochannels.cli import main


def test_a_section_that_does_not_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--section", "9"]) == 2
    assert "no section 9" in capsys.readouterr().err


def test_out_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "f"
    afile.write_text("")
    assert main(["tour", "--out", str(afile)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_quick_tour_of_one_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--quick", "--section", "6", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "report:" in out and "index.html" in out
    assert "6. Blocking actions" in (tmp_path / "index.html").read_text()


def test_sigint_during_the_tour_still_writes_the_report(tmp_path: Path) -> None:
    tour = subprocess.Popen(
        [sys.executable, "-m", "iochannels", "tour", "--section", "5", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not (started := descendants(tour.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started, "the tour never started the clients demo"
        time.sleep(0.3)
        tour.send_signal(signal.SIGINT)
        assert tour.wait(30) == 130
    finally:
        tour.kill()
        tour.wait()
        assert tour.stderr is not None and tour.stdout is not None
        err = tour.stderr.read().decode()
        out = tour.stdout.read().decode()
        tour.stderr.close()
        tour.stdout.close()
    assert err.strip() == "iochannels: interrupted"
    assert (tmp_path / "index.html").exists()
    # the student is told where the partial report is
    assert f"report of the sections done so far: {(tmp_path / 'index.html').resolve()}" in out
    assert all(not Path(f"/proc/{pid}").exists() for pid in started)


def test_an_unwritable_out_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--out", "/proc/no-such-dir/report"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("iochannels: cannot write the report in /proc/no-such-dir/report")
    assert len(err.strip().splitlines()) == 1
