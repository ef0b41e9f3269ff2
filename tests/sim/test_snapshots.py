"""Snapshots: the cheap, cached pictures equal pictures drawn from scratch, at every step."""

from __future__ import annotations

import pytest

from iochannels.model import BufferRole, Kind
from iochannels.sim import Kernel, Proc
from iochannels.sim.scenarios import SCENARIOS, get
from iochannels.sim.snapshot import Camera


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_cached_pictures_equal_fresh_ones(name: str) -> None:
    scenario = get(name)
    k = scenario.kernel(0, scenario.params({}))
    turns = 0
    while k.run(max_steps=k.turns + 1).stopped:  # one turn at a time
        turns += 1
        fresh = Camera().take(k.procs, float(len(k.events)))
        assert k.steps[-1].snapshot == fresh, f"after {k.events[-1]}"
    assert turns >= 3
    assert k.snapshot() == Camera().take(k.procs, float(len(k.events)))


def test_a_connection_shows_two_channels_and_four_buffers() -> None:
    async def server(p: Proc) -> int:
        ls = await p.socket("unix", "stream")
        await p.bind(ls, "s")
        await p.listen(ls, 1)
        conn, _ = await p.accept(ls)
        await p.recv(conn, 1)  # waits: the picture now shows the connection
        return 0

    async def client(p: Proc) -> int:
        s = await p.socket("unix", "stream")
        await p.connect(s, "s")
        await p.read(0, 1)  # the terminal: end of file at once
        await p.wait()  # ECHILD: ends the program with status 1
        return 0

    k = Kernel()
    k.spawn(server, name="server")
    k.spawn(client, name="client")
    run = k.run()
    snap = next(s.snapshot for s in run.steps if s.event and s.event.call == "read")
    sockets = [c for c in snap.channels.values() if c.kind == Kind.UNIX_STREAM]
    connected = [c for c in sockets if c.peer is not None]
    assert len(connected) == 2 and {c.peer for c in connected} == {c.id for c in connected}
    roles = [b.role for c in connected for b in c.buffers]
    assert roles.count(BufferRole.SEND) == 2 and roles.count(BufferRole.RECV) == 2
    listening = [c for c in sockets if c.state == "LISTEN"]
    assert listening and listening[0].detail["backlog"] == "1"
