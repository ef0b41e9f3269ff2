"""Print a demo live in the terminal: a listener on the stage, drawing each block as it comes.

Narration as paragraphs, fd tables through the text view, tables and code
panels with rich. Colour only on a terminal and without ``NO_COLOR`` (rich
decides both); otherwise plain text that reads the same in a log or a pipe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from iochannels.demos.registry import SECTIONS
from iochannels.demos.stage import Block, Code, DemoInfo, Say, Show, Table
from iochannels.errors import ReaderGone
from iochannels.model import Snapshot, Walkthrough
from iochannels.render.names import shown
from iochannels.render.terminal import text_width
from iochannels.render.trace import trace_text
from iochannels.stdio import drop_output

__all__ = ["ConsolePrinter", "make_console", "walkthrough_text"]


def make_console(file: IO[str] | None = None) -> Console:
    """A console on stdout (or ``file``); rich honours NO_COLOR and plain output off a tty.

    No markup, no emoji codes: what it prints holds names (``wrote [red]x.svg``, a path with
    ``:smile:``) that are data; styles are given as ``style=`` or in ``Text``."""
    return _Console(file=file, highlight=False, soft_wrap=False, markup=False, emoji=False)


class _Console(Console):
    """rich's console, but a closed pipe (``iochannels demo X | head``) ends the run quietly."""

    def on_broken_pipe(self) -> None:
        # rich's own raises SystemExit(1): the demo's cleanup still runs on the way out,
        # but the command fails, where cat and `iochannels fds --all | head` exit 0.
        self.quiet = True  # later prints (a tour's progress bar as it stops) write nothing
        try:
            fileno: int | None = self.file.fileno()
        except (AttributeError, OSError, ValueError):  # a StringIO, a closed file
            fileno = None
        if fileno is not None:
            # What Python still buffers for it would fail again at exit ("Exception
            # ignored ... BrokenPipeError", status 120): let it go to /dev/null instead.
            drop_output(fileno)
        raise ReaderGone


class ConsolePrinter:
    """A stage listener: each block printed the moment the demo adds it."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or make_console()

    @property
    def color(self) -> bool:
        return self.console.is_terminal and not self.console.no_color and \
            not self.console.is_dumb_terminal

    @property
    def width(self) -> int:
        """The fd tables' width: the terminal's, COLUMNS, or no limit into a pipe or a file
        (``make tour | tee log`` keeps every address whole)."""
        terminal = self.console.is_terminal
        return text_width(terminal, os.environ, self.console.width if terminal else None)

    def __call__(self, block: Block) -> None:
        match block:
            case Say(text):  # one paragraph, whose names are data: a newline in one is \n
                self.console.print(Text(shown(text)), end="\n\n")
            case Show(step):
                self.snapshot(step.snapshot, step.caption)
            case Table(view=view) if view is not None:
                self.console.print(view, end="\n\n")  # its own columns: no cut words
            case Table(title, columns, rows):
                self.table(title, columns, rows)
            case Code(title, text):
                self.code(title, text)

    def code(self, title: str, text: str) -> None:
        body = _text(text.rstrip("\n"))
        self.console.print(Panel(body, title=_text(title), title_align="left", box=self._box()),
                           end="\n\n")

    def heading(self, info: DemoInfo) -> None:
        section = f"section {info.section}, {SECTIONS.get(info.section, '')}"
        self.console.rule(_text(f"{info.title}  ({info.name}, {section})", style="bold"))
        self.console.print(_text(info.summary, style="italic"), end="\n\n")

    def snapshot(self, snap: Snapshot, caption: str) -> None:
        from iochannels.render import render_snapshot

        drawn = render_snapshot(snap, "text", width=max(self.width, 60), color=self.color)
        self.console.print(_text(caption, style="bold cyan"))
        # soft_wrap: the table was fitted already; rich must neither fold nor crop its rows
        self.console.print(Text.from_ansi(drawn.rstrip("\n")), end="\n\n", soft_wrap=True)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        # Text, never markup, and each one line: a cell may hold a path or an argv, whose
        # newline is written out (\n) rather than make two of it.
        table = RichTable(title=Text(shown(title)), title_justify="left", box=self._box())
        for column in columns:
            table.add_column(Text(shown(column)), overflow="fold")
        for row in rows:
            table.add_row(*(Text(shown(cell)) for cell in row))
        self.console.print(table, end="\n\n")

    def facts(self, facts: Mapping[str, Any]) -> None:
        rows = tuple((key, _short(value)) for key, value in facts.items())
        if rows:
            self.table("facts (--json gives them all)", ("fact", "value"), rows)

    def walkthrough(self, run: Walkthrough) -> None:
        self.console.rule(Text("on the simulated kernel", style="bold"))
        drawn = walkthrough_text(run, width=max(self.width, 60), color=self.color)
        self.console.print(Text.from_ansi(drawn), soft_wrap=True)

    def walkthrough_summary(self, run: Walkthrough, limit: int = 24) -> None:
        """A walkthrough in a few lines: its first calls, as the trace view prints them (the
        report has all)."""
        lines = trace_text(run, run.events[:limit]).splitlines()
        more = [f"... {len(run.events) - limit} more calls"] if len(run.events) > limit else []
        self.console.print(_text(run.title, style="bold"))
        if run.description:
            self.console.print(_text(run.description, style="italic"))
        text = "\n".join(lines[:limit] + more) or "(no calls)"
        self.console.print(Panel(_text(text), title=f"{len(run.steps)} steps", title_align="left",
                                 box=self._box()), end="\n\n")

    def wrote(self, path: Path) -> None:
        """Say where a picture went; the directory was the user's choice, any name."""
        self.console.print(Text(f"wrote {shown(str(path))}"), soft_wrap=True)

    def error(self, message: str) -> None:
        # One line, as every error: the message may quote a path that holds a newline.
        self.console.print(Text(shown(f"error: {message}"), style="bold red"), soft_wrap=True)

    def _box(self) -> box.Box:
        return box.ROUNDED if self.console.is_terminal else box.ASCII


def _text(text: str, style: str = "") -> Text:
    """Narration as rich Text, never a markup string; a name in it (a path, an argv) is
    shown as the views show it (``\\n``, ``\\x1b``), line by line: the demo's own line
    breaks stay."""
    return Text("\n".join(shown(line) for line in text.split("\n")), style=style)


def _short(value: Any) -> str:
    """A fact for people: a mapping as ``key value, ...``, a list as its items; whole (the
    table wraps a long one rather than cut it)."""
    match value:
        case Mapping():
            return ", ".join(f"{k} {_short(v)}" for k, v in value.items()) or "-"
        case list() | tuple() | set() | frozenset():
            return ", ".join(_short(v) for v in value) or "-"
    return str(value)


def walkthrough_text(run: Walkthrough, *, width: int = 100, color: bool = False) -> str:
    """A walkthrough as text, step by step: the text view's own."""
    from iochannels.render import render_walkthrough

    return render_walkthrough(run, "text", width=width, color=color)
