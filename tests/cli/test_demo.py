"""`iochannels demo`: list, run, --json, bad input, and Ctrl-C halfway on a real process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import descendants, read_then_hang_up, temp_entries
from iochannels.cli import main
from iochannels.demos.registry import DEMOS


def test_list_groups_demos_by_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "list"]) == 0
    out = capsys.readouterr().out
    assert "4. Redirection" in out and "6. Blocking actions" in out
    for info in DEMOS:
        assert info.name in out
    assert out.index("pipe-operator") < out.index("clients") < out.index("blocking")


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "list", "--json"]) == 0
    names = [d["name"] for d in json.loads(capsys.readouterr().out)]
    assert names == [d.name for d in DEMOS]


def test_run_json_prints_the_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "pipe-operator", "--quick", "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["demo"] == "pipe-operator"
    assert said["facts"]["reader_output"] == "Message is: Hello, world!"


def test_run_prints_narration_tables_and_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "blocking", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "Blocking, partial transfers" in out
    assert "65,536" in out and "EAGAIN" in out and "SIGPIPE" in out
    assert "\x1b[" not in out  # not a terminal: plain text


@pytest.mark.parametrize(("argv", "status", "message"), [
    (["demo", "nope"], 1, "no demo named 'nope'"),
    (["demo", "clients", "--clients", "0"], 2, "--clients must be 1 .. 20,000"),
    (["demo", "clients", "--clients", "x"], 2, "invalid int value"),
    (["demo", "clients", "--port", "70000"], 2, "--port must be"),
    # backlog 0 made 20 clients wait out SYN retries for two minutes; huge ones crashed listen
    (["demo", "clients", "--backlog", "0"], 2, "--backlog must be 1 .. 65,535"),
    (["demo", "clients", "--backlog", "99999999999"], 2, "--backlog must be 1 .. 65,535"),
    (["demo", "tcp", "--svg", "/proc/no-such-dir"], 1, "cannot write pictures in /proc/"),
    (["demo", "tcp", "--svg", "/etc/passwd"], 2, "--svg /etc/passwd: not a directory"),
    (["demo", "tcp", "--sim", "--svg", "/tmp"], 2, "iochannels sim run tcp --format svg"),
    # an option the demo does not take was silently accepted, as if it had done something
    (["demo", "pipe", "--clients", "3"], 2, "--clients does not apply to demo pipe"),
    (["demo", "blocking", "--port", "8080"], 2, "--port does not apply to demo blocking"),
    (["demo", "fifo", "--strace"], 2, "--strace does not apply to demo fifo"),
    (["demo", "tcp", "--sim", "--port", "8080"], 2, "--port applies to the real run"),
    (["demo", "list", "--pid", "1"], 2, "--pid applies to a demo's run"),
])
def test_bad_input_is_one_line(argv: list[str], status: int, message: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == status
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_bad_svg_dir_fails_before_the_demo_starts(capsys: pytest.CaptureFixture[str]) -> None:
    """The check runs first: no heading, no processes, then a traceback at the end."""
    assert main(["demo", "tcp", "--quick", "--svg", "/proc/no-such-dir"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("iochannels: cannot write pictures in /proc/no-such-dir")


def test_an_option_the_demo_refuses_prints_no_heading(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The heading waits for the demo's first words: a refused option is the only line."""
    gone = subprocess.Popen(["true"])
    gone.wait()  # reaped: its pid names no process now
    for argv, status in ((["demo", "buffer-size", "--total", "1K"], 2),
                         (["demo", "pitch-fds", "--pid", str(gone.pid)], 1)):
        assert main(argv) == status
        captured = capsys.readouterr()
        assert captured.out == ""
        assert len(captured.err.strip().splitlines()) == 1


def test_sigint_halfway_cleans_up() -> None:
    """Ctrl-C while the clients demo runs: its server and workers are gone, exit 130."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "iochannels", "demo", "clients", "--clients", "2000",
         "--backlog", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while len(started := descendants(demo.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(started) >= 2, "the demo never started its server and clients"
        time.sleep(0.5)  # past the start of its programs: the clients are at work
        demo.send_signal(signal.SIGINT)
        assert demo.wait(30) == 130
    finally:
        demo.kill()
        demo.wait()
        assert demo.stderr is not None
        err = demo.stderr.read().decode()
        demo.stderr.close()
    assert err.strip() == "iochannels: interrupted"
    assert all(not Path(f"/proc/{pid}").exists() for pid in started)


@pytest.mark.parametrize("lines", [0, 1])
def test_a_reader_that_goes_away_ends_the_demo_quietly(lines: int) -> None:
    """`iochannels demo fifo | head -1`: exit 0, no traceback nor error line, and the demo
    cleaned up: its server and client are gone, its FIFOs and workdir removed.

    rich's console made a broken pipe ``SystemExit(1)``. With 0 lines the reader is gone
    before the first write, so the pipe breaks for sure; with 1 the demo is under way.
    """
    temp_before = temp_entries()  # the demo's workdir lands in this test's TMPDIR
    status, err, left = read_then_hang_up(
        [sys.executable, "-m", "iochannels", "demo", "fifo", "--quick"], lines)
    assert (status, err) == (0, "")
    assert not left, f"processes left behind: {left}"
    assert temp_entries() == temp_before


def test_sim_shows_the_simulated_twin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "pipe-operator", "--sim"]) == 0
    out = capsys.readouterr().out
    assert "on the simulated kernel" in out and "dup2" in out
    assert main(["demo", "pipe-operator", "--sim", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"]


def test_svg_writes_pictures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "redirect-stdout", "--quick", "--svg", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "01-redirect-stdout.svg", "02-redirect-stdout.svg", "03-redirect-stdout.svg"]
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["demo", "fifo", "--quick"], ["tour", "--quick"]])
def test_a_closed_stdout_is_a_one_line_failure(argv: list[str]) -> None:
    """`iochannels demo fifo >&-` exited 0 having said nothing anywhere."""
    result = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', sys.executable, "-m",
                             "iochannels", *argv], stderr=subprocess.PIPE, text=True,
                            timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("iochannels: stdout is closed")
    assert len(result.stderr.splitlines()) == 1


def test_two_quick_sigints_still_end_with_130_and_clean_up() -> None:
    """The second Ctrl-C came while the first one's cleanup ran: killed by SIGINT, and
    what the cleanup had not reached was left behind."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "iochannels", "demo", "clients", "--clients", "2000",
         "--backlog", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while len(started := descendants(demo.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(started) >= 2, "the demo never started its server and clients"
        time.sleep(0.5)
        demo.send_signal(signal.SIGINT)
        time.sleep(0.01)
        demo.send_signal(signal.SIGINT)
        demo.send_signal(signal.SIGINT)
        assert demo.wait(30) == 130
    finally:
        demo.kill()
        demo.wait()
        assert demo.stderr is not None
        err = demo.stderr.read().decode()
        demo.stderr.close()
    assert err.strip() == "iochannels: interrupted"
    assert all(not Path(f"/proc/{pid}").exists() for pid in started)
