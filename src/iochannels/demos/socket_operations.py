"""Section 5, socket operations: N clients against one iterative server, TCP then UDP.

TCP: one listening socket, and ``accept`` makes one connection socket per
client: with N clients connected the server holds 1 + N sockets. UDP: one
socket serves every client. Round-trip times in percentiles; with a small
listen backlog the accept queue overflows, connection attempts are dropped and
retried by the client's TCP stack (tcp(7): the SYN is sent again after about
one second), and the slow tail shows it. The clients run in a few worker
processes (``children.many_clients``), each with many sockets, so that N is cheap.

Options (``stage.options``): ``clients``, ``backlog``, ``port`` (0: a free one), ``progress``
(a callable ``(label, done, of)`` called before each of the two rounds and with ``("done", 2,
2)`` at the end).
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iochannels.bench import measures, results
from iochannels.bench.results import Latency
from iochannels.demos.children import many_clients
from iochannels.demos.pictures import keep_fds, snapshot
from iochannels.demos.processes import program, read_json, start
from iochannels.demos.stage import Stage
from iochannels.errors import IoChannelsError
from iochannels.model import Snapshot
from iochannels.render.grouping import COLLAPSE_MIN

__all__ = ["Round", "clients", "one_connection", "percentile"]

QUICK_CLIENTS, DEFAULT_CLIENTS = 20, 200
DEFAULT_BACKLOG = 10  # the lecture's: small enough to overflow
CLIENTS_PER_WORKER, MAX_WORKERS, WINDOW = 100, 4, 16
# Connection sockets drawn in the picture (all are counted): fewer than the svg view's run
# that collapses into one row, so that the listening socket keeps a row of its own.
SHOWN_CONNECTIONS = COLLAPSE_MIN - 2
RESULT_SECONDS = 600.0  # a bound for 20,000 clients behind a small backlog
ONE_ROUNDS, ONE_WARMUP = 1000, 50  # round trips on one open connection: the baseline


@dataclass(frozen=True, slots=True)
class Round:
    """One protocol's run: what the clients measured and what the server held."""

    kind: str
    clients: int
    rtts_ms: tuple[float, ...]
    errors: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    server_sockets: int = 0
    fd_limit: int = 0  # the server's RLIMIT_NOFILE: how many connections it could keep

    def stats(self) -> dict[str, float]:
        ordered = sorted(self.rtts_ms)
        return {name: round(percentile(ordered, q), 3)
                for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))}


def percentile(ordered: Sequence[float], q: float) -> float:
    """The bench's nearest-rank percentile (``bench.results.percentile``), 0.0 for none:
    every client may have failed.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 100)
    (2.0, 4.0)
    """
    return float(results.percentile(ordered, q)) if ordered else 0.0


def one_connection(stage: Stage, kind: str, rounds: int) -> Latency:
    """Round trips of the clients' message on ONE connection kept open (one socket pair for
    UDP), timed by the bench's ping-pong (``bench.measures.pingpong``): what a client pays
    without the handshake and without waiting for the server to be free."""
    return measures.pingpong(kind, len(many_clients.MESSAGE), rounds, ONE_WARMUP,
                             workdir=stage.workdir)


def clients(stage: Stage) -> None:
    count = int(stage.options.get("clients") or (QUICK_CLIENTS if stage.quick
                                                 else DEFAULT_CLIENTS))
    given = stage.options.get("backlog")
    backlog = DEFAULT_BACKLOG if given is None else int(given)
    stage.say(f"One iterative server on 127.0.0.1 (it serves one client at a time), "
              f"{_many(count, 'client')}, each sending a short message and timing the echo. "
              f"TCP first, with a listen backlog of {backlog:,}{_capped(backlog)}, then UDP.")
    progress = stage.options.get("progress") or (lambda label, done, of: None)
    rounds = []
    for done, kind in enumerate(("tcp", "udp")):  # 20,000 clients take seconds: say which
        progress(f"{kind.upper()}, {_many(count, 'client')}", done, 2)
        rounds.append(_round(stage, kind, count, backlog))
    progress("done", 2, 2)
    rounds_one = ONE_ROUNDS // 5 if stage.quick else ONE_ROUNDS
    baseline = {r.kind: one_connection(stage, r.kind, rounds_one) for r in rounds}
    _table(stage, rounds, baseline)
    _facts(stage, rounds, backlog, baseline)
    _explain(stage, rounds, backlog, baseline)


def _round(stage: Stage, kind: str, count: int, backlog: int) -> Round:
    server, port, fd_limit = _server(stage, kind, backlog, count)
    workers = [start(stage, program(many_clients.clients, kind, str(port), str(share),
                                    str(WINDOW)),
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for share in _shares(count)]
    said = [read_json(w.stdout, f"the {kind} clients", RESULT_SECONDS) for w in workers]
    held = _picture(stage, kind, server.pid, count)
    for worker in workers:  # now they may close their connections and end
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait(10)
    rtts = tuple(r for s in said for r in s["rtts"])
    return Round(kind, count, rtts, _merged(s["errors"] for s in said),
                 sum(int(s["retries"]) for s in said), held, fd_limit)


def _server(stage: Stage, kind: str, backlog: int, count: int) -> tuple[
        subprocess.Popen[bytes], int, int]:
    port = int(stage.options.get("port") or 0)  # 0: the kernel picks a free port
    server = start(stage, program(many_clients.server, kind, str(backlog), str(count),
                                  str(port)),
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready = read_json(server.stdout, f"the {kind} server")
    if ready["event"] == "error":
        raise IoChannelsError(str(ready["message"]))
    return server, int(ready["port"]), int(ready["fd_limit"])


def _shares(count: int) -> list[int]:
    """Clients per worker process: a few workers, none empty."""
    workers = min(MAX_WORKERS, max(1, math.ceil(count / CLIENTS_PER_WORKER)))
    return [count // workers + (1 if i < count % workers else 0) for i in range(workers)]


def _merged(dicts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for errors in dicts:
        for name, n in errors.items():
            total[name] = total.get(name, 0) + int(n)
    return total


def _picture(stage: Stage, kind: str, pid: int, count: int) -> int:
    """Count the server's sockets while every client is served; draw a few of them."""
    snap = snapshot([pid], keep=lambda _pid, fd: fd >= 3)  # 0-2: the demo's control lines
    sockets = _sockets(snap, pid)
    shown = set(sockets[: 1 + SHOWN_CONNECTIONS])
    noun = "socket" if len(sockets) == 1 else "sockets"
    what = ("1 listening socket + one connection socket per client" if kind == "tcp"
            else "one socket for every client")
    more = f" ({len(shown)} of them drawn)" if len(sockets) > len(shown) else ""
    stage.show(keep_fds(snap, lambda _pid, fd: fd in shown),
               f"the {kind.upper()} server with {_many(count, 'client')} served: "
               f"{len(sockets):,} {noun}, {what}{more}")
    return len(sockets)


def _sockets(snap: Snapshot, pid: int) -> list[int]:
    proc = snap.process(pid)
    if proc is None:
        raise IoChannelsError("the server ended before it could be counted")
    return [e.fd for e in proc.fds
            if e.channel in snap.channels and snap.channels[e.channel].kind.is_socket]


def _table(stage: Stage, rounds: list[Round], baseline: Mapping[str, Latency]) -> None:
    rows = []
    for r in rounds:
        s = r.stats()
        errors = ", ".join(f"{k} {v}" for k, v in r.errors.items()) or "none"
        rows.append((r.kind.upper(), f"{r.clients:,}", f"{r.server_sockets:,}",
                     *(_ms(s[k]) for k in ("p50", "p90", "p99", "max")),
                     str(r.retries), errors))
    stage.table("round-trip times in ms, and the server's sockets",
                ("", "clients", "sockets", "p50", "p90", "p99", "max", "resent", "errors"), rows)
    stage.table("round trips in ms on one open connection (iochannels bench's ping-pong)",
                ("", "round trips", "p50", "p90", "p99", "max", "lost"),
                [(kind.upper(), f"{len(one.samples_ns):,}",
                  *(_ms(v) for v in _one_stats(one).values()), str(one.lost))
                 for kind, one in baseline.items()])


def _one_stats(one: Latency) -> dict[str, float]:
    """The baseline's percentiles in ms, as ``Round.stats`` gives the clients' ones."""
    return {name: round(one.pct(q) / 1000, 4) for name, q in
            (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))}


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:,.0f}"


def _facts(stage: Stage, rounds: list[Round], backlog: int,
           baseline: Mapping[str, Latency]) -> None:
    stage.fact("clients", rounds[0].clients)
    stage.fact("backlog", backlog)
    for r in rounds:
        stage.fact(f"{r.kind}_server_sockets", r.server_sockets)
        stage.fact(f"{r.kind}_answered", len(r.rtts_ms))
        stage.fact(f"{r.kind}_rtt_ms", r.stats())
        stage.fact(f"{r.kind}_errors", r.errors)
        stage.fact(f"{r.kind}_slow", sum(1 for t in r.rtts_ms if t >= 100.0))
    stage.fact("udp_resends", rounds[1].retries)
    for kind, one in baseline.items():
        stage.fact(f"{kind}_one_connection_rtt_ms", _one_stats(one))
        stage.fact(f"{kind}_one_connection_round_trips", len(one.samples_ns))


def _capped(backlog: int) -> str:
    """What the kernel makes of a backlog above net.core.somaxconn (listen(2): capped)."""
    try:
        most = int(Path("/proc/sys/net/core/somaxconn").read_text())
    except (OSError, ValueError):
        return ""
    return f" (capped by the kernel at somaxconn, {most:,}: listen(2))" if backlog > most else ""


def _many(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _missing(stage: Stage, tcp: Round) -> None:
    """Why the server holds fewer than 1 + N sockets: its fd limit, or clients that failed."""
    if tcp.server_sockets >= tcp.clients + 1:
        return
    failed = sum(tcp.errors.values())
    if tcp.fd_limit - many_clients.FD_SPARE < tcp.clients:  # the server closes its oldest past this
        stage.say(f"Not all {tcp.clients:,} connections could stay open: the server may hold "
                  f"{tcp.fd_limit:,} fds (RLIMIT_NOFILE, getrlimit(2)), so it closed its oldest "
                  "connections as new ones came.")
    elif failed:
        stage.say(f"{_many(failed, 'client')} never got an answer (see errors): the server "
                  "holds no connection socket for them.")


def _explain(stage: Stage, rounds: list[Round], backlog: int,
             baseline: Mapping[str, Latency]) -> None:
    tcp, udp = rounds
    slow = sum(1 for t in tcp.rtts_ms if t >= 100.0)
    stage.say(f"TCP: the server held {tcp.server_sockets:,} sockets, the listening one and a "
              f"connection socket per client. UDP: {_many(udp.server_sockets, 'socket')} for "
              f"{_many(udp.clients, 'client')}; datagrams carry their sender's address instead.")
    _missing(stage, tcp)
    if slow:
        stage.say(f"{slow} TCP client(s) took 100 ms or more: while the server was busy, its "
                  f"accept queue (backlog {backlog}) was full, the kernel dropped their "
                  "handshake packets, and their TCP stack sent them again after a timeout "
                  "(tcp(7); the first SYN retry waits about 1 s, a lost ACK about 200 ms).")
    else:
        stage.say(f"No TCP client waited 100 ms or more: the accept queue (backlog {backlog}) "
                  "never overflowed at this size. Try --clients 1000 --backlog 10.")
    one = _one_stats(baseline["tcp"])["p50"]
    stage.say(f"For comparison, the same {len(many_clients.MESSAGE)}-byte message and its echo "
              f"on ONE TCP connection kept open take {_ms(one)} ms (median, timed as "
              "`iochannels bench` times round trips): a client of the iterative server also "
              "pays the handshake (connect(2), accept(2)) and its wait for the server.")
    stage.say("Serving many clients at once (threads, select, epoll) is the next lecture.")
