"""Section 3's demos on real processes: the echo, how each side found the channel, the buffers."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from iochannels.demos import registry
from iochannels.demos import sockets_vs_pipes as channels
from iochannels.demos.runner import load
from iochannels.demos.stage import Show, staged
from iochannels.errors import IoChannelsError

KINDS = ("pipe", "fifo", "unix-stream", "unix-dgram", "tcp", "udp")


def run(demo: str, **options: Any) -> tuple[dict[str, Any], list[Show], Path | None]:
    info = registry.get(demo)
    with staged(info, quick=True, options=options) as stage:
        getattr(channels, info.function)(stage)
        workdir = stage._workdir
    json.dumps(stage.facts)  # --json prints them
    return stage.facts, [b for b in stage.blocks if isinstance(b, Show)], workdir


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@pytest.mark.parametrize("name", KINDS)
def test_the_echo_equals_the_message(name: str) -> None:
    facts, shows, workdir = run(name)
    assert facts["echo"] == facts["message"]
    assert facts["echo_equals_message"] is True
    assert facts["kind"] == name
    assert len(shows) == 1
    assert {p.pid for p in shows[0].step.snapshot.processes} == {
        facts["server_pid"], facts["client_pid"]}
    assert gone(facts["server_pid"]) and gone(facts["client_pid"])
    assert workdir is None or not workdir.exists()


@pytest.mark.parametrize(
    ("name", "found"),
    [("pipe", "inherited"), ("fifo", "filesystem"), ("unix-stream", "filesystem"),
     ("unix-dgram", "filesystem"), ("tcp", "address"), ("udp", "address")],
)
def test_each_side_found_the_channel(name: str, found: str) -> None:
    facts, _, _ = run(name)
    assert facts["found"] == found
    if found == "address":
        assert not listening(facts["addresses"]["server"]) or name == "udp"
        assert facts["addresses"]["server"].startswith("127.0.0.1:")
        assert facts["addresses"]["client"].startswith("127.0.0.1:")
        assert facts["addresses"]["server"] != facts["addresses"]["client"]
    if name == "unix-dgram":
        assert facts["addresses"]["server"].endswith("server.sock")
        assert facts["addresses"]["client"].endswith("client.sock")


@pytest.mark.parametrize(("name", "buffers"), [("pipe", 2), ("fifo", 2), ("unix-stream", 4),
                                               ("unix-dgram", 4), ("tcp", 4), ("udp", 4)])
def test_buffers_one_per_pipe_two_per_socket(name: str, buffers: int) -> None:
    facts, _, _ = run(name)
    assert facts["channels"] == 2
    assert facts["buffers_expected"] == buffers
    assert facts["buffers"] == buffers
    assert name in facts["kinds"]


def test_the_pipe_server_is_the_clients_child() -> None:
    facts, shows, _ = run("pipe")
    server = shows[0].step.snapshot.process(facts["server_pid"])
    assert server is not None
    if server.ppid is not None:
        assert server.ppid == facts["client_pid"]


@pytest.mark.parametrize("name", ["tcp", "unix-stream"])
def test_the_server_holds_a_listening_and_a_connection_socket(name: str) -> None:
    facts, _, _ = run(name)
    assert facts["server_sockets"] == {"listening": 1, "connection": 1}
    assert len([h for h in facts["held"]["client"] if h.endswith(name)]) == 1


@pytest.mark.parametrize("name", ["unix-stream", "unix-dgram"])
def test_socket_names_stay_until_unlinked(name: str) -> None:
    facts, _, workdir = run(name)
    assert "server.sock" in facts["paths_left_after_close"]
    assert workdir is not None and not workdir.exists()


@pytest.mark.parametrize("name", ["unix-stream", "unix-dgram", "pitch-fds"])
def test_a_long_tmpdir_still_binds_its_sockets(name: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """unix(7): sun_path holds 108 bytes; under a long TMPDIR the sockets go to a short dir."""
    long_tmp = tmp_path / ("d" * 90)
    long_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(long_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmp))
    info = registry.get(name)
    with staged(info, quick=True) as stage:
        load(info)(stage)
        socket_dir, workdir = stage.socket_dir, stage._workdir
    assert workdir is not None and workdir.parent == long_tmp
    assert socket_dir.name.startswith(f"iochannels-{name}-")
    assert len(str(socket_dir / "server.sock").encode()) < 108
    if name != "pitch-fds":
        assert stage.facts["echo_equals_message"] is True
        assert Path(stage.facts["addresses"]["server"]).parent == socket_dir
    else:
        assert stage.facts["counts_match_opened"] is True
    assert not socket_dir.exists() and not workdir.exists()
    assert list(long_tmp.iterdir()) == []


def test_a_taken_port_is_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(IoChannelsError, match=f"port {port} .* is taken"):
            run("tcp", port=port)


def test_a_given_port_is_used() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    facts, _, _ = run("udp", port=port)
    assert facts["addresses"]["server"] == f"127.0.0.1:{port}"


# -- interrupted halfway: nothing is left ------------------------------------------------------

HALFWAY = """
import contextlib, importlib, json, os, sys, time
from iochannels.demos import registry
def descendants():
    parent = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{entry}/stat", "rb").read()  # a name may not be UTF-8
        except OSError:
            continue
        parent[int(entry)] = int(stat.rsplit(b")", 1)[1].split()[1])
    found, todo = [], [os.getpid()]
    while todo:
        me = todo.pop()
        kids = [pid for pid, ppid in parent.items() if ppid == me]
        found += kids
        todo += kids
    return found
from iochannels.demos.stage import Show, Stage
def halfway():
    print(json.dumps({**stage.facts, "workdir": str(stage._workdir),
                      "children": descendants()}), flush=True)
    time.sleep(60)
# buffer-size: its pipe's writer lives only while the bench's measure runs: stop there, in
# the 8 KiB measurement, once the measure has forked its sender (bench.children.child).
from iochannels.bench import measures
inner, at_8k = measures.pinned, []
@contextlib.contextmanager
def pinned_then_halfway(cpu):
    with inner(cpu):
        if at_8k:
            halfway()
        yield
measures.pinned = pinned_then_halfway
def at_pipe(label, done, of):
    if label.startswith("pipe, 8 KiB"):
        at_8k.append(label)
info = registry.get(sys.argv[1])
stage = Stage(info, quick=True, options={"progress": at_pipe})
stage.listeners.append(lambda block: isinstance(block, Show) and halfway())
try:
    getattr(importlib.import_module(info.module), info.function)(stage)
finally:
    stage.close()
"""


def pids_of(said: dict[str, Any]) -> list[int]:
    """The demo's processes it has told of so far (pitch-fds, popen: the ones it started)."""
    return sorted({*(said[k] for k in ("server_pid", "client_pid") if k in said),
                   *said["children"]})


def listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0


@pytest.mark.parametrize(
    "name", ["pipe", "fifo", "unix-stream", "tcp", "pitch-fds", "popen", "buffer-size"])
def test_sigint_halfway_leaves_nothing(name: str) -> None:
    with subprocess.Popen([sys.executable, "-c", HALFWAY, name], stdout=subprocess.PIPE,
                          text=True) as demo:
        assert demo.stdout is not None
        said = json.loads(demo.stdout.readline())
        pids = pids_of(said)
        assert pids and not any(gone(pid) for pid in pids)
        demo.send_signal(signal.SIGINT)
        assert demo.wait(20) != 0
    deadline = time.monotonic() + 15  # a bound for a loaded machine, not a speed check
    while not all(gone(pid) for pid in pids):
        assert time.monotonic() < deadline, "a process outlived the interrupted demo"
        time.sleep(0.05)
    assert not Path(said["workdir"]).exists() or said["workdir"] == "None"
    if name == "tcp":
        assert not listening(said["addresses"]["server"])

