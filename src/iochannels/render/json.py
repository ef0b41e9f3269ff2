"""Snapshots and walkthroughs as JSON, in a stable, versioned schema.

The schema is published in ``schemas/snapshot.schema.json`` (and
``walkthrough.schema.json``); ``SCHEMA`` names the version in every document.
Keys are sorted and lists keep the model's order, so the same input gives the
same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from iochannels.model import Buffer, Channel, Event, FdEntry, Process, Snapshot, Step, Walkthrough

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
    return {
        "fd": entry.fd,
        "channel": entry.channel,
        "access": entry.access,
        "flags": sorted(entry.flags),
        "offset": entry.offset,
    }


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
    return json.dumps(snapshot_to_dict(snap), indent=2, sort_keys=True) + "\n"


def walkthrough_json(run: Walkthrough) -> str:
    return json.dumps(walkthrough_to_dict(run), indent=2, sort_keys=True) + "\n"
