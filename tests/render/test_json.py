"""The direct JSON writer gives the bytes of ``json.dumps(snapshot_to_dict(...), indent=2)``."""

from __future__ import annotations

import json
import os

import pytest
from render_samples import pipe_between, random_snapshot, redirection, socket_run, tcp_pair

from iochannels import live
from iochannels.model import Buffer, BufferRole, Channel, FdEntry, Kind, Process, Snapshot
from iochannels.render import render_snapshot
from iochannels.render.json import snapshot_json, snapshot_to_dict


def reference(snap: Snapshot) -> str:
    """What the writer must reproduce: the dicts, through the standard encoder."""
    return json.dumps(snapshot_to_dict(snap), indent=2, sort_keys=True) + "\n"


def odd() -> Snapshot:
    """Values a writer gets wrong: non-ASCII and quotes, empty tables, None buffers, int time."""
    chan = Channel("file:[8:1:42]", Kind.FILE, 'caf\u00e9 "x"\n\\', local="/tmp/\u2603",
                   buffers=(Buffer(BufferRole.CACHE), Buffer(BufferRole.CACHE, 10, 0)),
                   detail={"size": "3", "deleted": "yes", "\u00e9": "\t"})
    procs = (Process(1, "init"), Process(2, "x\u00ff", ("a", ""), (FdEntry(0, chan.id),), 1,
                                         None, "permission denied"),
             Process(3, "y", fds=(FdEntry(7, chan.id, "rw", frozenset({"sync", "append"}), 5),)))
    return Snapshot(procs, {chan.id: chan}, "sim", 3, ("a note",), (2, 9))


SAMPLES = [pipe_between, redirection, tcp_pair, odd, lambda: Snapshot((), {}, "live")]


@pytest.mark.parametrize("make", SAMPLES)
def test_same_bytes_as_the_standard_encoder(make: object) -> None:
    assert callable(make)
    snap = make()
    assert snapshot_json(snap) == reference(snap)


@pytest.mark.parametrize("seed", range(5))
def test_same_bytes_on_random_snapshots(seed: int) -> None:
    snap = random_snapshot(seed)
    assert snapshot_json(snap) == reference(snap)


def test_same_bytes_on_every_step_of_a_run() -> None:
    for step in socket_run().steps:
        assert snapshot_json(step.snapshot) == reference(step.snapshot)


def test_same_bytes_on_a_live_snapshot() -> None:
    snap = live.snapshot([os.getpid(), os.getppid()])
    assert snapshot_json(snap) == reference(snap)
    assert render_snapshot(snap, "json") == snapshot_json(snap)


def test_the_document_states_the_facts_of_the_snapshot() -> None:
    text = snapshot_json(odd())
    doc = json.loads(text)
    assert text.isascii() and text.endswith("}\n")
    assert (doc["schema"], doc["source"], doc["taken_at"]) == ("iochannels/snapshot/1", "sim", 3)
    assert doc["processes"][2]["fds"] == [{"access": "rw", "channel": "file:[8:1:42]",
                                           "fd": 7, "flags": ["append", "sync"], "offset": 5}]
    chan = doc["channels"]["file:[8:1:42]"]
    assert (chan["nature"], chan["local"]) == ("block", "/tmp/\u2603")
    assert chan["label"] == 'caf\u00e9 "x"\n\\'
    assert chan["buffers"] == [{"capacity": None, "role": "cache", "used": None},
                               {"capacity": 10, "role": "cache", "used": 0}]
    assert doc["counts"] == {"file": 2}  # fds, not channels: two fds on one file
    assert doc["unreadable"] == [2, 9]
