"""Run one demo by name: import its module lazily, stage it, let listeners watch, return its result.

The command line (``iochannels demo NAME``) and the tour both come through
here. A demo's expected failures are :class:`IoChannelsError`; an ``OSError``
from a system call the demo did not expect is turned into one, with the
demo's name, so that the user sees one line and never a traceback. Whatever
happens, :func:`staged` has removed what the demo made before this returns.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from iochannels.demos.registry import get
from iochannels.demos.stage import Block, DemoInfo, DemoResult, Listener, Show, Stage, staged
from iochannels.errors import IoChannelsError
from iochannels.model import Walkthrough

__all__ = ["load", "run_demo", "scenario_walkthrough", "sim_walkthrough"]

DemoFunction = Callable[[Stage], None]


def load(info: DemoInfo) -> DemoFunction:
    """The demo's ``run(stage)`` function, importing its module only now."""
    try:
        module = importlib.import_module(info.module)
    except ModuleNotFoundError as exc:
        if exc.name != info.module:
            raise
        raise IoChannelsError(f"demo {info.name}: {info.module} is not built yet") from exc
    function = getattr(module, info.function, None)
    if not callable(function):
        raise IoChannelsError(f"demo {info.name}: {info.module}.{info.function} is not built yet")
    return function  # type: ignore[no-any-return]


def run_demo(
    demo: str | DemoInfo,
    *,
    quick: bool = False,
    options: Mapping[str, Any] | None = None,
    listeners: Iterable[Listener] = (),
    svg_dir: Path | None = None,
) -> DemoResult:
    """Run one demo on real processes; everything it made is gone when this returns."""
    info = get(demo) if isinstance(demo, str) else demo
    function = load(info)
    with staged(info, quick=quick, options=dict(options or {}), listeners=list(listeners)) as stage:
        if svg_dir is not None:
            stage.listeners.append(SvgWriter(stage, svg_dir))
        try:
            function(stage)
        except OSError as exc:
            raise IoChannelsError(f"demo {info.name}: {_os_error(exc)}") from exc
        return stage.result()


def _os_error(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


class SvgWriter:
    """A listener writing each Show step as ``NN-<demo>.svg`` into a directory (--svg DIR)."""

    def __init__(self, stage: Stage, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.stage, self.directory, self.count = stage, directory, 0

    def __call__(self, block: Block) -> None:
        if not isinstance(block, Show):
            return
        from iochannels.render import render_snapshot

        self.count += 1
        path = self.directory / f"{self.count:02d}-{self.stage.info.name}.svg"
        path.write_text(render_snapshot(block.step.snapshot, "svg"), encoding="utf-8")
        self.stage.files.append(path)


def sim_walkthrough(info: DemoInfo, seed: int = 0) -> Walkthrough:
    """The demo's simulated twin (``--sim``): the scenario run on the simulated kernel."""
    if info.sim is None:
        raise IoChannelsError(f"demo {info.name} has no simulated twin")
    return scenario_walkthrough(info.sim, seed)


def scenario_walkthrough(name: str, seed: int = 0) -> Walkthrough:
    """One simulator scenario, run to its end, as steps a view can page through."""
    from iochannels.sim.scenarios import get as get_scenario
    from iochannels.sim.scenarios import run_scenario

    scenario = get_scenario(name)
    run = run_scenario(name, seed=seed)
    return run.walkthrough(f"{scenario.title} (simulated)", scenario.watch)
