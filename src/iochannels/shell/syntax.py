"""The syntax tree of a command line, as xv6's sh.c has it: exec, redirect, pipe, list, back.

Frozen dataclasses; the runner dispatches on them with ``match``. Words keep their quotes
until expansion (``Word.raw``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AndOr", "Background", "Command", "Exec", "Group", "List", "Pipeline",
           "Redirect", "Subshell", "Word"]


@dataclass(frozen=True, slots=True)
class Word:
    raw: str  # as typed, quotes included: '"$HOME"/a*'


@dataclass(frozen=True, slots=True)
class Redirect:
    """``fd op target``: ``2>&1`` is Redirect(2, '>&', Word('1')); a here-document has ``body``."""

    fd: int
    op: str  # < > >> <> >| <& >& << <<-
    target: Word
    body: str | None = None
    quoted: bool = False  # a quoted here-document delimiter: no expansion in the body


@dataclass(frozen=True, slots=True)
class Exec:
    """A simple command: assignments, words, redirections (applied in the order written)."""

    assigns: tuple[tuple[str, Word], ...]
    words: tuple[Word, ...]
    redirects: tuple[Redirect, ...]
    line: int = 1


@dataclass(frozen=True, slots=True)
class Subshell:
    body: List
    redirects: tuple[Redirect, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    body: List
    redirects: tuple[Redirect, ...] = ()


Command = Exec | Subshell | Group


@dataclass(frozen=True, slots=True)
class Pipeline:
    commands: tuple[Command, ...]
    bang: bool = False  # ``! a | b``: the status inverted


@dataclass(frozen=True, slots=True)
class AndOr:
    first: Pipeline
    rest: tuple[tuple[str, Pipeline], ...] = ()  # ("&&" | "||", pipeline)


@dataclass(frozen=True, slots=True)
class Background:
    """``a | b &``: run without waiting; ``wait`` collects it."""

    job: AndOr


@dataclass(frozen=True, slots=True)
class List:
    items: tuple[AndOr | Background, ...]
