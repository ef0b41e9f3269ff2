"""The simulated filesystem: one flat namespace of paths.

A path names a regular file, a FIFO (mkfifo(3)), a bound UNIX socket
(unix(7): bind creates the entry, unlink removes it) or a device (/dev/null,
/dev/tty). Only regular files have contents of their own; a FIFO's bytes live
in a pipe that exists while the FIFO is open (fifo(7)).
"""

from __future__ import annotations

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

    def lookup(self, path: str) -> Node:
        node = self.nodes.get(path)
        if node is None:
            raise fail("ENOENT")
        return node

    def add(self, path: str, node: Node) -> None:
        if path in self.nodes:
            raise fail("EEXIST")
        self.nodes[path] = node

    def unlink(self, path: str) -> None:
        node = self.lookup(path)
        if isinstance(node, Terminal | DevNull):
            raise fail("EACCES")
        del self.nodes[path]  # open files keep their channel: unlink(2) removes only the name

    def contents(self) -> Mapping[str, bytes]:
        """Every regular file and what a reader of it would see now."""
        return {path: node.area.contents() for path, node in sorted(self.nodes.items())
                if isinstance(node, RegularFile)}
