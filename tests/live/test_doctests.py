"""The parsers' docstring examples are tests too (psutil style)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["classify", "netfiles", "procfs", "states"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"iochannels.live.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_cli_and_render_examples() -> None:
    for name in ("iochannels.cli.fds", "iochannels.render.text"):
        result = doctest.testmod(importlib.import_module(name))
        assert result.attempted > 0 and result.failed == 0, name
