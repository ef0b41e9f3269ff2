"""The lecture's scenarios on the simulated kernel: each shows the fact it is there for."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from iochannels.errors import NotFound, UsageError
from iochannels.model import BufferRole, Event, Kind, Process, Snapshot
from iochannels.sim import SimRun
from iochannels.sim.scenarios import SCENARIOS, SECTIONS, get, prepare, run_scenario

ECHO = b"echo: Hello, world!\n"


def pid_of(run: SimRun, name: str) -> int:
    """The pid of the (first) process called ``name`` in any step of the run."""
    for step in run.steps:
        for proc in step.snapshot.processes:
            if proc.name == name:
                return proc.pid
    raise AssertionError(f"no process {name!r} in the run")


def events_of(run: SimRun, name: str, call: str) -> list[Event]:
    pid = pid_of(run, name)
    return [e for e in run.events if e.pid == pid and e.call == call]


def done(run: SimRun, name: str, call: str) -> list[Event]:
    """The calls of ``name`` that completed (not the parking of a blocked one)."""
    return [e for e in events_of(run, name, call) if not e.blocked]


def procs(run: SimRun, name: str) -> Iterator[tuple[Snapshot, Process]]:
    for step in run.steps:
        for proc in step.snapshot.processes:
            if proc.name == name:
                yield step.snapshot, proc


def kinds_held(snap: Snapshot, proc: Process, kind: Kind) -> int:
    return sum(1 for e in proc.fds if snap.channels[e.channel].kind == kind)


def all_exited_0(run: SimRun) -> bool:
    return bool(run.exit_status) and all(s == 0 for s in run.exit_status.values())


# -- the registry --------------------------------------------------------------------------


def test_names_are_unique_kebab_case_and_every_section_has_one() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names)
    assert {s.section for s in SCENARIOS} == set(SECTIONS) == {1, 2, 3, 4, 5, 6}
    assert all(s.title and len(s.watch.splitlines()) >= 2 for s in SCENARIOS)


def test_the_demos_twins_exist() -> None:
    for name in ("fd-table", "two-pipes", "stream-vs-block", "blocking-full-pipe", "fifo",
                 "unix-stream", "unix-dgram", "tcp", "udp", "redirect", "pipe-operator",
                 "tcp-clients"):
        assert get(name).name == name


def test_unknown_scenario_is_not_found_with_a_hint() -> None:
    with pytest.raises(NotFound, match="sim list"):
        get("no-such")


def test_unknown_or_bad_parameter_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="clients"):
        run_scenario("pipe", clients=3)
    with pytest.raises(UsageError, match="integer"):
        run_scenario("tcp-clients", clients="many")


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_every_scenario_runs_to_its_end(name: str) -> None:
    run = run_scenario(name)
    assert run.steps[0].event is None
    assert len(run.steps) == len(run.events) + 1
    assert (run.deadlock is not None) == (name == "deadlock")
    walkthrough = run.walkthrough(get(name).title, get(name).watch)
    assert walkthrough.steps == run.steps


@pytest.mark.parametrize("name", ["pipe", "tcp-clients", "deadlock"])
def test_same_seed_same_run(name: str) -> None:
    assert run_scenario(name, seed=7).events == run_scenario(name, seed=7).events


def test_without_snapshots_the_events_are_the_same() -> None:
    fast = prepare("tcp-clients", 0, {"clients": 4}, snapshots=False).run()
    assert fast.events == run_scenario("tcp-clients", clients=4).events
    assert len(fast.steps) == 2  # the start and the end


# -- section 1 ------------------------------------------------------------------------------


def test_fd_table_fills_from_the_lowest_free_fd_up_to_max_files() -> None:
    run = run_scenario("fd-table", max_files=10)
    opens = done(run, "prog", "open")
    assert opens[0].result == 3
    assert opens[1].result == 4  # after pipe (4, 5), socket (6) and close(4)
    assert opens[-1].error == "EMFILE"
    final = [p for s, p in procs(run, "prog")][-2]  # the last picture before exit
    assert sorted(e.fd for e in final.fds) == list(range(10))


# -- section 2 ------------------------------------------------------------------------------


def test_stream_vs_block() -> None:
    prepared = prepare("stream-vs-block")
    run = prepared.run()
    assert [e.error for e in done(run, "prog", "lseek")].count("ESPIPE") == 1
    assert [e.result for e in done(run, "prog", "read")][:2] == [4, 12]
    assert prepared.kernel.files["data.txt"] == b"hello WORLD"
    capacities = {
        b.capacity
        for step in run.steps
        for ch in step.snapshot.channels.values()
        if ch.kind == Kind.PIPE
        for b in ch.buffers
    }
    assert capacities == {16}


# -- section 3 ------------------------------------------------------------------------------


def test_pipe_walkthrough_ends_with_eof() -> None:
    run = run_scenario("pipe")
    reads = done(run, "child", "read")
    assert reads[0].result == 14
    assert reads[-1].result == 0  # end of stream: every write end closed
    assert reads[-1].args[1] == '""'  # read returned b""
    assert run.terminal == b"child got: Hello, world!\n"
    assert all_exited_0(run)
    pipes = {
        ch.id for step in run.steps for ch in step.snapshot.channels.values()
        if ch.kind == Kind.PIPE
    }
    assert len(pipes) == 1  # ONE channel, held by both processes


def test_pipe_has_one_buffer_that_fills_with_the_message() -> None:
    run = run_scenario("pipe")
    fills = [
        b.used for step in run.steps for ch in step.snapshot.channels.values()
        if ch.kind == Kind.PIPE for b in ch.buffers
    ]
    assert 14 in fills
    for step in run.steps:
        for ch in step.snapshot.channels.values():
            if ch.kind == Kind.PIPE:
                assert [b.role for b in ch.buffers] == [BufferRole.PIPE]


@pytest.mark.parametrize("name", ["two-pipes", "fifo", "unix-stream", "unix-dgram", "tcp", "udp"])
def test_bidirectional_echo(name: str) -> None:
    run = run_scenario(name)
    assert run.terminal == ECHO
    assert all_exited_0(run)


def test_two_pipes_are_two_channels() -> None:
    run = run_scenario("two-pipes")
    peak = max(sum(1 for ch in s.snapshot.channels.values() if ch.kind == Kind.PIPE)
               for s in run.steps)
    assert peak == 2


def test_fifo_is_found_by_path() -> None:
    prepared = prepare("fifo")
    run = prepared.run()
    kinds = {ch.kind for s in run.steps for ch in s.snapshot.channels.values()}
    assert Kind.FIFO in kinds and Kind.PIPE not in kinds
    assert "to_server.fifo" not in prepared.kernel.files  # unlinked at the end


def test_unix_stream_connection_has_four_buffers() -> None:
    run = run_scenario("unix-stream")
    peak = max(kinds_held(s, p, Kind.UNIX_STREAM) for s, p in procs(run, "server"))
    assert peak == 2  # the listening socket + the connection socket
    for step in run.steps:
        conns = [ch for ch in step.snapshot.channels.values()
                 if ch.kind == Kind.UNIX_STREAM and ch.peer]
        if len(conns) == 2:
            roles = sorted(str(b.role) for ch in conns for b in ch.buffers)
            assert roles == ["recv", "recv", "send", "send"]
            return
    raise AssertionError("never saw both ends of the connection")


def test_unix_dgram_client_binds_its_own_path() -> None:
    run = run_scenario("unix-dgram")
    assert [e.error for e in done(run, "client", "bind")] == [None]


def test_tcp_server_holds_listening_plus_connection_socket() -> None:
    run = run_scenario("tcp")
    assert max(kinds_held(s, p, Kind.TCP) for s, p in procs(run, "server")) == 2
    assert max(kinds_held(s, p, Kind.TCP) for s, p in procs(run, "client")) == 1


def test_udp_has_one_socket_per_side() -> None:
    run = run_scenario("udp")
    assert max(kinds_held(s, p, Kind.UDP) for s, p in procs(run, "server")) == 1
    assert not events_of(run, "server", "accept") and not events_of(run, "server", "listen")


# -- section 4 ------------------------------------------------------------------------------


def test_redirect_puts_the_text_in_the_file() -> None:
    prepared = prepare("redirect")
    run = prepared.run()
    assert prepared.kernel.files["out.txt"] == b"Hello, world!\n"
    assert run.terminal == b""
    shared = [
        p for _, p in procs(run, "prog")
        if p.fd(1) and p.fd(3) and p.fd(1).channel == p.fd(3).channel  # type: ignore[union-attr]
    ]
    assert shared, "after dup2(3, 1) fds 1 and 3 point to one channel"


def test_pipe_operator_prints_the_message() -> None:
    run = run_scenario("pipe-operator")
    assert run.terminal == b"Message is: Hello, world!\n"
    assert all_exited_0(run)
    writer = [p.fd(1) for _, p in procs(run, "writer") if p.fd(1)]
    reader = [p.fd(0) for _, p in procs(run, "reader") if p.fd(0)]
    pipe_ids = {e.channel for e in writer} & {e.channel for e in reader}  # type: ignore[union-attr]
    assert pipe_ids, "the writer's stdout and the reader's stdin are one pipe"


# -- section 5 ------------------------------------------------------------------------------


@pytest.mark.parametrize("clients", [1, 3, 6])
def test_tcp_server_holds_one_plus_n_sockets(clients: int) -> None:
    run = run_scenario("tcp-clients", clients=clients)
    assert max(kinds_held(s, p, Kind.TCP) for s, p in procs(run, "server")) == 1 + clients
    assert len(done(run, "server", "accept")) == clients
    assert all_exited_0(run)


@pytest.mark.parametrize("clients", [1, 3, 6])
def test_udp_server_holds_one_socket(clients: int) -> None:
    run = run_scenario("udp-clients", clients=clients)
    assert max(kinds_held(s, p, Kind.UDP) for s, p in procs(run, "server")) == 1
    assert len(done(run, "server", "recvfrom")) == clients
    assert all_exited_0(run)


def test_accept_queue_makes_a_client_wait() -> None:
    run = run_scenario("accept-queue", clients=4, backlog=1)
    waited = [e for e in run.events if e.call == "connect" and e.blocked]
    assert len(waited) == 2, "backlog 1: two connections queue (Linux: backlog + 1), two wait"
    queued = {
        ch.detail.get("accept queue") for s in run.steps for ch in s.snapshot.channels.values()
        if ch.state == "LISTEN"
    }
    assert "2" in queued and "3" not in queued
    assert all_exited_0(run)


# -- section 6 ------------------------------------------------------------------------------


def test_full_pipe_blocks_the_writer() -> None:
    run = run_scenario("blocking-full-pipe", pipe_capacity=65536, extra=16384)
    writes = events_of(run, "writer", "write")
    assert writes[0].blocked
    assert writes[-1].result == 65536 + 16384
    fills = [b.fill for s in run.steps for ch in s.snapshot.channels.values()
             if ch.kind == Kind.PIPE for b in ch.buffers]
    assert 1.0 in fills
    assert run.terminal == b"reader got 81920 bytes\n"


def test_empty_pipe_blocks_the_reader() -> None:
    run = run_scenario("blocking-empty-pipe")
    reads = events_of(run, "reader", "read")
    assert reads[0].blocked and reads[-1].result == 14


def test_partial_write_returns_what_fit() -> None:
    run = run_scenario("blocking-partial-write")
    assert [e.result for e in done(run, "prog", "write")] == [65536 - 4096, 4096]


def test_eagain_instead_of_waiting() -> None:
    run = run_scenario("blocking-eagain")
    assert [e.error for e in events_of(run, "prog", "read")] == ["EAGAIN"]
    assert [e.error for e in events_of(run, "prog", "write")] == [None, "EAGAIN"]
    assert not any(e.blocked for e in run.events)


def test_zero_at_end_of_stream() -> None:
    run = run_scenario("blocking-eof")
    reads = done(run, "reader", "read")
    assert reads[0].result == 11 and reads[-1].result == 0


def test_epipe_and_sigpipe_kill_the_writer() -> None:
    run = run_scenario("blocking-epipe")
    assert [e.error for e in events_of(run, "writer", "write")] == ["EPIPE"]
    assert run.exit_status[pid_of(run, "writer")] == "SIGPIPE"
    assert run.exit_status[pid_of(run, "parent")] == 0
    assert b"not reached" not in run.terminal


def test_file_read_returns_at_once() -> None:
    run = run_scenario("blocking-file")
    assert [e.result for e in done(run, "prog", "read")] == [8192, 0]
    assert not any(e.blocked for e in run.events)


def test_deadlock_reports_both_readers() -> None:
    run = run_scenario("deadlock")
    assert run.deadlock is not None
    waiting = {w.name: w for w in run.deadlock.waiters}
    assert {"alice", "bob"} <= set(waiting)
    assert waiting["alice"].call == "read" and waiting["bob"].call == "read"
    assert waiting["alice"].fd == 3 and waiting["bob"].fd == 5
    assert run.deadlock.reason


# -- preemption: the seed picks the interleaving ----------------------------------------------


def test_with_preemption_seeds_give_different_interleavings() -> None:
    traces = {run_scenario("two-pipes", seed=seed, preempt=50).events for seed in range(1, 7)}
    assert len(traces) >= 2
    assert all(run_scenario("two-pipes", seed=s, preempt=50).terminal == ECHO for s in range(1, 7))


@pytest.mark.parametrize("name", ["unix-stream", "unix-dgram", "tcp", "tcp-clients"])
def test_clients_try_again_until_the_server_is_ready(name: str) -> None:
    for seed in range(1, 9):
        run = run_scenario(name, seed=seed, preempt=50)
        assert run.deadlock is None and all_exited_0(run), (name, seed)


def test_a_udp_datagram_sent_too_early_is_lost() -> None:
    runs = [run_scenario("udp", seed=seed, preempt=50) for seed in range(1, 11)]
    lost = [r for r in runs if r.deadlock is not None]
    assert lost, "some seed sends before the server has bound its port"
    waiting = {w.name: w.call for w in lost[0].deadlock.waiters}  # type: ignore[union-attr]
    assert waiting["client"] == "recvfrom"
