"""TCP and UDP on 127.0.0.1: the simulator against Linux, script by script.

Directed scripts that must agree on both kernels (EOF after shutdown and close,
ECONNREFUSED, datagram boundaries, EAGAIN, blocking accept and recv, ports by
name); hypothesis-drawn TCP and UDP scripts; partial writes compared where they
are comparable; and each known divergence shown still to be one.
"""

from __future__ import annotations

import pytest
from fidelitykit import DrawChooser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iochannels.fidelity import DIVERGENCES, EXCLUSIONS, Op, Script, compare
from iochannels.fidelity.generate import script_from
from iochannels.fidelity.linux import LinuxRunner
from iochannels.fidelity.observe import Record, Result
from iochannels.fidelity.script import payload
from iochannels.fidelity.simrun import run_sim

TCP, UDP, NOBODY = 2, 3, 3  # socket types; the port name nobody binds
A, B = 0, 1  # port names

# A TCP connection: the listener at fd 3 (port "a"), the client at 4, the accepted end at 5.
CONNECTION = (Op(0, "socket", (TCP,)), Op(0, "bind_in", (3, A)), Op(0, "listen", (3, 1)),
              Op(0, "socket", (TCP,)), Op(0, "connect_in", (4, A)), Op(0, "accept", (3,)))


def agreed(linux: LinuxRunner, *steps: Op) -> list[Result]:
    """Run the script on both kernels; they must agree on every step, and none may stop."""
    script = Script(steps)
    sim = run_sim(script)
    assert sim.stopped_by is None, sim.stopped_by
    records = linux.run(script, sim.records)
    assert records == list(sim.records), compare(script, linux)[0]
    return [r.result for r in records]


def done(value: object) -> Result:
    return Result("done", value)


def test_tcp_shutdown_wr_is_end_of_file_for_the_peer(linux: LinuxRunner) -> None:
    """shutdown(2) SHUT_WR: the peer reads what was sent, then 0 bytes; the other way
    still works; and the accepted end's peer is the client, on an ephemeral port."""
    results = agreed(linux, *CONNECTION,
                     Op(0, "send", (4, 100)), Op(0, "shutdown", (4, 1)),
                     Op(0, "recv", (5, 1000)), Op(0, "recv", (5, 1000)),
                     Op(0, "send", (5, 7)), Op(0, "recv", (4, 100)),
                     Op(0, "send", (4, 1)))
    assert results[5] == done((5, ("127.0.0.1", "e1")))
    assert results[8:] == [done(payload(6, 100)), done(b""), done(7), done(payload(10, 7)),
                           Result("error", "EPIPE")]


def test_tcp_close_is_end_of_file_and_unread_bytes_reset(linux: LinuxRunner) -> None:
    """close(2) with nothing unread: the peer reads end of file. Closing with unread bytes
    resets the connection: the peer's next recv says ECONNRESET, then end of file."""
    eof = agreed(linux, *CONNECTION, Op(0, "close", (5,)), Op(0, "recv", (4, 10)),
                 Op(0, "recv", (4, 10)))
    assert eof[7:] == [done(b""), done(b"")]
    reset = agreed(linux, *CONNECTION, Op(0, "send", (4, 50)), Op(0, "close", (5,)),
                   Op(0, "recv", (4, 10)), Op(0, "recv", (4, 10)))
    assert reset[8:] == [Result("error", "ECONNRESET"), done(b"")]


def test_connect_to_a_port_nobody_listens_on_is_refused(linux: LinuxRunner) -> None:
    """tcp(7): ECONNREFUSED, blocking or not (a nonblocking connect's handshake is
    finished by the Linux worker: see the tcp-handshake simplification); a bound socket
    that does not listen refuses too."""
    results = agreed(linux, Op(0, "socket", (TCP,)), Op(0, "connect_in", (3, NOBODY)),
                     Op(0, "set_nonblock", (3, 1)), Op(0, "connect_in", (3, NOBODY)),
                     Op(0, "socket", (TCP,)), Op(0, "bind_in", (4, A)),
                     Op(0, "connect_in", (3, A)))
    assert results[1] == results[3] == results[6] == Result("error", "ECONNREFUSED")


def test_nonblocking_connect_then_accept_and_send(linux: LinuxRunner) -> None:
    steps = list(CONNECTION)
    steps.insert(4, Op(0, "set_nonblock", (4, 1)))
    results = agreed(linux, *steps, Op(0, "connect_in", (4, A)), Op(0, "send", (5, 3000)),
                     Op(0, "recv", (4, 5000)), Op(0, "recv", (4, 5000)))
    assert results[5] == done(None)
    assert results[7:] == [Result("error", "EISCONN"), done(3000), done(payload(8, 3000)),
                           Result("error", "EAGAIN")]


def test_blocking_accept_and_recv_wait_for_the_other_process(linux: LinuxRunner) -> None:
    results = agreed(linux, Op(0, "socket", (TCP,)), Op(0, "bind_in", (3, A)),
                     Op(0, "listen", (3, 0)), Op(0, "fork"),
                     Op(1, "accept", (3,)),  # waits for a connection
                     Op(0, "socket", (TCP,)), Op(0, "connect_in", (4, A)),
                     Op(1, "recv", (4, 100)),  # waits for data
                     Op(0, "send", (4, 5)), Op(0, "close", (4,)), Op(1, "recv", (4, 100)))
    assert results[4] == Result("blocked") and results[7] == Result("blocked")
    assert results[10] == done(b"")


def test_udp_keeps_boundaries_names_senders_and_says_eagain(linux: LinuxRunner) -> None:
    """udp(7): one recvfrom, one datagram, cut to the buffer (the rest is lost), with the
    sender's address; an unbound sender gets a port at its first sendto; O_NONBLOCK and
    nothing queued: EAGAIN; a datagram to a port nobody binds is lost without an error."""
    results = agreed(linux, Op(0, "socket", (UDP,)), Op(0, "bind_in", (3, A)),
                     Op(0, "socket", (UDP,)), Op(0, "bind_in", (4, B)),
                     Op(0, "sendto_in", (3, 100, B)), Op(0, "sendto_in", (3, 20000, B)),
                     Op(0, "sendto_in", (3, 0, B)),
                     Op(0, "recvfrom", (4, 7)), Op(0, "recv", (4, 65536)),
                     Op(0, "recvfrom", (4, 10)),
                     Op(0, "socket", (UDP,)), Op(0, "sendto_in", (5, 9, B)),
                     Op(0, "recvfrom", (4, 100)), Op(0, "sendto_in", (5, 9, NOBODY)),
                     Op(0, "set_nonblock", (4, 1)), Op(0, "recvfrom", (4, 100)),
                     Op(0, "close", (3,)), Op(0, "sendto_in", (5, 4, A)))
    assert results[7] == done((payload(4, 100)[:7], ("127.0.0.1", "a")))
    assert results[8] == done(payload(5, 20000))
    assert results[9] == done((b"", ("127.0.0.1", "a")))
    assert results[12] == done((payload(11, 9), ("127.0.0.1", "e1")))
    assert results[13] == done(9)
    assert results[15] == Result("error", "EAGAIN")
    assert results[17] == done(4)


def test_a_port_in_use_is_refused(linux: LinuxRunner) -> None:
    """bind(2) EADDRINUSE: a second socket asks for the port of a live one. TCP and UDP
    name their ports apart: "a" of a TCP socket is a port of its own."""
    results = agreed(linux, Op(0, "socket", (UDP,)), Op(0, "bind_in", (3, A)),
                     Op(0, "socket", (UDP,)), Op(0, "bind_in", (4, A)),
                     Op(0, "socket", (TCP,)), Op(0, "bind_in", (5, A)),
                     Op(0, "bind_in", (5, B)))
    assert results[3] == Result("error", "EADDRINUSE")
    assert results[5] == done(None) and results[6] == Result("error", "EINVAL")


def test_partial_writes_compare_where_comparable(linux: LinuxRunner) -> None:
    """Nonblocking sends into a TCP connection nobody reads: on both kernels some sends
    are taken whole, at most one in part, then EAGAIN; the reader then gets exactly the
    bytes taken, in order. Where it happens differs (socket-buffer-accounting), so the
    counts are not compared, only that shape."""
    sends = [Op(0, "send", (4, 61440)) for _ in range(40)]
    reads = [Op(0, "recv", (5, 100000)) for _ in range(80)]
    script = Script((*CONNECTION, Op(0, "set_nonblock", (4, 1)), Op(0, "set_nonblock", (5, 1)),
                     *sends, *reads))
    sim = run_sim(script, {"socket_buffer": 65536},
                  ignore=frozenset({"socket-buffer-accounting"}))
    assert sim.stopped_by is None
    records = linux.run(script, sim.records)
    for side in (list(sim.records), records):
        _check_partial_writes(script, side)


def _check_partial_writes(script: Script, records: list[Record]) -> None:
    taken, got = b"", b""
    results = []
    for i, (op, record) in enumerate(zip(script.steps, records, strict=True)):
        if op.call == "send":
            results.append(record.result)
            if record.result.kind == "done":
                taken += payload(i, op.args[1])[: record.result.value]
        elif op.call == "recv" and record.result.kind == "done":
            got += record.result.value
    counts = [r.value for r in results if r.kind == "done"]
    assert counts and all(n == 61440 for n in counts[:-1]) and 0 < counts[-1] <= 61440
    assert results[len(counts):] == [Result("error", "EAGAIN")] * (40 - len(counts))
    assert got == taken


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_tcp_and_udp_scripts_agree_with_linux(linux: LinuxRunner,
                                                     data: st.DataObject) -> None:
    chooser = DrawChooser(data)
    script = script_from(chooser, chooser.integer(3, 24), inet=True)
    difference, _, stopped = compare(script, linux)
    assert difference is None, str(difference)
    assert stopped is None or stopped in {e.name for e in EXCLUSIONS}


# One script per known divergence: it stops there, and without the stop it differs there.
SHOWN_BY = {
    "tcp-peer-closed": (*CONNECTION, Op(0, "close", (5,)), Op(0, "send", (4, 100))),
    "listener-close-resets": (Op(0, "socket", (TCP,)), Op(0, "bind_in", (3, A)),
                              Op(0, "listen", (3, 1)), Op(0, "socket", (TCP,)),
                              Op(0, "connect_in", (4, A)), Op(0, "close", (3,)),
                              Op(0, "recv", (4, 10))),
    "tcp-shut-rd": (*CONNECTION, Op(0, "shutdown", (5, 0)), Op(0, "send", (4, 100))),
    "tcp-unconnected-send": (Op(0, "socket", (TCP,)), Op(0, "send", (3, 1))),
    "tcp-connect-order": (*CONNECTION, Op(0, "connect_in", (4, NOBODY))),
    "inet-shutdown-unconnected": (Op(0, "socket", (UDP,)), Op(0, "shutdown", (3, 2))),
    "udp-refused": (Op(0, "socket", (UDP,)), Op(0, "connect_in", (3, NOBODY)),
                    Op(0, "send", (3, 5)), Op(0, "set_nonblock", (3, 1)),
                    Op(0, "recv", (3, 10))),
    "udp-connected-filter": (Op(0, "socket", (UDP,)), Op(0, "bind_in", (3, A)),
                             Op(0, "socket", (UDP,)), Op(0, "bind_in", (4, B)),
                             Op(0, "connect_in", (4, A)), Op(0, "set_nonblock", (4, 1)),
                             Op(0, "socket", (UDP,)), Op(0, "sendto_in", (5, 5, B)),
                             Op(0, "recv", (4, 10))),
    "tcp-shutdown-listener": (Op(0, "socket", (TCP,)), Op(0, "listen", (3, 1)),
                              Op(0, "shutdown", (3, 1))),
    "address-family": (Op(0, "socket", (UDP,)), Op(0, "bind", (3, 4))),
    "dgram-shutdown-nonblock": (Op(0, "socketpair", (1,)), Op(0, "shutdown", (3, 0)),
                                Op(0, "set_nonblock", (3, 1)), Op(0, "recv", (3, 1))),
    "tcp-zero-recv": (*CONNECTION, Op(0, "shutdown", (4, 1)), Op(0, "recv", (4, 0))),
    "tcp-closed-port": (*CONNECTION, Op(0, "send", (5, 10)), Op(0, "close", (4,)),
                        Op(0, "bind_in", (5, B))),
    "nonblock-after-wait": (Op(0, "socket", (TCP,)), Op(0, "listen", (3, 0)), Op(0, "fork"),
                            Op(1, "accept", (3,)), Op(0, "set_nonblock", (3, 1)),
                            Op(0, "listen", (3, 1))),
    "udp-autobind": (Op(0, "socket", (UDP,)), Op(0, "send", (3, 1)), Op(0, "bind_in", (3, A))),
    "udp-datagram-size": (Op(0, "socket", (UDP,)), Op(0, "bind_in", (3, A)),
                          Op(0, "sendto_in", (3, 65508, A))),
}


def test_every_divergence_has_a_script() -> None:
    assert set(SHOWN_BY) == {d.name for d in DIVERGENCES}


@pytest.mark.parametrize("name", sorted(SHOWN_BY))
def test_each_known_divergence_still_shows(linux: LinuxRunner, name: str) -> None:
    """Once the simulator learns Linux's answer this fails: drop the exclusion then."""
    script = Script(SHOWN_BY[name])
    difference, _, stopped = compare(script, linux)
    assert difference is None and stopped == name
    difference, _, _ = compare(script, linux, ignore=frozenset({name}))
    assert difference is not None, f"{name}: the simulator agrees with Linux now"
