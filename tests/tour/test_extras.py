"""Section 4's own pages: the shell's --draw picture and a real pipeline traced by strace."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest

from conftest import descendants, need_program
from iochannels.demos.console import ConsolePrinter, make_console
from iochannels.demos.runner import run_demo
from iochannels.demos.stage import Say
from iochannels.model import Kind, Walkthrough
from iochannels.tour import run as tour
from iochannels.tour.extras import TRACED

# A process's box in the svg view is headed "PID  NAME" (read here without the tour's help).
HEADING = re.compile(r">(\d+) +(sort|uniq|sh)</text>")


def printer() -> ConsolePrinter:
    return ConsolePrinter(make_console(io.StringIO()))


@pytest.fixture(scope="module")
def section_4(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tour.TourOutcome]:
    need_program("strace")
    out = tmp_path_factory.mktemp("report")
    return out, tour.run_tour(out, quick=True, sections=[4], printer=printer())


def _sort_uniq(text: str) -> str:
    """What `sort | uniq -c` prints for ``text`` on this machine: the page's expectation."""
    done = subprocess.run(["sh", "-c", "sort | uniq -c"], input=text, capture_output=True,
                          text=True, check=True)
    return done.stdout


def test_section_4_holds_both_pages(section_4: tuple[Path, tour.TourOutcome]) -> None:
    out, outcome = section_4
    assert outcome.ok, outcome.failed
    names = [d.info.name for d in outcome.sections[0].demos]
    assert names[-2:] == ["shell-draw", "traced-pipeline"]
    index = (out / "index.html").read_text()
    assert 'id="demo-shell-draw"' in index and 'id="demo-traced-pipeline"' in index
    assert "iochannels shell --draw -c" in index and "iochannels trace -- sh -c" in index


def test_the_drawn_picture_names_the_real_pipelines_programs(
        section_4: tuple[Path, tour.TourOutcome]) -> None:
    out, _ = section_4
    svg = (out / "files" / "shell-draw.svg").read_text()
    drawn = HEADING.findall(svg)
    assert sorted(name for _, name in drawn) == ["sort", "uniq"], drawn
    sort_pid, uniq_pid = (int(pid) for pid, _ in sorted(drawn, key=lambda d: d[1]))
    assert sort_pid != uniq_pid
    assert "in.txt" in svg and "out.txt" in svg and "pipe" in svg
    index = (out / "index.html").read_text()
    assert f">{sort_pid}  sort</text>" in index  # inlined in the report, not only linked
    assert "shell-draw.svg" in (out / "files" / ".iochannels-tour-files").read_text()


def _pipe_between_stages(run: Walkthrough) -> str:
    """The channel that is sort's fd 1 and uniq's fd 0 at one step, a pipe; else ''."""
    for step in run.steps:
        snap = step.snapshot
        ends = {(p.name, e.fd): e.channel for p in snap.processes for e in p.fds}
        channel = ends.get(("sort", 1))
        if (channel and ends.get(("uniq", 0)) == channel
                and snap.channels[channel].kind is Kind.PIPE):
            return channel
    return ""


def test_the_trace_page_shows_the_pipe_between_the_stages(
        section_4: tuple[Path, tour.TourOutcome]) -> None:
    out, outcome = section_4
    (traced,) = [d for d in outcome.sections[0].demos if d.info.name == "traced-pipeline"]
    assert traced.walkthrough is not None and traced.result is not None
    assert traced.result.facts["traced"] is True and traced.result.facts["status"] == 0
    pipe = _pipe_between_stages(traced.walkthrough)
    assert re.fullmatch(r"pipe:\[\d+\]", pipe), pipe
    # the same pipe is the one the shell made: strace saw pipe2 return it
    made = [e for e in traced.walkthrough.events if e.call in ("pipe", "pipe2")]
    assert len(made) == 1 and pipe in " ".join(map(str, made[0].args))
    page = (out / "walk-traced-pipeline.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'id="slider"' in page
    assert 'href="index.html#demo-traced-pipeline"' in page
    number = pipe.removeprefix("pipe:[").removesuffix("]")
    assert number in page and "sort" in page and "uniq" in page
    index = (out / "index.html").read_text()
    assert 'href="walk-traced-pipeline.html"' in index
    assert escape(_sort_uniq("b\na\nb\n")) in index  # out.txt, as sort | uniq -c writes it


def test_without_strace_the_page_says_so_and_goes_on(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH with the pipeline's programs and no strace, as on a machine without it."""
    for program in ("sh", "sort", "uniq"):
        (tmp_path / program).symlink_to(need_program(program))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_demo(TRACED)
    said = [b.text for b in result.blocks if isinstance(b, Say)]
    assert said == ["Not traced: strace is not installed: install it with 'apt-get install "
                    "strace' (or 'dnf install strace')."]
    assert result.facts == {"traced": False}


@pytest.mark.parametrize("group", [True, False], ids=["ctrl-c", "sigint-to-the-tour"])
@pytest.mark.parametrize("marker", [b"--draw", b"strace"])
def test_ctrl_c_in_either_page_leaves_nothing(tmp_path: Path, marker: bytes,
                                              group: bool) -> None:
    """Ctrl-C (SIGINT to the terminal's process group), or SIGINT to the tour alone, while
    the shell draws or strace traces: exit 130, the report written, no process left
    (temporary files: the conftest's leak check)."""
    need_program("strace")
    # A pipeline that runs until interrupted, so that the signal lands inside the page.
    tour_cmd = [sys.executable, "-c", _SLOW_TOUR, str(tmp_path), marker.decode()]
    proc = subprocess.Popen(tour_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _running(proc.pid, b"sleep", seen):
            time.sleep(0.02)
        assert _running(proc.pid, b"sleep", seen), f"the {marker!r} page never ran its line"
        time.sleep(0.3)
        (os.killpg if group else os.kill)(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    assert (tmp_path / "index.html").exists()
    deadline = time.monotonic() + 15  # a bound for a loaded machine, not a speed check
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in seen):
        time.sleep(0.05)
    assert not [p for p in seen if Path(f"/proc/{p}").exists()]


def _running(root: int, marker: bytes, seen: set[int]) -> bool:
    found = False
    for pid in descendants(root):
        seen.add(pid)
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        found |= os.path.basename(argv[0]) == marker
    return found


# The tour's section 4 with one page's pipeline made to wait (a line that reads a FIFO
# nobody writes would do; `sleep 60` in place of sort keeps the line the same shape).
_SLOW_TOUR = """
import sys
from pathlib import Path
from iochannels.tour import extras, run
import iochannels.shell.picture as picture
line = "sleep 60 < in.txt | uniq -c > out.txt"
if sys.argv[2] == "--draw":
    picture.SECTION_4_LINE = "printf 'b\\\\n' > in.txt; " + line
else:
    extras.PIPELINE_LINE = line
try:
    run.run_tour(Path(sys.argv[1]), quick=True, sections=[4])
except KeyboardInterrupt:
    sys.exit(130)
"""
