"""The pictures' channel mappings share chunks, yet read exactly as drawn from scratch."""

from __future__ import annotations

from dataclasses import astuple, fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iochannels.model import Process
from iochannels.sim import Kernel
from iochannels.sim.scenarios import SCENARIOS, prepare
from iochannels.sim.snapshot import Chunks, Rows, draw


def vars_of(p: Process) -> tuple[object, ...]:
    """A process's fields in order, its fds as the object it holds."""
    return tuple(getattr(p, f.name) for f in fields(p))


def _checked(k: Kernel) -> list[tuple[list[str], list[str]]]:
    """Every picture's channel ids in order, beside those of one drawn from scratch."""
    pairs = []
    take = k.camera.take

    def both(procs, taken_at):  # type: ignore[no-untyped-def]
        cached = take(procs, taken_at)
        pairs.append((list(cached.channels), list(draw(procs, taken_at).channels)))
        fresh = draw(procs, taken_at)
        assert dict(cached.channels) == dict(fresh.channels)
        # processes and fd tables too, item by item as tuples (a Rows only says equal)
        assert [(*vars_of(p)[:3], tuple(p.fds), *vars_of(p)[4:]) for p in cached.processes] \
            == [(*vars_of(p)[:3], tuple(p.fds), *vars_of(p)[4:]) for p in fresh.processes]
        return cached

    k.camera.take = both  # type: ignore[method-assign]
    return pairs


@pytest.mark.parametrize(("name", "params"), [
    *((s.name, {}) for s in SCENARIOS),
    ("tcp-clients", {"clients": 150}), ("accept-queue", {"clients": 40, "backlog": 2}),
    ("udp-clients", {"clients": 80}), ("two-pipes", {"preempt": 50}),
])
def test_channels_keep_the_order_of_a_fresh_picture(name: str, params: dict[str, int]) -> None:
    prepared = prepare(name, seed=3, params=params)
    pairs = _checked(prepared.kernel)
    prepared.run()
    assert pairs
    for cached, fresh in pairs:
        assert cached == fresh


def test_unchanged_chunks_are_shared_between_pictures() -> None:
    run = prepare("tcp-clients", params={"clients": 300}).run()
    chunks = [s.snapshot.channels for s in run.steps]
    assert all(isinstance(c, Chunks) for c in chunks)
    distinct = {id(chunk) for c in chunks for chunk in c.parts}
    total = sum(len(c.parts) for c in chunks)
    assert len(distinct) * 5 < total  # at most one chunk in five is new in a picture


def test_chunks_read_like_a_dict() -> None:
    from iochannels.model import Channel, Kind

    models = {f"c{i}": Channel(f"c{i}", Kind.PIPE, f"pipe {i}") for i in range(300)}
    chunks = Chunks.of(models)
    assert list(chunks.items()) == list(models.items()) and len(chunks) == 300
    assert chunks == models and "c7" in chunks and "x" not in chunks
    with pytest.raises(KeyError):
        chunks["x"]
    smaller = dict(models)
    del smaller["c150"]
    again = Chunks.of(smaller, chunks)
    shared = {id(c) for c in chunks.parts} & {id(c) for c in again.parts}
    assert len(shared) >= len(again.parts) - 1


def _id_chunks(rows: object) -> list[int]:
    assert isinstance(rows, Rows)
    return [id(chunk) for chunk in rows._chunks]


def test_unchanged_processes_and_fd_tables_are_shared_between_pictures() -> None:
    run = prepare("tcp-clients", params={"clients": 300}).run()
    rows = [s.snapshot.processes for s in run.steps]
    distinct = {i for r in rows for i in _id_chunks(r)}
    total = sum(len(_id_chunks(r)) for r in rows)
    assert len(distinct) * 5 < total
    # the server's table of 304 fds at most: in chunks too, shared while its fds stay
    tables = [p.fds for s in run.steps for p in s.snapshot.processes if p.name == "server"]
    assert max(map(len, tables)) == 304
    distinct = {i for t in tables for i in _id_chunks(t)}
    assert len(distinct) * 3 < sum(len(_id_chunks(t)) for t in tables)


@settings(deadline=None, derandomize=True, max_examples=200)
@given(st.lists(st.lists(st.integers(), min_size=1, max_size=5), max_size=6),
       st.integers(-40, 40), st.integers(-40, 40), st.integers(-40, 40))
def test_rows_read_like_a_tuple(parts: list[list[int]], i: int, j: int, k: int) -> None:
    rows = Rows(tuple(map(tuple, parts)))
    flat = tuple(x for part in parts for x in part)
    assert tuple(rows) == flat and len(rows) == len(flat) and list(reversed(rows)) == \
        list(reversed(flat))
    assert rows == flat and flat == rows and rows == list(flat) and rows == Rows((flat,))
    assert rows != (*flat, 0) and (*flat, 0) != rows and rows != "abc"
    assert hash(rows) == hash(flat)
    assert rows + (1,) == (*flat, 1) and (1,) + rows == (1, *flat)  # noqa: RUF005  # as a tuple
    if k != 0:
        assert rows[i:j:k] == flat[i:j:k]
    if -len(flat) <= i < len(flat):
        assert rows[i] == flat[i] and rows.index(flat[i]) == flat.index(flat[i])
    else:
        with pytest.raises(IndexError):
            rows[i]


def test_a_snapshot_of_rows_equals_one_of_tuples() -> None:
    run = prepare("tcp-clients", params={"clients": 70}).run()
    last = run.steps[-8].snapshot
    assert isinstance(last.processes, Rows)
    plain = astuple(last)
    assert last == type(last)(tuple(last.processes), dict(last.channels), *plain[2:])


def test_tcp_clients_serves_more_clients_than_the_default_fd_limit() -> None:
    """The server holds 1,104 fds at once: above max_files=1024 it raised its own limit
    (as `ulimit -n` would), so every client is served, and no call failed with EMFILE."""
    run = prepare("tcp-clients", params={"clients": 1100}, snapshots=False).run()
    assert run.deadlock is None and not run.stopped
    assert len(run.exit_status) == 1101 and set(run.exit_status.values()) == {0}
    assert not [e for e in run.events if "EMFILE" in str(e) or "ECONNREFUSED" in str(e)]
