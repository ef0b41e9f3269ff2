"""README.md is the assembly of docs/readme/*.md, and its commands exist."""

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_is_the_assembly_of_its_parts() -> None:
    build = runpy.run_path(str(ROOT / "scripts" / "build_readme.py"))
    assert (ROOT / "README.md").read_text(encoding="utf-8") == build["assemble"](), (
        "README.md is out of date: run `make readme`"
    )


def test_readme_gives_the_two_commands_and_every_command_it_names_has_help() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make tour" in text and "make test" in text
    for command in ("fds", "graph", "sim", "demo", "tour"):
        assert f"iochannels {command}" in text
        done = subprocess.run(
            [sys.executable, "-m", "iochannels", command, "--help"],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
