"""Names from the outside world, made safe to show: one rule for every view but JSON.

A path, a socket's address, an argv or a command name is data, chosen by whoever
made the file or started the program. A view must never let it act: no newline
that splits a table row, no ``ESC ] 0 ; title BEL`` that retitles the terminal, no
``ESC [2J`` that clears it, no bidirectional override that reorders a line. So
every view draws names through :func:`shown`, which writes what a name holds the
way lsof(8) and ``ls -b`` do: ``\\n``, ``\\t``, ``\\x1b``; a byte that is not
UTF-8 (a path decoded by ``os.fsdecode`` carries it as a lone surrogate, PEP 383)
as ``\\xff``. Markup is not this module's business: rich text goes in as
``rich.text.Text`` (never a markup string) and XML through its own escaping.

A backslash stays as it is: ``shown`` is then idempotent (a name shown twice is the
name shown once), so a view may apply it to whatever it is given without knowing
whether another did. The price: a name holding the four characters ``\x1b`` shows as
one holding ESC, where lsof 4.95 and ``ls -b`` write a backslash as ``\\``; the JSON
view carries the exact name and tells them apart.

:func:`printable` applies ``shown`` to every name of a snapshot, and
:func:`printable_run` to every step and event of a walkthrough; they give back
the very same object when nothing needed escaping (the usual case).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import TypeVar

from iochannels.model import Channel, Event, Process, Snapshot, Step, Walkthrough

__all__ = ["printable", "printable_event", "printable_run", "shown", "shown_lines"]

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}  # as lsof names them; any other as \\xNN
# Unicode categories that move the cursor, reorder or hide text rather than draw a glyph:
# controls (C0, DEL, C1), format characters (bidi overrides, zero widths), the line and
# paragraph separators, and surrogates (invalid UTF-8 after os.fsdecode).
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


@lru_cache(maxsize=512)
def _char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape: the byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    import unicodedata  # here, not at the top: only a name beyond ASCII needs it (start-up)

    category = unicodedata.category(ch)
    # Noncharacters (U+FFFE, U+FFFF, U+FDD0..U+FDEF and the last two of every plane) have no
    # place in XML 1.0 either: an SVG holding one does not parse.
    noncharacter = code & 0xFFFE == 0xFFFE or 0xFDD0 <= code <= 0xFDEF
    if category not in _HIDDEN and not noncharacter:
        return ch
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF \
        else f"\\U{code:08x}"


def shown(text: str) -> str:
    """``text`` with every byte or character that would act on a terminal written out.

    >>> shown("sock\\nx"), shown("\\x1b]0;TITLE\\x07"), shown("caf\\udcc3"), shown("[red]a")
    ('sock\\\\nx', '\\\\x1b]0;TITLE\\\\x07', 'caf\\\\xc3', '[red]a')
    >>> shown(shown("a\\tb")) == shown("a\\tb")
    True
    """
    if text.isascii() and text.isprintable():  # the fast path: nearly every name
        return text
    return "".join(map(_char, text))


def _clean(text: str | None) -> bool:
    return text is None or (text.isascii() and text.isprintable())


def _maybe(text: str | None) -> str | None:
    return None if text is None else shown(text)


def _channel(ch: Channel) -> Channel:
    if all(map(_clean, (ch.id, ch.label, ch.state, ch.local, ch.remote, ch.peer))) and \
            all(_clean(k) and _clean(v) for k, v in ch.detail.items()):
        return ch
    detail = {shown(k): shown(v) for k, v in ch.detail.items()}
    return replace(ch, id=shown(ch.id), label=shown(ch.label), state=_maybe(ch.state),
                   local=_maybe(ch.local), remote=_maybe(ch.remote), peer=_maybe(ch.peer),
                   detail=detail)


def _process(proc: Process) -> Process:
    if all(map(_clean, (proc.name, proc.state, proc.error, *proc.argv))) and \
            all(_clean(e.channel) for e in proc.fds):
        return proc
    fds = tuple(e if _clean(e.channel) else replace(e, channel=shown(e.channel))
                for e in proc.fds)
    return replace(proc, name=shown(proc.name), argv=tuple(map(shown, proc.argv)), fds=fds,
                   state=_maybe(proc.state), error=_maybe(proc.error))


# What was made printable, by the identity of the original: the snapshots of one run share
# most of their channels and processes (the simulator's camera redraws only what changed).
# Kept for the last run or snapshot only; the originals are held so that ids stay theirs.
_MEMO: dict[int, tuple[object, object]] = {}
_T = TypeVar("_T", Channel, Process)


def _memo(obj: _T) -> _T:
    hit = _MEMO.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]  # type: ignore[return-value]
    made = _channel(obj) if isinstance(obj, Channel) else _process(obj)
    _MEMO[id(obj)] = (obj, made)
    return made


def printable(snap: Snapshot) -> Snapshot:
    """The snapshot with every name passed through :func:`shown` (the same object if none
    needed it)."""
    result = _printable(snap)
    _MEMO.clear()
    return result


def _all_clean(snap: Snapshot) -> bool:
    """Whether no name of the snapshot needs escaping: one check of all of them joined
    (10,000 fds: a few milliseconds, where a check per name costs ten times that)."""
    parts: list[str] = [*snap.notes, *snap.channels]
    for ch in snap.channels.values():
        parts += (ch.id, ch.label, ch.state or "", ch.local or "", ch.remote or "", ch.peer or "")
        if ch.detail:
            parts += (*ch.detail.keys(), *ch.detail.values())
    for proc in snap.processes:
        parts += (proc.name, proc.state or "", proc.error or "", *proc.argv)
        parts += (e.channel for e in proc.fds)
    text = "".join(parts)
    return text.isascii() and text.isprintable()


def _printable(snap: Snapshot) -> Snapshot:
    if _all_clean(snap):
        return snap
    channels = {k: _memo(c) for k, c in snap.channels.items()}
    processes = tuple(_memo(p) for p in snap.processes)
    notes = tuple(map(shown, snap.notes))
    same = all(channels[k] is c and _clean(k) for k, c in snap.channels.items()) and \
        all(a is b for a, b in zip(processes, snap.processes, strict=True))
    if same and notes == snap.notes:
        return snap
    return replace(snap, processes=processes, notes=notes,
                   channels={shown(k): c for k, c in channels.items()})


def printable_event(event: Event) -> Event:
    """The event with its arguments' raw control bytes written out. Its string arguments
    are already quoted as strace quotes them (``"a\\"b\\n"``): only what slipped through
    raw is escaped, so that a view never prints it."""
    args = tuple(a if isinstance(a, int) else shown(a) for a in event.args)
    result = event.result if not isinstance(event.result, str) else shown(event.result)
    new = replace(event, args=args, result=result, note=shown(event.note))
    return event if new == event else new


def printable_run(run: Walkthrough) -> Walkthrough:
    """The walkthrough with every snapshot, event and caption made printable."""
    try:
        steps = tuple(_step(s) for s in run.steps)
    finally:
        _MEMO.clear()
    title, description = shown(run.title), shown_lines(run.description)
    notes = tuple(map(shown, run.notes))
    if (title, description, notes) == (run.title, run.description, run.notes) and \
            all(a is b for a, b in zip(steps, run.steps, strict=True)):
        return run
    return replace(run, title=title, description=description, steps=steps, notes=notes)


def _step(step: Step) -> Step:
    snap = _printable(step.snapshot)
    event = None if step.event is None else printable_event(step.event)
    caption = shown(step.caption)
    if snap is step.snapshot and event is step.event and caption == step.caption:
        return step
    return Step(snap, event, caption)


def shown_lines(text: str) -> str:
    """Text of several lines whose line breaks the project wrote (a description, what a
    simulated program wrote on its terminal): each line through :func:`shown`, the breaks
    kept. Never for a name: a name's newline is written out, it does not break a line."""
    return "\n".join(shown(line) for line in text.split("\n"))
