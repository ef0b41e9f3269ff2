"""A user's own program in a file, run on the simulated kernel like a scenario.

The file defines ``async def main(p)`` (and may define more programs for fork
and exec); its module docstring, if any, is shown as "what to watch". Any
mistake in it, a syntax error, a missing ``main``, an exception while it runs,
becomes one line naming the file (an :class:`IoChannelsError`).
"""

from __future__ import annotations

import importlib.util
import inspect
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from iochannels.errors import IoChannelsError, NotFound, UsageError
from iochannels.sim import Kernel, SimRun
from iochannels.sim.scenarios.base import KERNEL_OPTIONS, Params, check_kernel_options
from iochannels.sim.scenarios.common import Program

__all__ = ["MAX_STEPS", "TIME_LIMIT", "UserProgram", "kernel_options", "load_file",
           "run_guarded"]

# A run never hangs: the kernel stops after this many turns. Each step keeps a full
# picture, so a program that loops forever costs about 2 s and 150 MB per 50,000.
MAX_STEPS = 50_000
# --max-steps counts system calls; a loop that makes none is stopped by the clock instead:
# this many seconds without one more scheduler turn.
TIME_LIMIT = 10.0


class _NoCall(Exception):
    """The clock ran out while the program ran Python code without a system call."""


@dataclass(frozen=True, slots=True)
class UserProgram:
    path: Path
    main: Program
    watch: str

    @property
    def name(self) -> str:
        return self.path.stem


def load_file(path: str | Path) -> UserProgram:
    """Import ``path`` as a module and find its ``async def main(p)``."""
    file = Path(path)
    if file.is_dir():
        raise IoChannelsError(f"{file} is a directory: give a file that defines main(p)")
    if not file.exists():
        raise NotFound(f"no such file: {file}")
    if not file.is_file():  # a FIFO would block the import, a device says nothing useful
        raise IoChannelsError(f"{file} is not a regular file: give a file that defines main(p)")
    module = _import(file)
    main = getattr(module, "main", None)
    if main is None:
        raise IoChannelsError(f"{file}: defines no main (write 'async def main(p): ...')")
    if not inspect.iscoroutinefunction(main):
        raise IoChannelsError(f"{file}: main must be 'async def main(p)', a coroutine function")
    try:  # the kernel calls main(p): say so now, not with a traceback from inside spawn
        inspect.signature(main).bind(None)
    except TypeError:
        raise IoChannelsError(f"{file}: main must take the process: 'async def main(p)'") from None
    return UserProgram(file, main, inspect.cleandoc(module.__doc__ or ""))


def _import(file: Path) -> ModuleType:
    name = f"iochannels_user_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise IoChannelsError(f"{file}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise IoChannelsError(f"{file}:{exc.lineno}: syntax error: {exc.msg}") from None
    except (Exception, SystemExit) as exc:  # the user's code: any exception is theirs to fix
        raise IoChannelsError(f"{file}: {_one_line(exc)}") from None
    finally:
        sys.modules.pop(name, None)
    return module


def run_guarded(kernel: Kernel, path: Path, max_steps: int = MAX_STEPS,
                time_limit: float = TIME_LIMIT) -> SimRun:
    """Run the kernel; an exception out of the user's code becomes one line naming it.

    A program that runs ``time_limit`` seconds without a system call is stopped.
    """
    try:
        with _clock(kernel, time_limit):
            return kernel.run(max_steps=max_steps)
    except _NoCall:
        raise IoChannelsError(
            f"{path}: ran {time_limit:g} s without a system call (a loop that never awaits "
            "one?): stopped (see --time-limit)") from None
    except IoChannelsError:
        raise
    except (Exception, SystemExit) as exc:  # sys.exit() in a program would end iochannels
        raise IoChannelsError(f"{_where(exc, path)}{_one_line(exc)}") from None


@contextmanager
def _clock(kernel: Kernel, seconds: float) -> Iterator[None]:
    """Stop once the kernel has taken no turn for ``seconds``.

    A program's Python code between two calls runs inside one turn, and the kernel
    cannot interrupt a coroutine: the interval timer of setitimer(2) does, a few times
    per limit (its SIGALRM handler runs in the main thread only).
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    seen = [kernel.turns, time.monotonic()]

    def tick(signum: int, frame: object) -> None:
        now = time.monotonic()
        if kernel.turns != seen[0]:
            seen[:] = [kernel.turns, now]
        elif now - seen[1] >= seconds:
            raise _NoCall

    old = signal.signal(signal.SIGALRM, tick)
    signal.setitimer(signal.ITIMER_REAL, seconds / 4, seconds / 4)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _where(exc: BaseException, path: Path) -> str:
    """``prog.py:12: in main: `` from the deepest frame of the traceback inside the file."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if Path(f.filename).resolve() == path.resolve()
    ]
    if not frames:
        return f"{path}: "
    return f"{path}:{frames[-1].lineno}: in {frames[-1].name}: "


def kernel_options(params: Params) -> dict[str, int]:
    """Only the kernel's options make sense for a user's file."""
    unknown = sorted(set(params) - set(KERNEL_OPTIONS))
    if unknown:
        known = ", ".join(KERNEL_OPTIONS)
        raise UsageError(f"a program file takes no parameter {unknown[0]!r} (only: {known})")
    options = {}
    for key, value in params.items():
        if not (str(value).isascii() and str(value).isdigit()):  # not "²", which int() refuses
            raise UsageError(f"parameter {key} must be an integer, not {value!r}")
        options[key] = int(value)
    check_kernel_options(options)
    return options


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
