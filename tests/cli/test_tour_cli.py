"""`iochannels tour`: bad input, and a quick tour of one section writing its report."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import descendants, read_then_hang_up
from iochannels.cli import main
from iochannels.tour.manifest import MANIFEST


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


def test_a_reader_that_goes_away_ends_the_tour_quietly(tmp_path: Path) -> None:
    """`iochannels tour | head -1`: exit 0, nothing on stderr, the demos' processes gone,
    and the report of what ran written all the same, as on Ctrl-C."""
    status, err, left = read_then_hang_up(
        [sys.executable, "-m", "iochannels", "tour", "--quick", "--section", "4",
         "--out", str(tmp_path)], 1)
    assert (status, err) == (0, "")
    assert not left, f"processes left behind: {left}"
    assert (tmp_path / "index.html").exists()


def linked_pages(page: Path) -> set[str]:
    """The files a report page links to: its hrefs, less anchors and the web."""
    hrefs = re.findall(r'href="([^"#]+)', page.read_text())
    return {h for h in hrefs if "://" not in h}


def test_a_second_tour_removes_the_pages_of_the_first_and_nothing_else(tmp_path: Path) -> None:
    """Section 1 (a walkthrough, no demo) then section 4: section-1.html and walk-fd-table.html
    of the first run go; the user's files in DIR, and outside it, stay, even when a tampered
    manifest names them."""
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "section-9.html").write_text("mine too, though named like a page of the tour")
    (tmp_path / "outside.txt").write_text("not the tour's")
    assert main(["tour", "--quick", "--section", "1", "--section", "4", "--out", str(out)]) == 0
    first = {p.name for p in out.iterdir()}
    assert {"section-1.html", "walk-fd-table.html", "section-4.html"} <= first
    assert "walk-fd-table.html" in linked_pages(out / "index.html")
    manifest = out / MANIFEST
    with manifest.open("a") as listed:  # what the next run must refuse to remove
        listed.write(f"../outside.txt\n{tmp_path / 'outside.txt'}\n.\n..\n\n")

    assert main(["tour", "--quick", "--section", "4", "--out", str(out)]) == 0
    second = {p.name for p in out.iterdir()}
    assert "section-1.html" not in second and "walk-fd-table.html" not in second
    assert {"notes.txt", "section-9.html", "section-4.html", "index.html", MANIFEST} <= second
    assert (tmp_path / "outside.txt").read_text() == "not the tour's"
    for page in out.glob("*.html"):
        if page.name != "section-9.html":
            assert all((out / link).is_file() for link in linked_pages(page)), page.name
    assert "walk-pipe-operator.html" in linked_pages(out / "index.html")
    assert "notes.txt" not in manifest.read_text()


def test_an_empty_out_is_a_usage_error(tmp_path: Path) -> None:
    """Path("") is "."; `tour --out ""` wrote its report into the current directory."""
    result = subprocess.run([sys.executable, "-m", "iochannels", "tour", "--out", ""],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 2 and "--out" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_a_one_line_failure(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "iochannels", "tour", "--quick",
                                 "--section", "0", "--out", str(tmp_path / "r")],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                                check=False)
    assert result.returncode == 1
    assert result.stderr == "iochannels: cannot write the output: No space left on device\n"
