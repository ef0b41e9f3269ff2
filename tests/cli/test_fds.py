"""`iochannels fds` and `iochannels graph` as a user runs them: exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def iochannels(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "iochannels", *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


@pytest.fixture
def sleep_cat() -> Iterator[tuple[int, int]]:
    """`sleep 100 | cat`, built by hand: (sleep's pid, cat's pid)."""
    sleep = subprocess.Popen(["sleep", "100"], stdout=subprocess.PIPE)
    cat = subprocess.Popen(["cat"], stdin=sleep.stdout, stdout=subprocess.DEVNULL)
    assert sleep.stdout is not None
    sleep.stdout.close()
    try:
        yield sleep.pid, cat.pid
    finally:
        for proc in (sleep, cat):
            proc.kill()
            proc.wait()


def one_line_error(result: subprocess.CompletedProcess[str], status: int, words: str) -> None:
    assert result.returncode == status, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def test_unknown_pid_is_exit_1() -> None:
    one_line_error(iochannels("fds", "4194303"), 1, "no process 4194303")


def test_not_a_pid_is_exit_2() -> None:
    one_line_error(iochannels("fds", "12ab"), 2, "not a process id")


def test_bad_range_is_exit_2() -> None:
    one_line_error(iochannels("fds", str(os.getpid()), "-d", "7-3"), 2, "bad fd range")


def test_unknown_name_is_exit_1() -> None:
    one_line_error(iochannels("fds", "--name", "no-such-program-xyz"), 1, "no process named")


def test_nothing_asked_is_exit_2() -> None:
    one_line_error(iochannels("fds"), 2, "give a PID, --name NAME or --all")


def test_bad_kind_is_exit_2() -> None:
    result = iochannels("fds", "1", "--kind", "teapot")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_table_names_the_other_end(sleep_cat: tuple[int, int]) -> None:
    sleep, cat = sleep_cat
    result = iochannels("fds", str(cat), "-d", "0")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    fd0 = next(r for r in rows if r[:4] == ["0", "r", "pipe", "stream"])
    assert fd0[5:8] == [str(sleep), "sleep", "fd1"]
    assert "1 fd: 1 pipe" in result.stdout


def test_json_follows_the_schema(sleep_cat: tuple[int, int]) -> None:
    sleep, cat = sleep_cat
    result = iochannels("fds", str(sleep), str(cat), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == "iochannels/snapshot/1" and doc["source"] == "live"
    assert [p["pid"] for p in doc["processes"]] == [sleep, cat]
    out = next(f for f in doc["processes"][0]["fds"] if f["fd"] == 1)
    inp = next(f for f in doc["processes"][1]["fds"] if f["fd"] == 0)
    assert out["channel"] == inp["channel"] and (out["access"], inp["access"]) == ("w", "r")
    pipe = doc["channels"][out["channel"]]
    assert pipe["kind"] == "pipe" and pipe["buffers"][0]["role"] == "pipe"
    schema = Path(__file__).resolve().parents[2] / "schemas" / "snapshot.schema.json"
    if schema.exists():
        import jsonschema

        jsonschema.validate(doc, json.loads(schema.read_text()))


def test_json_is_format_json(sleep_cat: tuple[int, int]) -> None:
    """--json and --format json print the same document, in the same layout."""
    sleep, _ = sleep_cat
    short, long = (iochannels("fds", str(sleep), "-d", "0-2", *opts)
                   for opts in (["--json"], ["--format", "json"]))
    assert short.returncode == long.returncode == 0
    assert short.stdout.startswith('{\n  "channels": ')
    docs = [json.loads(r.stdout) for r in (short, long)]
    for doc in docs:
        del doc["taken_at"]
    assert docs[0] == docs[1]


def test_summary_and_kind_filter(sleep_cat: tuple[int, int]) -> None:
    _, cat = sleep_cat
    result = iochannels("fds", str(cat), "--kind", "pipe", "--summary")
    assert result.returncode == 0
    assert re.fullmatch(rf"{cat} cat: \d+ fds?: \d+ pipes?( in \d+ pairs?)?\n", result.stdout)


def test_graph_line_per_link(sleep_cat: tuple[int, int]) -> None:
    sleep, cat = sleep_cat
    result = iochannels("graph", str(sleep), str(cat))
    assert result.returncode == 0
    assert re.search(rf"^{sleep} sleep fd1 --pipe:\[\d+\]--> {cat} cat fd0$", result.stdout,
                     re.M), result.stdout
    doc = json.loads(iochannels("graph", str(cat), "--json").stdout)
    assert doc["processes"][0]["pid"] == cat


def test_graph_unknown_pid() -> None:
    one_line_error(iochannels("graph", "4194303"), 1, "no process 4194303")


def test_watch_ends_cleanly_on_ctrl_c(sleep_cat: tuple[int, int]) -> None:
    _, cat = sleep_cat
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    watch = subprocess.Popen([sys.executable, "-m", "iochannels", "fds", str(cat), "--watch",
                              "0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert watch.stdout is not None
        ready, _, _ = select.select([watch.stdout], [], [], 30)
        assert ready, "no frame drawn"
        first = watch.stdout.read1(65536)
        assert str(cat).encode() in first
        time.sleep(0.3)
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=30)
        assert watch.returncode == 0 and b"Traceback" not in err
    finally:
        watch.kill()
        watch.wait()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("--watch", "nan"), "--watch needs a number of seconds above 0"),
        (("--watch", "inf"), "--watch needs a number of seconds above 0"),
        (("--watch", "1e9"), "below 1000000"),  # the limit it broke, not "positive"
        (("-d", ""), "bad fd range"),
        (("-d", "\u00b2"), "bad fd range"),  # "²".isdigit(), but no PID or fd is written so
        (("-d", "0-\uff11"), "bad fd range"),
        (("--summary", "--json"), "--summary prints counts as text"),
        (("--summary", "--format", "svg"), "--summary prints counts as text"),
    ],
)
def test_bad_option_values_are_exit_2(argv: tuple[str, ...], words: str) -> None:
    one_line_error(iochannels("fds", str(os.getpid()), *argv), 2, words)


@pytest.mark.parametrize("pid", ["\u00b2", "\uff11"])  # int() refuses "²" and reads "１" as 1
def test_a_non_ascii_digit_is_not_a_pid(pid: str) -> None:
    one_line_error(iochannels("fds", pid), 2, "not a process id")


def test_an_empty_name_matches_nothing() -> None:
    """Kernel threads have no argv[0]: "" would have matched every one of them."""
    from iochannels import live

    assert live.pids_by_name("") == []
    one_line_error(iochannels("fds", "--name", ""), 2, "--name needs a command name")


def test_a_full_disk_is_a_one_line_failure(sleep_cat: tuple[int, int]) -> None:
    _, cat = sleep_cat
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "iochannels", "fds", str(cat)],
                                stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                                timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr == "iochannels: cannot write the output: No space left on device\n"


def test_stdout_closed_is_a_one_line_failure(sleep_cat: tuple[int, int]) -> None:
    _, cat = sleep_cat
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "iochannels", "fds", str(cat)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env, timeout=60, check=False, preexec_fn=lambda: os.close(1))
    assert result.returncode == 1 and "stdout is closed" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_graph_of_one_pid_draws_the_other_end(sleep_cat: tuple[int, int]) -> None:
    """The text names cat at the other end of sleep's pipe; the pictures must draw it too."""
    sleep, cat = sleep_cat
    text = iochannels("graph", str(sleep)).stdout
    assert re.search(rf"^{sleep} sleep fd1 --pipe:\[\d+\]--> {cat} cat fd0$", text, re.M), text
    for fmt, mark in (("dot", f"<b>{cat} cat</b>"), ("mermaid", f'p{cat}["{cat} cat"]'),
                      ("svg", f'data-pid="{cat}"')):
        drawn = iochannels("graph", str(sleep), "--format", fmt)
        assert drawn.returncode == 0 and mark in drawn.stdout, (fmt, drawn.stdout[:2000])


@pytest.mark.parametrize("command", ["fds", "graph"])
def test_json_with_another_format_is_exit_2(command: str) -> None:
    """--json used to win silently over --format svg: the user got the other document."""
    one_line_error(iochannels(command, str(os.getpid()), "--json", "--format", "svg"), 2,
                   "contradict each other")


def test_a_missing_pid_does_not_hide_the_others(sleep_cat: tuple[int, int]) -> None:
    """As ls and lsof -p: what exists is shown, what does not is said; exit status 1."""
    sleep, _ = sleep_cat
    result = iochannels("fds", str(sleep), "4194303")
    assert result.returncode == 1
    assert f"{sleep} sleep" in result.stdout and "pipe:[" in result.stdout
    assert result.stderr == "iochannels: no process 4194303\n"


def test_a_thread_id_is_not_a_process() -> None:
    """/proc/TID exists for every thread (proc(5)); fds must not list one as a process."""
    code = "import threading, sys; t = threading.Thread(target=sys.stdin.read); t.start()"
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while len(os.listdir(f"/proc/{child.pid}/task")) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        tid = max(int(t) for t in os.listdir(f"/proc/{child.pid}/task"))
        one_line_error(iochannels("fds", str(tid)), 1,
                       f"{tid} is a thread of process {child.pid}, not a process")
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


def test_every_process_leaves_out_kernel_threads() -> None:
    """lsof lists no kernel thread: they hold no fds, an empty table header says nothing."""
    kthreads = [p for p in os.listdir("/proc") if p.isdigit() and _is_kthread(int(p))]
    if not kthreads:
        pytest.skip("no kernel thread visible here (a container's pid namespace)")
    result = iochannels("fds", "--all", "--json")
    listed = {p["pid"] for p in json.loads(result.stdout)["processes"]}
    assert not listed & {int(p) for p in kthreads}


def _is_kthread(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return False
    return bool(int(stat.rsplit(")", 1)[1].split()[6]) & 0x00200000)  # PF_KTHREAD


def test_graph_of_every_process_leaves_itself_out() -> None:
    """As pgrep does: the inspector's own fds (/proc reads, sock_diag) are no one's channel."""
    argv = [sys.executable, "-m", "iochannels", "graph", "--json", "--all"]
    result = iochannels(*argv[3:])
    assert result.returncode == 0
    listed = json.loads(result.stdout)["processes"]
    assert os.getpid() in {p["pid"] for p in listed}  # every process: the test's own too
    assert not [p for p in listed if p["argv"] == argv]
