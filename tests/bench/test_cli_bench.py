"""`iochannels bench` as a user runs it: JSON that its schema accepts, a run with no
compiler that says so, plots that parse, usage errors in one line, Ctrl-C that leaves
nothing behind."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import SETTLE_SECONDS, descendants, session_members
from iochannels.bench.environment import describe
from iochannels.bench.plot import svg_plot
from iochannels.bench.results import Latency, Report, Settings, Throughput
from iochannels.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "bench.schema.json").read_text())
SMALL = ["bench", "--quick", "--kind", "pipe", "--kind", "udp", "--sizes", "64,4K",
         "--latency-sizes", "100", "--reps", "1", "--rounds", "20"]


def _run_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main([*SMALL, *extra, "--json"]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    return doc


def test_json_validates_and_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run_json(capsys)
    rows = {(t["kind"], t["impl"], t["size"]): t for t in doc["throughput"]}
    for size in (64, 4096):
        pipe = rows["pipe", "python", size]
        assert pipe["messages"]["lost"] == 0
        assert sum(r["bytes"] for r in pipe["repetitions"]) == pipe["messages"]["received"] * size
        assert ("memcpy", "python", size) in rows
        udp = rows["udp", "python", size]
        m = udp["messages"]
        assert m["lost"] == m["sent"] - m["received"] >= 0
    assert {lat["kind"] for lat in doc["latency"]} == {"pipe", "udp"}
    for lat in doc["latency"]:
        assert lat["rounds"] + lat["lost"] == 20
    if doc["environment"]["compiler"]:  # with a C reference, every Python figure has a ratio
        for t in doc["throughput"]:
            if t["impl"] == "python" and t["kind"] != "memcpy":
                assert (t["kind"], "c", t["size"]) in rows
                assert t["ratio_to_c"] > 0 and t["ratio_to_memcpy"] > 0


def test_buffer_and_pin_are_applied_and_stated(capsys: pytest.CaptureFixture[str]) -> None:
    """--buffer 128K: pipe(7) F_SETPIPE_SZ gives 128 KiB; socket(7) doubles SO_RCVBUF."""
    cpus = sorted(os.sched_getaffinity(0))
    pin = f"{cpus[0]},{cpus[-1]}"
    doc = _run_json(capsys, "--buffer", "128K", "--pin", pin)
    assert doc["settings"]["buffer"] == 131072
    assert doc["settings"]["pin"] == [cpus[0], cpus[-1]]
    got = {t["kind"]: t["buffer"] for t in doc["throughput"] if t["impl"] == "python"}
    assert got["pipe"] == 131072
    assert got["udp"] == 2 * 131072


def _no_cc_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CC", "IOCHANNELS_NO_CC")}
    return env | {"PATH": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path), **extra}


@pytest.mark.parametrize("how", ["no cc on PATH", "IOCHANNELS_NO_CC=1"])
def test_runs_without_a_compiler_and_says_so(tmp_path: Path, how: str) -> None:
    env = _no_cc_env(tmp_path, **({"IOCHANNELS_NO_CC": "1"} if "=" in how else {}))
    if "=" in how:
        env["PATH"] = os.environ.get("PATH", "")
    done = subprocess.run([sys.executable, "-m", "iochannels", *SMALL], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    reason = "no C compiler (cc) on PATH" if "PATH" in how else "IOCHANNELS_NO_CC=1"
    assert f"no C reference: {reason}" in " ".join(done.stdout.split())
    assert "C reference: none" in done.stdout
    done = subprocess.run([sys.executable, "-m", "iochannels", *SMALL, "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["environment"]["compiler"] is None
    assert {t["impl"] for t in doc["throughput"]} == {"python"}
    assert all(t["ratio_to_c"] is None for t in doc["throughput"])
    assert all(t["ratio_to_memcpy"] for t in doc["throughput"] if t["kind"] != "memcpy")


def _report() -> Report:
    settings = Settings(quick=True, sizes=(64, 4096), latency_sizes=(100,),
                        kinds=("pipe", "tcp"), reps=2, rounds=3, buffer=None, pin=None)
    thr = tuple(Throughput(kind, impl, size, (0.01, 0.02), (size * 1000,) * 2, 2000, 2000)
                for kind in ("memcpy", "pipe", "tcp") for impl in ("python", "c")
                for size in (64, 4096))
    lat = tuple(Latency(kind, impl, 100, (5000, 6000, 90000)) for kind in ("pipe", "tcp")
                for impl in ("python", "c"))
    return Report(settings, describe(None), thr, lat, ("a <note> & [red]markup[/red]",))


def test_a_saved_report_comes_back(tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """--json then --load: the same figures, ratios and percentiles (rounds aside: the
    samples themselves are not saved)."""
    from iochannels.bench.jsondoc import report_from_dict, report_to_dict

    first = report_to_dict(_report())
    again = report_to_dict(report_from_dict(json.loads(json.dumps(first))))
    for doc in (first, again):
        for lat in doc["latency"]:
            del lat["rounds"]
    assert again == first
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps(report_to_dict(_report())))
    assert main(["bench", "--load", str(saved)]) == 0
    assert "a <note> & [red]markup[/red]" in capsys.readouterr().out


def test_svg_plot_parses_and_draws_every_line() -> None:
    root = ET.fromstring(svg_plot(_report()))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert sorted(titles) == sorted(f"{k} ({i})" for k in ("memcpy", "pipe", "tcp")
                                    for i in ("python", "c"))


def test_plot_files_from_a_run(tmp_path: Path) -> None:
    """In a process of its own: matplotlib keeps its font files open once it has drawn."""
    pytest.importorskip("matplotlib")
    svg, png = tmp_path / "b.svg", tmp_path / "b.png"
    for target in (svg, png):
        done = subprocess.run([sys.executable, "-m", "iochannels", *SMALL, "--plot",
                               str(target)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    ET.parse(svg)
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    assert width > 100 and height > 100
    import matplotlib.image

    assert matplotlib.image.imread(png).shape[:2] == (height, width)


@pytest.mark.parametrize("argv", [
    ["--plot", "bench.txt"], ["--pin", "0,4096"], ["--pin", "x"], ["--sizes", "0"],
    ["--sizes", "4Q"], ["--kind", "carrier-pigeon"], ["--reps", "0"],
    ["--plot", "/no/such/dir/b.svg"], ["--load", "/proc/self/status"],
])
def test_bad_usage_is_one_line_and_status_2(argv: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    try:  # argparse's own errors exit; ours return the status from main
        status = main(["bench", "--quick", *argv])
    except SystemExit as stop:
        status = stop.code  # type: ignore[assignment]
    assert status == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize("whole_group", [False, True], ids=["kill -INT pid", "Ctrl-C"])
def test_interrupt_leaves_nothing(whole_group: bool, tmp_path: Path) -> None:
    """SIGINT to the bench alone (it must end its children) or to its process group, as
    a terminal's Ctrl-C sends it: exit 130, one line, no process, FIFO or file left."""
    bench = subprocess.Popen([sys.executable, "-m", "iochannels", "bench"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (started := descendants(bench.pid)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started, "the bench never started a measuring process"
        time.sleep(0.3)
        if whole_group:
            os.killpg(bench.pid, signal.SIGINT)
        else:
            bench.send_signal(signal.SIGINT)
        assert bench.wait(60) == 130
    finally:
        bench.kill()
        bench.wait()
        assert bench.stderr is not None
        err = bench.stderr.read().decode()
        bench.stderr.close()
    assert err.strip() == "iochannels: interrupted"
    deadline = time.monotonic() + SETTLE_SECONDS
    while (left := session_members(bench.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes left behind: {left}"


def test_text_from_the_machine_is_data_not_markup() -> None:
    """A CPU name or sysctl with markup brackets and terminal escapes is shown as text."""
    from dataclasses import replace

    from rich.console import Console

    from iochannels.bench.table import report_view

    report = _report()
    hostile = "[red]EPYC[/red] \x1b[31mred\x1b[0m [link=http://x]y"
    env = replace(report.environment, cpu=hostile, socket_defaults={"net.x": "[bold]1"})
    console = Console(record=True, width=200, color_system="truecolor", force_terminal=True)
    console.print(report_view(replace(report, environment=env)))
    plain = console.export_text()
    assert "[red]EPYC[/red]" in plain and "[link=http://x]y" in plain
    assert "net.x [bold]1" in plain
    assert "\x1b[31mred" not in console.export_text(styles=True)
