"""strace's output, one line at a time -> :class:`Call`, :class:`Signal`, :class:`Exit`.

strace(1) prints, with ``-f`` and ``-o FILE``, ``PID TIME CALL(ARGS) = RESULT``;
on stderr the other processes' lines start ``[pid N]`` instead (older versions pad
it: ``[pid  1234]``). A call that another process interrupts is split in two:
``read(3</x>,  <unfinished ...>`` and later ``<... read resumed>"hi", 10) = 2``
(strace before 4.x: ``<... read resumed> "hi", 10) = 2``); :class:`LineParser`
joins the halves. Signals read ``--- SIGPIPE {si_signo=...} ---`` and
``--- stopped by SIGSTOP ---``; the end of a process ``+++ exited with 0 +++`` or
``+++ killed by SIGKILL (core dumped) +++``. Timestamps: ``-ttt`` (seconds since
the epoch), ``-tt`` / ``-t`` (time of day), or none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iochannels.trace.args import end_of_decoration as _decoration_end
from iochannels.trace.args import split_args, top_level_positions, unescape

__all__ = ["Call", "Exit", "LineParser", "Record", "Signal", "parse_result"]


@dataclass(frozen=True, slots=True)
class Call:
    """One finished system call. ``args`` are strace's texts, split at the top-level commas."""

    pid: int
    time: float | None
    name: str
    args: tuple[str, ...]
    retval: int | None  # None: "= ?" (exit, an interrupted call) or no number
    error: str | None = None  # errno name: "ENOENT", "ERESTARTSYS"...
    decoration: str | None = None  # -yy: what the returned fd is, "pipe:[12]", "/etc/x"
    interrupted: bool = False  # "<unfinished ...>" never resumed: the trace ended in it


@dataclass(frozen=True, slots=True)
class Signal:
    pid: int
    time: float | None
    name: str  # "SIGPIPE"
    stopped: bool = False  # "--- stopped by SIGSTOP ---": the process is in group-stop


@dataclass(frozen=True, slots=True)
class Exit:
    pid: int
    time: float | None
    status: int | None  # exited with N
    signal: str | None = None  # killed by SIGNAL
    core: bool = False


Record = Call | Signal | Exit

_PID = re.compile(r"\s*(?:\[pid\s+(\d+)\]|(\d+))\s+")
_TIME = re.compile(r"(\d+\.\d+|\d\d:\d\d:\d\d(?:\.\d+)?)\s+")
_ATTACHED = re.compile(r"strace: Process \d+ (?:attached|detached|suspended)\n?")
_SIGNAL = re.compile(r"--- (?:(SIG\w+|\d+) .*|stopped by (SIG\w+)) ---$")
_EXIT = re.compile(r"\+\+\+ (?:exited with (-?\d+)|killed by (SIG\w+)( \(core dumped\))?) \+\+\+$")
_RESUMED = re.compile(r"<\.\.\. (\w+) resumed>\s?(.*)$")
_UNFINISHED = " <unfinished ...>"
_EQUALS = re.compile(r"\)\s+= ")
_LAST_EQUALS = re.compile(r".*(\))\s+= ", re.S)
_CALL = re.compile(r"(\w+)\((.*)$", re.S)


def _time(text: str) -> float:
    """Seconds: since the epoch for -ttt, since midnight for -tt/-t.

    >>> _time("1796527129.471738"), _time("03:18:59.5")
    (1796527129.471738, 11939.5)
    """
    if ":" not in text:
        return float(text)
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def parse_result(text: str) -> tuple[int | None, str | None, str | None]:
    """The text after `` = ``: (number, errno, fd decoration).

    >>> parse_result("3</etc/passwd>")
    (3, None, '/etc/passwd')
    >>> parse_result("-1 ENOENT (No such file or directory)")
    (-1, 'ENOENT', None)
    >>> parse_result("? ERESTARTSYS (To be restarted if SA_RESTART is set)")
    (None, 'ERESTARTSYS', None)
    >>> parse_result("0x55fb21de5000"), parse_result("1 ([{fd=3, revents=POLLIN}])")
    ((94537093369856, None, None), (1, None, None))
    """
    text = text.strip()
    decor = None
    match = re.match(r"-?\d+<", text)
    if match:  # a returned fd with its decoration, which may hold spaces
        end = _decoration_end(text, match.end() - 1)
        number_text, decor, rest = text[: match.end() - 1], text[match.end() : end - 1], text[end:]
    else:
        number_text, _, rest = text.partition(" ")
    rest = rest.strip()
    try:
        number = int(number_text, 0)
    except ValueError:
        number = None
    error = None
    if rest and re.match(r"E[A-Z0-9]+\b", rest):
        error = rest.split()[0]
    return number, error, None if decor is None else unescape(decor)


class LineParser:
    """Feed it strace's lines in order; it gives back records, calls joined when resumed.

    ``main_pid`` names the process of lines without a pid (strace's stderr form
    prints none for the first process until a second one appears).
    """

    def __init__(self, main_pid: int = 0, wanted: frozenset[str] | None = None) -> None:
        self.main_pid = main_pid
        # Only these calls get their arguments and result read (None: every call); the
        # others are counted by name alone, which is most of the work saved.
        self.wanted = wanted
        self._pending: dict[int, tuple[float | None, str]] = {}
        self._cut: int | None = None  # the pid whose line strace's message cut in two
        self._alive: set[int] = set()  # pids seen in a [pid N] prefix and not yet exited

    def feed(self, line: str) -> Record | None:
        line = _ATTACHED.sub("", line.rstrip("\n"))
        cut, self._cut = self._cut, None
        if cut is not None and cut in self._pending and not _PID.match(line) and not (
                _TIME.match(line) or _CALL.match(line)):
            started, head = self._pending.pop(cut)  # the rest of a line the message cut
            return self._call(cut, started, head + line)
        pid, time, body = self._head(line)
        if not body:
            return None
        if body.startswith("---"):
            match = _SIGNAL.match(body)
            if match is None:
                return None
            return Signal(pid, time, match.group(1) or match.group(2), match.group(2) is not None)
        if body.startswith("+++"):
            return self._exit(pid, time, body)
        if body.startswith("<..."):
            resumed = _RESUMED.match(body)
            if resumed is None or pid not in self._pending:
                return None
            started, head = self._pending.pop(pid)
            return self._call(pid, started, head + resumed.group(2))
        if body.endswith(_UNFINISHED):
            self._pending[pid] = (time, body[: -len(_UNFINISHED)])
            return None
        call = self._call(pid, time, body)
        if call is None and _CALL.match(body):
            # On stderr, strace's "Process N attached" may cut a line before its end
            # ("clone(...|SIGCHLDstrace: Process 5 attached"): the rest comes resumed.
            self._pending[pid] = (time, body)
            self._cut = pid
        return call

    def pending(self) -> dict[int, str]:
        """The calls started but not yet resumed, by pid: ``{101: "clone(child_stack=NULL, "}``."""
        return {pid: head for pid, (_, head) in self._pending.items()}

    def unfinished(self) -> list[Call]:
        """The calls still waiting for their ``resumed`` half: where the trace ended."""
        calls = []
        for pid, (time, head) in sorted(self._pending.items()):
            match = _CALL.match(head)
            if match is not None:
                calls.append(Call(pid, time, match.group(1), split_args(match.group(2)), None,
                                  interrupted=True))
        return calls

    def _head(self, line: str) -> tuple[int, float | None, str]:
        # strace's stderr form prints no pid while it traces one process alone: the
        # first, or the last one left.
        pid = next(iter(self._alive)) if len(self._alive) == 1 else self.main_pid
        match = _PID.match(line)
        if match:
            pid = int(match.group(1) or match.group(2))
            line = line[match.end():]
            self._alive.add(pid)
        time = None
        match = _TIME.match(line)
        if match:
            time = _time(match.group(1))
            line = line[match.end():]
        return pid, time, line.strip()

    def _exit(self, pid: int, time: float | None, body: str) -> Exit | None:
        match = _EXIT.match(body)
        if match is None:
            return None
        self._pending.pop(pid, None)  # exit_group(0) <unfinished ...> then +++ exited
        self._alive.discard(pid)
        status = None if match.group(1) is None else int(match.group(1))
        return Exit(pid, time, status, match.group(2), match.group(3) is not None)

    def _call(self, pid: int, time: float | None, body: str) -> Call | None:
        match = _CALL.match(body)
        if match is None:
            return None
        name, rest = match.groups()
        if self.wanted is not None and name not in self.wanted:
            return Call(pid, time, name, (), None) if _LAST_EQUALS.match(rest) else None
        args_text, result_text = _split_result(rest)
        if result_text is None:
            return None
        number, error, decor = parse_result(result_text)
        return Call(pid, time, name, split_args(args_text), number, error, decor)


def _split_result(rest: str) -> tuple[str, str | None]:
    """``3</x>, "a) = b", 2) = 2`` -> the argument text and the result text.

    The first ``)`` outside quotes, brackets and decorations closes the call.

    >>> _split_result('1</dev/pts/0>, ") = 1", 5) = 5')
    ('1</dev/pts/0>, ") = 1", 5', '5')
    >>> _split_result('0) = ?')
    ('0', '?')
    """
    # The result never holds ") = ", so the last one closes the call; a string argument
    # holding it is the rare case that needs the careful scan.
    match = _LAST_EQUALS.match(rest)
    if match is None:
        return rest, None
    if '"' in rest[: match.start(1)]:
        for i in top_level_positions(rest, ")"):
            first = _EQUALS.match(rest, i)
            if first:
                return rest[:i].rstrip(), rest[first.end():]
    return rest[: match.start(1)].rstrip(), rest[match.end():]
