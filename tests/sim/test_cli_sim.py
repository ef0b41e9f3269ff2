"""`iochannels sim`: list, run, step; exit statuses and one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from iochannels.cli import main
from iochannels.sim.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TRACE_LINE = re.compile(r"^ {0,3}\d+  \[\d+ [\w.-]+\] *  (<resumed> )?\w+\(.*\)( = .*| <blocked>)?")


def cli(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: a separate process, its exit status, its two outputs."""
    return subprocess.run(
        [sys.executable, "-m", "iochannels", *argv], input=stdin, capture_output=True,
        text=True, timeout=60, cwd=ROOT, check=False,
    )


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(proc: subprocess.CompletedProcess[str], status: int) -> str:
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# -- list -----------------------------------------------------------------------------------


def test_list_groups_by_section(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "sim", "list")
    assert status == 0
    assert out.splitlines()[0].startswith("1. ")
    for scenario in SCENARIOS:
        assert re.search(rf"^   {re.escape(scenario.name)} +{re.escape(scenario.title)}$", out,
                         re.M)
    assert out.index("3. ") < out.index("   pipe ") < out.index("4. ")


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "sim", "list", "--json")
    rows = json.loads(out)
    assert status == 0
    assert [r["name"] for r in rows] == [s.name for s in SCENARIOS]
    assert next(r for r in rows if r["name"] == "tcp-clients")["params"]["clients"] == 3


# -- run ------------------------------------------------------------------------------------


def test_run_echoes_options_then_trace_then_state(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "sim", "run", "pipe", "--seed", "3")
    assert status == 0
    assert out.startswith("ARG scenario pipe\nARG seed 3\nARG params ")
    order = [out.index(h) for h in ("\ncalls\n", "the most fds open\n", "exit statuses",
                                    "terminal (/dev/tty)", "what to watch")]
    assert order == sorted(order)
    assert "child got: Hello, world!" in out
    assert re.search(r"\[\d+ child\] +read\(3.*\) = 0$", out, re.M), "the EOF read"


def test_trace_lines_have_stable_columns(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "sim", "run", "blocking-full-pipe", "--trace")
    lines = out.splitlines()
    assert status == 0 and lines
    assert all(TRACE_LINE.match(line) for line in lines), lines
    assert len({line.index("]") for line in lines}) == 1
    assert any(line.endswith("<blocked>") for line in lines)
    assert any("<resumed> write(" in line for line in lines)


def test_run_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "sim", "run", "redirect", "--json")
    report = json.loads(out)
    assert status == 0
    assert report["files"]["out.txt"] == "Hello, world!\n"
    assert report["terminal"] == ""
    assert set(report["exit_status"].values()) == {0}
    assert report["walkthrough"]["steps"][0]["event"] is None


def test_run_deadlock_reports_both_waiters(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "sim", "run", "deadlock")
    assert status == 0
    assert re.search(r"^deadlock: .+", out, re.M)
    assert re.search(r"^ +\d+ alice +waits in read\(3\)", out, re.M)
    assert re.search(r"^ +\d+ bob +waits in read\(5\)", out, re.M)


def test_run_format_json_is_the_walkthrough(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pipe.json"
    status, out, _ = run_main(capsys, "sim", "run", "pipe", "--format", "json", "-o", str(target))
    doc = json.loads(target.read_text())
    assert status == 0 and out == ""
    assert doc["schema"].startswith("iochannels/walkthrough/")
    assert doc["title"].startswith("The pipe walkthrough")


@pytest.mark.parametrize(
    ("fmt", "start"),
    [("svg", "<svg"), ("html", "<!DOCTYPE html>"), ("mermaid", "flowchart"), ("dot", "digraph")],
)
def test_run_draws_the_walkthrough_in_each_format(
    fmt: str, start: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"pipe.{fmt}"
    status, _, _ = run_main(capsys, "sim", "run", "pipe", "--format", fmt, "-o", str(target))
    text = target.read_text()
    assert status == 0 and text.startswith(start)
    assert "parent" in text and "child" in text


def test_param_changes_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(capsys, "sim", "run", "tcp-clients", "--param", "clients=5", "--trace")
    assert len(re.findall(r"accept\(.*\) = \d+", out)) == 5


def test_same_seed_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    first = run_main(capsys, "sim", "run", "tcp-clients", "-s", "11")
    second = run_main(capsys, "sim", "run", "tcp-clients", "-s", "11")
    assert first == second


# -- a program of one's own ------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_run(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "sim", "run", str(example))
    assert status == 0
    assert f"ARG scenario {example.stem}" in out
    assert re.search(r"exited 0$", out, re.M)


def test_hello_pipe_example_prints_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(capsys, "sim", "run", str(ROOT / "examples" / "hello_pipe.py"), "--json")
    assert json.loads(out)["terminal"] == "child got: Hello from your parent!\n"


def test_a_file_runs_with_its_own_programs(tmp_path: Path) -> None:
    prog = tmp_path / "mine.py"
    prog.write_text(
        "async def child(p):\n    await p.write(1, b'child\\n')\n\n"
        "async def main(p):\n    await p.fork(child)\n    await p.wait()\n"
        "    await p.write(1, b'parent\\n')\n"
    )
    proc = cli("sim", "run", str(prog), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["terminal"] == "child\nparent\n"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "defines no main"),
        ("def main(p):\n    return 0\n", "async def main"),
        ("raise RuntimeError('boom')\n", "RuntimeError: boom"),
        ("def main(:\n", "syntax error"),
        ("async def main(p):\n    await p.write(1, b'x')\n    raise ValueError('bad')\n",
         "ValueError: bad"),
        ("async def main():\n    return 0\n", "main must take the process"),
        ("import sys\nasync def main(p):\n    sys.exit(3)\n", "in main: SystemExit: 3"),
        ("import sys\nsys.exit(0)\n", "SystemExit: 0"),
    ],
    ids=["no-main", "not-async", "raises-on-import", "syntax", "raises-while-running",
         "main-without-p", "sys-exit-while-running", "sys-exit-on-import"],
)
def test_a_bad_file_is_a_one_line_error(tmp_path: Path, source: str, message: str) -> None:
    prog = tmp_path / "bad.py"
    prog.write_text(source)
    line = one_line_error(cli("sim", "run", str(prog)), 1)
    assert line.startswith("iochannels: ") and str(prog) in line and message in line


def test_an_exception_while_running_names_the_line(tmp_path: Path) -> None:
    prog = tmp_path / "bad.py"
    prog.write_text("async def main(p):\n    await p.write(1, b'x')\n    raise ValueError('bad')\n")
    assert f"{prog}:3: in main: ValueError: bad" in one_line_error(cli("sim", "run", str(prog)), 1)


# -- bad input --------------------------------------------------------------------------------


def test_unknown_scenario_exits_1_with_the_list_hint() -> None:
    line = one_line_error(cli("sim", "run", "no-such"), 1)
    assert line == "iochannels: no scenario 'no-such' (see 'iochannels sim list')"


def test_missing_file_exits_1() -> None:
    assert "no such file" in one_line_error(cli("sim", "run", "nowhere/x.py"), 1)


def test_a_directory_is_not_a_missing_file(tmp_path: Path) -> None:
    assert "is a directory" in one_line_error(cli("sim", "run", str(tmp_path)), 1)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("pipe", "-p", "pipe_capacity=-1"), "pipe_capacity must be 1 or more, not -1"),
        (("pipe", "-p", "pipe_capacity=0"), "pipe_capacity must be 1 or more, not 0"),
        (("examples/hello_pipe.py", "-p", "max_files=\u00b2"), "must be an integer"),
    ],
)
def test_a_bad_kernel_option_says_what_it_takes(argv: tuple[str, ...], message: str) -> None:
    assert message in one_line_error(cli("sim", "run", *argv), 2)


@pytest.mark.parametrize("opts", [("--json", "--trace"), ("--trace", "--format", "svg"),
                                  ("--json", "--format", "json")])
def test_run_takes_one_of_json_trace_format(opts: tuple[str, ...]) -> None:
    """Each prints another document: two of them used to print one and drop the other."""
    assert "alternatives" in one_line_error(cli("sim", "run", "pipe", *opts), 2)


def test_stopped_after_one_call_is_singular() -> None:
    proc = cli("sim", "run", "pipe", "--max-steps", "1")
    assert "stopped after 1 call: " in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ("sim", "run", "pipe", "--seed", "x"),
        ("sim", "run", "pipe", "--param", "clients"),
        ("sim", "run", "pipe", "--param", "nope=1"),
        ("sim", "run", "tcp-clients", "--param", "clients=many"),
        ("sim", "run", "pipe", "--format", "png"),
        ("sim", "run", "pipe", "-p", "preempt=150"),
        ("sim", "run", "pipe", "-p", "max_files=2"),
        ("sim", "run", "pipe", "--max-steps", "0"),
        ("sim", "walk", "pipe"),
        ("sim",),
    ],
)
def test_bad_usage_exits_2(argv: tuple[str, ...]) -> None:
    line = one_line_error(cli(*argv), 2)
    assert "error" in line or "iochannels:" in line


CLIENT_SCENARIOS = [s.name for s in SCENARIOS if "clients" in s.defaults]


@pytest.mark.parametrize("action", ["run", "step"])
@pytest.mark.parametrize("name", CLIENT_SCENARIOS)
def test_more_clients_than_the_limit_is_bad_usage(name: str, action: str) -> None:
    """A trial's `sim run tcp-clients --param clients=100000` ran 10 minutes and took
    1.4 GB before it was killed: the clients have a limit, said before any work."""
    from iochannels.sim.scenarios.base import MAX_CLIENTS

    started = time.monotonic()
    line = one_line_error(cli("sim", action, name, "-p", f"clients={MAX_CLIENTS + 1}",
                              stdin="q\n"), 2)
    assert f"must be {MAX_CLIENTS:,} or less, not {MAX_CLIENTS + 1:,}" in line
    assert line.startswith(f"iochannels sim {action}: error: parameter clients of {name}")
    assert time.monotonic() - started < 30  # refused at once, not after building the run


def test_the_limit_itself_is_taken_and_documented() -> None:
    from iochannels.sim.scenarios import get
    from iochannels.sim.scenarios.base import MAX_CLIENTS

    assert len(CLIENT_SCENARIOS) == 4
    for name in CLIENT_SCENARIOS:  # the checks prepare(bounded=True) makes, without a run
        scenario = get(name)
        scenario.check_limits(scenario.params({"clients": MAX_CLIENTS}))
    readme = (ROOT / "README.md").read_text()
    assert f"`clients` up to {MAX_CLIENTS:,}" in readme


# -- step -------------------------------------------------------------------------------------


def test_step_with_a_terminal_advances_and_quits() -> None:
    child = pexpect.spawn(sys.executable, ["-m", "iochannels", "sim", "step", "pipe"],
                          cwd=str(ROOT), encoding="utf-8", timeout=30, dimensions=(50, 120))
    try:
        child.expect("start")
        child.expect(r"\[step 1/\d+\] Enter: next, q: quit")
        child.sendline("")
        child.expect(r"pipe\(.*\) = ")
        child.expect(r"\[step 2/\d+\]")
        child.sendline("")
        child.expect(r"fork\(.*\) = \d+")
        child.expect(r"\d+ child")  # the child's fd table appears after fork
        child.expect(r"\[step 3/\d+\]")
        child.sendline("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_step_reads_a_pipe_too() -> None:
    proc = cli("sim", "step", "pipe", stdin="\n\n\nq\n")
    assert proc.returncode == 0, proc.stderr
    assert "[step 4/" in proc.stdout and "[step 5/" not in proc.stdout
    assert "end of the run" not in proc.stdout


def test_step_starts_with_the_programs_fds() -> None:
    """Step 0, before the first call, shows the spawned process on the terminal."""
    proc = cli("sim", "step", "pipe", stdin="q\n")
    start = proc.stdout[proc.stdout.index("start\n"):proc.stdout.index("[step 1/")]
    assert "(no processes)" not in start and "100 parent" in start, start
    assert re.search(r"^ +0 +rw +chr .*/dev/tty$", start, re.M), start


def test_step_with_stdin_closed_ends_quietly() -> None:
    proc = subprocess.run([sys.executable, "-m", "iochannels", "sim", "step", "pipe"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, cwd=ROOT, check=False, preexec_fn=lambda: os.close(0))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "[step 1/" in proc.stdout


def test_ctrl_c_while_stepping_is_one_line_on_its_own() -> None:
    child = pexpect.spawn(sys.executable, ["-m", "iochannels", "sim", "step", "pipe"],
                          cwd=str(ROOT), encoding="utf-8", timeout=30, dimensions=(50, 120))
    try:
        child.expect(r"\[step 1/\d+\] Enter: next, q: quit ")
        child.sendintr()
        child.expect(pexpect.EOF)
        tail = child.before
    finally:
        child.close()
    assert child.exitstatus == 130 and "Traceback" not in tail
    assert re.search(r"^iochannels: interrupted", tail, re.M), repr(tail)


def test_ctrl_c_while_running_prints_no_warnings(tmp_path: Path) -> None:
    """Coroutines of programs never started would each warn as Python exits. A parent
    that forks forever (preempt 0: its children do not run before it blocks, and fork
    does not block) has thousands of them after 3 s. (It was tcp-clients with 200,000
    clients, refused now: clients are 1,000 at most.)"""
    forker = tmp_path / "forker.py"
    forker.write_text("async def child(p):\n    return 0\n\n\n"
                      "async def main(p):\n    while True:\n        await p.fork(child)\n")
    child = pexpect.spawn(sys.executable, ["-m", "iochannels", "sim", "run", str(forker),
                                           "-p", "max_procs=1000000",
                                           "--max-steps", "100000000"],
                          cwd=str(ROOT), encoding="utf-8", timeout=60)
    try:
        time.sleep(3)  # forking, never blocking
        child.sendintr()
        child.expect(pexpect.EOF)
        out = child.before
    finally:
        child.close(force=True)
    assert child.exitstatus == 130, out
    assert "RuntimeWarning" not in out and "never awaited" not in out, out


def test_step_to_the_end_shows_the_statuses() -> None:
    proc = cli("sim", "step", "blocking-epipe", stdin="\n" * 200)
    assert proc.returncode == 0, proc.stderr
    assert "end of the run" in proc.stdout
    assert "killed by SIGPIPE" in proc.stdout


def test_predict_shows_the_call_before_its_result() -> None:
    proc = cli("sim", "step", "redirect", "--predict", stdin="\n" * 4)
    assert proc.returncode == 0, proc.stderr
    asked = proc.stdout.index("open(")
    question = proc.stdout.index("= ?", asked)
    answer = re.search(r"open\(.*\) = 3", proc.stdout[question:])
    assert answer, proc.stdout


# -- the README section shows real output ------------------------------------------------------


def doc_block(after: str) -> str:
    """The first fenced block after the line containing ``after`` in docs/readme/sim.md."""
    text = (ROOT / "docs" / "readme" / "sim.md").read_text()
    rest = text[text.index(after):]
    start = rest.index("```\n") + 4
    return rest[start:rest.index("\n```", start)]


def test_the_readme_session_is_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(capsys, "sim", "run", "pipe")
    assert doc_block("A real run of `iochannels sim run pipe`") == out.rstrip("\n")


def test_the_readme_example_trace_is_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(capsys, "sim", "run", str(ROOT / "examples" / "hello_pipe.py"),
                         "--trace")
    block = doc_block("Run it with `iochannels sim run examples/hello_pipe.py`")
    assert block == "$ iochannels sim run examples/hello_pipe.py --trace\n" + out.rstrip("\n")


def test_the_readme_step_excerpt_is_real_output() -> None:
    proc = cli("sim", "step", "pipe", stdin="\n\n\nq\n")
    assert doc_block("`iochannels sim step pipe`, after the second Enter") in proc.stdout


def test_a_program_that_never_ends_is_stopped(tmp_path: Path) -> None:
    prog = tmp_path / "forever.py"
    prog.write_text("async def main(p):\n    fd = await p.open('/dev/null', 'w')\n"
                    "    while True:\n        await p.write(fd, b'x')\n")
    proc = cli("sim", "run", str(prog), "--max-steps", "300")
    assert proc.returncode == 0, proc.stderr
    assert "stopped after 300 calls" in proc.stdout
    assert proc.stdout.count("forever  (running)") == 1  # the end is the busiest picture
