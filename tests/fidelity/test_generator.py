"""The generator reaches the areas that hand-written cases found first, and says so."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from fidelitykit import DrawChooser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iochannels.fidelity import compare
from iochannels.fidelity.generate import random_script, script_from
from iochannels.fidelity.linux import LinuxRunner
from iochannels.fidelity.script import CALLS, PATHS, TRUNC, Op

ROOT = Path(__file__).resolve().parents[2]


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_unix_datagram_scripts_agree_with_linux(linux: LinuxRunner, data: st.DataObject) -> None:
    chooser = DrawChooser(data)
    script = script_from(chooser, chooser.integer(3, 30), dgram=True)
    difference, _, _ = compare(script, linux)
    assert difference is None, str(difference)


def _features(op: Op, before: list[Op]) -> set[str]:
    """What an op exercises of the areas the generator once missed."""
    found = set()
    match op.call, op.args:
        case "open", (path, 0, flags) if flags & TRUNC:
            found.add("O_RDONLY|O_TRUNC")
        case "lseek", (_, _, whence) if whence >= 3:
            found.add(f"whence {whence}")
        case "bind", (_, path) if PATHS[path] == "":
            found.add("autobind")
        case "connect", (fd, _) if any(o.call == "connect" and o.proc == op.proc
                                       and o.args[0] == fd for o in before):
            found.add("re-connect")
        case ("send" | "sendto"), _ if any(o.call == "close" for o in before[14:]):
            found.add("send after a close")
        case "wait_status", _ if any(o.call == "exit" and not 0 <= o.args[0] <= 255
                                     for o in before):
            found.add("a wait after an exit status outside 0..255")
    if op.call in ("open", "mkfifo") and "/" in PATHS[op.args[0]]:
        found.add(PATHS[op.args[0]])
    if op.call == "fork" and sum(o.call == "fork" for o in before) == 1:
        found.add("three processes")
    return found


def test_the_generator_draws_every_area() -> None:
    rng = random.Random(5)
    seen: Counter[str] = Counter()
    for _ in range(800):  # plain scripts are a third of them: enough to see each area
        steps = random_script(rng).steps
        for i, op in enumerate(steps):
            seen.update(_features(op, list(steps[:i])))
    for feature in ("O_RDONLY|O_TRUNC", "whence 3", "whence 4", "whence 5", "autobind",
                    "re-connect", "send after a close", "./f1", "f0/x", "three processes",
                    "a wait after an exit status outside 0..255"):
        assert seen[feature] >= 3, (feature, seen)


def test_check_counts_the_steps_of_each_call() -> None:
    proc = subprocess.run([sys.executable, "-m", "iochannels", "sim", "check", "-n", "25",
                           "--json"], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    calls = report["calls"]
    assert sum(calls.values()) == report["steps"]  # every compared step, once
    assert calls["socket"] > 0 and set(calls) <= set(CALLS)  # the script format's calls
    text = subprocess.run([sys.executable, "-m", "iochannels", "sim", "check", "-n", "25"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert "steps per call" in text.stdout
    assert re.search(rf"^ +socket +{calls['socket']:,}$", text.stdout, re.M), text.stdout


def test_every_simplification_is_in_the_readme() -> None:
    from iochannels.fidelity import SIMPLIFICATIONS

    readme = (ROOT / "README.md").read_text()
    for simplification in SIMPLIFICATIONS:
        assert f"| `{simplification.name}` |" in readme, simplification.name
