"""Section 0, the pitch: the channels of a real application, and what Popen wires.

``pitch_fds`` starts a stand-in application that holds what a chat client
holds (or inspects any process given by ``pid`` or ``name``) and counts its
sockets, pipes and FIFOs; beside it, the ``nc -l`` / ``nc`` picture: a server
with one listening and one connection socket, a client with one connection.
``popen`` has a child Python run ``subprocess.Popen`` and shows both fd tables
at each moment: one pipe for ``stdout=PIPE``, the zombie before ``wait``, two
one-way pipes for ``stdin=PIPE, stdout=PIPE``.

Options (``stage.options``): ``pid`` or ``name`` (pitch-fds: inspect that
process instead of the stand-in), ``port`` (the stand-in's server; 0: free).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from iochannels import live
from iochannels.demos.children import chat_standin, echo, python_popen
from iochannels.demos.pictures import from_three, snapshot, sockets_by_state
from iochannels.demos.proc_state import state
from iochannels.demos.processes import Child, program, spawn
from iochannels.demos.stage import Stage
from iochannels.errors import IoChannelsError, NotFound, UsageError
from iochannels.model import Kind, Snapshot

__all__ = ["pitch_fds", "popen", "tally"]


# -- pitch-fds -----------------------------------------------------------------------------------


def pitch_fds(stage: Stage) -> None:
    pids = _given_pids(stage.options)
    if pids:
        snap = snapshot(pids)
        _readable(snap, pids)
        stage.show(snap, "the fd table of " + ", ".join(f"pid {p}" for p in pids))
        _count(stage, snap)
        return
    server, standin, opened = _start_standin(stage)
    snap = snapshot([standin.pid], from_three(standin.pid))
    stage.show(snap, f"the stand-in application (pid {standin.pid}); fds 0-2, its link to "
                     "this demo, are left out")
    tallied = _count(stage, snap)
    stage.fact("opened", opened)
    stage.fact("counts_match_opened", tallied == {k: v for k, v in opened.items() if v})
    _nc_picture(stage, server, standin)


def _readable(snap: Snapshot, pids: list[int]) -> None:
    """A table the kernel did not show is not a table with no sockets: fail, say why.

    With --name, some of the processes may exit or be hidden: fail only if none is left.
    """
    if any(p.error is None for p in snap.processes):
        return
    unreadable = next((p for p in snap.processes if p.error), None)
    if unreadable is None:
        raise NotFound(f"process {', '.join(map(str, pids))} exited during the scan")
    raise IoChannelsError(f"cannot read the fds of process {unreadable.pid}: "
                          f"{unreadable.error} (run as its owner or as root)")


def _given_pids(options: Any) -> list[int]:
    """``pid`` or ``name`` from the options (the processes to inspect); none: the stand-in."""
    if options.get("pid"):
        if not str(options["pid"]).isdigit():
            raise UsageError(f"not a pid: {options['pid']!r}")
        pid = int(options["pid"])
        if not live.exists(pid):
            raise NotFound(f"no process with pid {pid}")
        return [pid]
    if options.get("name"):
        found = live.pids_by_name(str(options["name"]))
        if not found:
            raise NotFound(f"no process named {options['name']!r}")
        return sorted(found)
    return []


def _start_standin(stage: Stage) -> tuple[Child, Child, dict[str, int]]:
    """The local server, then the stand-in connected to it; and what the stand-in opened."""
    stage.say("Start a stand-in for a chat client: it opens what such a program holds, and "
              "connects to a small local server it talks to.")
    server = spawn(stage, program(echo.server, "tcp", str(stage.options.get("port") or 0)),
                   "server")
    port = str(server.expect("ready")["address"]).rsplit(":", 1)[1]
    dirs = (str(stage.workdir), str(stage.socket_dir))  # its files; its named socket
    standin = spawn(stage, program(chat_standin.standin, *dirs, port), "stand-in")
    opened: dict[str, int] = standin.expect("open")["opened"]
    server.expect("open")
    return server, standin, opened


def tally(snap: Snapshot) -> dict[str, int]:
    """How many fds point to each kind of channel, by the kinds' names."""
    return {k.value: n for k, n in sorted(snap.counts_by_kind().items())}


def _count(stage: Stage, snap: Snapshot) -> dict[str, int]:
    counts = snap.counts_by_kind()
    sockets = sum(n for kind, n in counts.items() if kind.is_socket)
    pipes, pairs, fifos = counts[Kind.PIPE], _pipe_pairs(snap), counts[Kind.FIFO]
    in_pairs = f" in {_many(pairs, 'pair')}" if pairs else ""  # pairs: both ends in one table
    sentence = (f"{_many(sockets, 'socket')}, {_many(pipes, 'pipe')}{in_pairs}, "
                f"{_many(fifos, 'FIFO')}")
    stage.table("fds by kind", ("kind", "fds"), sorted((k.value, n) for k, n in counts.items()))
    files = counts[Kind.FILE] + counts[Kind.CHR]
    devices = "file or device" if files == 1 else "files and devices"
    stage.say(f"Of {counts.total()} fds: {sentence}; {files} {devices}."
              + _rest(counts, sockets + pipes + fifos + files))
    stage.fact("counts", tally(snap))
    stage.fact("sockets", sockets)
    stage.fact("pipes", pipes)
    stage.fact("pipe_pairs", pairs)
    stage.fact("fifos", fifos)
    stage.fact("sentence", sentence)
    return tally(snap)


def _rest(counts: Counter[Kind], told: int) -> str:
    """The fds the sentence has not counted yet, by kind; nothing when there are none."""
    rest = counts.total() - told
    if not rest:
        return ""
    kinds = ", ".join(f"{k.value} {n}" for k, n in sorted(counts.items())
                      if n and not k.is_socket
                      and k not in (Kind.PIPE, Kind.FIFO, Kind.FILE, Kind.CHR))
    return f" The other {rest} ({kinds}) lead to no other process."


def _many(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _pipe_pairs(snap: Snapshot) -> int:
    """Pipes a process holds both ends of (a read end and a write end on one inode)."""
    pairs = 0
    for proc in snap.processes:
        ends: dict[str, set[str]] = {}
        for entry in proc.fds:
            channel = snap.channels.get(entry.channel)
            if channel is not None and channel.kind == Kind.PIPE:
                ends.setdefault(channel.id, set()).add(entry.access or "")
        pairs += sum(1 for access in ends.values() if {"r", "w"} <= access)
    return pairs


def _nc_picture(stage: Stage, server: Child, standin: Child) -> None:
    """``nc -l -p 12345`` and ``nc localhost 12345``: who holds which TCP socket."""
    tcp = standin.expect("tcp")
    stage.code("the lecture's version, in two consoles", "nc -l -p 12345\nnc localhost 12345")
    both = snapshot([server.pid, standin.pid], from_three(server.pid, standin.pid))
    snap = live.only_kinds(both, {Kind.TCP})
    stage.show(snap, f"like nc -l and nc: the server (pid {server.pid}) and the stand-in's "
                     f"connection {tcp['local']} -> {tcp['remote']}")
    stage.fact("server_sockets", sockets_by_state(snap, Kind.TCP, server.pid))
    stage.fact("client_sockets", sockets_by_state(snap, Kind.TCP, standin.pid))
    stage.say("The server holds two sockets: the listening one, and the connection socket "
              "accept(2) made for this client. The client holds one connection socket (the "
              f"stand-in also listens itself, on {tcp['listening']}).")
    standin.send("quit")
    standin.wait()
    server.wait()


# -- popen -------------------------------------------------------------------------------------


def popen(stage: Stage) -> None:
    stage.say("A child Python runs subprocess.Popen, so that both fd tables are small and "
              "clean: the Python program's and grep's.")
    python = spawn(stage, program(python_popen.popen), "python")
    _one_pipe(stage, python)
    _zombie(stage, python)
    _two_pipes(stage, python)
    python.send("quit")
    python.wait()


def _pair_snapshot(python: Child, grep: int, grep_fds: tuple[int, ...]) -> Snapshot:
    """Python's fds 3 and up, grep's ``grep_fds``: the others are the demo's control lines,
    which grep inherits from Python as a program inherits its terminal."""
    return snapshot([python.pid, grep], lambda pid, fd: fd >= 3 if pid == python.pid
                    else fd in grep_fds)


def _one_pipe(stage: Stage, python: Child) -> None:
    stage.code("the Python program", 'Popen(["grep", "a", "/etc/passwd"], stdout=PIPE)')
    python.send("start")
    said = python.expect("started")
    grep, read_fd = int(said["child"]), int(said["read_fd"])
    snap = _pair_snapshot(python, grep, (1,))
    stage.show(snap, f"right after Popen: Python (pid {python.pid}) and grep (pid {grep}); "
                     "grep's fds 0 and 2, inherited from Python, are left out")
    mine = _end(snap, python.pid, read_fd)
    theirs = _end(snap, grep, 1)
    alive = theirs is not None
    stage.fact("stdout_pipe", {
        "python_fd": read_fd, "python_access": mine[1] if mine else None,
        "grep_alive_at_snapshot": alive,
        "grep_fd1_same_pipe": (theirs[0] == mine[0] and theirs[1] == "w")
        if mine and theirs else None,
    })
    stage.say(f"Python holds the read end of one pipe as fd {read_fd}; grep got the write end "
              "as its fd 1, its standard output. "
              + ("Python paused grep with SIGSTOP as soon as Popen returned, so we see it "
                 "holding the write end." if alive else
                 "grep was quicker than the pause: it has already written and exited."))


def _zombie(stage: Stage, python: Child) -> None:
    python.send("exited")
    said = python.expect("exited")
    grep, waiting = int(said["child"]), int(said["waiting"])
    snap = _pair_snapshot(python, grep, (1,))
    letter = state(grep)
    stage.show(snap, f"grep (pid {grep}) has exited; Python has not called wait() yet")
    stage.fact("zombie_seen", letter == "Z")
    stage.fact("waiting_in_pipe", waiting)
    stage.say(f"grep has exited but nobody waited for it: it is a zombie (state {letter} in "
              f"/proc/{grep}/stat), with no fd table left. Its {waiting:,} bytes of output "
              "wait in the pipe; Python's read end can still read them.")
    python.send("reap")
    reaped = python.expect("reaped")
    stage.fact("grep_output_lines", int(reaped["lines"]))
    stage.fact("zombie_gone_after_wait", state(grep) == "")
    stage.say(f"Python read {reaped['lines']} lines and called wait(): the zombie is gone.")


def _two_pipes(stage: Stage, python: Child) -> None:
    stage.code("the Python program", 'Popen(["grep", "a"], stdin=PIPE, stdout=PIPE)')
    python.send("start")
    said = python.expect("started")
    grep, write_fd, read_fd = int(said["child"]), int(said["write_fd"]), int(said["read_fd"])
    snap = _pair_snapshot(python, grep, (0, 1))
    stage.show(snap, f"two pipes: Python (pid {python.pid}) writes to grep's fd 0 and reads "
                     f"its fd 1 (grep, pid {grep}, waits for input; its fd 2 is left out)")
    to_grep, from_grep = _end(snap, python.pid, write_fd), _end(snap, python.pid, read_fd)
    grep0, grep1 = _end(snap, grep, 0), _end(snap, grep, 1)
    stage.fact("two_way", {
        "python_write_fd": write_fd, "python_read_fd": read_fd,
        "python_write_access": to_grep[1] if to_grep else None,
        "python_read_access": from_grep[1] if from_grep else None,
        "grep_fd0": grep0[1] if grep0 else None, "grep_fd1": grep1[1] if grep1 else None,
        "fd0_same_pipe": bool(to_grep and grep0 and to_grep[0] == grep0[0]),
        "fd1_same_pipe": bool(from_grep and grep1 and from_grep[0] == grep1[0]),
    })
    stage.say(f"Two pipes. Python holds the write end of one (fd {write_fd}) and the read end "
              f"of the other (fd {read_fd}); grep has them as fd 0 and fd 1. Each pipe goes "
              "one way: two one-way pipes make one two-way channel.")
    python.send("feed")
    done = python.expect("reaped")
    stage.say(f"Python wrote /etc/passwd into grep's stdin, closed it, and read back "
              f"{done['lines']} lines.")


def _end(snap: Snapshot, pid: int, fd: int) -> tuple[str, str | None] | None:
    """(channel id, access) of ``pid``'s ``fd`` when it points to a pipe, else None."""
    proc = snap.process(pid)
    entry = proc.fd(fd) if proc else None
    if entry is None or entry.channel not in snap.channels:
        return None
    if snap.channels[entry.channel].kind != Kind.PIPE:
        return None
    return entry.channel, entry.access
