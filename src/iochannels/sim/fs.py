"""The simulated filesystem: one flat namespace of paths.

Flat, by choice (the "flat-filesystem" simplification): there are no directories,
so every directory a path names exists. Paths are still read as path_resolution(7)
reads them: ``./f``, ``f`` and ``.//f`` are one name, and a name below a file
(``f/g`` where ``f`` is a file, a FIFO or a socket) is ENOTDIR.

A path names a regular file, a FIFO (mkfifo(3)), a bound UNIX socket
(unix(7): bind creates the entry, unlink removes it) or a device (/dev/null,
/dev/tty). Only regular files have contents of their own; a FIFO's bytes live
in a pipe that exists while the FIFO is open (fifo(7)).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from iochannels.sim.devices import DevNull, RegularFile, Terminal
from iochannels.sim.errors import fail
from iochannels.sim.pipes import Pipe
from iochannels.sim.sockets import Socket

__all__ = ["Fifo", "Filesystem", "Node"]


@dataclass(eq=False)
class Fifo:
    """A FIFO's entry: the pipe while open, and how many opens of each end so far.

    The counters only grow; a blocked open(2) waits until the other one changes
    (Linux fs/pipe.c ``wait_for_partner`` waits on ``r_counter``/``w_counter``).
    """

    path: str
    pipe: Pipe | None = None
    r_counter: int = 0
    w_counter: int = 0


Node = RegularFile | Fifo | Socket | Terminal | DevNull


class Filesystem:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}

    def resolve(self, path: str) -> str:
        """The name ``path`` stands for: ``./f`` is ``f``; ENOTDIR below a file."""
        if not path:
            raise fail("ENOENT")  # path_resolution(7): an empty path names nothing
        name = posixpath.normpath(path)
        if name.startswith("//"):
            name = name[1:]
        parts = name.split("/")
        for end in range(1, len(parts)):
            if "/".join(parts[:end]) in self.nodes:
                raise fail("ENOTDIR")  # a component used as a directory is no directory
        if path.endswith("/") and name in self.nodes:
            raise fail("ENOTDIR")  # "f/": only a directory may end in a slash
        return name

    def find(self, path: str) -> Node | None:
        return self.nodes.get(self.resolve(path))

    def lookup(self, path: str) -> Node:
        node = self.find(path)
        if node is None:
            raise fail("ENOENT")
        return node

    def add(self, path: str, node: Node) -> None:
        path = self.resolve(path)
        if path in self.nodes:
            raise fail("EEXIST")
        self.nodes[path] = node

    def unlink(self, path: str) -> None:
        path = self.resolve(path)
        node = self.lookup(path)
        if isinstance(node, Terminal | DevNull):
            raise fail("EACCES")
        del self.nodes[path]  # open files keep their channel: unlink(2) removes only the name

    def contents(self) -> Mapping[str, bytes]:
        """Every regular file and what a reader of it would see now."""
        return {path: node.area.contents() for path, node in sorted(self.nodes.items())
                if isinstance(node, RegularFile)}
