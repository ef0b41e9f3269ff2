"""What every demo is given and what it gives back.

A demo is a function ``run(stage: Stage) -> None`` in a module of this package,
described by a :class:`DemoInfo`. It starts real processes and channels, and
tells what happens through the stage: ``say`` (narration), ``show`` (the fd
tables at a moment that matters, a live Snapshot), ``table``, ``code`` (a trace
excerpt, a command line), ``fact`` (machine-readable results, for ``--json``
and for the tests). It never prints: whoever runs the demo listens to the
stage (the console printer, the tour's report).

Everything a demo makes is registered with ``stage.defer`` as soon as it
exists, so that ``Stage.close`` removes it in reverse order on success, on
error and on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iochannels.model import Snapshot, Step, Walkthrough

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = [
    "Block",
    "Code",
    "DemoInfo",
    "DemoResult",
    "Say",
    "Show",
    "Stage",
    "Table",
    "staged",
]

# unix(7): a socket's path name lives in sun_path, 108 bytes with its terminating null byte;
# a longer one fails with "AF_UNIX path too long". Room for the names the demos bind:
SUN_PATH_MAX = 108
SOCKET_NAME_ROOM = 16  # server.sock, client.sock, app.sock


@dataclass(frozen=True, slots=True)
class DemoInfo:
    name: str  # kebab-case, the command's argument: `iochannels demo pipe-operator`
    section: int  # the lecture section, 0 .. 6
    title: str  # one line
    summary: str  # what the audience is meant to see (docs/readme/demos-*.md), two or three lines
    module: str  # dotted module path holding `run(stage)`, imported lazily
    function: str = "run"
    sim: str | None = None  # the simulator scenario that is its twin, for --sim


@dataclass(frozen=True, slots=True)
class Say:
    text: str  # a paragraph of narration, plain words


@dataclass(frozen=True, slots=True)
class Show:
    step: Step  # a live snapshot with its caption (and the event that led to it, if any)


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # How a terminal draws it, where the table has its own column settings (the bench's
    # tables keep every word whole at 80 columns); None: the printer's plain table. The
    # report and --json read the title, columns and rows alone.
    view: RenderableType | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Code:
    title: str
    text: str  # a command line, a trace excerpt, a program's output: shown verbatim


Block = Say | Show | Table | Code
Listener = Callable[[Block], None]


@dataclass(frozen=True, slots=True)
class DemoResult:
    info: DemoInfo
    blocks: tuple[Block, ...]
    facts: Mapping[str, Any]
    files: tuple[Path, ...] = ()  # pictures the demo wrote where asked (plots, --svg DIR)

    @property
    def walkthrough(self) -> Walkthrough:
        """The demo's live snapshots as steps a view can page through."""
        steps = tuple(b.step for b in self.blocks if isinstance(b, Show))
        return Walkthrough(self.info.title, steps, self.info.summary)


@dataclass
class Stage:
    """The demo's side of the conversation: narration out, cleanup in."""

    info: DemoInfo
    quick: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    _cleanups: list[Callable[[], object]] = field(default_factory=list)
    _workdir: Path | None = None
    _socket_dir: Path | None = None

    def _add(self, block: Block) -> None:
        self.blocks.append(block)
        for listener in self.listeners:
            listener(block)

    def say(self, text: str) -> None:
        self._add(Say(text))

    def show(self, snapshot: Snapshot, caption: str) -> None:
        self._add(Show(Step(snapshot, None, caption)))

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[object]],
              view: RenderableType | None = None) -> None:
        self._add(Table(title, tuple(columns), tuple(tuple(str(c) for c in r) for r in rows),
                        view))

    def code(self, title: str, text: str) -> None:
        self._add(Code(title, text))

    def fact(self, key: str, value: Any) -> None:
        self.facts[key] = value

    def defer(self, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` when the demo ends, however it ends (last registered, first run)."""
        self._cleanups.append(cleanup)

    @property
    def workdir(self) -> Path:
        """A private temporary directory (in $TMPDIR), removed when the demo ends."""
        if self._workdir is None:
            self._workdir = self._private_dir(None)
        return self._workdir

    @property
    def socket_dir(self) -> Path:
        """A private directory to bind UNIX sockets in: the workdir when their paths fit in
        ``sun_path``, else (a long $TMPDIR) a short directory in /tmp; removed at the end."""
        if self._socket_dir is None:
            fits = len(os.fsencode(self.workdir)) + 1 + SOCKET_NAME_ROOM < SUN_PATH_MAX
            self._socket_dir = self.workdir if fits else self._private_dir(Path("/tmp"))
        return self._socket_dir

    def _private_dir(self, parent: Path | None) -> Path:
        made = Path(tempfile.mkdtemp(prefix=f"iochannels-{self.info.name}-", dir=parent))
        self.defer(lambda: shutil.rmtree(made, ignore_errors=True))
        return made

    def close(self) -> None:
        """Undo everything the demo made, newest first; one failure does not stop the rest."""
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                cleanup()
            except Exception:  # cleanup must go on; the demo's own error wins
                continue

    def result(self) -> DemoResult:
        return DemoResult(self.info, tuple(self.blocks), dict(self.facts), tuple(self.files))


@contextmanager
def staged(info: DemoInfo, **kwargs: Any) -> Iterator[Stage]:
    """A stage that is closed (everything cleaned up) when the block exits, also on Ctrl-C."""
    stage = Stage(info, **kwargs)
    try:
        yield stage
    finally:
        stage.close()
