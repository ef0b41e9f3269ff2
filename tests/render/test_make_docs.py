"""`make docs` (scripts/make_docs.py) writes the README's pictures from real and simulated runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_docs.py"


@pytest.mark.slow
def test_make_docs_writes_every_picture(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path), "--no-png"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("live-pipeline.svg", "live-redirection.svg", "live-tcp.svg",
                 "live-tcp-graph.svg", "sim-tcp-sequence.svg", "sim-tcp-walkthrough.html",
                 "sim-pipe-walkthrough.html", "sim-pipe-operator.svg"):
        assert (tmp_path / name).stat().st_size > 1000, name
    views = (tmp_path / "readme" / "views.md").read_text()
    assert "```mermaid\nflowchart LR" in views and "```mermaid\nsequenceDiagram" in views
    live_pipe = (tmp_path / "live-pipeline.svg").read_text()
    assert "  sleep</text>" in live_pipe and "  cat</text>" in live_pipe  # the two programs
