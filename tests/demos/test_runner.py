"""The runner: lazy import, listeners, cleanup on error, one-line errors, --svg, --sim."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from iochannels.demos import runner
from iochannels.demos.stage import Block, DemoInfo, Say, Stage
from iochannels.errors import IoChannelsError, NotFound

FAKE = "iochannels_fake_demo_module"


@pytest.fixture
def fake_module() -> Iterator[types.ModuleType]:
    module = types.ModuleType(FAKE)
    sys.modules[FAKE] = module
    yield module
    del sys.modules[FAKE]


def info(function: str = "run", sim: str | None = None) -> DemoInfo:
    return DemoInfo("fake", 4, "A fake demo", "for tests", FAKE, function, sim)


def test_listeners_see_every_block_and_the_result_holds_facts(
        fake_module: types.ModuleType) -> None:
    def run(stage: Stage) -> None:
        stage.say("hello")
        stage.fact("answer", 42)

    fake_module.run = run  # type: ignore[attr-defined]
    seen: list[Block] = []
    result = runner.run_demo(info(), listeners=[seen.append], options={"x": 1})
    assert seen == [Say("hello")]
    assert result.facts == {"answer": 42}


def test_cleanup_runs_when_the_demo_fails(fake_module: types.ModuleType) -> None:
    made: list[Path] = []

    def run(stage: Stage) -> None:
        made.append(stage.workdir)
        (stage.workdir / "f").write_text("x")
        (stage.workdir / "missing" / "f").read_text()  # an OSError the demo did not expect

    fake_module.run = run  # type: ignore[attr-defined]
    with pytest.raises(IoChannelsError, match=r"demo fake: No such file or directory \(.*f\)"):
        runner.run_demo(info())
    assert not made[0].exists()


def test_a_missing_function_or_module_is_one_line() -> None:
    with pytest.raises(IoChannelsError, match="is not built yet"):
        runner.run_demo(DemoInfo("x", 4, "x", "x", "iochannels.demos.no_such_module"))
    with pytest.raises(NotFound, match="no demo named 'nope'"):
        runner.run_demo("nope")


def test_svg_dir_writes_one_file_per_picture(tmp_path: Path) -> None:
    result = runner.run_demo("redirect-stdout", quick=True, svg_dir=tmp_path)
    assert len(result.files) == 3
    assert all(p.read_text().lstrip().startswith("<") for p in result.files)


def test_sim_without_a_twin_is_an_error() -> None:
    with pytest.raises(IoChannelsError, match="no simulated twin"):
        runner.sim_walkthrough(info(sim=None))
