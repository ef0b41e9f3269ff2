"""Section 3, sockets vs pipes: one message and its echo over each kind of channel.

Every demo here runs the same two small programs (``children.echo`` server and
client, real separate processes), parameterised by the channel kind. The demo
takes both fd tables while both hold the channel, says how each side found
it (inherited, a name in the filesystem, an address), counts the kernel
buffers between them (one per pipe, two per socket), then has the client send
a message and read the echo.

Options (``stage.options``): ``port`` (tcp, udp: the server's port on
127.0.0.1; 0 or absent: a free one), ``message`` (what the client sends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iochannels.demos.children import echo
from iochannels.demos.pictures import from_three, snapshot, sockets_by_state
from iochannels.demos.processes import Child, program, spawn
from iochannels.demos.stage import Stage
from iochannels.model import Channel, Kind, Snapshot

__all__ = ["fifo", "pipe", "tcp", "udp", "unix_dgram", "unix_stream"]

MESSAGE = "Hello, server! Please send this back."


@dataclass(frozen=True, slots=True)
class Peer:
    """One side of the channel: its pid, the line its program talks on, what it said at open."""

    pid: int
    control: Child
    said: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Way:
    """How a kind of channel is found, and what the lecture says about it."""

    kind: Kind
    found: str  # inherited | filesystem | address
    per_channel: int  # kernel buffers per channel: 1 for a pipe (pipe(7)), 2 per socket
    lesson: str


WAYS = {
    "pipe": Way(Kind.PIPE, "inherited", 1,
                "Two one-way pipes make one two-way channel: one buffer per pipe."),
    "fifo": Way(Kind.FIFO, "filesystem", 1,
                "A FIFO is a pipe with a name: two FIFOs for two directions, one buffer each."),
    "unix-stream": Way(Kind.UNIX_STREAM, "filesystem", 2,
                       "One connection carries both directions: each of its two sockets has "
                       "a send and a receive buffer, four in all."),
    "unix-dgram": Way(Kind.UNIX_DGRAM, "filesystem", 2,
                      "Datagrams keep their boundaries; each socket has its send and receive "
                      "buffer."),
    "tcp": Way(Kind.TCP, "address", 2,
               "The listening socket only accepts; the connection socket carries both "
               "directions: four buffers between the two processes."),
    "udp": Way(Kind.UDP, "address", 2,
               "No connection: one socket on each side, each with a send and a receive "
               "buffer; every datagram carries the address to answer."),
}


def pipe(stage: Stage) -> None:
    _demo(stage, "pipe")


def fifo(stage: Stage) -> None:
    _demo(stage, "fifo")


def unix_stream(stage: Stage) -> None:
    _demo(stage, "unix-stream")


def unix_dgram(stage: Stage) -> None:
    _demo(stage, "unix-dgram")


def tcp(stage: Stage) -> None:
    _demo(stage, "tcp")


def udp(stage: Stage) -> None:
    _demo(stage, "udp")


def _demo(stage: Stage, kind: str) -> None:
    way = WAYS[kind]
    server, client = _start(stage, kind)
    stage.fact("kind", way.kind.value)
    stage.fact("server_pid", server.pid)
    stage.fact("client_pid", client.pid)
    _tell_found(stage, kind, server, client)
    snap = snapshot([server.pid, client.pid], from_three(server.pid, client.pid))
    stage.show(snap, f"server (pid {server.pid}) and client (pid {client.pid}) hold the "
                     f"{kind} channel; fds 0-2, their link to this demo, are left out")
    _count_buffers(stage, snap, way, (server.pid, client.pid))
    _exchange(stage, server, client)
    if kind.startswith("unix"):
        _names_stay(stage)


def _names_stay(stage: Stage) -> None:
    """unix(7): a bound socket's name stays in the filesystem until unlink(2)."""
    left = sorted(p.name for p in stage.socket_dir.glob("*.sock"))
    stage.fact("paths_left_after_close", left)
    if left:
        stage.say(f"Both programs have exited, yet {', '.join(left)} still "
                  + ("exists" if len(left) == 1 else "exist") + ": a socket's "
                  "name stays in the filesystem until someone unlinks it (unix(7)). The demo "
                  "removes its directory now.")


# -- start both sides --------------------------------------------------------------------------


def _where(stage: Stage, kind: str) -> str:
    match kind:
        case "fifo":
            return str(stage.workdir)
        case "unix-stream" | "unix-dgram":
            return str(stage.socket_dir / "server.sock")  # the client's goes beside it
        case _:
            return str(int(stage.options.get("port") or 0))  # 0: the kernel picks a free port


def _start(stage: Stage, kind: str) -> tuple[Peer, Peer]:
    if kind == "pipe":
        return _start_pipe(stage)
    stage.say(f"Start a server and a client, two separate programs, joined by a {kind} channel.")
    server = spawn(stage, program(echo.server, kind, _where(stage, kind)), "server")
    address = str(server.expect("ready")["address"])
    client = spawn(stage, program(echo.client, kind, address), "client")
    client_said = client.expect("open")
    server_said = server.expect("open")
    return Peer(server.pid, server, server_said), Peer(client.pid, client, client_said)


def _start_pipe(stage: Stage) -> tuple[Peer, Peer]:
    stage.say("The client makes two pipes, then forks: the child is the server.")
    client = spawn(stage, program(echo.client, "pipe"), "client")
    client_said = client.expect("open", "client")
    server_said = client.expect("open", "server")
    return (Peer(int(client_said["server_pid"]), client, server_said),
            Peer(client.pid, client, client_said))


def _tell_found(stage: Stage, kind: str, server: Peer, client: Peer) -> None:
    way = WAYS[kind]
    s, c = server.said, client.said
    match kind:
        case "pipe":
            text = (f"Inherited: the server (pid {server.pid}) got its fds {s['read_fd']} and "
                    f"{s['write_fd']} from fork(2). A pipe has no name: only a parent and its "
                    "children can share one.")
            where = {"server": "inherited", "client": "pipe(2)"}
        case "fifo":
            to, back = (str(stage.workdir / n) for n in ("to_server.fifo", "from_server.fifo"))
            text = (f"By a name in the filesystem: both opened {to} and {back}. The server "
                    "reads the first and writes the second, the client the other way round; "
                    "open(2) of a FIFO waits until the other side opens it too (fifo(7)).")
            where = {"server": f"{to} (r), {back} (w)", "client": f"{to} (w), {back} (r)"}
        case "unix-stream":
            text = (f"By a name in the filesystem: the server bound {s['local']} and listens; "
                    "the client connected to that path. accept(2) gave the server a new "
                    "connection socket; the listening one waits for the next client (unix(7)).")
            where = {"server": s["local"], "client": c["remote"]}
        case "unix-dgram":
            text = (f"The server bound {s['local']}; the client bound its own path "
                    f"{c['local']}, or the reply would have no address to go to (unix(7)).")
            where = {"server": s["local"], "client": c["local"]}
        case "tcp":
            text = (f"By address: the client {c['local']} connected to {c['remote']}; the "
                    f"connection is the 4-tuple ({c['local']}, {c['remote']}), and the server "
                    f"sees the same pair from its side: {s['local']} <- {s['remote']} (tcp(7)).")
            where = {"server": s["local"], "client": c["local"]}
        case _:
            text = (f"By address, with no connection: the client {c['local']} sends to "
                    f"{s['local']}; the server answers the address each datagram came from "
                    "(udp(7)).")
            where = {"server": s["local"], "client": c["local"]}
    stage.say(text)
    stage.fact("found", way.found)
    stage.fact("addresses", where)


# -- what the snapshot shows ---------------------------------------------------------------------


def between(snap: Snapshot, kind: Kind, pids: tuple[int, ...]) -> list[Channel]:
    """The channels of ``kind`` the processes hold, listening sockets left out (one each)."""
    found: dict[str, Channel] = {}
    for proc, entry in snap.entries():
        channel = snap.channels.get(entry.channel)
        if proc.pid not in pids or channel is None or channel.kind != kind:
            continue
        if (channel.state or "").upper() != "LISTEN":
            found[channel.id] = channel
    return list(found.values())


def _count_buffers(stage: Stage, snap: Snapshot, way: Way, pids: tuple[int, int]) -> None:
    channels = between(snap, way.kind, pids)
    buffers = sum(len(ch.buffers) for ch in channels)
    stage.fact("channels", len(channels))
    stage.fact("buffers", buffers)
    # Always two channels: two pipes, two FIFOs, or one socket at each end.
    stage.fact("buffers_expected", 2 * way.per_channel)
    stage.fact("kinds", sorted({k.value for k in snap.counts_by_kind()}))
    stage.fact("held", {role: _held(snap, pid) for role, pid in zip(("server", "client"), pids,
                                                                      strict=True)})
    if way.kind in (Kind.TCP, Kind.UNIX_STREAM):
        stage.fact("server_sockets", sockets_by_state(snap, way.kind, pids[0]))
    noun = {Kind.PIPE: "pipes", Kind.FIFO: "FIFOs"}.get(way.kind, "sockets, one at each end")
    stage.say(f"Between them: {len(channels)} {noun}, {buffers} kernel buffers in the "
              f"snapshot. {way.lesson}")


def _held(snap: Snapshot, pid: int) -> list[str]:
    proc = snap.process(pid)
    if proc is None:
        return []
    return [f"{e.fd}{e.access or ''} {snap.channels[e.channel].kind.value}"
            for e in proc.fds if e.channel in snap.channels]


# -- the message and its echo --------------------------------------------------------------------


def _exchange(stage: Stage, server: Peer, client: Peer) -> None:
    message = " ".join(str(stage.options.get("message") or MESSAGE).split())  # one line
    client.control.send("send", message=message)
    echo = str(client.control.expect("echo", "client")["message"])
    heard = str(server.control.expect("echoed", "server")["message"])
    client.control.send("quit")
    client.control.wait()
    if server.control is not client.control:
        server.control.wait()
    stage.say(f"The client sent {message!r}; the server read {heard!r} and sent it back; "
              f"the client read {echo!r}.")
    stage.fact("message", message)
    stage.fact("echo", echo)
    stage.fact("echo_equals_message", echo == message)
