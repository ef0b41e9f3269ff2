"""The pictures' channel mappings share chunks, yet read exactly as drawn from scratch."""

from __future__ import annotations

import pytest

from iochannels.sim import Kernel
from iochannels.sim.scenarios import SCENARIOS, prepare
from iochannels.sim.snapshot import Chunks, draw


def _checked(k: Kernel) -> list[tuple[list[str], list[str]]]:
    """Every picture's channel ids in order, beside those of one drawn from scratch."""
    pairs = []
    take = k.camera.take

    def both(procs, taken_at):  # type: ignore[no-untyped-def]
        cached = take(procs, taken_at)
        pairs.append((list(cached.channels), list(draw(procs, taken_at).channels)))
        assert dict(cached.channels) == dict(draw(procs, taken_at).channels)
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
