"""The TYPE of real datagram sockets, and the one legend of the OTHER END forms.

socket(2): a SOCK_DGRAM socket (UDP, a UNIX datagram socket), a raw socket and a netlink
socket keep message boundaries; they are not byte streams, and no view may call them so.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iochannels import live
from iochannels.render import render_snapshot
from iochannels.render.columns import LEGEND, OTHER_END_FORMS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def datagram_sockets() -> Iterator[dict[str, socket.socket]]:
    made = {"udp": socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
            "unix-dgram": socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM),
            "netlink": socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)}
    made["udp"].bind(("127.0.0.1", 0))
    # raw sockets need CAP_NET_RAW; without it the others still say what they must
    with contextlib.suppress(PermissionError):
        made["raw"] = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        yield made
    finally:
        for sock in made.values():
            sock.close()


def test_datagram_sockets_are_not_called_stream(datagram_sockets: dict[str, socket.socket]) -> None:
    fds = {s.fileno(): kind for kind, s in datagram_sockets.items()}
    snap = live.snapshot([os.getpid()], fd_range=set(fds))
    text = render_snapshot(snap, "text", width=200)
    for fd, kind in fds.items():
        row = re.search(rf"^ *{fd} +rw +(\S+) +(\S+)", text, re.M)
        assert row, text
        assert (row[1], row[2]) == (kind, "dgram"), row[0]
    for fmt in ("svg", "dot", "mermaid"):
        drawn = render_snapshot(snap, fmt)
        assert "udp (stream" not in drawn and "udp</b> (stream" not in drawn, fmt
        assert "dgram" in drawn, fmt


def test_one_legend_in_the_help_and_the_readme() -> None:
    run = subprocess.run([sys.executable, "-m", "iochannels", "fds", "--help"],
                         capture_output=True, text=True, timeout=60, check=True)
    flat = " ".join(run.stdout.split())
    assert " ".join(LEGEND.split()) in flat
    readme = " ".join((ROOT / "docs" / "readme" / "fds.md").read_text().split())
    for form, meaning in OTHER_END_FORMS:
        assert f"`{form}` {meaning}" in readme, form

