"""The import direction of docs/design.md, checked by the import contracts in pyproject.toml."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([lint], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" not in done.stdout.lower().replace("0 broken", "")


def _picture(design: str) -> list[list[str]]:
    """The layers drawn in docs/design.md, bottom first: one list of package names per line."""
    block = design.split("## Which way dependencies point", 1)[1].split("```")[1]
    lines = [line.strip().removeprefix("<-").split("  ")[0] for line in block.splitlines()]
    return [[name.strip() for name in re.split(r"[|,]", line)] for line in lines if line]


def test_the_contract_draws_the_picture_of_docs_design() -> None:
    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["type"] == "layers")
    layers = [[name.strip(" ()").removeprefix("iochannels.") for name in layer.split("|")]
              for layer in reversed(contract["layers"])]
    assert layers == _picture((root / "docs" / "design.md").read_text(encoding="utf-8"))
    for layer in contract["layers"]:  # only a layer in parentheses may be missing
        for name in (n.strip() for n in layer.split("|") if not n.strip().startswith("(")):
            package = root / "src" / Path(*name.split("."))
            assert package.is_dir() or package.with_suffix(".py").is_file(), name
