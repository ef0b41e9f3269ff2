"""Mermaid, DOT, JSON (against the published schemas), and the dispatcher's promises."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hostile import hostile_names, hostile_run, hostile_snapshot
from hypothesis import given, settings
from referencing import Registry, Resource
from render_samples import pipe_between, random_snapshot, redirection, socket_run, tcp_pair

from iochannels.errors import UsageError
from iochannels.model import Snapshot, Step, Walkthrough
from iochannels.render import (
    FORMATS,
    render_graph,
    render_sequence,
    render_snapshot,
    render_walkthrough,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _schema(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SCHEMAS / name).read_text())
    return loaded


def _validator(name: str) -> jsonschema.protocols.Validator:
    registry: Registry = Registry()
    for file in ("snapshot.schema.json", "walkthrough.schema.json"):
        doc = _schema(file)
        registry = registry.with_resource(str(doc["$id"]), Resource.from_contents(doc))
    schema = _schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry)


@pytest.mark.parametrize("make", [pipe_between, redirection, tcp_pair, lambda: random_snapshot(4)])
def test_snapshot_json_follows_its_schema(make: object) -> None:
    assert callable(make)
    doc = json.loads(render_snapshot(make(), "json"))
    _validator("snapshot.schema.json").validate(doc)


def test_walkthrough_json_follows_its_schema() -> None:
    doc = json.loads(render_walkthrough(socket_run(), "json"))
    _validator("walkthrough.schema.json").validate(doc)


def test_the_schema_rejects_what_is_not_a_snapshot() -> None:
    doc = json.loads(render_snapshot(pipe_between(), "json"))
    doc["processes"][0]["fds"][0]["access"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        _validator("snapshot.schema.json").validate(doc)


def test_mermaid_flowchart_has_a_node_per_row_and_an_edge_per_fd() -> None:
    snap = pipe_between()
    text = render_snapshot(snap, "mermaid")
    assert text.startswith("flowchart LR\n")
    assert text.count("subgraph ") == 2 and "p101_fd1 --> c" in text
    assert re.search(r"c\d+ --> p102_fd0", text)  # the reader's arrow comes out of the pipe
    edges = [line for line in text.splitlines() if re.search(r"-->|<-->|---", line)]
    assert len(edges) == sum(len(p.fds) for p in snap.processes)


def test_mermaid_links_a_connection_and_escapes_labels() -> None:
    text = render_snapshot(tcp_pair(), "mermaid")
    assert '-.-|"connection: 4 buffers"|' in text
    assert "->" not in text.replace("-->", "").replace("-.-", "")  # '->' in labels is escaped


def test_dot_is_a_digraph_with_ports_per_fd() -> None:
    text = render_snapshot(redirection(), "dot")
    assert text.startswith('digraph "iochannels" {') and text.rstrip().endswith("}")
    assert text.count("p7:fd1 -> ") == 1 and text.count("p7:fd3 -> ") == 1
    assert text.count("{") == text.count("}")


def test_sequence_mermaid_for_a_socket_run() -> None:
    text = render_walkthrough(socket_run(), "mermaid")
    assert text == render_sequence(socket_run(), "mermaid")
    assert text.startswith("sequenceDiagram\n")
    assert "participant P10 as 10 server (server)" in text
    assert "P11->>P10: connect(3, 127.0.0.1:5000) = 0" in text
    assert "Note over P10: accept(3) … blocks" in text
    assert "P11->>P10: send(3" in text and "P10->>P11: send(4" in text
    assert "Note over P10,P11: S: wait for connections" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_works_everywhere_and_is_stable(fmt: str) -> None:
    snap, run = tcp_pair(), socket_run()
    for draw in (lambda: render_snapshot(snap, fmt), lambda: render_graph(snap, fmt),
                 lambda: render_walkthrough(run, fmt)):
        first = draw()
        assert first and first == draw()


def test_empty_inputs_draw() -> None:
    empty = Snapshot((), {}, "live")
    for fmt in FORMATS:
        assert render_snapshot(empty, fmt)
        assert render_walkthrough(Walkthrough("nothing", (Step(empty),)), fmt)


def test_unknown_formats_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        render_snapshot(pipe_between(), "png")
    with pytest.raises(UsageError):
        render_sequence(socket_run(), "dot")


def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    """No set or dict order leaks into the output: two interpreters, two hash seeds."""
    code = (
        "import sys, hashlib; sys.path.insert(0, sys.argv[1])\n"
        "from render_samples import random_snapshot, socket_run\n"
        "from iochannels.render import FORMATS, render_snapshot, render_walkthrough\n"
        "out = ''.join(render_snapshot(random_snapshot(7, 4, 40), f) for f in FORMATS)\n"
        "out += ''.join(render_walkthrough(socket_run(), f) for f in FORMATS)\n"
        "print(hashlib.sha256(out.encode()).hexdigest())\n"
    )
    here = str(Path(__file__).parent)
    digests = {
        subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True,
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


@settings(max_examples=40, deadline=None)
@given(hostile_names)
def test_json_of_hostile_names_follows_its_schema(name: str) -> None:
    """Names of any bytes: the documents stay valid and keep to their schemas."""
    _validator("snapshot.schema.json").validate(
        json.loads(render_snapshot(hostile_snapshot(name), "json")))
    _validator("walkthrough.schema.json").validate(
        json.loads(render_walkthrough(hostile_run(name), "json")))
