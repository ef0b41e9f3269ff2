"""The demos' child programs: started by passing the function, named in ps as what they do."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need_program
from iochannels.demos import children
from iochannels.demos.children import echo, shell
from iochannels.demos.children.__main__ import find
from iochannels.demos.processes import program, start, wait_stopped
from iochannels.demos.registry import get
from iochannels.demos.stage import staged


def _programs() -> list[tuple[str, object]]:
    """Every public function of every module of the children package, by its own __all__."""
    found = []
    for module in pkgutil.iter_modules(children.__path__):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{children.__name__}.{module.name}")
        found += [(f"{module.name}.{n}", getattr(loaded, n)) for n in loaded.__all__
                  if inspect.isfunction(getattr(loaded, n))]
    return found


def test_the_command_line_names_the_function_and_finds_it_again() -> None:
    argv = program(echo.server, "tcp", "0")
    assert argv == [sys.executable, "-m", "iochannels.demos.children", "echo.server", "tcp", "0"]
    for name, function in _programs():
        spec = program(function)[3]  # type: ignore[arg-type]
        assert spec == name
        assert find(spec) is function


def test_a_function_outside_the_children_is_refused() -> None:
    with pytest.raises(AssertionError, match=r"is not in iochannels\.demos\.children"):
        program(test_a_function_outside_the_children_is_refused)


@pytest.mark.parametrize("argv", [[], ["echo"], ["nosuch.server"], ["echo.nothing"],
                                  ["echo.HOST"], ["../x.y"]])
def test_an_unknown_program_is_one_line_and_status_2(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "iochannels.demos.children", *argv],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: python -m iochannels.demos.children MODULE.FUNCTION")
    assert len(done.stderr.splitlines()) == 1 and done.stdout == ""


def test_ps_shows_the_programs_name_and_its_function(tmp_path: Path) -> None:
    ps = need_program("ps")
    with staged(get("redirect-stdout")) as stage:
        child = start(stage, program(shell.redirect, str(tmp_path / "out.txt"), "hi"),
                      stderr=subprocess.PIPE)
        wait_stopped(child.pid, "the redirector", child.stderr)  # stopped after its open(2)
        comm, args = (subprocess.run([ps, "-ww", "-o", f"{column}=", "-p", str(child.pid)],
                                     capture_output=True, text=True, check=True).stdout.strip()
                      for column in ("comm", "args"))
        assert Path(f"/proc/{child.pid}/comm").read_text() == "redirector\n"
    assert comm == "redirector"
    assert args.endswith(f"-m iochannels.demos.children shell.redirect {tmp_path}/out.txt hi")
