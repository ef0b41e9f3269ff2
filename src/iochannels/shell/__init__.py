"""A small real shell built on fork, pipe, dup2 and exec, that shows its work.

tokens -> syntax tree (parse) -> words expanded and fd actions planned in the parent (plan)
-> fork, the plan applied in the child, execve (run). ``run_shell`` is the one entry point.
"""

from __future__ import annotations

from iochannels.shell.errors import Incomplete, ShellError, ShellExit, ShellSyntaxError
from iochannels.shell.session import run_command_line, run_file

__all__ = ["Incomplete", "ShellError", "ShellExit", "ShellSyntaxError", "run_command_line",
           "run_file"]
