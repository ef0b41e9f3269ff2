"""procfs.Links names fd links from fdinfo: it must give what readlink(2) gives.

Links serves the pure-Python path (the C part reads every link): these tests run there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from livekit import Child, every_kind

from iochannels.live import procfs


@pytest.fixture(autouse=True)
def pure_python() -> Iterator[None]:
    with procfs.native(False):
        yield


def readlinks(pid: int) -> dict[int, str]:
    return {raw.fd: raw.link for raw in procfs.read_fds(pid, with_info=False)}


def test_links_from_fdinfo_are_the_links(every_kind: Child) -> None:
    # Twice with one Links: the second read names pipes, sockets and files seen before
    # from fdinfo alone; both must agree with readlink on every fd.
    links = procfs.Links()
    for _ in range(2):
        named = {raw.fd: raw.link for raw in procfs.read_fds(every_kind.pid, links=links)}
        assert named == readlinks(every_kind.pid)


def test_links_learn_pipes_sockets_and_files(every_kind: Child) -> None:
    links = procfs.Links()
    procfs.read_fds(every_kind.pid, links=links)
    fds = every_kind.fds
    for name in ("pipe_r", "unix_client", "file"):
        with open(f"/proc/{every_kind.pid}/fdinfo/{fds[name]}", "rb") as fh:
            info = fh.read()
        assert links.name(info) == os.readlink(f"/proc/{every_kind.pid}/fd/{fds[name]}")


def test_anon_inodes_are_never_named_from_fdinfo(every_kind: Child) -> None:
    links = procfs.Links()
    procfs.read_fds(every_kind.pid, links=links)
    for fd, link in readlinks(every_kind.pid).items():
        if link.startswith("anon_inode:"):
            with open(f"/proc/{every_kind.pid}/fdinfo/{fd}", "rb") as fh:
                assert links.name(fh.read()) is None


def test_without_the_inode_line_it_reads_the_link() -> None:
    links = procfs.Links()
    old_kernel = b"pos:\t0\nflags:\t02\nmnt_id:\t15\n"  # before Linux 5.14: no ino line
    links.learn(old_kernel, "pipe:[12]")
    assert links.name(old_kernel) is None


__all__ = ["every_kind"]  # a fixture: imported by the tests that use it
