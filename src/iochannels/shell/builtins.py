"""The builtins that need no process of their own: echo, cd, pwd, export, exit, true, false, :.

``exec`` and ``wait`` act on processes and fds and live with the runner (run.py). Each
builtin writes with ``os.write`` on fds 1 and 2 (no Python buffer: a forked child's exit
must not flush a copy of the parent's output).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from iochannels.shell.errors import ShellError, ShellExit
from iochannels.shell.state import ShellState

__all__ = ["BUILTINS", "SPECIAL", "echo_text"]

# XCU 2.14: a redirection error in a special builtin ends a non-interactive shell.
SPECIAL = frozenset({":", "exec", "exit", "export"})

_ECHO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                 "v": "\v", "\\": "\\"}


def _write(fd: int, text: str) -> None:
    data = text.encode("utf-8", "surrogateescape")
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        raise ShellError("I/O error") from None


def echo_text(args: list[str]) -> str:
    r"""dash's echo: only ``-n``, and backslash escapes always (``\c`` ends the output).

    >>> echo_text(["-n", r"a\tb"])
    'a\tb'
    >>> echo_text([r"x\cy", "z"])
    'x'
    >>> echo_text([r"\0101"])
    'A\n'
    """
    newline = not (args and args[0] == "-n")
    words = args[1:] if not newline else args
    out: list[str] = []
    for k, word in enumerate(words):
        if k:
            out.append(" ")
        for m in re.finditer(r"\\(0[0-7]{0,3}|.)|[^\\]+|\\$", word, re.S):
            piece = m.group()
            if not piece.startswith("\\") or piece == "\\":
                out.append(piece)
            elif piece[1] == "c":
                return "".join(out)
            elif piece[1] == "0":
                out.append(chr(int(piece[2:] or "0", 8) & 0xFF))
            else:
                out.append(_ECHO_ESCAPES.get(piece[1], piece))
    return "".join(out) + ("\n" if newline else "")


def _echo(state: ShellState, argv: list[str]) -> int:
    try:
        _write(1, echo_text(argv[1:]))
    except ShellError:
        raise ShellError("echo: echo: I/O error") from None
    return 0


def _cd(state: ShellState, argv: list[str]) -> int:
    target = argv[1] if len(argv) > 1 else state.variables.get("HOME", "")
    if target == "-":
        target = state.variables.get("OLDPWD", "")
    try:
        os.chdir(target)
    except OSError:
        raise ShellError(f"cd: can't cd to {target}") from None
    if len(argv) > 1 and argv[1] == "-":
        _write(1, os.getcwd() + "\n")
    state.variables["OLDPWD"] = state.variables.get("PWD", "")
    state.variables["PWD"] = os.getcwd()
    return 0


def _pwd(state: ShellState, argv: list[str]) -> int:
    _write(1, os.getcwd() + "\n")
    return 0


def _export(state: ShellState, argv: list[str]) -> int:
    if len(argv) == 1:
        for name in sorted(state.exported):
            if name in state.variables:
                value = state.variables[name].replace("'", "'\\''")
                _write(1, f"export {name}='{value}'\n")
        return 0
    for arg in argv[1:]:
        name, eq, value = arg.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ShellError(f"export: {name}: bad variable name")
        if eq:
            state.variables[name] = value
        state.exported.add(name)
    return 0


def _exit(state: ShellState, argv: list[str]) -> int:
    if len(argv) > 1:
        if not argv[1].isdigit():
            raise ShellExit2(f"exit: Illegal number: {argv[1]}")
        raise ShellExit(int(argv[1]) & 0xFF)
    raise ShellExit(state.status)


class ShellExit2(ShellError):
    """A bad ``exit`` argument: dash reports it and exits 2."""


BUILTINS: dict[str, Callable[[ShellState, list[str]], int]] = {
    "echo": _echo,
    "cd": _cd,
    "pwd": _pwd,
    "export": _export,
    "exit": _exit,
    "true": lambda state, argv: 0,
    "false": lambda state, argv: 1,
    ":": lambda state, argv: 0,
}
