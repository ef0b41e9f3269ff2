"""Benchmarks of the simulated kernel (``make bench``; not part of ``make test``).

- bytes per second through a simulated pipe with 64 KiB writes, and through a
  real pipe driven from Python in the same run (target: the simulator at least
  10% of the real pipe);
- a TCP server with 10,000 clients in the simulator, snapshots off: seconds;
- the ``tcp-clients`` scenario with 1,000 clients, a picture after every call (as
  ``iochannels sim run tcp-clients -p clients=1000`` takes them): seconds. A picture
  costs what the call changed, so this grows with the calls, not with their square.

- the ``tcp-clients`` scenario with snapshots on, in a process of its own: seconds and
  peak memory (its maximum resident set size, getrusage(2)). The target is 10,000
  clients under 1 GB; ``IOCHANNELS_BENCH_CLIENTS`` sets the count (default 10,000).
  Pictures share the chunks of processes, of fd tables and of channels that a call did
  not change, so memory grows with the calls, not with clients times calls (10,000
  clients, 120,905 steps: 867 MiB peak, 123 to 267 s on the busy shared machine).

Run directly for a plain report: ``python benchmarks/bench_sim.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from iochannels.sim import Kernel, Proc
from iochannels.sim.scenarios import run_scenario

CHUNK = 65536
TOTAL = 256 * 1024 * 1024  # 256 MiB through each pipe


def sim_pipe_seconds(total: int = TOTAL) -> float:
    """Seconds to move ``total`` bytes through a simulated pipe, 64 KiB per call."""
    data = b"x" * CHUNK

    async def reader(p: Proc) -> int:
        await p.close(4)
        while await p.read(3, CHUNK):
            pass
        return 0

    async def writer(p: Proc) -> int:
        await p.pipe()
        await p.fork(reader, name="reader")
        await p.close(3)
        for _ in range(total // CHUNK):
            await p.write(4, data)
        await p.close(4)
        await p.wait()
        return 0

    k = Kernel(snapshots=False)
    k.spawn(writer, name="writer")
    start = time.perf_counter()
    run = k.run(max_steps=10 * total // CHUNK + 100)
    elapsed = time.perf_counter() - start
    assert set(run.exit_status.values()) == {0}
    return elapsed


def real_pipe_seconds(total: int = TOTAL) -> float:
    """Seconds to move ``total`` bytes through a real pipe: os.write here, os.read in a thread."""
    r, w = os.pipe()
    data = b"x" * CHUNK

    def drain() -> None:
        while os.read(r, CHUNK):
            pass

    reader = threading.Thread(target=drain)
    start = time.perf_counter()
    reader.start()
    try:
        for _ in range(total // CHUNK):
            os.write(w, data)
    finally:
        os.close(w)
        reader.join()
        os.close(r)
    return time.perf_counter() - start


def tcp_clients_seconds(clients: int = 10_000) -> float:
    """Seconds for a TCP echo server to serve ``clients`` clients, each a process."""
    address = ("127.0.0.1", 8080)

    async def server(p: Proc) -> int:
        ls = await p.socket("inet", "stream")
        await p.bind(ls, address)
        await p.listen(ls, 128)
        for _ in range(clients):
            conn, _ = await p.accept(ls)
            await p.send(conn, await p.recv(conn, 100))
            await p.close(conn)
        return 0

    async def client(p: Proc) -> int:
        s = await p.socket("inet", "stream")
        await p.connect(s, address)
        await p.send(s, b"hello")
        assert await p.recv(s, 100) == b"hello"
        await p.close(s)
        return 0

    k = Kernel(snapshots=False, max_files=clients + 16)
    k.spawn(server, name="server")
    for i in range(clients):
        k.spawn(client, name=f"client{i}")
    start = time.perf_counter()
    run = k.run(max_steps=100 * clients)
    elapsed = time.perf_counter() - start
    assert run.deadlock is None and set(run.exit_status.values()) == {0}
    return elapsed


def tcp_clients_snapshots_seconds(clients: int = 1000) -> float:
    """Seconds to run the ``tcp-clients`` scenario with a snapshot after every call."""
    start = time.perf_counter()
    run = run_scenario("tcp-clients", seed=3, clients=clients)
    elapsed = time.perf_counter() - start
    assert run.deadlock is None and set(run.exit_status.values()) == {0}
    assert len(run.steps) == len(run.events) + 1  # one picture per call, and the start
    return elapsed


_MEMORY_PROBE = """
import json, resource, sys, time
from iochannels.sim.scenarios import prepare
n = int(sys.argv[1])
prepared = prepare("tcp-clients", 3, {"clients": n})  # the server raises its fd limit
start = time.perf_counter()
run = prepared.run(max_steps=20 * n)
seconds = time.perf_counter() - start
assert run.deadlock is None and not run.stopped and set(run.exit_status.values()) == {0}
assert len(run.steps) == len(run.events) + 1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak, "steps": len(run.steps)}))
"""


def tcp_clients_memory(clients: int) -> dict[str, float]:
    """Seconds, peak resident bytes and steps of ``tcp-clients`` with snapshots on, run
    in a fresh interpreter so that its peak is its own."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(clients)], check=True,
                         capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def bench_clients() -> int:
    return int(os.environ.get("IOCHANNELS_BENCH_CLIENTS", "10000"))


def test_sim_pipe_throughput(benchmark: Any) -> None:
    sim = benchmark.pedantic(sim_pipe_seconds, rounds=1, iterations=1)
    real = real_pipe_seconds()
    ratio = real / sim
    benchmark.extra_info.update(sim_mb_s=TOTAL / sim / 1e6, real_mb_s=TOTAL / real / 1e6,
                                ratio=ratio)
    assert ratio >= 0.10, f"the simulated pipe runs at {ratio:.0%} of the real one"


def test_tcp_server_with_10000_clients(benchmark: Any) -> None:
    seconds = benchmark.pedantic(tcp_clients_seconds, rounds=1, iterations=1)
    benchmark.extra_info["seconds"] = seconds
    assert seconds < 60


def test_tcp_clients_scenario_with_snapshots(benchmark: Any) -> None:
    seconds = benchmark.pedantic(tcp_clients_snapshots_seconds, rounds=1, iterations=1)
    benchmark.extra_info["seconds"] = seconds


def test_tcp_clients_with_snapshots_memory(benchmark: Any) -> None:
    clients = bench_clients()
    result = benchmark.pedantic(tcp_clients_memory, args=(clients,), rounds=1, iterations=1)
    benchmark.extra_info.update(clients=clients, **result)
    if clients <= 10_000:  # the target: 10,000 clients with snapshots on under 1 GB
        assert result["peak_bytes"] < 1e9, f"peak {result['peak_bytes'] / 2**20:,.0f} MiB"


if __name__ == "__main__":
    sim, real = sim_pipe_seconds(), real_pipe_seconds()
    print(f"pipe, 64 KiB writes: simulated {TOTAL / sim / 1e6:,.0f} MB/s, "
          f"real {TOTAL / real / 1e6:,.0f} MB/s: {real / sim:.0%} of real")
    print(f"TCP server with 10,000 clients (simulated, snapshots off): "
          f"{tcp_clients_seconds():.1f} s")
    for n in (250, 500, 1000):
        print(f"tcp-clients scenario, {n:,} clients, a snapshot after every call: "
              f"{tcp_clients_snapshots_seconds(n):.2f} s")
    for n in (2000, bench_clients()):
        got = tcp_clients_memory(n)
        print(f"tcp-clients scenario, {n:,} clients, snapshots on, own process: "
              f"{got['seconds']:.1f} s, peak {got['peak_bytes'] / 2**20:,.0f} MiB, "
              f"{got['steps']:,.0f} steps")
