"""Snapshots and walkthroughs as JSON, in a stable, versioned schema.

The schema is published in ``schemas/snapshot.schema.json`` (and
``walkthrough.schema.json``); ``SCHEMA`` names the version in every document.
Keys are sorted and lists keep the model's order, so the same input gives the
same bytes.

``snapshot_json`` writes the document directly from the model, without the
intermediate dicts of ``snapshot_to_dict``: with ``indent`` set, ``json.dumps``
falls back to its pure-Python encoder, which costs about 300 ms for a process
with 10,000 fds, and the dicts themselves another 60. The direct writer gives
the same bytes as ``json.dumps(snapshot_to_dict(snap), indent=2,
sort_keys=True)`` (a test holds it to that) in a fraction of the time: the
fds and channels, which are nearly all of a large document, are written from
templates with their keys in sorted order; the rest goes through ``_value``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from json.encoder import encode_basestring_ascii as _string
from typing import Any

from iochannels.model import (
    Buffer,
    Channel,
    Event,
    FdEntry,
    Kind,
    Process,
    Snapshot,
    Step,
    Walkthrough,
)

__all__ = ["SNAPSHOT_SCHEMA", "WALKTHROUGH_SCHEMA", "snapshot_json", "snapshot_to_dict",
           "walkthrough_json", "walkthrough_to_dict"]

SNAPSHOT_SCHEMA = "iochannels/snapshot/1"
WALKTHROUGH_SCHEMA = "iochannels/walkthrough/1"


def _buffer(buf: Buffer) -> dict[str, Any]:
    return {"role": str(buf.role), "capacity": buf.capacity, "used": buf.used}


def _channel(ch: Channel) -> dict[str, Any]:
    return {
        "id": ch.id,
        "kind": str(ch.kind),
        "nature": str(ch.kind.nature),
        "reach": str(ch.kind.reach),
        "label": ch.label,
        "state": ch.state,
        "local": ch.local,
        "remote": ch.remote,
        "peer": ch.peer,
        "buffers": [_buffer(b) for b in ch.buffers],
        "detail": dict(ch.detail),
    }


def _fd(entry: FdEntry) -> dict[str, Any]:
    doc = {
        "fd": entry.fd,
        "channel": entry.channel,
        "access": entry.access,
        "flags": sorted(entry.flags),
        "offset": entry.offset,
    }
    if entry.open_file is not None:  # only where shared: outputs without sharing unchanged
        doc["open_file"] = entry.open_file
    return doc


def _process(proc: Process) -> dict[str, Any]:
    return {
        "pid": proc.pid,
        "ppid": proc.ppid,
        "name": proc.name,
        "argv": list(proc.argv),
        "state": proc.state,
        "error": proc.error,
        "fds": [_fd(e) for e in proc.fds],
    }


def snapshot_to_dict(snap: Snapshot) -> dict[str, Any]:
    counts = snap.counts_by_kind()
    return {
        "schema": SNAPSHOT_SCHEMA,
        "source": snap.source,
        "taken_at": snap.taken_at,
        "notes": list(snap.notes),
        "processes": [_process(p) for p in snap.processes],
        "channels": {cid: _channel(ch) for cid, ch in sorted(snap.channels.items())},
        "counts": {str(kind): n for kind, n in sorted(counts.items())},
        "unreadable": list(snap.unreadable),
    }


def _event(ev: Event) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "pid": ev.pid,
        "call": ev.call,
        "args": list(ev.args),
        "result": ev.result,
        "error": ev.error,
        "blocked": ev.blocked,
        "note": ev.note,
    }


def _step(step: Step) -> dict[str, Any]:
    return {
        "event": None if step.event is None else _event(step.event),
        "caption": step.caption,
        "snapshot": snapshot_to_dict(step.snapshot),
    }


def walkthrough_to_dict(run: Walkthrough) -> dict[str, Any]:
    return {
        "schema": WALKTHROUGH_SCHEMA,
        "title": run.title,
        "description": run.description,
        "notes": list(run.notes),
        "steps": [_step(s) for s in run.steps],
    }


def snapshot_json(snap: Snapshot) -> str:
    """The snapshot document, indented by 2, keys sorted (the bytes of ``json.dumps``)."""
    counts = {str(kind): n for kind, n in sorted(snap.counts_by_kind().items())}
    parts = ["{\n", '  "channels": ']
    _channels(snap.channels, parts)
    parts += [",\n", '  "counts": ', _value(counts, "  "), ",\n"]
    parts += ['  "notes": ', _value(list(snap.notes), "  "), ",\n", '  "processes": ']
    _processes(snap.processes, parts)
    parts += [",\n", '  "schema": ', _string(SNAPSHOT_SCHEMA), ",\n"]
    parts += ['  "source": ', _string(snap.source), ",\n"]
    parts += ['  "taken_at": ', _value(snap.taken_at, "  "), ",\n"]
    parts += ['  "unreadable": ', _value(list(snap.unreadable), "  "), "\n}\n"]
    return "".join(parts)


def walkthrough_json(run: Walkthrough) -> str:
    return walkthrough_text(run) + "\n"


def walkthrough_text(run: Walkthrough, extra: Mapping[str, object] | None = None) -> str:
    """``json.dumps({**walkthrough_to_dict(run), **extra}, indent=2, sort_keys=True)``, the
    same bytes, written directly: json's encoder with ``indent`` is pure Python, and a
    traced script of 1,000 processes (5,000 steps) took it 1.4 s; each step's snapshot is
    the direct writer's text, moved right (a JSON text holds no raw newline but its own)."""
    doc: dict[str, object] = {**walkthrough_to_dict(replace(run, steps=())), **(extra or {})}
    doc.pop("steps")
    items = [(key, _value(value, "  ")) for key, value in doc.items()]
    items.append(("steps", _steps(run.steps)))
    return "{\n" + ",\n".join(f"  {_string(k)}: {text}" for k, text in sorted(items)) + "\n}"


def _steps(steps: tuple[Step, ...]) -> str:
    if not steps:
        return "[]"
    out = []
    for step in steps:  # keys sorted: caption, event, snapshot
        event = "null" if step.event is None else _value(_event(step.event), "      ")
        snapshot = snapshot_json(step.snapshot).rstrip("\n").replace("\n", "\n      ")
        out.append(f'    {{\n      "caption": {_string(step.caption)},\n      "event": {event},'
                   f'\n      "snapshot": {snapshot}\n    }}')
    return "[\n" + ",\n".join(out) + "\n  ]"


# The direct writer. Each function appends the text of one part of the document to
# ``parts``, indented for where that part sits in it; ``_value`` handles what is small.


def _value(value: object, indent: str) -> str:
    """Any JSON value as ``json.dumps(indent=2, sort_keys=True)`` writes it at ``indent``."""
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = indent + "  "
        items = [f"{inner}{_string(str(k))}: {_value(value[k], inner)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + _value(v, inner) for v in value) + f"\n{indent}]"
    return _scalar(value)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return json.dumps(value)  # repr, or NaN / Infinity as json.dumps spells them
    raise TypeError(f"not a JSON value: {value!r}")


def _processes(processes: Sequence[Process], parts: list[str]) -> None:
    if not processes:
        parts.append("[]")
        return
    parts.append("[\n")
    for number, proc in enumerate(processes):
        if number:
            parts.append(",\n")
        parts += ["    {\n", '      "argv": ', _value(proc.argv, "      "), ",\n"]
        parts += ['      "error": ', _scalar(proc.error), ",\n", '      "fds": ']
        _fds(proc.fds, parts)
        parts += [",\n", '      "name": ', _string(proc.name), ",\n"]
        parts += ['      "pid": ', _scalar(proc.pid), ",\n"]
        parts += ['      "ppid": ', _scalar(proc.ppid), ",\n"]
        parts += ['      "state": ', _scalar(proc.state), "\n    }"]
    parts.append("\n  ]")


# One fd, at the depth where fds sit in the document (top -> processes -> process -> fds).
_FD = (
    '        {{\n'
    '          "access": {},\n'
    '          "channel": {},\n'
    '          "fd": {},\n'
    '          "flags": {},\n'
    '          "offset": {}\n'
    '        }}'
)
_FLAG_TEXT: dict[frozenset[str], str] = {}  # few distinct flag sets: each written once
_ACCESS_TEXT: dict[str | None, str] = {None: "null", "r": '"r"', "w": '"w"', "rw": '"rw"'}


def _flags(flags: frozenset[str]) -> str:
    text = _FLAG_TEXT.get(flags)
    if text is None:
        text = _FLAG_TEXT[flags] = _value(sorted(flags), "          ")
    return text


def _fds(entries: Sequence[FdEntry], parts: list[str]) -> None:
    if not entries:
        parts.append("[]")
        return
    fmt, flags, access = _FD.format, _flags, _ACCESS_TEXT
    rows = [
        fmt(access.get(e.access) or _scalar(e.access), _string(e.channel), e.fd,
            flags(e.flags), "null" if e.offset is None else e.offset)  # ints: as int.__repr__
        if e.open_file is None else "        " + _value(_fd(e), "        ")
        for e in entries
    ]
    parts += ["[\n", ",\n".join(rows), "\n      ]"]


# One channel, keyed by its id in "channels" (top -> channels -> channel).
_CHANNEL = (
    '    {}: {{\n'
    '      "buffers": {},\n'
    '      "detail": {},\n'
    '      "id": {},\n'
    '      "kind": {},\n'
    '      "label": {},\n'
    '      "local": {},\n'
    '      "nature": {},\n'
    '      "peer": {},\n'
    '      "reach": {},\n'
    '      "remote": {},\n'
    '      "state": {}\n'
    '    }}'
)
_BUFFER = (
    '        {{\n'
    '          "capacity": {},\n'
    '          "role": {},\n'
    '          "used": {}\n'
    '        }}'
)


_KIND_TEXT: dict[Kind, tuple[str, str, str]] = {}  # kind -> its kind, nature, reach, encoded
_BUFFERS_TEXT: dict[tuple[Buffer, ...], str] = {}  # many sockets share sizes and fill


def _kind(kind: Kind) -> tuple[str, str, str]:
    text = _KIND_TEXT.get(kind)
    if text is None:
        text = _KIND_TEXT[kind] = (
            _string(str(kind)), _string(str(kind.nature)), _string(str(kind.reach))
        )
    return text


def _buffers(buffers: tuple[Buffer, ...]) -> str:
    text = _BUFFERS_TEXT.get(buffers)
    if text is None:
        rows = [_BUFFER.format(_scalar(b.capacity), _string(str(b.role)), _scalar(b.used))
                for b in buffers]
        text = "[\n" + ",\n".join(rows) + "\n      ]" if rows else "[]"
        if len(_BUFFERS_TEXT) < 4096:  # bounded: a long --watch sees ever new fill levels
            _BUFFERS_TEXT[buffers] = text
    return text


def _detail(detail: Mapping[str, str]) -> str:
    """A channel's detail: a small map of strings (anything else goes through _value)."""
    if not detail:
        return "{}"
    if not all(isinstance(v, str) for v in detail.values()):
        return _value(detail, "      ")
    items = [f"        {_string(k)}: {_string(v)}" for k, v in sorted(detail.items())]
    return "{\n" + ",\n".join(items) + "\n      }"


def _channel_text(cid: str, ch: Channel) -> str:
    kind, nature, reach = _kind(ch.kind)
    local, peer, remote, state = ch.local, ch.peer, ch.remote, ch.state
    return _CHANNEL.format(
        _string(cid), _buffers(ch.buffers), _detail(ch.detail), _string(ch.id), kind,
        _string(ch.label), "null" if local is None else _string(local), nature,
        "null" if peer is None else _string(peer), reach,
        "null" if remote is None else _string(remote),
        "null" if state is None else _string(state),
    )


def _channels(channels: Mapping[str, Channel], parts: list[str]) -> None:
    if not channels:
        parts.append("{}")
        return
    rows = [_channel_text(cid, channels[cid]) for cid in sorted(channels)]
    parts += ["{\n", ",\n".join(rows), "\n  }"]
