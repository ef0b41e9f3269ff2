"""What a running shell remembers: variables, the exported names, $?, $!, background jobs."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Options", "ShellState"]


@dataclass(frozen=True, slots=True)
class Options:
    """How the shell shows its work (``--trace``, ``--draw``) and where."""

    name: str = "iochannels shell"
    interactive: bool = False
    trace_fd: int = -1  # >= 10, close-on-exec: where trace lines go (-1: no trace)
    draw: Callable[[list[int], list[list[str]]], None] | None = None  # pids, argvs -> drawn


@dataclass
class ShellState:
    """Mutable for the life of one shell; a forked child works on its own copy."""

    options: Options
    variables: dict[str, str] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    positional: list[str] = field(default_factory=list)  # $0 $1 ...
    status: int = 0  # $?
    last_background: int | None = None  # $!
    jobs: list[int] = field(default_factory=list)  # pids of background processes
    finished: dict[int, int] = field(default_factory=dict)  # reaped jobs' statuses, for wait
    line: int = 1
    lines_before: int = 0  # interactive: the lines read before this command line
    shell_pid: int = field(default_factory=os.getpid)  # $$ (a subshell keeps the parent's)

    @classmethod
    def from_environment(cls, options: Options, environ: Mapping[str, str],
                         positional: list[str]) -> ShellState:
        state = cls(options, dict(environ), set(environ), positional)
        state.variables.setdefault("IFS", " \t\n")
        return state

    def environment(self, extra: Mapping[str, str] = {}) -> dict[str, str]:
        env = {k: v for k, v in self.variables.items() if k in self.exported}
        env.update(extra)
        return env
