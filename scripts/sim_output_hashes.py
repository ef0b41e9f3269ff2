"""Hash what `iochannels sim run` writes for every scenario in every format.

A refactoring of the simulator must not change a byte of its outputs: record the
hashes before, compare after::

    .venv/bin/python scripts/sim_output_hashes.py > before.txt
    ... change the code ...
    .venv/bin/python scripts/sim_output_hashes.py | diff before.txt -

Each scenario runs with its defaults and with a second seed and preemption (so
that interleavings are covered too), plus the example programs of ``examples/``.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

from iochannels.cli import main
from iochannels.sim.scenarios import SCENARIOS

FORMATS = ("text", "svg", "html", "mermaid", "dot", "json")
EXTRA = ("--trace", "--json")
ROOT = Path(__file__).resolve().parent.parent


def targets() -> list[list[str]]:
    runs = []
    for s in SCENARIOS:
        runs.append([s.name])
        runs.append([s.name, "-s", "3", "-p", "preempt=40"])
    runs.extend([str(path)] for path in sorted((ROOT / "examples").glob("*.py")))
    return runs


def digest(argv: list[str], out: Path) -> str:
    out.unlink(missing_ok=True)
    status = main([*argv, "-o", str(out)])
    data = out.read_bytes() if out.exists() else b""
    return f"{status} {hashlib.sha256(data).hexdigest()[:16]}"


def _label(target: list[str]) -> str:
    return " ".join(target).replace(f"{ROOT}/", "")


def main_() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        for target in targets():
            for fmt in FORMATS:
                line = digest(["sim", "run", *target, "--format", fmt], out)
                print(_label(target), fmt, line, flush=True)
            for extra in EXTRA:
                line = digest(["sim", "run", *target, extra], out)
                print(_label(target), extra, line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main_())
